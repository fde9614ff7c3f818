package io.wiretrace.analysis.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.wiretrace.analysis.http.RequestLine;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The reader on both directions of connections Netty's frame writer made, fed in every way. */
class FrameReaderTest {
    private static final int HEADERS = 1;
    private static final int CONTINUATION = 9;

    static Http2Headers request(int i) {
        Http2Headers h = new DefaultHttp2Headers().method(i % 4 == 0 ? "GET" : "POST").scheme("https")
                .authority("api.example.com")
                .path("/v1/items/" + i % 5 + (i % 3 == 0 ? "?page=" + i + "&token=secret" : ""))
                .add("user-agent", "wiretrace-test/1.0").add("accept", "application/json")
                .add("authorization", "Bearer secret-" + i % 2).add("cookie", "session=secret; theme=dark")
                .add("x-request-id", "req-" + (1000 + i * 7919));
        if (i % 4 != 0) {
            h.add("content-type", "application/json");
        }
        return h;
    }

    static Http2Headers response(int i) {
        return new DefaultHttp2Headers().status(i % 8 == 5 ? "404" : i % 8 == 6 ? "503" : "200")
                .add("content-type", "application/json").add("server", "netty")
                .add("date", "Mon, 21 Oct 2013 20:13:" + (10 + i % 50) + " GMT").add("x-request-id", "req-" + i)
                .add("set-cookie", "session=secret; HttpOnly");
    }

    /** The client's side: requests with bodies, and frames of every type. */
    static NettyFrames client(boolean huffman) {
        NettyFrames c = new NettyFrames(huffman).preface()
                .settings(new Http2Settings().initialWindowSize(1 << 20).headerTableSize(8192)
                        .maxConcurrentStreams(100))
                .settingsAck();
        for (int i = 0; i < 40; i++) {
            int stream = 2 * i + 1;
            Http2Headers h = request(i);
            boolean body = i % 4 != 0;
            if (i == 25) {
                // larger than a frame: HEADERS then CONTINUATION
                char[] big = new char[20_000];
                Arrays.fill(big, 'x');
                h.add("x-large", new String(big));
            }
            if (i % 7 == 3) {
                c.headersWithPriority(stream, h, i % 2 == 0 ? 0 : 17, !body);
            } else if (i % 10 == 8) {
                handSplit(c, stream, h, !body);
            } else {
                c.headers(stream, h, i % 5 == 0 ? 33 : 0, !body);
            }
            if (body) {
                c.data(stream, 10 + i * 13, i % 6 == 1 ? 8 : 0, false);
                c.data(stream, i, 0, true);
            }
            if (i % 9 == 4) {
                c.windowUpdate(0, 65536 + i);
            }
            if (i % 11 == 5) {
                c.ping(i);
            }
            if (i % 13 == 6) {
                c.priority(stream);
            }
            if (i % 10 == 7) {
                c.reset(stream, 8);
            }
            if (i == 20) {
                c.unknown((byte) 0x42, stream, 7);
                c.windowUpdate(stream, 1);
            }
        }
        return c.goAway(0, 0, "bye");
    }

    /** HEADERS (padded, with priority) and two CONTINUATIONs, made by hand around the encoder's block. */
    static void handSplit(NettyFrames c, int stream, Http2Headers h, boolean endStream) {
        byte[] block = c.block(h);
        int a = block.length / 3;
        int b = 2 * block.length / 3;
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        first.write(3); // pad length
        first.write(new byte[] {0, 0, 0, 1, 15}, 0, 5); // depends on stream 1, weight 16
        first.write(block, 0, a);
        first.write(new byte[3], 0, 3);
        c.raw(NettyFrames.frame(HEADERS, (endStream ? 1 : 0) | 0x8 | 0x20, stream, first.toByteArray()));
        c.raw(NettyFrames.frame(CONTINUATION, 0, stream, Arrays.copyOfRange(block, a, b)));
        c.raw(NettyFrames.frame(CONTINUATION, 0x4, stream, Arrays.copyOfRange(block, b, block.length)),
                Recorder.headersEvent(stream, endStream, h));
    }

