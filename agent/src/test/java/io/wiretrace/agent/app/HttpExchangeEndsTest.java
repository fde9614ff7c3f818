package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.http.RequestLine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where an HTTP/1.x exchange ends, driven as {@link Tracer} drives {@link HttpExchanges}: a write
 * is looked at before it leaves and counted after, a read after it returned. The sink takes every
 * exchange (slowNanos 0), so each one that ended shows as one call.
 */
class HttpExchangeEndsTest {
    private final Calls calls = new Calls(0);
    private final String thread = Thread.currentThread().getName();

    /** What HttpExchanges (or a Tracer) hands over. */
    static final class Calls implements CallSink {
        final List<AppCall> list = new ArrayList<>();
        final List<Conn> opened = new ArrayList<>();
        final long slowNanos;

        Calls(long slowNanos) {
            this.slowNanos = slowNanos;
        }

        @Override
        public long slowNanos() {
            return slowNanos;
        }

        @Override
        public void opened(Conn c) {
            opened.add(c);
        }

        @Override
        public void call(AppCall c) {
            list.add(c);
        }
    }

    @BeforeEach
    void sink() {
        HttpExchanges.sink = calls;
    }

    @AfterEach
    void noSink() {
        HttpExchanges.sink = null;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static Conn client() {
        Conn c = new Conn(7, "127.0.0.1", 40000, "127.0.0.1", 8080);
        c.role = Conn.CLIENT;
        return c;
    }

    static Conn server() {
        Conn c = new Conn(8, "127.0.0.1", 8080, "127.0.0.1", 40000);
        c.role = Conn.SERVER;
        return c;
    }

    /** A write of all of {@code s}, as the hooks see it; returns when it returned. */
    static long write(Conn c, String s) {
        byte[] b = ascii(s);
        HttpExchanges.beforeWrite(c, b, 0, b.length);
        long now = System.nanoTime();
        HttpExchanges.write(c, b, 0, b.length, b.length, now);
        return now;
    }

    /** A read that returned {@code s}; returns when. */
    static long read(Conn c, String s) {
        byte[] b = ascii(s);
        long now = System.nanoTime();
        HttpExchanges.read(c, b, 0, b.length, b.length, now);
        return now;
    }

    static void endOfStream(Conn c) {
        HttpExchanges.read(c, null, 0, 0, -1, System.nanoTime());
    }

    private AppCall only() {
        assertEquals(1, calls.list.size(), "exchanges handed over");
        return calls.list.get(0);
    }

    private void assertCall(AppCall call, Conn c, String request, int status, boolean incoming) {
        assertSame(c, call.conn);
        assertEquals(AppCall.HTTP, call.kind);
        assertEquals(request, call.request);
        assertEquals(status, call.status);
        assertEquals(incoming, call.incoming);
        assertEquals(thread, call.thread);
    }

    // ---- client side: the app writes the request and reads the response

    @Test
    void contentLengthInTheFirstRead() {
        Conn c = client();
        long sent = write(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(HttpExchanges.inExchange(c));
        assertEquals(thread + " · GET /a", HttpExchanges.describe(HttpExchanges.current(c)));
        assertTrue(calls.list.isEmpty());
        long got = read(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "GET /a", 200, false);
        assertEquals(sent, call.requestSent);
        assertEquals(got, call.firstByte);
        assertEquals(got, call.lastByte);
        assertEquals(got, call.end);
        assertTrue(call.start - sent <= 0, "the exchange began before its write returned");
        assertEquals(RequestLine.HTTP1, c.application);
    }

    @Test
    void contentLengthOverSeveralReads() {
        Conn c = client();
        write(c, "POST /upload HTTP/1.1\r\nContent-Length: 3\r\n\r\n");
        write(c, "abc"); // the body: more of the same request
        long first = read(c, "HTTP/1.1 201 Created\r\ncontent-length:  10\r\n\r\n0123");
        assertTrue(HttpExchanges.inExchange(c));
        read(c, "456");
        assertTrue(HttpExchanges.inExchange(c), "3 bytes of the body are still to come");
        assertTrue(calls.list.isEmpty());
        long last = read(c, "789");
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "POST /upload", 201, false);
        assertEquals(first, call.firstByte);
        assertEquals(last, call.lastByte);
    }

    @Test
    void chunkedWithTheLastChunkInTheSameRead() {
        Conn c = client();
        write(c, "GET /c HTTP/1.1\r\n\r\n");
        long got = read(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "GET /c", 200, false);
        assertEquals(got, call.lastByte);
    }

    @Test
    void chunkedWithTheLastChunkInALaterRead() {
        Conn c = client();
        write(c, "GET /c HTTP/1.1\r\n\r\n");
        // a Content-Length beside chunked does not count (chunked wins)
        long first = read(c, "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n");
        read(c, "3\r\nabc\r\n");
        assertTrue(HttpExchanges.inExchange(c), "the last chunk has not come");
        long last = read(c, "0\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "GET /c", 200, false);
        assertEquals(first, call.firstByte);
        assertEquals(last, call.lastByte);
    }

    @Test
    void headResponseEndsAtItsHeadersDespiteItsContentLength() {
        Conn c = client();
        write(c, "HEAD /big HTTP/1.1\r\n\r\n");
        read(c, "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertCall(only(), c, "HEAD /big", 200, false);
        // and the next exchange on the connection is its own
        write(c, "GET /next HTTP/1.1\r\n\r\n");
        read(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertEquals(2, calls.list.size());
        assertCall(calls.list.get(1), c, "GET /next", 200, false);
    }

    @Test
    void noContentAndNotModifiedHaveNoBody() {
        Conn c = client();
        write(c, "DELETE /x HTTP/1.1\r\n\r\n");
        read(c, "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        write(c, "GET /x HTTP/1.1\r\nIf-None-Match: \"a\"\r\n\r\n");
        read(c, "HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertEquals(2, calls.list.size());
        assertCall(calls.list.get(0), c, "DELETE /x", 204, false);
        assertCall(calls.list.get(1), c, "GET /x", 304, false);
    }

    @Test
    void switchingProtocolsToAWebSocketGoesOnUntilTheCloseAndWhatFollowsIsNotHttp() {
        Conn c = client();
        write(c, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        long got = read(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
        assertTrue(HttpExchanges.inExchange(c), "the WebSocket is the exchange's stream");
        byte[] frame = {(byte) 0x81, (byte) 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        HttpExchanges.beforeWrite(c, frame, 0, frame.length);
        HttpExchanges.write(c, frame, 0, frame.length, frame.length, System.nanoTime());
        write(c, "GET /not-a-request HTTP/1.1\r\n\r\n"); // a websocket message that looks like one
        assertTrue(calls.list.isEmpty());
        HttpExchanges.close(c);
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "GET /ws", 101, false);
        assertEquals(got, call.end, "a stream ends, as a call, at its first byte");
    }

    @Test
    void interimResponsesDoNotEndTheExchange() {
        Conn c = client();
        write(c, "POST /big HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        read(c, "HTTP/1.1 100 Continue\r\n\r\n");
        assertTrue(HttpExchanges.inExchange(c), "100 Continue is not the response");
        long bodySent = write(c, "body");
        long got = read(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "POST /big", 200, false);
        assertEquals(bodySent, call.requestSent);
        assertEquals(got, call.firstByte);
        // an interim response and the final one in one read (103 Early Hints)
        write(c, "GET /page HTTP/1.1\r\n\r\n");
        long page = read(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npage");
        assertFalse(HttpExchanges.inExchange(c));
        assertEquals(2, calls.list.size());
        assertCall(calls.list.get(1), c, "GET /page", 200, false);
        assertEquals(page, calls.list.get(1).lastByte);
        // and the connection is still read as HTTP/1.x
        write(c, "GET /after HTTP/1.1\r\n\r\n");
        read(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertEquals(3, calls.list.size());
        assertCall(calls.list.get(2), c, "GET /after", 200, false);
    }

    @Test
    void aResponseWithoutLengthEndsAtTheEndOfTheStream() {
        Conn c = client();
        write(c, "GET /stream HTTP/1.0\r\n\r\n");
        long first = read(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome");
        long last = read(c, " more");
        assertTrue(HttpExchanges.inExchange(c), "only the end of the stream ends it");
        assertTrue(calls.list.isEmpty());
        endOfStream(c);
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "GET /stream", 200, false);
        assertEquals(first, call.firstByte);
        assertEquals(last, call.lastByte, "the exchange ended with its last byte, not at the end of the stream");
        assertEquals(last, call.end);
    }

    @Test
    void headersNotCompleteInTheFirstReadEndAtTheNextRequestOrTheClose() {
        Conn c = client();
        write(c, "GET /h HTTP/1.1\r\n\r\n");
        long first = read(c, "HTTP/1.1 200 OK\r\nContent-Le");
        long last = read(c, "ngth: 5\r\n\r\nhello");
        // the Content-Length came after the first read: the end is not known from it
        assertTrue(HttpExchanges.inExchange(c));
        write(c, "GET /h2 HTTP/1.1\r\n\r\n");
        assertCall(only(), c, "GET /h", 200, false);
        assertEquals(first, only().firstByte);
        assertEquals(last, only().lastByte);
        // a status line alone in the first read; the close ends that one
        read(c, "HTTP/1.1 404 Not Found\r\n");
        long body = read(c, "Content-Length: 0\r\n\r\n");
        assertTrue(HttpExchanges.inExchange(c));
        HttpExchanges.close(c);
        assertEquals(2, calls.list.size());
        assertCall(calls.list.get(1), c, "GET /h2", 404, false);
        assertEquals(body, calls.list.get(1).lastByte);
    }

    @Test
    void keepAliveExchangesOneAfterAnother() {
        Conn c = client();
        String[] paths = {"/1", "/2", "/3"};
        long[] starts = new long[3];
        for (int i = 0; i < paths.length; i++) {
            write(c, "GET " + paths[i] + " HTTP/1.1\r\n\r\n");
            starts[i] = lastStart(c);
            assertEquals("GET " + paths[i], HttpExchanges.exchangeAt(c, starts[i])[0]);
            // the second response has no length: the third request ends it
            read(c, i == 1 ? "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nxyz"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz");
        }
        assertEquals(3, calls.list.size());
        for (int i = 0; i < paths.length; i++) {
            assertCall(calls.list.get(i), c, "GET " + paths[i], 200, false);
            assertEquals(starts[i], calls.list.get(i).start);
        }
        assertArrayEquals(new String[] {null, ""}, HttpExchanges.exchangeAt(c, starts[1]), "no longer the current one");
        assertArrayEquals(new String[] {"GET /3", thread}, HttpExchanges.exchangeAt(c, starts[2]));
    }

    /** The start of the connection's latest exchange. */
    private static long lastStart(Conn c) {
        return ((HttpExchanges.State) c.protocol).start;
    }

    @Test
    void anUnansweredRequestIsHandedOverHoweverShort() {
        HttpExchanges.sink = new Calls(Long.MAX_VALUE); // only what must be explained
        Calls slowOnly = (Calls) HttpExchanges.sink;
        Conn c = client();
        write(c, "GET /fast HTTP/1.1\r\n\r\n");
        read(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertTrue(slowOnly.list.isEmpty(), "a fast answered exchange is not handed over");
        write(c, "GET /lost HTTP/1.1\r\n\r\n");
        HttpExchanges.close(c);
        assertEquals(1, slowOnly.list.size());
        AppCall call = slowOnly.list.get(0);
        assertEquals("GET /lost", call.request);
        assertEquals(0, call.status, "no response");
        assertEquals(0, call.firstByte);
        assertFalse(HttpExchanges.inExchange(c));
    }

    @Test
    void aFailedReadIsNamedByTheExchange() {
        Conn c = client();
        write(c, "GET /f HTTP/1.1\r\n\r\n");
        HttpExchanges.failed(c, new java.net.SocketException("Connection reset"));
        HttpExchanges.close(c);
        assertEquals("java.net.SocketException: Connection reset", only().failure);
    }

    // ---- server side: the app reads the request and writes the response

    @Test
    void serverSideExchangesWithBodiesAndKeepAlive() {
        Conn c = server();
        long got = read(c, "POST /orders HTTP/1.1\r\nContent-Length: 6\r\n\r\nab");
        assertTrue(HttpExchanges.inExchange(c));
        assertEquals(thread + " · POST /orders", HttpExchanges.describe(HttpExchanges.current(c)));
        long body = read(c, "cdef");
        long answered = write(c, "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\n");
        assertTrue(HttpExchanges.inExchange(c), "the body is not written yet");
        long done = write(c, "done");
        assertFalse(HttpExchanges.inExchange(c));
        AppCall call = only();
        assertCall(call, c, "POST /orders", 201, true);
        assertTrue(call.start - got >= 0 && call.start - body < 0, "began with the read of its request line");
        assertEquals(body, call.requestSent, "the request's last bytes");
        assertTrue(call.firstByte - answered <= 0, "the response began before its write returned");
        assertEquals(done, call.lastByte);

        // a response without a length: the next request ends it
        read(c, "GET /a HTTP/1.1\r\n\r\n");
        long last = write(c, "HTTP/1.1 200 OK\r\n\r\nstreamed");
        write(c, " and more");
        assertTrue(HttpExchanges.inExchange(c));
        long next = read(c, "GET /b HTTP/1.1\r\n\r\n");
        assertEquals(2, calls.list.size());
        assertCall(calls.list.get(1), c, "GET /a", 200, true);
        assertTrue(calls.list.get(1).lastByte - last > 0 && calls.list.get(1).lastByte - next < 0);
        // chunked, then a HEAD
        write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        write(c, "4\r\nabcd\r\n");
        assertTrue(HttpExchanges.inExchange(c));
        write(c, "0\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        read(c, "HEAD /b HTTP/1.1\r\n\r\n");
        write(c, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertEquals(4, calls.list.size());
        assertCall(calls.list.get(2), c, "GET /b", 200, true);
        assertCall(calls.list.get(3), c, "HEAD /b", 200, true);
    }

    @Test
    void serverSideContinueAndClose() {
        Conn c = server();
        read(c, "PUT /file HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        write(c, "HTTP/1.1 100 Continue\r\n\r\n");
        assertTrue(HttpExchanges.inExchange(c), "100 Continue is not the response");
        read(c, "data");
        write(c, "HTTP/1.1 204 No Content\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertCall(only(), c, "PUT /file", 204, true);
        // a response until the close
        read(c, "GET /old HTTP/1.0\r\n\r\n");
        long last = write(c, "HTTP/1.0 200 OK\r\n\r\nbytes until the close");
        assertTrue(HttpExchanges.inExchange(c));
        HttpExchanges.close(c);
        assertFalse(HttpExchanges.inExchange(c));
        assertEquals(2, calls.list.size());
        assertCall(calls.list.get(1), c, "GET /old", 200, true);
        assertEquals(last, calls.list.get(1).lastByte);
    }

    @Test
    void aConnectionNotSeenOpenedTakesTheRoleItsBytesShow() {
        Conn out = new Conn(9, "127.0.0.1", 40001, "127.0.0.1", 80);
        write(out, "GET /o HTTP/1.1\r\n\r\n");
        assertEquals(Conn.CLIENT, out.role);
        Conn in = new Conn(10, "127.0.0.1", 80, "127.0.0.1", 40002);
        read(in, "GET /i HTTP/1.1\r\n\r\n");
        assertEquals(Conn.SERVER, in.role);
        write(in, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertCall(only(), in, "GET /i", 200, true);
    }

    // ---- ByteBuffers, as channels hand them: a write's from its position, a read's before it

    @Test
    void byteBuffersAtAnOffset() {
        Conn c = client();
        ByteBuffer out = ByteBuffer.allocateDirect(256);
        out.put(ascii("garbage")).mark();
        byte[] req = ascii("GET /buf?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        out.put(req).limit(out.position()).reset();
        int pos = out.position();
        HttpExchanges.beforeWrite(c, out, pos, out.remaining()); // Tracer: offset = position, length = remaining
        out.position(out.limit()); // written
        HttpExchanges.write(c, out, pos, req.length, req.length, System.nanoTime());
        assertEquals(thread + " · GET /buf?…", HttpExchanges.describe(HttpExchanges.current(c)));

        ByteBuffer in = ByteBuffer.allocate(256);
        in.put(ascii("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab"));
        read(c, in, in.position()); // Tracer: offset = position - n
        assertTrue(HttpExchanges.inExchange(c));
        in.clear();
        in.put(ascii("xxxx")).position(0).put(ascii("hi")); // stale bytes after the data do not count
        read(c, in, 2);
        assertTrue(HttpExchanges.inExchange(c));
        in.clear();
        in.put(ascii("jk"));
        read(c, in, 2);
        assertFalse(HttpExchanges.inExchange(c));
        assertCall(only(), c, "GET /buf?…", 200, false);
    }

    /** A channel read of the {@code n} bytes before the buffer's position. */
    private static void read(Conn c, ByteBuffer b, int n) {
        HttpExchanges.read(c, b, b.position() - n, n, n, System.nanoTime());
    }

    @Test
    void chunkedEndInAHeapBufferOnTheServer() {
        Conn c = server();
        ByteBuffer in = ByteBuffer.wrap(ascii("....GET /s HTTP/1.1\r\n\r\n"));
        HttpExchanges.read(c, in, 4, in.capacity() - 4, in.capacity() - 4, System.nanoTime());
        ByteBuffer out = ByteBuffer.wrap(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
        HttpExchanges.beforeWrite(c, out, 0, out.remaining());
        HttpExchanges.write(c, out, 0, out.remaining(), out.remaining(), System.nanoTime());
        assertFalse(HttpExchanges.inExchange(c));
        assertCall(only(), c, "GET /s", 200, true);
    }

    // ---- connections that do not carry HTTP/1.x

    @Test
    void aTlsConnectionIsNeverLookedAtAgain() {
        Conn c = client();
        byte[] hello = new byte[64];
        hello[0] = 0x16;
        hello[1] = 0x03;
        hello[2] = 0x01;
        HttpExchanges.beforeWrite(c, hello, 0, hello.length);
        HttpExchanges.write(c, hello, 0, hello.length, hello.length, System.nanoTime());
        assertEquals(RequestLine.TLS, c.application);
        write(c, "GET /later HTTP/1.1\r\n\r\n");
        read(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertNull(HttpExchanges.current(c));
        assertEquals(RequestLine.TLS, c.application);
        assertTrue(calls.list.isEmpty());

        Conn s = server();
        HttpExchanges.read(s, ByteBuffer.wrap(hello), 0, hello.length, hello.length, System.nanoTime());
        assertEquals(RequestLine.TLS, s.application);
        read(s, "GET /later HTTP/1.1\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(s));
        assertNull(HttpExchanges.current(s));
    }

    @Test
    void anHttp2ConnectionIsNeverLookedAtAgain() {
        Conn c = client();
        write(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertEquals(RequestLine.H2, c.application);
        write(c, "GET /later HTTP/1.1\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertNull(HttpExchanges.current(c));
        assertEquals(RequestLine.H2, c.application);

        Conn s = server();
        read(s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertEquals(RequestLine.H2, s.application);
        read(s, "GET /later HTTP/1.1\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(s));
    }

    @Test
    void otherProtocolsAreNotNamedAndNotLookedAtAgain() {
        Conn c = client();
        write(c, "SSH-2.0-OpenSSH_9.2\r\n");
        assertNull(c.application);
        write(c, "GET /later HTTP/1.1\r\n\r\n");
        assertFalse(HttpExchanges.inExchange(c));
        assertNull(c.application);
        assertTrue(calls.list.isEmpty());
    }

    // ---- what is recorded of the request target

    @Test
    void theQueryIsNeverRecorded() {
        Conn c = client();
        write(c, "GET /search?q=hunter2&token=s3cr3t HTTP/1.1\r\nHost: x\r\n\r\n");
        String label = HttpExchanges.describe(HttpExchanges.current(c));
        assertEquals(thread + " · GET /search?…", label);
        long start = lastStart(c);
        assertEquals("GET /search?…", HttpExchanges.exchangeAt(c, start)[0]);
        read(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertEquals("GET /search?…", only().request);
        for (String s : new String[] {label, only().request}) {
            assertFalse(s.contains("hunter2") || s.contains("s3cr3t") || s.contains("q=") || s.contains("token"), s);
        }
        Conn s = server();
        read(s, "GET /?key=abc HTTP/1.1\r\n\r\n");
        assertEquals(thread + " · GET /?…", HttpExchanges.describe(HttpExchanges.current(s)));
    }

    @Test
    void aLongTargetIsCapped() {
        StringBuilder path = new StringBuilder("/");
        while (path.length() < 3 * RequestLine.MAX_TARGET) {
            path.append("segment/");
        }
        Conn c = client();
        write(c, "GET " + path + "?secret=1 HTTP/1.1\r\n\r\n");
        String recorded = ((HttpExchanges.State) c.protocol).path;
        assertEquals(RequestLine.MAX_TARGET, recorded.length());
        assertEquals(path.substring(0, RequestLine.MAX_TARGET), recorded);
        assertEquals(thread + " · GET " + recorded, HttpExchanges.describe(HttpExchanges.current(c)));
        // a query that begins just within the cap is still replaced
        Conn d = client();
        String near = path.substring(0, RequestLine.MAX_TARGET - 1);
        write(d, "GET " + near + "?secret=1 HTTP/1.1\r\n\r\n");
        assertEquals(near + RequestLine.REDACTED_QUERY, ((HttpExchanges.State) d.protocol).path);
    }

    @Test
    void pathParametersAndUserinfoAreNotRecorded() {
        Conn c = client();
        write(c, "GET /cart;jsessionid=S3CR3T/items;v=2?token=t HTTP/1.1\r\n\r\n");
        assertEquals("/cart;…/items;…?…", ((HttpExchanges.State) c.protocol).path);
        Conn p = client();
        write(p, "GET http://user:pw@proxy.example:8080/x;a=b HTTP/1.1\r\n\r\n");
        assertEquals("http://proxy.example:8080/x;…", ((HttpExchanges.State) p.protocol).path);
    }
}
