package io.wiretrace.agent.app;

import static io.wiretrace.agent.app.H2ExchangesTest.STATUS_200;
import static io.wiretrace.agent.app.H2ExchangesTest.concat;
import static io.wiretrace.agent.app.H2ExchangesTest.frame;
import static io.wiretrace.agent.app.H2ExchangesTest.get;
import static io.wiretrace.agent.app.HttpExchangeEndsTest.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Responses that stream — server-sent events, a chunked response flushed piece by piece, a
 * WebSocket, an HTTP/2 stream whose DATA comes piece by piece — are judged by their first byte:
 * handed over only when that came late, and then ended there. Times are made up, as the hooks
 * would see them spread over seconds; the slow threshold is 200 ms.
 */
class StreamsTest {
    private static final long MS = 1_000_000L;
    private HttpExchangeEndsTest.Calls calls;

    @BeforeEach
    void slowFrom200ms() {
        calls = new HttpExchangeEndsTest.Calls(200 * MS);
        HttpExchanges.sink = calls;
    }

    @AfterEach
    void noSink() {
        HttpExchanges.sink = null;
    }

    private static void read(Conn c, String s, long now) {
        byte[] b = ascii(s);
        HttpExchanges.read(c, b, 0, b.length, b.length, now);
    }

    private static void write(Conn c, String s, long now) {
        byte[] b = ascii(s);
        HttpExchanges.beforeWrite(c, b, 0, b.length);
        HttpExchanges.write(c, b, 0, b.length, b.length, now);
    }

    private static String kind(Conn c) {
        return HttpExchanges.streamKind((HttpExchanges.State) c.protocol);
    }

