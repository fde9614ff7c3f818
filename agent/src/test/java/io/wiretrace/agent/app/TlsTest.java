package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.http.RequestLine;
import io.wiretrace.bootstrap.Dispatcher;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plaintext side of the JDK's TLS, joined to its TCP connection: real SSLEngines and
 * SSLSockets over loopback channels, with the {@link Tracer} hooks called where the advice calls
 * them (channel reads and writes, the engines' 6-argument wrap and unwrap, the SSLSocket streams
 * and handshake). Only the instrumentation itself is left out.
 */
class TlsTest {
    private static SSLContext tls;

    @TempDir
    static Path dir;

    private final HttpExchangeEndsTest.Calls exchanges = new HttpExchangeEndsTest.Calls(0);
    /** The tracer's sink: only what is handed over whatever its time (handshakes, failures). */
    private final HttpExchangeEndsTest.Calls handshakes = new HttpExchangeEndsTest.Calls(Long.MAX_VALUE);
    private final Tracer tracer = new Tracer(handshakes);
    private ServerSocketChannel listener;
    private final List<SocketChannel> channels = new ArrayList<>();

    /** A self-signed key for "localhost", made by the JDK's keytool. */
    @BeforeAll
    static void key() throws Exception {
        Path store = dir.resolve("key.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "k", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }

    @BeforeEach
    void open() throws Exception {
        HttpExchanges.sink = exchanges;
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void close() throws Exception {
        HttpExchanges.sink = null;
        for (SocketChannel ch : channels) {
            ch.close();
        }
        listener.close();
    }

    // ---- the hooks, called as the advice calls them

    /** The app's end and the accepted end of a new loopback connection, both registered as the advice would. */
    private SocketChannel[] connect() throws Exception {
        InetSocketAddress to = (InetSocketAddress) listener.getLocalAddress();
        SocketChannel client = SocketChannel.open();
        long t = tracer.enter(Dispatcher.CONNECT, client);
        tracer.exit(Dispatcher.CONNECT, client, t, client.connect(to) ? 1 : 0, null, to);
        t = tracer.enter(Dispatcher.ACCEPT, listener);
        SocketChannel accepted = listener.accept();
        tracer.exit(Dispatcher.ACCEPT, listener, t, 0, null, accepted);
        channels.add(client);
        channels.add(accepted);
        return new SocketChannel[] {client, accepted};
    }

    /** {@code SocketChannel.write(ByteBuffer)} of all of {@code b}. */
    private void write(SocketChannel ch, ByteBuffer b) throws Exception {
        while (b.hasRemaining()) {
            long t = tracer.enterWrite(Dispatcher.WRITE, ch, b, -1, -1);
            int n = ch.write(b);
            if (t != 0) {
                tracer.io(Dispatcher.WRITE, ch, t, n, null, b, -1);
            }
        }
    }

    /** {@code SocketChannel.read(ByteBuffer)} until {@code want} bytes came, into {@code b}. */
    private void read(SocketChannel ch, ByteBuffer b, int want) throws Exception {
        for (int got = 0; got < want; ) {
            long t = tracer.enter(Dispatcher.READ, ch);
            int n = ch.read(b);
            if (t != 0) {
                tracer.io(Dispatcher.READ, ch, t, n, null, b, -1);
            }
            assertTrue(n > 0, "the peer closed");
            got += n;
        }
    }

    /** What EngineIo hands over: bytesProduced << 32 | bytesConsumed, the sign bit if the handshake finished. */
    private static long result(SSLEngineResult r) {
        long x = (long) r.bytesProduced() << 32 | r.bytesConsumed();
        return r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED ? x | Long.MIN_VALUE : x;
    }

    /** One end: its engine, its channel, and its buffers. */
    private final class End {
        final SSLEngine engine;
        final SocketChannel ch;
        final ByteBuffer netIn = ByteBuffer.allocate(1 << 17);
        final ByteBuffer netOut = ByteBuffer.allocate(1 << 17);
        final ByteBuffer appIn = ByteBuffer.allocate(1 << 17);
        final StringBuilder received = new StringBuilder();

        End(boolean client, SocketChannel ch) {
            this.engine = client ? tls.createSSLEngine("localhost", 443) : tls.createSSLEngine();
            engine.setUseClientMode(client);
            this.ch = ch;
        }

        /** The 6-argument wrap, as the advice sees it, into netOut. */
        SSLEngineResult wrap(ByteBuffer src) throws Exception {
            ByteBuffer[] srcs = {src};
            ByteBuffer[] dsts = {netOut};
            long t = tracer.enterWrite(Dispatcher.ENGINE_WRAP, engine, srcs, 0, -1);
            SSLEngineResult r = engine.wrap(srcs, 0, 1, netOut);
            if (t != 0) {
                tracer.io(Dispatcher.ENGINE_WRAP, engine, t, result(r), null, dsts, 0);
            }
            return r;
        }

        /** Unwraps what netIn holds, each record into an empty appIn (as a client hands it over). */
        void unwrap() throws Exception {
            netIn.flip();
            while (netIn.hasRemaining()) {
                appIn.clear();
                ByteBuffer[] srcs = {netIn};
                ByteBuffer[] dsts = {appIn};
                long t = tracer.enterWrite(Dispatcher.ENGINE_UNWRAP, engine, srcs, 0, -1);
                SSLEngineResult r = engine.unwrap(netIn, dsts);
                if (t != 0) {
                    tracer.io(Dispatcher.ENGINE_UNWRAP, engine, t, result(r), null, dsts, 0);
                }
                received.append(new String(appIn.array(), 0, appIn.position(), StandardCharsets.ISO_8859_1));
                if (r.getStatus() != SSLEngineResult.Status.OK || r.getHandshakeStatus()
                        == SSLEngineResult.HandshakeStatus.NEED_TASK || r.getHandshakeStatus()
                        == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                    break;
                }
            }
            netIn.compact();
        }

        /** Writes netOut on the channel; the peer reads it all. */
        void send(End peer) throws Exception {
            netOut.flip();
            int n = netOut.remaining();
            write(ch, netOut);
            netOut.clear();
            peer.read(n);
        }

        void read(int n) throws Exception {
            TlsTest.this.read(ch, netIn, n);
        }

        boolean handshaking() {
            SSLEngineResult.HandshakeStatus h = engine.getHandshakeStatus();
            return h != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING && h != SSLEngineResult.HandshakeStatus.FINISHED;
        }

        void step(End peer) throws Exception {
            switch (engine.getHandshakeStatus()) {
                case NEED_TASK:
                    for (Runnable r = engine.getDelegatedTask(); r != null; r = engine.getDelegatedTask()) {
                        r.run();
                    }
                    break;
                case NEED_WRAP:
                    wrap(ByteBuffer.allocate(0));
                    send(peer);
                    break;
                case NEED_UNWRAP:
                case NEED_UNWRAP_AGAIN:
                    if (netIn.position() > 0) {
                        unwrap();
                    }
                    break;
                default:
                    break;
            }
        }

        /** Plaintext, wrapped and sent to the peer, which unwraps it. */
        void sendText(End peer, String text) throws Exception {
            ByteBuffer src = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
            while (src.hasRemaining()) {
                wrap(src);
            }
            send(peer);
            peer.unwrap();
        }
    }

    private static void handshake(End client, End server) throws Exception {
        client.engine.beginHandshake();
        server.engine.beginHandshake();
        for (int i = 0; i < 200 && (client.handshaking() || server.handshaking()); i++) {
            client.step(server);
            server.step(client);
        }
        assertFalse(client.handshaking() || server.handshaking(), "the handshake did not finish");
    }

    /** The connection the tracer registered for the app's end {@code ch}. */
    private Conn conn(SocketChannel ch) throws Exception {
        int local = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        int remote = ((InetSocketAddress) ch.getRemoteAddress()).getPort();
        Conn found = null;
        for (Conn c : handshakes.opened) {
            if (c.localPort == local && c.remotePort == remote) {
                assertNull(found, "registered once");
                found = c;
            }
        }
        assertNotNull(found, "registered");
        return found;
    }

    // ---- SSLEngine

    @Test
    void engineMeetsItsConnectionByItsClientHelloAndItsHttpIsParsed() throws Exception {
        SocketChannel[] pair = connect();
        End client = new End(true, pair[0]);
        End server = new End(false, pair[1]);
        handshake(client, server);

        // both handshakes were timed on their TCP connection: the client's from its ClientHello,
        // the server's from the unwrap of the ClientHello its connection read first
        Conn clientTcp = conn(pair[0]);
        Conn serverTcp = conn(pair[1]);
        assertEquals(2, handshakes.list.size(), "one handshake per end: " + handshakes.list);
        assertSame(clientTcp, handshakes.list.get(0).conn);
        assertSame(serverTcp, handshakes.list.get(1).conn);
        for (AppCall x : handshakes.list) {
            assertEquals(AppCall.TLS, x.kind);
            assertEquals(client.engine.getSession().getProtocol(), x.protocol);
            assertEquals(client.engine.getSession().getCipherSuite(), x.cipherSuite);
            assertTrue(x.conn.tlsNanos > 0 && x.conn.tlsNanos == x.end - x.start);
        }
        assertEquals(Conn.CLIENT, clientTcp.role);
        assertEquals(Conn.SERVER, serverTcp.role);
        assertNotNull(clientTcp.plain, "the client engine met its connection");
        assertSame(client.engine, clientTcp.plain.tlsOwner.get());
        assertSame(clientTcp, clientTcp.plain.tcp);
        assertEquals(clientTcp.id, clientTcp.plain.id);
        assertEquals(Conn.CLIENT, clientTcp.plain.role);
        assertNotNull(serverTcp.plain, "the server engine met its connection");
        assertSame(server.engine, serverTcp.plain.tlsOwner.get());
        assertEquals(Conn.SERVER, serverTcp.plain.role);
        assertEquals(RequestLine.TLS, clientTcp.application);
        assertEquals(RequestLine.TLS, serverTcp.application);

        // HTTP through wrap and unwrap: an exchange on each plaintext side, none on the TCP ones
        client.sendText(server, "GET /secure?token=abc HTTP/1.1\r\nHost: localhost\r\n\r\n");
        long requestEnd = clientTcp.bytesWritten.get();
        assertEquals("GET /secure?token=abc HTTP/1.1\r\nHost: localhost\r\n\r\n", server.received.toString());
        assertTrue(HttpExchanges.inExchange(clientTcp.plain));
        assertTrue(HttpExchanges.inExchange(serverTcp.plain));
        String thread = Thread.currentThread().getName();
        assertEquals(thread + " · GET /secure?…", HttpExchanges.describe(HttpExchanges.current(serverTcp.plain)));
        assertNull(HttpExchanges.current(clientTcp), "the TCP side carries records, not HTTP");
        long responseStart = clientTcp.bytesRead.get();
        server.sendText(client, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assertTrue(client.received.toString().endsWith("hello"));
        // the engines count the TLS bytes they produced and consumed: the connections' own offsets
        for (Conn tcp : new Conn[] {clientTcp, serverTcp}) {
            assertEquals(tcp.bytesWritten.get(), tcp.plain.bytesWritten.get(), "every byte written was wrapped");
            assertEquals(tcp.bytesRead.get(), tcp.plain.bytesRead.get(), "every byte read was unwrapped");
        }
        assertEquals(2, exchanges.list.size(), "both ends' exchanges ended: " + exchanges.list);
        AppCall served = exchanges.list.get(0);
        AppCall made = exchanges.list.get(1);
        assertSame(serverTcp.plain, served.conn);
        assertTrue(served.incoming);
        assertSame(clientTcp.plain, made.conn);
        assertFalse(made.incoming);
        // the byte-exact join: the request's last byte is its record's last, the response's first its record's last
        assertEquals(requestEnd - 1, made.outByte);
        assertTrue(made.inByte >= responseStart + 5 && made.inByte == clientTcp.bytesRead.get() - 1,
                responseStart + " " + made.inByte + " " + clientTcp.bytesRead.get());
        for (AppCall x : exchanges.list) {
            assertEquals("GET /secure?…", x.request);
            assertEquals(200, x.status);
        }
        assertEquals("tls+http/1.1", clientTcp.applications());
        assertEquals("tls+http/1.1", serverTcp.applications());

        // a second exchange on the same engines
        client.sendText(server, "POST /again HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
        server.sendText(client, "HTTP/1.1 204 No Content\r\n\r\n");
        assertEquals(4, exchanges.list.size());
        assertEquals("POST /again", exchanges.list.get(3).request);
        assertEquals(204, exchanges.list.get(3).status);
        assertEquals(0, tracer.errors.sum(), "hooks failed: " + tracer.firstError.get());
    }

    @Test
    void anEngineNeverSeenOnAConnectionIsMatchedToNone() throws Exception {
        // an engine whose ClientHello was wrapped but never written (its connect failed, say)
        End unsent = new End(true, null);
        unsent.engine.beginHandshake();
        unsent.wrap(ByteBuffer.allocate(0));
        // another engine's ClientHello goes out on a connection
        SocketChannel[] pair = connect();
        End sent = new End(true, pair[0]);
        sent.engine.beginHandshake();
        sent.wrap(ByteBuffer.allocate(0));
        ByteBuffer sentHello = ByteBuffer.allocate(sent.netOut.position());
        sent.netOut.flip();
        sentHello.put(sent.netOut).flip();
        write(pair[0], sentHello);
        // a ClientHello from an engine the hooks never saw wrap (made before the attach)
        SocketChannel[] other = connect();
        SSLEngine unseen = tls.createSSLEngine("localhost", 443);
        unseen.setUseClientMode(true);
        unseen.beginHandshake();
        ByteBuffer hello = ByteBuffer.allocate(1 << 17);
        unseen.wrap(ByteBuffer.allocate(0), hello);
        hello.flip();
        write(other[0], hello);
        // plain HTTP on a third
        SocketChannel[] plain = connect();
        write(plain[0], ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));

        Conn sentConn = conn(pair[0]);
        assertNotNull(sentConn.plain, "the engine met the connection that wrote its ClientHello");
        assertSame(sent.engine, sentConn.plain.tlsOwner.get());
        assertNull(conn(other[0]).plain, "a ClientHello no hooked engine made");
        assertNull(conn(plain[0]).plain);
        for (Conn c : handshakes.opened) {
            assertTrue(c.plain == null || c.plain.tlsOwner.get() == sent.engine, c.toString());
        }
        // the unsent engine's plaintext is no one's exchange
        unsent.netOut.clear();
        ByteBuffer request = ByteBuffer.wrap("GET /x HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        long t = tracer.enterWrite(Dispatcher.ENGINE_WRAP, unsent.engine, new ByteBuffer[] {request}, 0, -1);
        tracer.io(Dispatcher.ENGINE_WRAP, unsent.engine, t, 40L << 32 | request.remaining(), null,
                new ByteBuffer[] {unsent.netOut}, 0);
        assertNull(HttpExchanges.current(sentConn.plain));
        assertTrue(exchanges.list.isEmpty());
        assertEquals(0, tracer.errors.sum(), "hooks failed: " + tracer.firstError.get());
    }

    // ---- SSLSocket

    @Test
    void sslSocketsFindTheirConnectionBy4TupleAndTheirHttpIsParsed() throws Exception {
        SocketChannel[] pair = connect();
        SSLSocket client = (SSLSocket) tls.getSocketFactory().createSocket(pair[0].socket(), "localhost",
                pair[0].socket().getPort(), false);
        SSLSocket server = (SSLSocket) tls.getSocketFactory().createSocket(pair[1].socket(), null, false);
        assertFalse(server.getUseClientMode());
        CompletableFuture<Void> serverHandshake = CompletableFuture.runAsync(() -> {
            try {
                server.startHandshake();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long t = tracer.enter(Dispatcher.HANDSHAKE, client);
        client.startHandshake();
        tracer.exit(Dispatcher.HANDSHAKE, client, t, 1, null, null);
        serverHandshake.get(30, TimeUnit.SECONDS);

        assertEquals(1, handshakes.list.size());
        AppCall hs = handshakes.list.get(0);
        Conn tcp = hs.conn;
        assertNotNull(tcp, "the handshake found its registered connection");
        assertEquals(((InetSocketAddress) pair[0].getLocalAddress()).getPort(), tcp.localPort);
        assertEquals(client.getSession().getProtocol(), hs.protocol);
        assertTrue(tcp.tlsNanos > 0);

        plaintextWrite(client, "GET /s?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
        String request = plaintextRead(server);
        assertTrue(request.startsWith("GET /s?q=1 "), request);
        plaintextWrite(server, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertTrue(plaintextRead(client).endsWith("ok"));

        assertNotNull(tcp.plain);
        assertSame(client, tcp.plain.tlsOwner.get());
        assertEquals(Conn.CLIENT, tcp.plain.role);
        assertEquals(RequestLine.TLS, tcp.application);
        assertEquals(2, exchanges.list.size(), "both ends' exchanges ended: " + exchanges.list);
        AppCall served = exchanges.list.get(0);
        AppCall made = exchanges.list.get(1);
        assertTrue(served.incoming);
        assertSame(server, served.conn.tlsOwner.get());
        assertEquals(Conn.SERVER, served.conn.role);
        assertEquals(((InetSocketAddress) pair[1].getLocalAddress()).getPort(), served.conn.localPort);
        assertSame(tcp.plain, made.conn);
        for (AppCall x : exchanges.list) {
            assertEquals("GET /s?…", x.request);
            assertEquals(200, x.status);
        }
        assertEquals(0, tracer.errors.sum(), "hooks failed: " + tracer.firstError.get());
    }

    /** AppOutputStream.write(byte[], int, int), as OuterWriteEnter and OuterWrite see it. */
    private void plaintextWrite(SSLSocket s, String text) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        OutputStream out = s.getOutputStream();
        long t = tracer.enterWrite(Dispatcher.TLS_WRITE, s, b, 0, b.length);
        out.write(b, 0, b.length);
        if (t != 0) {
            tracer.io(Dispatcher.TLS_WRITE, s, t, b.length, null, b, 0);
        }
        out.flush();
    }

    /** AppInputStream.read(byte[], int, int), as OuterEnter and OuterRead see it. */
    private String plaintextRead(SSLSocket s) throws Exception {
        byte[] b = new byte[4096];
        InputStream in = s.getInputStream();
        long t = tracer.enter(Dispatcher.TLS_READ, s);
        int n = in.read(b, 0, b.length);
        if (t != 0) {
            tracer.io(Dispatcher.TLS_READ, s, t, n, null, b, 0);
        }
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }
}
