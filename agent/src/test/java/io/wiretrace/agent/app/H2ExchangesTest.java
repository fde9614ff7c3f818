package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP/2 streams as exchanges, from frames written and read on one connection, as an app's threads see them. */
class H2ExchangesTest {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private final HttpExchangeEndsTest.Calls calls = new HttpExchangeEndsTest.Calls(0);

    @BeforeEach
    void sink() {
        HttpExchanges.sink = calls;
    }

    @AfterEach
    void noSink() {
        HttpExchanges.sink = null;
    }

    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int n = payload.length;
        b.write(n >>> 16);
        b.write(n >>> 8);
        b.write(n);
        b.write(type);
        b.write(flags);
        b.write(stream >>> 24);
        b.write(stream >>> 16);
        b.write(stream >>> 8);
        b.write(stream);
        b.write(payload, 0, n);
        return b.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.write(p, 0, p.length);
        }
        return b.toByteArray();
    }

    /** A request's header block: GET, https, and the path as a literal (indexed name :path), no Huffman. */
    static byte[] get(String path) {
        byte[] p = path.getBytes(StandardCharsets.US_ASCII);
        return concat(new byte[] {(byte) 0x82, (byte) 0x87, 0x04, (byte) p.length}, p);
    }

    static final byte[] SETTINGS = frame(4, 0, 0, new byte[0]);
    static final byte[] STATUS_200 = {(byte) 0x88};

    private static void write(Conn c, byte[] b) {
        HttpExchanges.beforeWrite(c, b, 0, b.length);
        HttpExchanges.write(c, b, 0, b.length, b.length, System.nanoTime());
    }

    private static void read(Conn c, byte[] b) {
        HttpExchanges.read(c, b, 0, b.length, b.length, System.nanoTime());
    }

    @Test
    void eachStreamIsAnExchangeWhateverItsNeighbours() {
        Conn c = new Conn(1, "127.0.0.1", 40000, "127.0.0.1", 8443);
        c.role = Conn.CLIENT;
        write(c, concat(PREFACE, SETTINGS, frame(1, 0x5, 1, get("/slow?token=secret"))));
        assertEquals("h2", c.application);
        assertTrue(HttpExchanges.inExchange(c));
        write(c, frame(1, 0x5, 3, get("/fast")));
        read(c, concat(SETTINGS, frame(1, 0x4, 3, STATUS_200), frame(0, 0x1, 3, new byte[10])));
        assertEquals(1, calls.list.size(), "stream 3 answered first");
        AppCall fast = calls.list.get(0);
        assertEquals("GET /fast", fast.request);
        assertEquals(200, fast.status);
        assertTrue(fast.multiplexed && fast.shared, "two streams were open");
        assertTrue(HttpExchanges.inExchange(c), "stream 1 goes on");
        read(c, concat(frame(1, 0x4, 1, STATUS_200), frame(0, 0, 1, new byte[5])));
        read(c, frame(0, 0x1, 1, new byte[5]));
        AppCall slow = calls.list.get(1);
        assertEquals("GET /slow?…", slow.request, "the query is never kept");
        assertEquals(200, slow.status);
        assertFalse(HttpExchanges.inExchange(c));
        assertTrue(slow.firstByte - slow.requestSent >= 0 && slow.lastByte - slow.firstByte >= 0);
    }

    @Test
    void aServerReadsTheRequestsAndAResetEndsAStream() {
        Conn c = new Conn(2, "127.0.0.1", 8443, "127.0.0.1", 40001);
        c.role = Conn.SERVER;
        read(c, concat(PREFACE, SETTINGS, frame(1, 0x5, 1, get("/a")), frame(1, 0x5, 3, get("/b"))));
        assertTrue(HttpExchanges.inExchange(c));
        write(c, concat(SETTINGS, frame(1, 0x4, 1, STATUS_200), frame(0, 0x1, 1, new byte[3])));
        read(c, frame(3, 0, 3, new byte[] {0, 0, 0, 8})); // the client cancels stream 3
        assertEquals(2, calls.list.size());
        assertTrue(calls.list.get(0).incoming);
        assertEquals("GET /a", calls.list.get(0).request);
        assertEquals("GET /b", calls.list.get(1).request);
        assertEquals(0, calls.list.get(1).status);
        assertTrue(calls.list.get(1).failure.contains("RST_STREAM 8"), calls.list.get(1).failure);
        assertFalse(HttpExchanges.inExchange(c));
    }

    @Test
    void aRequestBodyThatWaitedForTheServersWindowSaysHowLong() throws Exception {
        Conn c = new Conn(3, "127.0.0.1", 40002, "127.0.0.1", 8443);
        c.role = Conn.CLIENT;
        write(c, concat(PREFACE, SETTINGS, frame(1, 0x4, 1, get("/upload"))));
        for (int i = 0; i < 3; i++) {
            write(c, frame(0, 0, 1, new byte[16384]));
        }
        write(c, frame(0, 0, 1, new byte[65535 - 3 * 16384])); // the connection's window is spent
        long shut = System.nanoTime();
        while (System.nanoTime() - shut < 5_000_000L) {
            Thread.onSpinWait(); // the server takes its time to open it
        }
        read(c, concat(SETTINGS, frame(8, 0, 0, new byte[] {0, 1, 0, 0})));
        write(c, frame(0, 0x1, 1, new byte[100]));
        read(c, concat(frame(1, 0x5, 1, STATUS_200)));
        AppCall call = calls.list.get(0);
        assertTrue(call.windowWait >= 5_000_000L, "waited " + call.windowWait);
        assertTrue(call.peerWindow, "the server's window");
    }

    @Test
    void theCloseEndsOpenStreamsAndBytesThatAreNotHttp2LetThemGo() {
        Conn c = new Conn(4, "127.0.0.1", 40003, "127.0.0.1", 8443);
        c.role = Conn.CLIENT;
        write(c, concat(PREFACE, SETTINGS, frame(1, 0x5, 1, get("/x"))));
        HttpExchanges.close(c);
        assertEquals(1, calls.list.size());
        assertEquals(0, calls.list.get(0).status);
        assertEquals("the connection ended", calls.list.get(0).failure);

        Conn lost = new Conn(7, "127.0.0.1", 40005, "127.0.0.1", 8443);
        lost.role = Conn.CLIENT;
        write(lost, concat(PREFACE, SETTINGS, frame(1, 0x5, 1, get("/y"))));
        read(lost, "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertFalse(HttpExchanges.inExchange(lost), "how its streams ended is not known: they are let go");
        HttpExchanges.close(lost);
        assertEquals(1, calls.list.size(), "nothing is said of them");
    }

    @Test
    void anUpgradeToH2cGoesOnAsStreamOneBothWays() {
        byte[] upgrade = ("GET /up?secret=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] switching = concat("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII), SETTINGS);
        byte[] answer = concat(frame(1, 0x4, 1, STATUS_200), frame(0, 0x1, 1, new byte[2]));

        Conn client = new Conn(5, "127.0.0.1", 40004, "127.0.0.1", 8080);
        client.role = Conn.CLIENT;
        write(client, upgrade);
        read(client, switching);
        assertEquals("h2", client.application);
        assertTrue(HttpExchanges.inExchange(client), "stream 1 is the upgrade's request, still open");
        write(client, concat(PREFACE, SETTINGS));
        read(client, answer);

        Conn server = new Conn(6, "127.0.0.1", 8080, "127.0.0.1", 40004);
        server.role = Conn.SERVER;
        read(server, upgrade);
        write(server, switching);
        read(server, concat(PREFACE, SETTINGS));
        write(server, answer);

        assertEquals(2, calls.list.size());
        for (AppCall call : calls.list) {
            assertEquals("GET /up?…", call.request);
            assertEquals(200, call.status);
            assertTrue(call.multiplexed);
        }
        assertFalse(calls.list.get(0).incoming);
        assertTrue(calls.list.get(1).incoming);
        assertFalse(HttpExchanges.inExchange(client) || HttpExchanges.inExchange(server));
    }

    @Test
    void aConnectionWhoseStartWasNotSeenIsMarkedNotRead() {
        Conn c = new Conn(8, "127.0.0.1", 40006, "127.0.0.1", 8443); // opened before the capture: role not seen
        write(c, concat(frame(1, 0x5, 41, new byte[] {(byte) 0xbe, (byte) 0x83}), frame(8, 0, 0, new byte[] {0, 0, 1, 0})));
        assertEquals(io.wiretrace.analysis.http.RequestLine.H2_UNREAD, c.application);
        assertFalse(HttpExchanges.inExchange(c));
        read(c, frame(1, 0x5, 41, STATUS_200));
        assertEquals(0, calls.list.size(), "its header tables are not known: nothing is guessed");

        Conn http = new Conn(9, "127.0.0.1", 40007, "127.0.0.1", 8080);
        byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        write(http, request);
        assertEquals("http/1.1", http.application);
        byte[] tls = {0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        Conn other = new Conn(10, "127.0.0.1", 40008, "127.0.0.1", 8443);
        write(other, tls);
        assertEquals(null, other.application);
    }
}
