package io.wiretrace.analysis.verdict;

/**
 * A slow or failed call to be explained: its kind, its times and what the app saw of it. The
 * agent makes one for each call an app thread found slow (times are then {@link System#nanoTime()}
 * until the correlator puts them on the packets' clock); the offline analysis makes them up from
 * packets alone. Made only for slow or failed calls, so its allocation is not on the common path.
 */
public class Call {
    public static final int CONNECT = 1;
    public static final int READ = 2;
    public static final int WRITE = 3;
    public static final int HTTP = 4;
    public static final int DNS = 5;
    public static final int TLS = 6;
    /** A database round trip: an exchange like an outgoing HTTP one, its request the statement. */
    public static final int QUERY = 7;

    public final int kind;
    public final long start;
    public final long end;
    public String thread;
    /** The id of that thread ({@code Thread.getId()}); 0: not known (a call made up from packets). */
    public long threadId;
    /**
     * The call's thread worked for it alone from its start to its end: an incoming request read
     * and answered on one thread (a thread-per-request server). Only such a call is looked at
     * inside the app ({@link InApp}): an event loop that read a request serves many, and a thread
     * that made an outgoing call waits on the network however it waits.
     */
    public boolean ownThread;
    public final String failure;
    /** A connect's peer, or the host a lookup resolved; for others the connection's. */
    public String remoteAddress = "";
    public int remotePort;
    public long bytes;
    /** For a TLS handshake: its socket's local end (the connection is found by 4-tuple), and what it agreed. */
    public String localAddress = "";
    public int localPort;
    public String peerHost;
    public String protocol;
    public String cipherSuite;
    /** Whether the call is slow or failed; a handshake is handed over in any case, for its event. */
    public boolean slow = true;
    /** An incoming request that waited in the kernel: from its arrival to the app's first read of it. */
    public boolean queued;
    /** For a queued request: its first packet's capture time (ns since the epoch). */
    public long arrival;
    // an HTTP exchange or a query: its request ("GET /path?…", the statement), direction and app-side times (0: not reached)
    public String request;
    public boolean incoming;
    public long requestSent;
    public long firstByte;
    public long lastByte;
    /** The response's status (a query: 1 when answered in full); 0: none came (the connection ended first). */
    public int status;
    /**
     * An HTTP/2 stream: its connection may carry other streams, so a packet is not its by being on
     * the connection; {@code shared}: other streams were open while it was.
     */
    public boolean multiplexed;
    public boolean shared;
    /** For an HTTP/2 stream: how long its bytes waited for a flow-control window, and whether the peer's (else the app's). */
    public long windowWait;
    public boolean peerWindow;

    /**
     * The byte-exact join: offsets in the TCP stream of the call's connection (byte 0 the first
     * after the SYN), -1 where not known. {@code inByte}: the first byte of the answer (a read: the
     * first byte it returned; an exchange: the response's first byte, over TLS the last byte of the
     * record that carried it); {@code inLast}: a read's last byte; {@code outByte}: the last byte
     * the app sent before the answer (a read: the last written before it ended; an exchange: the
     * request's last byte; a write: its own last byte). The agent counts them as the app moves
     * them; the correlator puts them on the packets' offsets.
     */
    public long inByte = -1;
    public long inLast = -1;
    public long outByte = -1;
    /** Why the call was joined to its packets by time, when it was not by bytes (null: by bytes, or not said). */
    public String timeJoin;

    public Call(int kind, long start, long end, String thread, String failure) {
        this.kind = kind;
        this.start = start;
        this.end = end;
        this.thread = thread;
        this.failure = failure;
    }

    /** An exchange: a request and its response (HTTP, or a query). */
    public boolean exchange() {
        return kind == HTTP || kind == QUERY;
    }

    public String kindName() {
        switch (kind) {
            case CONNECT:
                return "connect";
            case READ:
                return "read";
            case WRITE:
                return "write";
            case HTTP:
                return "http";
            case TLS:
                return "tls";
            case QUERY:
                return "query";
            default:
                return "dns";
        }
    }
}