    /** An outgoing request, then its response's headers {@code first} ms later and ten chunks 200 ms apart. */
    private static long tenChunks(Conn c, String contentType, long first) {
        HttpExchangeEndsTest.write(c, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        long t = System.nanoTime() + first * MS;
        read(c, "HTTP/1.1 200 OK\r\nContent-Type:" + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n", t);
        for (int i = 0; i < 10; i++) {
            t += 200 * MS;
            read(c, "9\r\ndata: " + i + "\n\n\r\n", t);
        }
        read(c, "0\r\n\r\n", t + MS);
        return t;
    }

    @Test
    void serverSentEventsOverTwoSecondsAreNoSlowCall() {
        Conn c = HttpExchangeEndsTest.client();
        tenChunks(c, " Text/Event-Stream;charset=UTF-8", 3);
        assertFalse(HttpExchanges.inExchange(c), "the last chunk ended it");
        assertEquals("sse", kind(c));
        assertTrue(calls.list.isEmpty(), "a stream whose first byte came at once is not slow");
    }

    @Test
    void aStreamWhoseFirstByteCameLateIsSlowUpToItsFirstByte() {
        Conn c = HttpExchangeEndsTest.client();
        tenChunks(c, "text/event-stream", 600);
        assertEquals(1, calls.list.size());
        AppCall call = calls.list.get(0);
        assertEquals("GET /events", call.request);
        assertEquals(call.firstByte, call.end, "judged on its first byte");
        assertEquals(call.firstByte, call.lastByte);
        assertTrue(call.end - call.start >= 600 * MS && call.end - call.start < 700 * MS);
    }

    @Test
    void aChunkedResponseFlushedPieceByPieceIsAStream() {
        Conn c = HttpExchangeEndsTest.client();
        tenChunks(c, "text/plain", 3);
        assertEquals("chunked", kind(c));
        assertTrue(calls.list.isEmpty());
    }

    @Test
    void aChunkedResponseThatPausedOnceIsASlowCallNotAStream() {
        Conn c = HttpExchangeEndsTest.client();
        HttpExchangeEndsTest.write(c, "GET /report HTTP/1.1\r\n\r\n");
        long t = System.nanoTime() + 3 * MS;
        read(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", t);
        read(c, "5\r\nhello\r\n", t + 600 * MS); // the body came after the server thought
        read(c, "0\r\n\r\n", t + 601 * MS);
        assertNull(kind(c));
        assertEquals(1, calls.list.size());
        assertEquals(calls.list.get(0).lastByte, calls.list.get(0).end, "judged on its last byte");
    }

    @Test
    void aServedWebSocketGoesOnUntilTheCloseAndOnlyItsWritesAreCallsOfTheirOwn() {
        Conn c = HttpExchangeEndsTest.server();
        long t = System.nanoTime();
        read(c, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", t);
        write(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", t + MS);
        assertTrue(HttpExchanges.inExchange(c), "the WebSocket goes on");
        assertEquals("websocket", kind(c));
        assertEquals("GET /ws", HttpExchanges.stream(c));
        assertTrue(HttpExchanges.holds(c, false, false), "a read waits for the next message as a matter of course");
        assertFalse(HttpExchanges.holds(c, true, false), "a write that blocked is a call of its own");
        assertFalse(HttpExchanges.holds(c, false, true), "so is a read that failed");
        for (int i = 1; i <= 10; i++) {
            read(c, "\u0081\u0085mask.....", t + i * 200 * MS); // a message that is not a request line
            write(c, "\u0081\u0005hello", t + i * 200 * MS + MS);
        }
        assertTrue(HttpExchanges.inExchange(c));
        HttpExchanges.close(c);
        assertFalse(HttpExchanges.inExchange(c));
        assertTrue(calls.list.isEmpty(), "a WebSocket whose 101 came at once is not slow");
    }

    @Test
    void anUpgradeRefusedIsNoWebSocket() {
        Conn c = HttpExchangeEndsTest.client();
        HttpExchangeEndsTest.write(c, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        read(c, "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n", System.nanoTime());
        assertFalse(HttpExchanges.inExchange(c));
        assertNull(kind(c));
        assertTrue(calls.list.isEmpty(), "a 426 that came at once is neither slow nor a stream");
    }

    @Test
    void anHttp2StreamWhoseDataComesPieceByPieceIsAStream() {
        Conn c = new Conn(9, "127.0.0.1", 40010, "127.0.0.1", 8443);
        c.role = Conn.CLIENT;
        byte[] request = concat("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                H2ExchangesTest.SETTINGS, frame(1, 0x5, 1, get("/Feed/Watch")));
        HttpExchanges.beforeWrite(c, request, 0, request.length);
        HttpExchanges.write(c, request, 0, request.length, request.length, System.nanoTime());
        long t = System.nanoTime() + 3 * MS;
        h2Read(c, frame(1, 0x4, 1, STATUS_200), t);
        for (int i = 1; i <= 10; i++) {
            h2Read(c, frame(0, 0, 1, new byte[8]), t + i * 200 * MS);
        }
        byte[] grpcStatus = concat(new byte[] {0x00, 11}, "grpc-status".getBytes(StandardCharsets.US_ASCII),
                new byte[] {1, '0'});
        h2Read(c, frame(1, 0x5, 1, grpcStatus), t + 2001 * MS);
        assertFalse(HttpExchanges.inExchange(c));
        assertTrue(calls.list.isEmpty(), "a stream whose first byte came at once is not slow");
    }

    @Test
    void anHttp2StreamIsGrpcWhenItsTrailersNameAGrpcStatus() {
        H2Exchanges.Stream st = new H2Exchanges.Stream(1);
        st.pieces = HttpExchanges.STREAM_PIECES - 1;
        assertNull(H2Exchanges.streamKind(st), "two pieces apart are not yet a stream");
        st.pieces++;
        assertEquals("h2", H2Exchanges.streamKind(st));
        st.grpc = true;
        assertEquals("grpc", H2Exchanges.streamKind(st));
    }

    private static void h2Read(Conn c, byte[] b, long now) {
        HttpExchanges.read(c, b, 0, b.length, b.length, now);
    }
}
