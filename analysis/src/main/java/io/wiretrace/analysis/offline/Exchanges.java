package io.wiretrace.analysis.offline;

import io.wiretrace.analysis.http.RequestLine;
import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.tcp.Frame;
import io.wiretrace.analysis.verdict.Call;
import java.nio.ByteBuffer;

/**
 * The calls one flow's packets show by themselves, from its client's side: the connect (first
 * SYN to the SYN-ACK, or its reset, or no answer) and each request/response exchange (the
 * client's data to the server's last data before the client speaks again). Hands over those that
 * took {@code slowNanos} or more, or failed. {@code analyze} runs it on every flow of a capture;
 * the agent on the flows of its own JVM that no instrumented call explains.
 */
public final class Exchanges {
    /** Where the calls go. */
    public interface Found {
        /** A slow or failed call of the flow {@code x} follows. */
        void call(Exchanges x, Call c);

        /** An HTTP/1.x request line in the client's data. */
        default void request(Exchanges x, String line) {
        }
    }

    /** Whoever keeps this flow's state. */
    public Object owner;
    private boolean connecting;
    // the exchange in progress: 0 idle, 1 the client is sending, 2 the server answers
    private int phase;
    private long requestStart;
    private long lastServerData;
    private String request;

    /** For a flow whose first packet had the analysis {@code a}: a SYN without ACK begins a connect. */
    public Exchanges(int a, Frame first) {
        connecting = (a & Analysis.NEW_FLOW) != 0 && (first.flags & (Frame.SYN | Frame.ACK)) == Frame.SYN;
    }

    public void packet(Flow f, Frame fr, int a, long nanos, ByteBuffer buf, long slowNanos, Found out) {
        boolean fromClient = (a & Analysis.FROM_CLIENT) != 0;
        if (connecting && !fromClient && (fr.flags & (Frame.SYN | Frame.RST)) != 0) {
            connecting = false;
            boolean refused = (fr.flags & Frame.RST) != 0;
            connect(f, nanos, refused ? "the peer refused the connection (reset)" : null, slowNanos, out);
        }
        if (fr.payloadLength > 0 && !Analysis.isRetransmission(a)) {
            if (fromClient) {
                if (phase == 2) {
                    exchangeEnd(lastServerData, null, slowNanos, out);
                }
                if (phase == 0) {
                    phase = 1;
                    requestStart = nanos;
                    request = requestLine(buf, fr);
                    if (request != null) {
                        out.request(this, request);
                    }
                }
            } else if (phase != 0) {
                phase = 2;
                lastServerData = nanos;
            }
        }
        if ((fr.flags & Frame.RST) != 0 && !fromClient && phase != 0) {
            exchangeEnd(nanos, "the peer reset the connection", slowNanos, out);
        }
    }

    /** Whether the flow is a connect whose SYN got no answer yet. */
    public boolean connecting() {
        return connecting;
    }

    /**
     * Live: the socket that sent the SYNs is gone (the app gave up) and none was answered: the
     * failed connect, as {@link #ended} would find it when the flow leaves the table minutes later.
     */
    public void gaveUp(Flow f, long slowNanos, Found out) {
        if (connecting) {
            connecting = false;
            connect(f, f.lastNanos(), "no answer to " + f.client().syns() + " SYNs", slowNanos, out);
        }
    }

    /** The flow left the table: a connect never answered, an exchange it ended. */
    public void ended(Flow f, long slowNanos, Found out) {
        if (connecting && (f.end() != Flow.End.FLUSHED || f.client().syns() > 1)) {
            connecting = false;
            connect(f, f.lastNanos(), "no answer to " + f.client().syns() + " SYNs", slowNanos, out);
        }
        if (phase == 2) {
            exchangeEnd(lastServerData, null, slowNanos, out);
        } else if (phase == 1 && f.end() != Flow.End.FLUSHED) {
            exchangeEnd(f.lastNanos(), "no response", slowNanos, out);
        }
    }

    /**
     * Live, where no later packet may come for long: an answer that has been quiet since
     * {@code before} is taken as complete. Returns whether an answer is still open.
     */
    public boolean quiet(long before, long slowNanos, Found out) {
        if (phase == 2 && lastServerData <= before) {
            exchangeEnd(lastServerData, null, slowNanos, out);
        }
        return phase == 2;
    }

    /** Whether the server is answering a request (an exchange may end without a packet to say so). */
    public boolean answering() {
        return phase == 2;
    }

    private void connect(Flow f, long end, String failure, long slowNanos, Found out) {
        long start = f.firstNanos();
        if (failure == null && end - start < slowNanos) {
            return;
        }
        Call c = new Call(Call.CONNECT, start, end, null, failure);
        c.remoteAddress = f.serverAddress();
        c.remotePort = f.serverPort();
        out.call(this, c);
    }

    private void exchangeEnd(long end, String failure, long slowNanos, Found out) {
        long start = requestStart;
        boolean answered = phase == 2;
        phase = 0;
        if (failure == null && end - start < slowNanos) {
            return;
        }
        Call c = new Call(Call.HTTP, start, end, null, failure);
        c.status = answered ? 1 : 0;
        c.request = request;
        out.call(this, c);
    }

    /** "GET /path" when the payload begins an HTTP/1.x request ({@link RequestLine}, as the agent records it). */
    private static String requestLine(ByteBuffer buf, Frame fr) {
        int from = fr.payloadOffset;
        int end = Math.min(fr.capturedEnd, from + Math.min(fr.payloadLength, 300));
        StringBuilder b = new StringBuilder();
        boolean whole = false;
        for (int i = from; i < end; i++) {
            int ch = buf.get(i) & 0xFF;
            if (ch == '\r' || ch == '\n') {
                whole = true;
                break;
            }
            if (ch < 0x20 || ch > 0x7E) {
                return null;
            }
            b.append((char) ch);
        }
        return RequestLine.parse(b.toString(), whole);
    }
}
