package io.wiretrace.agent.app;

import io.wiretrace.analysis.verdict.Call;

/** A slow or failed call of an app thread, on its connection (null: a connect that failed, a lookup). */
public final class AppCall extends Call {
    public final Conn conn;
    /**
     * The incoming request it was made for ({@link RequestContext}; for an incoming exchange, its
     * own), whatever thread made it; 0: none known.
     */
    public long context;
    /**
     * Failed connects to the same peer that the correlator left out and counted on this one;
     * -1 once it is explained (its own thread only).
     */
    public long moreLikeIt;

    AppCall(int kind, Conn conn, long start, long end, Throwable failure) {
        this(kind, conn, start, end, failure == null ? null : failure.toString());
    }

    /** A slow or failed exchange (HTTP, HTTP/2 stream, query) with its app-side times, made for request {@code context}. */
    static AppCall exchange(int kind, Conn conn, long start, long end, Object failure, String thread, long threadId, String request,
            boolean incoming, long requestSent, long firstByte, long lastByte, int status, long context) {
        AppCall call = new AppCall(kind, conn, start, end, failure == null ? null : failure.toString());
        call.thread = thread;
        call.threadId = threadId;
        call.request = request;
        call.incoming = incoming;
        call.requestSent = requestSent;
        call.firstByte = firstByte;
        call.lastByte = lastByte;
        call.status = status;
        call.context = context;
        return call;
    }

    public AppCall(int kind, Conn conn, long start, long end, String failure) {
        super(kind, start, end, Thread.currentThread().getName(), failure);
        this.conn = conn;
        this.threadId = Thread.currentThread().getId(); // threadId() is JDK 19+; the same number
        this.context = RequestContext.current();
        if (conn != null) {
            remoteAddress = conn.remoteAddress;
            remotePort = conn.remotePort;
        }
    }
}