    /** The server's side: responses, trailers, pushes. */
    static NettyFrames server(boolean huffman) {
        NettyFrames s = new NettyFrames(huffman).settings(new Http2Settings().maxConcurrentStreams(200)).settingsAck();
        for (int i = 0; i < 40; i++) {
            int stream = 2 * i + 1;
            if (i % 10 == 2) {
                s.pushPromise(stream, 2 * i + 2, new DefaultHttp2Headers().method("GET").scheme("https")
                        .authority("api.example.com").path("/pushed/" + i), i % 20 == 2 ? 9 : 0);
            }
            s.headers(stream, response(i), i % 6 == 0 ? 100 : 0, false);
            s.data(stream, 100 + i, i % 5 == 0 ? 20 : 0, i % 3 != 0);
            if (i % 3 == 0) {
                s.headers(stream, new DefaultHttp2Headers().add("grpc-status", Integer.toString(i % 17))
                        .add("grpc-message", "secret detail"), 0, true);
            }
            if (i % 10 == 2) {
                s.headers(2 * i + 2, response(i), 0, false).data(2 * i + 2, 5, 0, true);
            }
            if (i % 8 == 1) {
                s.windowUpdate(stream, 1 << 16);
            }
        }
        return s.settings(new Http2Settings().initialWindowSize(123456).headerTableSize(1024)).goAway(79, 2, "going");
    }

    /** How bytes reach the reader. */
    enum Form {
        ARRAY, HEAP_BUFFER, DIRECT_BUFFER, LITTLE_ENDIAN_DIRECT_BUFFER, READ_ONLY_BUFFER
    }

    /** Feeds the bytes in pieces ending at the given cuts (ascending, the last the length). */
    static Recorder feed(boolean preface, byte[] all, int[] cuts, Form form) {
        Recorder r = new Recorder();
        FrameReader reader = new FrameReader(preface, r);
        int lead = 5; // the bytes sit after others, fed with their absolute offsets
        byte[] padded = new byte[lead + all.length + 3];
        System.arraycopy(all, 0, padded, lead, all.length);
        Object data;
        ByteBuffer bb = null;
        switch (form) {
            case ARRAY:
                data = padded;
                break;
            case HEAP_BUFFER:
                // a slice: its array offset is not 0
                bb = ByteBuffer.wrap(new byte[padded.length + 11], 11, padded.length).slice();
                bb.put(padded);
                data = bb;
                break;
            case DIRECT_BUFFER:
                bb = ByteBuffer.allocateDirect(padded.length);
                bb.put(padded);
                data = bb;
                break;
            case LITTLE_ENDIAN_DIRECT_BUFFER:
                bb = ByteBuffer.allocateDirect(padded.length).order(ByteOrder.LITTLE_ENDIAN);
                bb.put(padded);
                data = bb;
                break;
            default:
                bb = ByteBuffer.wrap(padded).asReadOnlyBuffer();
                data = bb;
        }
        if (bb != null) {
            bb.position(2); // neither used nor changed
        }
        int from = 0;
        for (int cut : cuts) {
            reader.feed(data, lead + from, cut - from);
            from = cut;
        }
        if (bb != null) {
            assertEquals(2, bb.position());
            assertEquals(bb.capacity(), bb.limit());
        }
        assertFalse(reader.lost(), () -> r.events.toString());
        return r;
    }

    static int[] whole(int n) {
        return new int[] {n};
    }

    static int[] byteByByte(int n) {
        int[] cuts = new int[n];
        for (int i = 0; i < n; i++) {
            cuts[i] = i + 1;
        }
        return cuts;
    }

    static int[] random(int n, long seed, int max) {
        Random r = new Random(seed);
        int[] cuts = new int[n];
        int k = 0;
        for (int at = 0; at < n; ) {
            at = Math.min(n, at + 1 + r.nextInt(r.nextBoolean() ? 16 : max));
            cuts[k++] = at;
        }
        return Arrays.copyOf(cuts, k);
    }

