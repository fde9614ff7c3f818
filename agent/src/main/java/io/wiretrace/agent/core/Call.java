package io.wiretrace.agent.core;

import io.wiretrace.agent.core.events.Conn;

/**
 * A call an app thread found slow (or failed), handed to the {@link Correlator} to be explained
 * once its packets have been read. Times are {@link System#nanoTime()}; made only for slow or
 * failed calls, so its allocation is not on the common path.
 */
final class Call {
    static final int CONNECT = 1;
    static final int READ = 2;
    static final int WRITE = 3;
    static final int HTTP = 4;
    static final int DNS = 5;
    static final int TLS = 6;

    final int kind;
    /** The connection, or null for a connect that failed (and a DNS lookup). */
    final Conn conn;
    final long start;
    final long end;
    String thread;
    final String failure;
    /** A connect's peer, or the host a lookup resolved; for others the connection's. */
    String remoteAddress = "";
    int remotePort;
    long bytes;
    /** For a TLS handshake: its socket's local end (the connection is found by 4-tuple), and what it agreed. */
    String localAddress = "";
    int localPort;
    String peerHost;
    String protocol;
    String cipherSuite;
    /** Whether the call is slow or failed; a handshake is handed over in any case, for its event. */
    boolean slow = true;
    /** An incoming request that waited in the kernel: from its arrival to the app's first read of it. */
    boolean queued;
    /** For a queued request: its first packet's capture time (ns since the epoch). */
    long arrival;
    // an HTTP exchange: its request ("GET /path?…"), direction and app-side times (0: not reached)
    String request;
    boolean incoming;
    long requestSent;
    long firstByte;
    long lastByte;
    int status;

    Call(int kind, Conn conn, long start, long end, Throwable failure) {
        this(kind, conn, start, end, failure == null ? null : failure.toString());
    }

    Call(int kind, Conn conn, long start, long end, String failure) {
        this.kind = kind;
        this.conn = conn;
        this.start = start;
        this.end = end;
        this.thread = Thread.currentThread().getName();
        this.failure = failure;
        if (conn != null) {
            remoteAddress = conn.remoteAddress;
            remotePort = conn.remotePort;
        }
    }

    String kindName() {
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
            default:
                return "dns";
        }
    }
}
