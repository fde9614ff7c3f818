package io.wiretrace.analysis.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.wiretrace.analysis.http.RequestLine;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The decoder against RFC 7541 Appendix C, and what it keeps of what Netty's encoder makes. */
class HpackTest {
    static byte[] hex(String s) {
        String h = s.replaceAll("[^0-9a-fA-F]", "");
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    private static void decode(Hpack h, String block) {
        byte[] b = hex(block);
        assertTrue(h.decode(b, 0, b.length), h.error());
    }

    /** The table, newest first: "size name: value" where the value is kept, else just the size. */
    static List<String> table(Hpack h) {
        List<String> t = new ArrayList<>();
        int sum = 0;
        for (int i = 0; i < h.tableLength(); i++) {
            String name = h.entryName(i);
            t.add(h.entrySize(i) + (name == null ? "" : " " + name + ": " + h.entryValue(i)));
            sum += h.entrySize(i);
        }
        assertEquals(sum, h.tableSize());
        return t;
    }

    private static void reported(Hpack h, String method, String path, int status) {
        assertEquals(method, h.method());
        assertEquals(path, h.path());
        assertEquals(status, h.status());
        assertNull(h.grpcStatus());
    }

    @Test
    void c2_1LiteralWithIndexing() {
        Hpack h = new Hpack();
        decode(h, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"); // custom-key: custom-header
        reported(h, null, null, 0);
        assertEquals(List.of("55"), table(h));
    }

    @Test
    void c2_2LiteralWithoutIndexing() {
        Hpack h = new Hpack();
        decode(h, "040c 2f73 616d 706c 652f 7061 7468");
        reported(h, null, "/sample/path", 0);
        assertEquals(List.of(), table(h));
    }

    @Test
    void c2_3LiteralNeverIndexed() {
        Hpack h = new Hpack();
        decode(h, "1008 7061 7373 776f 7264 0673 6563 7265 74"); // password: secret
        reported(h, null, null, 0);
        assertEquals(List.of(), table(h));
    }

    @Test
    void c2_4Indexed() {
        Hpack h = new Hpack();
        decode(h, "82");
        reported(h, "GET", null, 0);
        assertEquals(List.of(), table(h));
    }

    private static void requests(String first, String second, String third) {
        Hpack h = new Hpack();
        decode(h, first); // :method GET, :scheme http, :path /, :authority www.example.com
        reported(h, "GET", "/", 0);
        assertEquals(List.of("57"), table(h)); // :authority: www.example.com
        assertEquals(57, h.tableSize());
        decode(h, second); // + cache-control: no-cache
        reported(h, "GET", "/", 0);
        assertEquals(List.of("53", "57"), table(h));
        assertEquals(110, h.tableSize());
        decode(h, third); // :scheme https, :path /index.html, custom-key: custom-value
        reported(h, "GET", "/index.html", 0);
        assertEquals(List.of("54", "53", "57"), table(h));
        assertEquals(164, h.tableSize());
        assertEquals("GET", h.method());
    }

    @Test
    void c3RequestsWithoutHuffman() {
        requests("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "8286 84be 5808 6e6f 2d63 6163 6865",
                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");
    }

    @Test
    void c4RequestsWithHuffman() {
        requests("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                "8286 84be 5886 a8eb 1064 9cbf",
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");
    }

    private static void responses(String first, String second, String third) {
        Hpack h = new Hpack(256);
        decode(h, first); // 302, cache-control: private, date, location
        reported(h, null, null, 302);
        assertEquals(List.of("63", "65", "52", "42 :status: 302"), table(h));
        assertEquals(222, h.tableSize());
        decode(h, second); // 307: evicts :status 302
        reported(h, null, null, 307);
        assertEquals(List.of("42 :status: 307", "63", "65", "52"), table(h));
        assertEquals(222, h.tableSize());
        decode(h, third); // 200, a new date, content-encoding: gzip, set-cookie: evicts three
        reported(h, null, null, 200);
        assertEquals(List.of("98", "52", "65"), table(h));
        assertEquals(215, h.tableSize());
    }

    @Test
    void c5ResponsesWithoutHuffman() {
        responses("4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32"
                + "3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970"
                + "7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61"
                + "6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31");
    }

    @Test
    void c6ResponsesWithHuffman() {
        responses("4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad"
                + "1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2"
                + "e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07");
    }

    @Test
    void sizeUpdates() {
        Hpack h = new Hpack();
        decode(h, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        assertEquals(1, h.tableLength());
        decode(h, "20 82"); // to 0: the table empties
        reported(h, "GET", null, 0);
        assertEquals(0, h.tableLength());
        assertEquals(0, h.capacity());
        decode(h, "410f 7777 772e 6578 616d 706c 652e 636f 6d"); // :authority, indexed: does not fit, not added
        assertEquals(0, h.tableLength());
        decode(h, "3f e1 01"); // to 256
        assertEquals(256, h.capacity());
        // an update past the bound is an error; the bound is what maxTableSize said
        Hpack bounded = new Hpack();
        bounded.maxTableSize(8192);
        decode(bounded, "3f e1 3f"); // 8192
        assertEquals(8192, bounded.capacity());
        byte[] over = hex("3f e2 3f"); // 8193
        assertFalse(bounded.decode(over, 0, over.length));
        assertNotNull(bounded.error());
        // the bound changes nothing by itself
        Hpack lowered = new Hpack();
        decode(lowered, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        lowered.maxTableSize(0);
        assertEquals(4096, lowered.capacity());
        assertEquals(1, lowered.tableLength());
        decode(lowered, "20");
        assertEquals(0, lowered.tableLength());
    }

    @Test
    void malformedBlocksBreakTheDecoder() {
        // index 0; past the table; an update over 4096; strings past the end; an integer too long; a
        // name index past the table; a block ending in a literal's name
        for (String bad : new String[] {"80", "be", "3fe21f", "400a6375", "41", "ffffffffff0f", "7f00", "4085f2"}) {
            Hpack h = new Hpack();
            byte[] b = hex(bad);
            assertFalse(h.decode(b, 0, b.length), bad);
            assertNotNull(h.error(), bad);
            byte[] good = hex("82");
            assertFalse(h.decode(good, 0, good.length), "after " + bad);
            assertNull(h.method());
        }
        Hpack h = new Hpack();
        byte[] half = hex("82 04 0c 2f73 616d 706c 652f 7061 74"); // GET, then a path one byte short
        assertFalse(h.decode(half, 0, half.length));
        reported(h, null, null, 0);
        h = new Hpack();
        assertFalse(h.decode(new byte[4], 3, 2));
        assertFalse(h.decode(null, 0, 0));
    }

    /** Blocks as Netty's encoder makes them, Huffman or not, a dynamic table carried over. */
    private static final class Encoder {
        final DefaultHttp2HeadersEncoder e;

        Encoder(boolean huffman) {
            e = new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, false, 16,
                    huffman ? 0 : Integer.MAX_VALUE);
        }

        byte[] block(Http2Headers h) throws Exception {
            ByteBuf b = Unpooled.buffer();
            e.encodeHeaders(3, h, b);
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            return bytes;
        }
    }

    @Test
    void pathsAreRecordedAsRequestLineRecordsTargets() throws Exception {
        Random r = new Random(1);
        String chars = "abcxyz/._-~%0123456789?=&";
        for (boolean huffman : new boolean[] {false, true}) {
            Encoder e = new Encoder(huffman);
            Hpack h = new Hpack();
            for (int i = 0; i < 400; i++) {
                StringBuilder p = new StringBuilder("/");
                int n = i % 50 == 0 ? RequestLine.MAX_TARGET - 5 + r.nextInt(10) : r.nextInt(80);
                for (int k = 0; k < n; k++) {
                    char c = chars.charAt(r.nextInt(chars.length()));
                    // long paths get their query (if any) near the cut
                    p.append(n > 100 && c == '?' ? 'q' : c);
                }
                int q = RequestLine.MAX_TARGET - 2 + r.nextInt(3);
                if (n > 100 && r.nextBoolean() && q < p.length()) {
                    p.setCharAt(q, '?');
                }
                Http2Headers hs = new DefaultHttp2Headers().method(i % 3 == 0 ? "POST" : "GET").scheme("https")
                        .authority("example.com").path(p.toString());
                byte[] b = e.block(hs);
                assertTrue(h.decode(b, 0, b.length), h.error());
                assertEquals(RequestLine.target(p), h.path(), p.toString());
                assertEquals(i % 3 == 0 ? "POST" : "GET", h.method());
            }
        }
    }

    @Test
    void keptValuesComeFromTheTableWithoutNewStrings() throws Exception {
        Encoder e = new Encoder(true);
        Hpack h = new Hpack();
        Http2Headers req = new DefaultHttp2Headers().method("PATCH").scheme("https").authority("api")
                .path("/pkg.Service/Method").add("te", "trailers");
        byte[] b = e.block(req);
        assertTrue(h.decode(b, 0, b.length));
        String path = h.path();
        String method = h.method();
        assertEquals("/pkg.Service/Method", path);
        assertEquals("PATCH", method);
        b = e.block(req);
        assertTrue(b.length < 8, "all indexed the second time: " + b.length);
        assertTrue(h.decode(b, 0, b.length));
        assertTrue(path == h.path(), "the table's string");
        assertTrue(RequestLine.METHODS[6] == h.method(), "the constant");
        Http2Headers trailers = new DefaultHttp2Headers().add("grpc-status", "14").add("grpc-message", "unavailable");
        b = e.block(trailers);
        assertTrue(h.decode(b, 0, b.length));
        assertEquals("14", h.grpcStatus());
        assertNull(h.path());
    }

    @Test
    void customMethodsAndOddStatuses() throws Exception {
        Encoder e = new Encoder(false);
        Hpack h = new Hpack();
        byte[] b = e.block(new DefaultHttp2Headers().method("PROPFIND").path("/dav"));
        assertTrue(h.decode(b, 0, b.length));
        assertEquals("PROPFIND", h.method());
        b = e.block(new DefaultHttp2Headers().status("2000"));
        assertTrue(h.decode(b, 0, b.length));
        assertEquals(0, h.status());
        b = e.block(new DefaultHttp2Headers().status("503").add("grpc-status", "abc"));
        assertTrue(h.decode(b, 0, b.length));
        assertEquals(503, h.status());
        assertEquals("abc", h.grpcStatus());
        assertEquals(List.of("46 grpc-status: abc", "42 :status: 503", "43 :status: 0", "41 :path: /dav",
                "47 :method: PROPFIND"), table(h));
    }

    @Test
    void secretsAreNotKept() throws Exception {
        for (boolean huffman : new boolean[] {false, true}) {
            Encoder e = new Encoder(huffman);
            Hpack h = new Hpack();
            Http2Headers req = new DefaultHttp2Headers().method("GET").scheme("https").authority("example.com")
                    .path("/account?token=secret").add("authorization", "Bearer secret").add("cookie", "a=secret")
                    .add("x-api-key", "secret-key");
            for (int i = 0; i < 3; i++) {
                byte[] b = e.block(req);
                assertTrue(h.decode(b, 0, b.length), h.error());
                assertEquals("/account" + RequestLine.REDACTED_QUERY, h.path());
            }
            // the entries were indexed: their sizes are in the table, their values are not (x-api-key,
            // cookie, authorization, :path as recorded, :authority)
            assertEquals(List.of("51", "46", "58", "58 :path: /account?…", "53"), table(h));
            for (String v : h.values()) {
                assertFalse(v != null && v.contains("secret"), v);
            }
            Secrets.assertNone(h, "secret");
        }
    }

    @Test
    void theStaticTableIsNettys() throws Exception {
        Class<?> c = Class.forName("io.netty.handler.codec.http2.HpackStaticTable");
        Method m = c.getDeclaredMethod("getEntry", int.class);
        m.setAccessible(true);
        Class<?> field = Class.forName("io.netty.handler.codec.http2.HpackHeaderField");
        java.lang.reflect.Field name = field.getDeclaredField("name");
        java.lang.reflect.Field value = field.getDeclaredField("value");
        name.setAccessible(true);
        value.setAccessible(true);
        for (int i = 1; i <= Hpack.STATIC_LENGTH; i++) {
            Object entry = m.invoke(null, i);
            String n = name.get(entry).toString();
            String v = value.get(entry).toString();
            // each entry as a literal with indexing by its name: the entry's size tells the name's length
            Hpack h = new Hpack();
            byte[] b = {(byte) (0x40 | i), 0};
            assertTrue(h.decode(b, 0, b.length));
            assertEquals(n.length() + Hpack.ENTRY_OVERHEAD, h.entrySize(0), n);
            // and indexed, its value if kept
            h = new Hpack();
            b = new byte[] {(byte) (0x80 | i)};
            assertTrue(h.decode(b, 0, b.length));
            switch (n) {
                case ":method":
                    assertEquals(v, h.method());
                    break;
                case ":path":
                    assertEquals(v, h.path());
                    break;
                case ":status":
                    assertEquals(Integer.parseInt(v), h.status());
                    break;
                default:
                    reported(h, null, null, 0);
            }
        }
    }
}
