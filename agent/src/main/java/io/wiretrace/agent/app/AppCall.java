package io.wiretrace.agent.app;

import io.wiretrace.analysis.verdict.Call;

/** A slow or failed call of an app thread, on its connection (null: a connect that failed, a lookup). */
public final class AppCall extends Call {
    public final Conn conn;

    AppCall(int kind, Conn conn, long start, long end, Throwable failure) {
        this(kind, conn, start, end, failure == null ? null : failure.toString());
    }

    public AppCall(int kind, Conn conn, long start, long end, String failure) {
        super(kind, start, end, Thread.currentThread().getName(), failure);
        this.conn = conn;
        if (conn != null) {
            remoteAddress = conn.remoteAddress;
            remotePort = conn.remotePort;
        }
    }
}