    private static void check(boolean preface, NettyFrames frames) {
        byte[] all = frames.bytes();
        List<String> expected = frames.expected;
        // the decoder's table is the encoder's, entry for entry, byte for byte
        FrameReader reader = new FrameReader(preface, new Recorder());
        reader.feed(all, 0, all.length);
        long[] table = frames.table();
        assertTrue(table[0] > 20);
        assertEquals(table[0], reader.hpack().tableLength());
        assertEquals(table[1], reader.hpack().tableSize());
        for (Form form : Form.values()) {
            assertEquals(expected, feed(preface, all, whole(all.length), form).events, form + " whole");
            assertEquals(expected, feed(preface, all, byteByByte(all.length), form).events, form + " byte by byte");
            for (long seed = 0; seed < 5; seed++) {
                for (int max : new int[] {10, 300, 16384}) {
                    assertEquals(expected, feed(preface, all, random(all.length, seed, max), form).events,
                            form + " random " + seed + " " + max);
                }
            }
        }
    }

    @Test
    void clientSide() {
        NettyFrames c = client(true);
        assertTrue(c.expected.size() > 100);
        check(true, c);
    }

    @Test
    void clientSideWithoutHuffman() {
        check(true, client(false));
    }

    @Test
    void serverSide() {
        NettyFrames s = server(true);
        assertTrue(s.expected.stream().anyMatch(e -> e.contains(" 404 ")));
        check(false, s);
    }

    @Test
    void serverSideWithoutHuffman() {
        check(false, server(false));
    }

    @Test
    void everySplitInTwo() {
        NettyFrames c = new NettyFrames(true).preface().settings(new Http2Settings().initialWindowSize(70000));
        for (int i = 0; i < 3; i++) {
            c.headers(2 * i + 1, request(i), i == 1 ? 9 : 0, false).data(2 * i + 1, 20, 3, true);
        }
        c.windowUpdate(0, 5).reset(3, 8).goAway(5, 0, "x");
        byte[] all = c.bytes();
        for (int at = 1; at < all.length; at++) {
            for (Form form : new Form[] {Form.ARRAY, Form.DIRECT_BUFFER}) {
                assertEquals(c.expected, feed(true, all, new int[] {at, all.length}, form).events, "at " + at);
            }
        }
    }

    @Test
    void whatTheEventsSay() {
        NettyFrames c = new NettyFrames(true).preface().settings(new Http2Settings().initialWindowSize(70000)
                .headerTableSize(4096))
                .headers(1, new DefaultHttp2Headers().method("GET").scheme("https").authority("a").path("/x?q=1"), 0,
                        true)
                .data(3, 0, 0, true).data(5, 10, 7, false).reset(7, 0xfffffffeL).windowUpdate(0, 0x7fffffff)
                .goAway(0x7fffffff, 0xffffffffL, "");
        assertEquals(List.of("SETTINGS 70000 4096", "HEADERS 1 end GET /x?… 0 null", "DATA 3 0 end", "DATA 5 17",
                "RST_STREAM 7 4294967294", "WINDOW_UPDATE 0 2147483647", "GOAWAY 2147483647 4294967295"),
                feed(true, c.bytes(), whole(c.bytes().length), Form.ARRAY).events);
        NettyFrames s = new NettyFrames(false).settings(new Http2Settings())
                .headers(1, new DefaultHttp2Headers().status("204"), 0, false)
                .headers(1, new DefaultHttp2Headers().add("grpc-status", "0"), 0, true);
        assertEquals(List.of("SETTINGS -1 -1", "HEADERS 1 null null 204 null", "HEADERS 1 end null null 0 0"),
                feed(false, s.bytes(), whole(s.bytes().length), Form.ARRAY).events);
    }

