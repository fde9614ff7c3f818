package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.agent.app.Conn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What the HTTP/1.x state tells the correlator: when the app began reading each request, and what a connection carries. */
class HttpExchangesTest {
    private static final byte[] RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static byte[] request(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** One served exchange: the request read, the response written; returns when the read was. */
    private static long serve(Conn c, String path) {
        long before = System.nanoTime();
        byte[] req = request(path);
        HttpExchanges.read(c, req, 0, req.length, req.length, System.nanoTime());
        HttpExchanges.beforeWrite(c, RESPONSE, 0, RESPONSE.length);
        HttpExchanges.write(c, RESPONSE, 0, RESPONSE.length, RESPONSE.length, System.nanoTime());
        return before;
    }

    @Test
    void theFirstExchangeBegunSinceAnArrivalFromTheLastFour() {
        Conn c = new Conn(1, "127.0.0.1", 8080, "127.0.0.1", 40000);
        c.role = Conn.SERVER;
        List<Long> before = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            before.add(serve(c, "/r" + i));
        }
        assertEquals("http/1.1", c.application);
        long fifth = HttpExchanges.startedSince(c, before.get(4));
        assertTrue(fifth - before.get(4) >= 0 && before.get(5) - fifth > 0, "exchange 5 began after its mark");
        assertEquals(0, HttpExchanges.startedSince(c, System.nanoTime()), "none began since now");
        // exchanges 3..6 are kept: one that began after the 2nd mark may be 2, whose start is gone
        assertEquals(0, HttpExchanges.startedSince(c, before.get(1)));
        assertArrayEquals(new String[] {null, ""}, HttpExchanges.exchangeAt(c, fifth), "exchange 5 is no longer the current one");
        assertEquals("GET /r5", HttpExchanges.exchangeAt(c, HttpExchanges.startedSince(c, before.get(5)))[0]);
    }

    @Test
    void http2AndTlsAreMarked() {
        Conn h2 = new Conn(2, "127.0.0.1", 40001, "127.0.0.1", 8080);
        h2.role = Conn.CLIENT;
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        HttpExchanges.beforeWrite(h2, preface, 0, preface.length);
        assertEquals("h2", h2.application);
        Conn tls = new Conn(3, "127.0.0.1", 40002, "127.0.0.1", 8443);
        tls.role = Conn.CLIENT;
        byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
        HttpExchanges.beforeWrite(tls, hello, 0, hello.length);
        assertEquals("tls", tls.application);
        assertEquals(false, HttpExchanges.inExchange(tls));
    }

    /**
     * A connection's exchanges for the same plain path use the last one's strings again (nothing
     * allocated); another path, a query or parameters, another thread make new ones, as before.
     */
    @Test
    void theSamePathAgainUsesTheLastExchangesStrings() throws Exception {
        Conn c = new Conn(4, "127.0.0.1", 8080, "127.0.0.1", 40003);
        c.role = Conn.SERVER;
        serve(c, "/orders");
        Object first = HttpExchanges.current(c);
        serve(c, "/orders");
        assertTrue(first == HttpExchanges.current(c), "the same label, not an equal one");
        assertEquals(Thread.currentThread().getName() + " · GET /orders", HttpExchanges.describe(first));
        String[] expected = {"/orders/1", "/orders?id=7", "/orders?id=8", "/orders;jsessionid=x", "/order", "/orders"};
        String[] labels = {"/orders/1", "/orders?…", "/orders?…", "/orders;…", "/order", "/orders"};
        Object last = first;
        for (int i = 0; i < expected.length; i++) {
            serve(c, expected[i]);
            Object now = HttpExchanges.current(c);
            assertEquals(Thread.currentThread().getName() + " · GET " + labels[i], HttpExchanges.describe(now));
            assertTrue(now != last, expected[i] + " after the one before: a label of its own");
            last = now;
        }
        Thread other = new Thread(() -> serve(c, "/orders"), "another-thread");
        other.start();
        other.join();
        assertEquals("another-thread · GET /orders", HttpExchanges.describe(HttpExchanges.current(c)));

        byte[] request = request("/orders");
        assertTrue(HttpExchanges.samePath("/orders", request, 0, request.length, 4));
        assertTrue(!HttpExchanges.samePath("/orders", request, 0, 11, 4), "the target's end must be there");
        assertTrue(!HttpExchanges.samePath("/order", request, 0, request.length, 4), "a prefix is not the path");
    }

    /**
     * The header scan finds the same first '\r' as a byte-by-byte one, in arrays, heap buffers
     * (sliced, read-only) and direct buffers of either byte order, wherever it starts and stops.
     */
    @Test
    void lineEndsAreFoundAsByteByByteInEveryKindOfData() {
        Random random = new Random(42);
        int checked = 0;
        for (int round = 0; round < 400; round++) {
            byte[] bytes = new byte[1 + random.nextInt(80)];
            for (int i = 0; i < bytes.length; i++) {
                int r = random.nextInt(20);
                // mostly header-like text, some CRs, and bytes whose high bit or borrow could fool a word test
                bytes[i] = (byte) (r == 0 ? '\r' : r == 1 ? 0x8D : r == 2 ? 0x0C : r == 3 ? 0x0E : 'a' + r);
            }
            int lead = random.nextInt(9);
            Object[] kinds = kinds(bytes, lead);
            int from = random.nextInt(bytes.length);
            int limit = from + random.nextInt(bytes.length - from + 1);
            int expected = -1;
            for (int i = from; i < limit && expected < 0; i++) {
                if (bytes[i] == '\r') {
                    expected = i;
                }
            }
            for (Object data : kinds) {
                assertEquals(expected, HttpExchanges.nextCr(data, lead, from, limit),
                        "round " + round + " in " + data.getClass().getSimpleName() + " from " + from + " to " + limit);
                checked++;
            }
        }
        assertEquals(2000, checked);
    }

