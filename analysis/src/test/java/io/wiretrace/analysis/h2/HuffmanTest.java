package io.wiretrace.analysis.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Huffman code against Netty's transcription of RFC 7541 Appendix B, and strings its encoder made. */
class HuffmanTest {
    private static Object netty(String className, String field) throws Exception {
        Field f = Class.forName("io.netty.handler.codec.http2." + className).getDeclaredField(field);
        f.setAccessible(true);
        return f.get(null);
    }

    @Test
    void theCodeIsNettysRowByRow() throws Exception {
        int[] codes = (int[]) netty("HpackUtil", "HUFFMAN_CODES");
        byte[] lengths = (byte[]) netty("HpackUtil", "HUFFMAN_CODE_LENGTHS");
        assertEquals(257, Huffman.CODE.length / 2);
        assertEquals(codes.length, lengths.length);
        for (int sym = 0; sym < codes.length; sym++) {
            assertEquals(codes[sym], Huffman.CODE[2 * sym], "code of " + sym);
            assertEquals(lengths[sym], Huffman.CODE[2 * sym + 1], "length of " + sym);
        }
        assertEquals(0x3fffffff, Huffman.CODE[2 * Huffman.EOS]);
        assertEquals(30, Huffman.CODE[2 * Huffman.EOS + 1]);
    }

    /** Netty's encoder, for strings of any bytes (the frame writer codes only where that is shorter). */
    static byte[] encode(byte[] s) throws Exception {
        Class<?> c = Class.forName("io.netty.handler.codec.http2.HpackHuffmanEncoder");
        Constructor<?> k = c.getDeclaredConstructor();
        k.setAccessible(true);
        Object encoder = k.newInstance();
        Method m = c.getDeclaredMethod("encode", ByteBuf.class, CharSequence.class);
        m.setAccessible(true);
        ByteBuf out = Unpooled.buffer();
        m.invoke(encoder, out, new AsciiString(s, false));
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        return b;
    }

    /** A block of one literal :path (static name 4, not indexed), its value Huffman-coded. */
    static byte[] pathBlock(byte[] coded) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x04);
        integer(b, 0x80, 7, coded.length);
        b.write(coded, 0, coded.length);
        return b.toByteArray();
    }

    static void integer(ByteArrayOutputStream b, int first, int prefix, int v) {
        int max = (1 << prefix) - 1;
        if (v < max) {
            b.write(first | v);
            return;
        }
        b.write(first | max);
        v -= max;
        while (v >= 0x80) {
            b.write(v & 0x7f | 0x80);
            v >>>= 7;
        }
        b.write(v);
    }

    @Test
    void everyByteDecodesAsNettyEncodedIt() throws Exception {
        for (int sym = 0; sym < 256; sym++) {
            if (sym == '?' || sym == ';') {
                continue; // a path's query and parameters are not kept; see below
            }
            byte[] s = {(byte) sym, 'a', (byte) sym};
            byte[] coded = encode(s);
            assertEquals(3, Huffman.length(coded, 0, coded.length), "symbol " + sym);
            Hpack h = new Hpack();
            assertTrue(h.decode(pathBlock(coded), 0, pathBlock(coded).length), h.error());
            assertEquals(new String(s, StandardCharsets.ISO_8859_1), h.path(), "symbol " + sym);
        }
    }

    @Test
    void randomStringsDecodeAsNettyEncodedThem() throws Exception {
        Random r = new Random(7541);
        for (int round = 0; round < 300; round++) {
            byte[] s = new byte[r.nextInt(300)];
            for (int i = 0; i < s.length; i++) {
                // mostly the printable ASCII of headers, sometimes any byte
                s[i] = (byte) (r.nextInt(8) == 0 ? r.nextInt(256) : 32 + r.nextInt(95));
                if (s[i] == '?' || s[i] == ';') {
                    s[i] = '!';
                }
            }
            byte[] coded = encode(s);
            assertEquals(s.length, Huffman.length(coded, 0, coded.length));
            Hpack h = new Hpack();
            byte[] block = pathBlock(coded);
            assertTrue(h.decode(block, 0, block.length), h.error());
            assertEquals(new String(s, StandardCharsets.ISO_8859_1), h.path());
        }
    }

    @Test
    void paddingRules() {
        // RFC 7541 5.2: padding of up to 7 bits, all ones; EOS nowhere
        assertEquals(1, Huffman.length(new byte[] {0x07}, 0, 1)); // '0' then 111
        assertEquals(-1, Huffman.length(new byte[] {0x00}, 0, 1)); // '0' then 000
        assertEquals(-1, Huffman.length(new byte[] {0x07, (byte) 0xff}, 0, 2)); // 11 bits of padding
        assertEquals(-1, Huffman.length(new byte[] {-1, -1, -1, -1}, 0, 4)); // EOS
        assertEquals(0, Huffman.length(new byte[0], 0, 0));
        assertEquals(15, Huffman.length(HpackTest.hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), 0, 12)); // www.example.com
        for (String bad : new String[] {"00", "07ff", "ffffffff"}) {
            Hpack h = new Hpack();
            byte[] block = pathBlock(HpackTest.hex(bad));
            assertFalse(h.decode(block, 0, block.length), bad);
        }
    }
}