    @Test
    void aHugeDataFrameIsSkippedByLength() {
        Recorder r = new Recorder();
        FrameReader reader = new FrameReader(false, r);
        byte[] settings = NettyFrames.frame(4, 0, 0, new byte[0]);
        reader.feed(settings, 0, settings.length);
        byte[] header = NettyFrames.frame(0, 1, 1, new byte[0]);
        header[0] = header[1] = header[2] = (byte) 0xff; // 2^24-1
        reader.feed(header, 0, 9);
        ByteBuffer zeros = ByteBuffer.allocateDirect(65536);
        int left = 0xffffff;
        while (left > 0) {
            int n = Math.min(left, zeros.capacity());
            reader.feed(zeros, 0, n);
            left -= n;
        }
        byte[] ping = NettyFrames.frame(6, 0, 0, new byte[8]);
        reader.feed(ping, 0, ping.length);
        assertEquals(List.of("SETTINGS -1 -1", "DATA 1 16777215 end"), r.events);
        assertFalse(reader.lost());
    }

    @Test
    void aNewTableSizeIsFollowedWhenItIsAllowed() {
        NettyFrames s = new NettyFrames(true).settings(new Http2Settings()).maxHeaderTableSize(16384);
        for (int i = 0; i < 30; i++) {
            s.headers(2 * i + 1, response(i), 0, true);
        }
        byte[] all = s.bytes();
        // the block with the size update is refused without the other side's setting
        Recorder r = new Recorder();
        FrameReader reader = new FrameReader(false, r);
        reader.feed(all, 0, all.length);
        assertTrue(reader.lost());
        assertEquals(List.of("SETTINGS -1 -1", "LOST HPACK: table size update to 16384 over 4096"), r.events);
        r = new Recorder();
        reader = new FrameReader(false, r);
        reader.maxHeaderTableSize(16384);
        reader.feed(all, 0, all.length);
        assertEquals(s.expected, r.events);
    }

    @Test
    void secretsAreNotKept() {
        for (boolean huffman : new boolean[] {true, false}) {
            NettyFrames c = client(huffman);
            byte[] all = c.bytes();
            assertTrue(Secrets.indexOf(all, "secret".getBytes(StandardCharsets.US_ASCII)) >= 0 || huffman);
            Recorder r = new Recorder();
            FrameReader reader = new FrameReader(true, r);
            int[] cuts = random(all.length, 3, 500);
            int from = 0;
            for (int cut : cuts) {
                reader.feed(all, from, cut - from);
                from = cut;
                // a block that spans feeds is held until its end comes; what was decoded is not
                Secrets.assertNone(reader.hpack(), "secret");
            }
            Secrets.assertNone(reader, "secret");
            assertEquals(c.expected, r.events);
            Secrets.assertNone(reader, "Bearer");
            Secrets.assertNone(reader, "session=");
            NettyFrames s = server(huffman);
            FrameReader other = new FrameReader(false, new Recorder());
            other.feed(s.bytes(), 0, s.bytes().length);
            Secrets.assertNone(other, "secret");
        }
        // a reader that loses track halfway through a block lets go of it
        NettyFrames c = new NettyFrames(false).settings(new Http2Settings());
        byte[] block = c.block(request(1));
        c.raw(NettyFrames.frame(HEADERS, 0, 1, block)).raw(NettyFrames.frame(0, 0, 1, new byte[4]));
        Recorder r = new Recorder();
        FrameReader reader = new FrameReader(false, r);
        reader.feed(c.bytes(), 0, c.bytes().length);
        assertEquals(List.of("SETTINGS -1 -1", "LOST a header block of stream 1 is not continued"), r.events);
        Secrets.assertNone(reader, "secret");
    }