    /**
     * The word test names the first '\r' of eight bytes, or none: also where a borrow out of a
     * '\r' could flag the bytes above it (a '\f' after a '\r', two '\r's in a row).
     */
    @Test
    void theFirstCrOfAWordIsFoundAsByteByByte() {
        byte[] alphabet = {'\r', '\r', '\f', 0x0E, (byte) 0x8D, (byte) 0x8C, 0, (byte) 0xFF, 'a', ' ', '\n', 0x2D};
        Random random = new Random(7);
        int found = 0;
        for (int round = 0; round < 100_000; round++) {
            long w = 0;
            int expected = 8;
            for (int k = 0; k < 8; k++) {
                byte b = alphabet[random.nextInt(alphabet.length)];
                w |= (b & 0xFFL) << (8 * k);
                if (b == '\r' && expected == 8) {
                    expected = k;
                }
            }
            assertEquals(expected, HttpExchanges.firstCr(w), Long.toHexString(w));
            found += expected < 8 ? 1 : 0;
        }
        assertTrue(found > 50_000 && found < 100_000, found + " words with a CR");
    }

    /**
     * The first eight bytes of a header line read as the same word in any case and from every kind
     * of data and byte order, so that the names the response scan looks for are found however
     * they are written; the names it does not look for read otherwise.
     */
    @Test
    void headerNamesReadAsTheSameWordInAnyCaseAndEveryKindOfData() {
        String[][] lines = {
            {"Content-Length: 12", "content"}, {"CONTENT-TYPE: text/plain", "content"}, {"content-encoding: gzip", "content"},
            {"Transfer-Encoding: chunked", "transfer"}, {"TRANSFER-encoding: chunked", "transfer"},
            {"Upgrade: websocket", "upgrade"}, {"UPGRADE: h2c", "upgrade"},
            {"Connection: keep-alive", "none"}, {"Content: x", "none"}, {"Date: Mon, 07 Dec", "none"},
            {"Cache-Control: no", "none"}, {"Upgrade-Insecure: 1", "none"},
        };
        int checked = 0;
        for (String[] line : lines) {
            byte[] bytes = line[0].getBytes(StandardCharsets.US_ASCII);
            for (int lead = 0; lead < 9; lead++) {
                for (Object data : kinds(bytes, lead)) {
                    long word = HttpExchanges.word(data, lead, 0);
                    String read = word == HttpExchanges.CONTENT_ ? "content" : word == HttpExchanges.TRANSFER ? "transfer"
                            : word == HttpExchanges.UPGRADE_ ? "upgrade" : "none";
                    assertEquals(line[1], read, line[0] + " at " + lead + " in " + data.getClass().getSimpleName());
                    checked++;
                }
            }
        }
        assertEquals(12 * 9 * 5, checked);
    }

    /**
     * The two-word test for "content-length:" and "content-type:" answers as a byte-by-byte
     * comparison in any case does, in every kind of data: also where a byte only reads as '-' or
     * ':' in a word ('\r' as '-', 0x1A as ':'), where the name goes on, and where the data ends
     * inside it.
     */
    @Test
    void contentHeaderNamesAreReadAsByteByByte() {
        String[] lines = {
            "Content-Length: 12", "CONTENT-LENGTH:5", "content-length:", "content-length", "content-lengt",
            "content\rlength: 3", "content-length\u001a 3", "content-lengthy: 1", "Content-Lenght: 2",
            "Content-Type: text/plain", "CONTENT-TYPE:x", "content-type:", "content-type", "content\rtype: a",
            "content-type\u001a a", "content-types: a", "Content-Encoding: gzip", "content-", "Content-Location: /x",
        };
        int checked = 0;
        for (String line : lines) {
            byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
            boolean length = startsIgnoringCase(bytes, "content-length:");
            boolean type = startsIgnoringCase(bytes, "content-type:");
            for (int lead = 0; lead < 9; lead++) {
                for (Object data : kinds(bytes, lead)) {
                    String where = line + " at " + lead + " in " + data.getClass().getSimpleName();
                    assertEquals(length, HttpExchanges.contentNamed(data, lead, bytes.length, 0, 7, HttpExchanges.DASH_LENGTH, 14),
                            where);
                    assertEquals(type, HttpExchanges.contentNamed(data, lead, bytes.length, 0, 5, HttpExchanges.NT_TYPE, 12),
                            where);
                    checked++;
                }
            }
        }
        assertEquals(19 * 9 * 5, checked);
    }

    private static boolean startsIgnoringCase(byte[] bytes, String name) {
        return bytes.length >= name.length()
                && new String(bytes, 0, name.length(), StandardCharsets.ISO_8859_1).equalsIgnoreCase(name);
    }

    /**
     * {@code bytes} after {@code lead} bytes of padding, in every kind of data the advice is
     * handed: an array, direct buffers of either byte order, a sliced heap buffer and a read-only one.
     */
    private static Object[] kinds(byte[] bytes, int lead) {
        byte[] padded = new byte[lead + bytes.length];
        System.arraycopy(bytes, 0, padded, lead, bytes.length);
        ByteBuffer direct = ByteBuffer.allocateDirect(padded.length);
        direct.put(padded).clear();
        ByteBuffer littleDirect = ByteBuffer.allocateDirect(padded.length).order(ByteOrder.LITTLE_ENDIAN);
        littleDirect.put(padded).clear();
        ByteBuffer sliced = ByteBuffer.wrap(new byte[padded.length + 3]);
        sliced.position(3);
        sliced = sliced.slice();
        sliced.put(padded).clear();
        return new Object[] {padded, direct, littleDirect, sliced, sliced.asReadOnlyBuffer()};
    }
}
