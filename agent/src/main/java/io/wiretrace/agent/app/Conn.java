package io.wiretrace.agent.app;

import io.wiretrace.agent.events.ConnectionEvent;
import io.wiretrace.agent.events.SocketReadEvent;
import io.wiretrace.agent.events.SocketWriteEvent;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/** One TCP connection of the app as its socket calls see it. */
public final class Conn {
    public final long id;
    public final String localAddress;
    public final int localPort;
    public final String remoteAddress;
    public final int remotePort;
    public final long openedNanos = System.nanoTime();
    /** The thread that opened it, or first used it. */
    public final String thread = Thread.currentThread().getName();
    /**
     * The bytes the app read and wrote on it; for an SSLEngine's plaintext side, the TLS bytes its
     * engine consumed and produced since the connection's first (its stream offsets).
     */
    public final AtomicLong bytesRead = new AtomicLong();
    public final AtomicLong bytesWritten = new AtomicLong();
    /**
     * Whether its byte counts start at the connection's first byte (the agent saw it connected or
     * accepted); else they start where the agent first saw it, and the correlator anchors them on
     * the packets (src/docs/verdicts.md, "The join").
     */
    public volatile boolean counted;
    /** The first bytes the agent saw on it were read: bytes may have waited in the kernel before it was seen. */
    public volatile boolean readFirst;
    /** Who opened it: {@link #CLIENT} (the app connected), {@link #SERVER} (it accepted) or 0, not seen. */
    public volatile int role;
    /** The application protocol's state (HTTP/1.x), kept by the agent's core. */
    public Object protocol;
    /** When the app closed it (System.nanoTime), or 0. */
    public volatile long closedNanos;
    /** Its flow in the capture, once joined (the correlator's, on its lock). */
    public Object flow;

    /** Connections (and TLS views) tracked at most; calls on more are counted, not followed. */
    public static final int MAX_TRACKED = 200_000;

    public static final int CLIENT = 1;
    public static final int SERVER = 2;

    /** The plaintext side of this TLS connection (its HTTP is read there), once the app used it. */
    public volatile Conn plain;
    /**
     * For a plaintext side: the TCP connection under it, and the TLS object its calls come from,
     * by its kind ({@link #TLS_SOCKET}, {@link #TLS_ENGINE}) and held weakly: a connection keeps
     * none of the app's objects alive (src/docs/architecture.md, "Holding the app's objects").
     */
    public final Conn tcp;
    public final int tls;
    final WeakReference<Object> tlsOwner;

    public static final int TLS_SOCKET = 1;
    public static final int TLS_ENGINE = 2;
    /** What opening it took: the connect, the name lookup before it (0: none seen), the TLS handshake (0: none). */
    public volatile long connectNanos;
    public volatile long dnsNanos;
    public volatile long tlsNanos;
    /** For an SSLEngine's plaintext side: when its handshake began (System.nanoTime), until it is done. */
    public volatile long handshakeStart;
    /**
     * The request (its {@link RequestContext}) the next exchange to begin on it is sent for, when a
     * thread other than the one that writes it asked for it (the JDK HttpClient); 0: none.
     */
    public volatile long nextContext;
    /** The request the app connected it for (0: none, or accepted): its first exchange is sent for that request. */
    public volatile long openContext;
    /** What the bytes showed it carries: "http/1.1", "h2", "tls", or null: not known. */
    public volatile String application;

    /*
     * A virtual thread's read and write events: its connection's, not its own (a thread per
     * request would make a set of events per request). The thread that claims one holds it from
     * the call's start to its end; a second thread in a call of the same kind on the same
     * connection meanwhile (two readers of one socket) gets none, and its call goes unrecorded.
     */
    private static final AtomicReferenceFieldUpdater<Conn, Thread> READER =
            AtomicReferenceFieldUpdater.newUpdater(Conn.class, Thread.class, "reader");
    private static final AtomicReferenceFieldUpdater<Conn, Thread> WRITER =
            AtomicReferenceFieldUpdater.newUpdater(Conn.class, Thread.class, "writer");
    private volatile Thread reader;
    private volatile Thread writer;
    private SocketReadEvent readEvent;
    private SocketWriteEvent writeEvent;

    /** Begins the connection's read event for virtual thread {@code t}; false if another thread holds it. */
    boolean beginRead(Thread t) {
        if (!READER.compareAndSet(this, null, t)) {
            return false;
        }
        SocketReadEvent e = readEvent;
        if (e == null) {
            readEvent = e = new SocketReadEvent();
        }
        e.begin();
        return true;
    }

    /** The read event {@code t} began, which it gives back with {@link #endRead}; null if it holds none. */
    SocketReadEvent readEvent(Thread t) {
        return reader == t ? readEvent : null;
    }

    void endRead(Thread t) {
        if (reader == t) {
            reader = null;
        }
    }

    /** As {@link #beginRead}, for a write. */
    boolean beginWrite(Thread t) {
        if (!WRITER.compareAndSet(this, null, t)) {
            return false;
        }
        SocketWriteEvent e = writeEvent;
        if (e == null) {
            writeEvent = e = new SocketWriteEvent();
        }
        e.begin();
        return true;
    }

    SocketWriteEvent writeEvent(Thread t) {
        return writer == t ? writeEvent : null;
    }

    void endWrite(Thread t) {
        if (writer == t) {
            writer = null;
        }
    }

    public Conn(long id, String localAddress, int localPort, String remoteAddress, int remotePort) {
        this.id = id;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.tcp = null;
        this.tls = 0;
        this.tlsOwner = null;
    }

    /** The plaintext side of {@code tcp}, reached through {@code owner} (an SSLSocket or SSLEngine). */
    public Conn(Conn tcp, Object owner, int role) {
        this.id = tcp.id;
        this.localAddress = tcp.localAddress;
        this.localPort = tcp.localPort;
        this.remoteAddress = tcp.remoteAddress;
        this.remotePort = tcp.remotePort;
        this.tcp = tcp;
        this.tls = owner instanceof javax.net.ssl.SSLEngine ? TLS_ENGINE : owner instanceof javax.net.ssl.SSLSocket ? TLS_SOCKET : 0;
        this.tlsOwner = new WeakReference<>(owner);
        this.role = role;
    }

    /** What it carries, TLS and what TLS carries included: "tls+h2". */
    public String applications() {
        Conn p = plain;
        String a = application;
        String inner = p != null ? p.application : null;
        return a == null ? inner : inner == null ? a : a + "+" + inner;
    }

    /** How an SSLSocket finds its TCP connection: "localPort/remotePort/remoteAddress". */
    static String tupleKey(int localPort, int remotePort, String remoteAddress) {
        return localPort + "/" + remotePort + "/" + remoteAddress;
    }

    /** Puts its 4-tuple and id into an event about it. */
    public void into(ConnectionEvent e) {
        e.set(id, localAddress, localPort, remoteAddress, remotePort);
    }

    @Override
    public String toString() {
        return "conn " + id + " " + localAddress + ":" + localPort + " -> " + remoteAddress + ":" + remotePort;
    }
}