    private static Recorder lost(boolean preface, byte[] bytes, String why) {
        Recorder r = new Recorder();
        FrameReader reader = new FrameReader(preface, r);
        reader.feed(bytes, 0, bytes.length);
        assertTrue(reader.lost());
        assertEquals(1, r.lost, () -> r.events.toString());
        assertEquals("LOST " + why, r.events.get(r.events.size() - 1));
        // the rest is ignored
        int n = r.events.size();
        NettyFrames more = new NettyFrames(true).settings(new Http2Settings()).windowUpdate(0, 1);
        reader.feed(more.bytes(), 0, more.bytes().length);
        reader.feed(ByteBuffer.wrap(more.bytes()), 0, more.bytes().length);
        assertEquals(n, r.events.size());
        assertEquals(1, r.lost);
        return r;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.write(p, 0, p.length);
        }
        return b.toByteArray();
    }

    private static final byte[] SETTINGS = NettyFrames.frame(4, 0, 0, new byte[0]);

    @Test
    void malformedInputIsReportedOnce() {
        lost(true, "PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                "no client connection preface");
        lost(true, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), "no client connection preface");
        lost(false, NettyFrames.frame(HEADERS, 4, 1, new byte[] {(byte) 0x82}), "the first frame is not SETTINGS");
        lost(false, NettyFrames.frame(4, 1, 0, new byte[0]), "the first frame is not SETTINGS"); // an ACK
        // a bad HPACK index: the table is empty
        Recorder r = lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 5, 1, new byte[] {(byte) 0x82}),
                NettyFrames.frame(HEADERS, 5, 3, new byte[] {(byte) 0xbe}),
                NettyFrames.frame(HEADERS, 5, 5, new byte[] {(byte) 0x82})), "HPACK: index 62 past the table");
        assertEquals(List.of("SETTINGS -1 -1", "HEADERS 1 end GET null 0 null", "LOST HPACK: index 62 past the table"),
                r.events);
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 5, 1, new byte[] {(byte) 0x80})), "HPACK: index 0");
        // blocks too large: in one frame, and in CONTINUATIONs
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 4, 1, new byte[FrameReader.MAX_BLOCK + 1])),
                "header block over 64 KiB");
        byte[] part = new byte[16384];
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 0, 1, part),
                NettyFrames.frame(CONTINUATION, 0, 1, part), NettyFrames.frame(CONTINUATION, 0, 1, part),
                NettyFrames.frame(CONTINUATION, 0, 1, part),
                NettyFrames.frame(CONTINUATION, 4, 1, new byte[1])), "header block over 64 KiB");
        // the sequence of frames
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 0, 1, new byte[] {(byte) 0x82}),
                NettyFrames.frame(0, 0, 1, new byte[1])), "a header block of stream 1 is not continued");
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 0, 1, new byte[] {(byte) 0x82}),
                NettyFrames.frame(CONTINUATION, 4, 3, new byte[1])), "a header block of stream 1 is not continued");
        lost(false, concat(SETTINGS, NettyFrames.frame(CONTINUATION, 4, 1, new byte[1])),
                "CONTINUATION without a header block");
        // frames that cannot be
        lost(false, concat(SETTINGS, NettyFrames.frame(0, 0, 0, new byte[1])), "DATA on stream 0");
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 4, 0, new byte[1])), "HEADERS on stream 0");
        lost(false, concat(SETTINGS, NettyFrames.frame(3, 0, 1, new byte[5])), "bad RST_STREAM");
        lost(false, concat(SETTINGS, NettyFrames.frame(8, 0, 1, new byte[3])), "bad WINDOW_UPDATE");
        lost(false, concat(SETTINGS, NettyFrames.frame(7, 0, 0, new byte[7])), "bad GOAWAY");
        lost(false, concat(SETTINGS, NettyFrames.frame(4, 0, 0, new byte[5])), "bad SETTINGS");
        lost(false, concat(SETTINGS, NettyFrames.frame(4, 1, 0, new byte[6])), "bad SETTINGS");
        lost(false, concat(SETTINGS, NettyFrames.frame(6, 0, 0, new byte[7])), "bad PING");
        lost(false, concat(SETTINGS, NettyFrames.frame(2, 0, 1, new byte[4])), "bad PRIORITY");
        lost(false, concat(SETTINGS, NettyFrames.frame(4, 0, 0, new byte[] {0, 4, (byte) 0x80, 0, 0, 0})),
                "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1");
        // padding longer than the frame
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 0x8 | 0x4, 1, new byte[] {5, (byte) 0x82})),
                "padding past the frame");
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 0x8 | 0x4, 1, new byte[0])),
                "padded frame of no length");
        lost(false, concat(SETTINGS, NettyFrames.frame(HEADERS, 0x20 | 0x4, 1, new byte[] {0, 0, 0})),
                "frame too short for its fields");
        lost(false, concat(SETTINGS, NettyFrames.frame(5, 0x4, 2, new byte[] {0, 0})),
                "frame too short for its fields");
    }

    @Test
    void badFeedsAreNotThrown() {
        Recorder r = new Recorder();
        FrameReader reader = new FrameReader(false, r);
        reader.feed(new byte[4], 2, 3);
        assertTrue(reader.lost());
        assertEquals(List.of("LOST feed out of bounds"), r.events);
        for (Object data : new Object[] {"bytes", null, ByteBuffer.allocate(3)}) {
            Recorder q = new Recorder();
            FrameReader f = new FrameReader(true, q);
            f.feed(data, -1, 4);
            f.feed(data, 0, 4);
            assertTrue(f.lost());
            assertEquals(1, q.lost);
        }
        FrameReader f = new FrameReader(true, new Recorder());
        f.feed(new byte[0], 0, 0);
        f.feed(null, 0, 0);
        assertFalse(f.lost());
    }

    @Test
    void garbageIsNeverThrown() {
        byte[] good = client(true).bytes();
        byte[] answer = server(false).bytes();
        Random r = new Random(42);
        int lost = 0;
        for (int round = 0; round < 400; round++) {
            boolean preface = round % 2 == 0;
            byte[] b = (preface ? good : answer).clone();
            if (round % 4 < 2) {
                // a valid stream with bytes changed
                for (int k = 0; k < 1 + r.nextInt(8); k++) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            } else {
                // a valid start, then noise
                int start = preface ? 24 + 9 + 18 : 9 + 6;
                b = Arrays.copyOf(b, start + r.nextInt(2000));
                for (int k = start; k < b.length; k++) {
                    b[k] = (byte) r.nextInt(r.nextBoolean() ? 256 : 16);
                }
            }
            Recorder rec = new Recorder();
            FrameReader reader = new FrameReader(preface, rec);
            int[] cuts = random(b.length, round, 700);
            int from = 0;
            for (int cut : cuts) {
                reader.feed(b, from, cut - from);
                from = cut;
            }
            assertTrue(rec.lost <= 1);
            assertEquals(reader.lost(), rec.lost == 1);
            lost += rec.lost;
        }
        assertTrue(lost > 50, "lost " + lost);
    }

    @Test
    void pathsAreRecordedAsForHttp1() {
        StringBuilder p = new StringBuilder("/");
        while (p.length() < 3 * RequestLine.MAX_TARGET) {
            p.append("segment/");
        }
        String near = p.substring(0, RequestLine.MAX_TARGET - 1);
        NettyFrames c = new NettyFrames(true).preface().settings(new Http2Settings())
                .headers(1, new DefaultHttp2Headers().method("GET").path(p + "?secret=1"), 0, true)
                .headers(3, new DefaultHttp2Headers().method("GET").path(near + "?secret=1"), 0, true)
                .headers(5, new DefaultHttp2Headers().method("GET").path("/search?q=hunter2"), 0, true);
        List<String> events = feed(true, c.bytes(), whole(c.bytes().length), Form.ARRAY).events;
        assertEquals(c.expected, events);
        assertEquals(Recorder.headersEvent(1, true, "GET", p.substring(0, RequestLine.MAX_TARGET), 0, null),
                events.get(1));
        assertEquals(Recorder.headersEvent(3, true, "GET", near + RequestLine.REDACTED_QUERY, 0, null), events.get(2));
        assertEquals(Recorder.headersEvent(5, true, "GET", "/search" + RequestLine.REDACTED_QUERY, 0, null),
                events.get(3));
    }
}
