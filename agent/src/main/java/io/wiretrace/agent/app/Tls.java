package io.wiretrace.agent.app;

import io.wiretrace.analysis.http.RequestLine;
import io.wiretrace.bootstrap.Dispatcher;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The plaintext side of the JDK's TLS, for {@link Tracer}: SSLSocket streams and SSLEngine
 * wrap/unwrap, each joined to its TCP connection ({@link Conn#plain}), so that HTTPS exchanges are
 * read like any other and carry the connection's id; and the handshakes, timed. An SSLSocket
 * finds its connection by 4-tuple; an SSLEngine, which knows no socket, by the random bytes of
 * its ClientHello (src/docs/verdicts.md). Called on app threads: lock-free maps, nothing waits;
 * the sockets and engines are held weakly.
 */
final class Tls {
    /** SSLSockets and SSLEngines to the plaintext side of their connection. */
    private final WeakIdentityMap<Conn> views = new WeakIdentityMap<>();
    /** Accepted connections whose first bytes read were a ClientHello, by its random bytes: for server engines. */
    private final ConcurrentHashMap<Long, Conn> readHellos = new ConcurrentHashMap<>();
    /** SSLEngines whose connection is not known yet, by their ClientHello's random bytes. */
    private final ConcurrentHashMap<Long, Hello> hellos = new ConcurrentHashMap<>();

    /** An engine's ClientHello, waiting for the connection that sends it. */
    private static final class Hello {
        final WeakReference<Object> engine;
        final long start;
        /** The bytes its wrap produced: the first of the connection's TLS stream. */
        final int produced;

        Hello(Object engine, long start, int produced) {
            this.engine = new WeakReference<>(engine);
            this.start = start;
            this.produced = produced;
        }
    }

    private final CallSink correlator;
    private final long slowNanos;
    /** The app's connections by "localPort/remotePort/remoteAddress" ({@link Tracer}'s). */
    private final ConcurrentHashMap<String, Conn> byTuple;

    Tls(CallSink correlator, long slowNanos, ConcurrentHashMap<String, Conn> byTuple) {
        this.correlator = correlator;
        this.slowNanos = slowNanos;
        this.byTuple = byTuple;
    }

    /** A read or write of an SSLSocket's plaintext: only its HTTP is looked at (the TCP calls under it count). */
    void plaintext(int op, Object socket, long result, Throwable thrown, Object data, int offset)
            throws Exception {
        Conn v = plain(socket);
        if (v == null) {
            return;
        }
        if (thrown != null) {
            if (HttpExchanges.inExchange(v) && !(thrown instanceof java.io.InterruptedIOException)) {
                HttpExchanges.failed(v, thrown);
            }
            return;
        }
        if (result == 0 || data == null) {
            return;
        }
        if (op == Dispatcher.READ || op == Dispatcher.TLS_READ) {
            HttpExchanges.read(v, data, offset, Math.max(result, 0), result, System.nanoTime());
        } else {
            HttpExchanges.write(v, data, offset, result, result, System.nanoTime());
        }
    }

    /**
     * The plaintext side of an SSLSocket's connection: a {@link Conn} with the TCP connection's id
     * and addresses and an HTTP state of its own, found once by the socket's 4-tuple.
     */
    Conn plain(Object ssl) throws Exception {
        Conn v = views.get(ssl);
        if (v != null || ssl instanceof javax.net.ssl.SSLEngine) {
            return v; // an engine's is known from its ClientHello, or not at all
        }
        if (!(ssl instanceof java.net.Socket) || views.size() >= Conn.MAX_TRACKED) {
            return null;
        }
        Conn tcp = tcpOf((java.net.Socket) ssl);
        if (tcp == null) {
            return null; // not registered yet (opened before the capture): its first TCP call registers it
        }
        boolean server = ssl instanceof javax.net.ssl.SSLSocket && !((javax.net.ssl.SSLSocket) ssl).getUseClientMode();
        v = new Conn(tcp, ssl, server ? Conn.SERVER : Conn.CLIENT);
        Conn prev = views.putIfAbsent(ssl, v);
        if (prev != null) {
            return prev;
        }
        tcp.application = RequestLine.TLS;
        tcp.plain = v;
        return v;
    }

    /**
     * An SSLEngine wrapped or unwrapped. Until its connection is known, its first record (the
     * ClientHello) is remembered by its 32 random bytes; the connection whose first write
     * carries them is its own ({@link #firstWrite}). Then its plaintext is HTTP like any other.
     */
    void engine(int op, Object engine, long token, long result, Throwable thrown, Object data, int offset) {
        if (thrown != null || !(data instanceof ByteBuffer[])) {
            return;
        }
        boolean finished = result < 0;
        int produced = (int) ((result & Long.MAX_VALUE) >>> 32);
        int consumed = (int) result;
        Conn v = views.get(engine);
        if (finished && v != null) {
            engineHandshake(engine, v);
        }
        ByteBuffer[] dsts = (ByteBuffer[]) data;
        if (v != null) {
            // an engine's view counts the TLS bytes it produced and consumed: its connection's
            // stream offsets, since its TLS began with the connection (src/docs/verdicts.md)
            if (op == Dispatcher.ENGINE_WRAP && produced > 0) {
                v.bytesWritten.addAndGet(produced);
            } else if (op != Dispatcher.ENGINE_WRAP && consumed > 0) {
                v.bytesRead.addAndGet(consumed);
            }
        }
        if (op == Dispatcher.ENGINE_WRAP) {
            if (v != null) {
                if (consumed > 0) {
                    HttpExchanges.write(v, null, 0, 0, consumed, System.nanoTime()); // looked at before it was wrapped
                }
            } else if (v == null && produced >= 43 && offset < dsts.length
                    && ((javax.net.ssl.SSLEngine) engine).getUseClientMode()) {
                ByteBuffer out = dsts[offset];
                int from = out.position() - produced;
                if (from >= 0 && out.get(from) == 0x16) {
                    if (hellos.size() >= 256) {
                        hellos.clear(); // engines whose connection never wrote their ClientHello (closed first)
                    }
                    hellos.put(random(out, from), new Hello(engine, token, produced)); // the handshake began with this wrap
                }
            }
            return;
        }
        if (v == null || produced <= 0) {
            return;
        }
        // The bytes just produced end at the last destination written; they fill the destinations
        // before it from position 0, and the first of them from where it was (it may have held some).
        int last = dsts.length - 1;
        while (last >= offset && dsts[last].position() == 0) {
            last--;
        }
        int first = last;
        int from = 0;
        for (int left = produced, i = last; left > 0; i--) {
            if (i < offset) {
                return; // not where they should be: not read
            }
            int k = Math.min(dsts[i].position(), left);
            left -= k;
            first = i;
            from = dsts[i].position() - k;
        }
        long now = System.nanoTime();
        for (int i = first; i <= last; i++) {
            int start = i == first ? from : 0;
            int n = dsts[i].position() - start;
            if (n > 0) {
                HttpExchanges.read(v, dsts[i], start, n, n, now);
            }
        }
    }

    /** A connection's first write: if it is the ClientHello of an SSLEngine waiting for its connection, they meet. */
    void firstWrite(Conn c, Object data, int offset, int length) {
        if (hellos.isEmpty() || length < 43 || !(data instanceof ByteBuffer) || ((ByteBuffer) data).get(offset) != 0x16) {
            return;
        }
        Hello hello = hellos.remove(random((ByteBuffer) data, offset));
        Object engine = hello == null ? null : hello.engine.get();
        if (engine != null) {
            Conn v = new Conn(c, engine, Conn.CLIENT);
            v.handshakeStart = hello.start;
            v.bytesWritten.set(hello.produced); // the ClientHello, wrapped before the view was made
            if (views.putIfAbsent(engine, v) == null) {
                c.application = RequestLine.TLS;
                c.plain = v;
            }
        }
    }

    /** An SSLEngine's handshake is done: timed from the wrap that made its ClientHello, handed over for its event. */
    private void engineHandshake(Object engine, Conn v) {
        long start = v.handshakeStart;
        v.handshakeStart = 0;
        if (start == 0 || correlator == null) {
            return; // a renegotiation, or a key update of TLS 1.3
        }
        long now = System.nanoTime();
        v.tcp.tlsNanos = now - start;
        javax.net.ssl.SSLEngine e = (javax.net.ssl.SSLEngine) engine;
        AppCall call = new AppCall(AppCall.TLS, v.tcp, start, now, (String) null);
        call.slow = now - start >= slowNanos;
        javax.net.ssl.SSLSession session = e.getSession();
        call.peerHost = e.getPeerHost();
        call.protocol = session.getProtocol();
        call.cipherSuite = session.getCipherSuite();
        correlator.call(call);
    }

    /**
     * A server engine's first unwrap: the ClientHello it is handed was read from an accepted
     * connection; that connection is its own. Its handshake is timed from here.
     */
    private void serverHello(Object engine, Object data, int offset, long start) {
        if (!(data instanceof ByteBuffer[]) || ((javax.net.ssl.SSLEngine) engine).getUseClientMode()) {
            return;
        }
        ByteBuffer[] srcs = (ByteBuffer[]) data;
        if (offset >= srcs.length) {
            return;
        }
        ByteBuffer b = srcs[offset];
        int p = b.position();
        if (b.remaining() < 43 || b.get(p) != 0x16) {
            return;
        }
        Conn c = readHellos.remove(random(b, p));
        if (c != null) {
            Conn v = new Conn(c, engine, Conn.SERVER);
            v.handshakeStart = start;
            if (views.putIfAbsent(engine, v) == null) {
                c.application = RequestLine.TLS;
                c.plain = v;
            }
        }
    }

    /** An accepted connection's first read: a ClientHello is remembered, for the server engine that will unwrap it. */
    void firstRead(Conn c, Object data, int offset, long n) {
        if (n < 43 || !(data instanceof ByteBuffer) || ((ByteBuffer) data).get(offset) != 0x16) {
            return;
        }
        if (readHellos.size() >= 256) {
            readHellos.clear(); // ClientHellos that no engine unwrapped (an SSLSocket server's, say)
        }
        readHellos.put(random((ByteBuffer) data, offset), c);
    }

    /** The ClientHello's 32 random bytes (after the record, handshake and version headers), hashed. */
    private static Long random(ByteBuffer b, int from) {
        long h = 1125899906842597L;
        for (int i = from + 11; i < from + 43; i++) {
            h = 31 * h + b.get(i);
        }
        return h;
    }

    /** An SSLSocket's handshake ended: handed over whatever its time, for its event. */
    void socketHandshake(Object socket, long start, Throwable thrown) {
        long now = System.nanoTime();
        if (correlator == null || !(socket instanceof javax.net.ssl.SSLSocket)) {
            return;
        }
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) socket;
        Conn tcp = tcpOf(s);
        if (tcp != null && thrown == null) {
            tcp.tlsNanos = now - start;
        }
        AppCall call = new AppCall(AppCall.TLS, tcp, start, now, thrown);
        call.slow = now - start >= slowNanos || thrown != null;
        if (tcp == null) { // not one of the app's registered connections: the event names the socket's ends
            call.localAddress = Sockets.host(s.getLocalSocketAddress());
            call.localPort = s.getLocalPort();
            call.remoteAddress = Sockets.host(s.getRemoteSocketAddress());
            call.remotePort = s.getPort();
        }
        if (thrown == null) {
            javax.net.ssl.SSLSession session = s.getSession(); // complete: this does not handshake again
            call.peerHost = session.getPeerHost();
            call.protocol = session.getProtocol();
            call.cipherSuite = session.getCipherSuite();
        }
        correlator.call(call);
    }

    /** The app's TCP connection under a socket, by its 4-tuple; null if it is not registered. */
    private Conn tcpOf(java.net.Socket s) {
        java.net.InetAddress remote = s.getInetAddress();
        return remote == null ? null : byTuple.get(Conn.tupleKey(s.getLocalPort(), s.getPort(), Sockets.host(remote)));
    }

    /** A server engine about to unwrap: on its first, it may meet its connection. Returns the token for its exit, or 0. */
    long unwrapping(Object engine, Object data, int offset, long start) {
        if (!views.containsKey(engine) && !readHellos.isEmpty()) {
            serverHello(engine, data, offset, start);
        }
        return views.containsKey(engine) ? start : 0L; // only an engine whose connection is known
    }

    /** The TCP connection under a plaintext side closed. */
    void closed(Conn plain) {
        views.remove(plain.tlsOwner.get());
    }

    /** Forgets the views whose socket or engine the GC collected (their connections end in {@link Tracer}). */
    void expunge() {
        views.expunge(null);
    }
}
