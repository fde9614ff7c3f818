package io.wiretrace.analysis.db;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/** Builds protocol messages for the tests, and feeds them in every way a socket may split them. */
final class Bytes {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Bytes u8(int... v) {
        for (int b : v) {
            out.write(b);
        }
        return this;
    }

    Bytes int32(long v) {
        return u8((int) (v >>> 24) & 0xFF, (int) (v >>> 16) & 0xFF, (int) (v >>> 8) & 0xFF, (int) v & 0xFF);
    }

    Bytes le(long v, int size) {
        for (int i = 0; i < size; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
        return this;
    }

    Bytes text(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        return this;
    }

    Bytes cstring(String s) {
        return text(s).u8(0);
    }

    Bytes bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    byte[] get() {
        return out.toByteArray();
    }

    /** A PostgreSQL message: type, length, body. */
    static byte[] pg(char type, Bytes body) {
        byte[] b = body.get();
        return new Bytes().u8(type).int32(b.length + 4).bytes(b).get();
    }

    /** A MySQL packet: 3-byte length, sequence, body. */
    static byte[] my(int sequence, Bytes body) {
        byte[] b = body.get();
        return new Bytes().le(b.length, 3).u8(sequence).bytes(b).get();
    }

    static byte[] concat(byte[]... parts) {
        Bytes b = new Bytes();
        for (byte[] p : parts) {
            b.bytes(p);
        }
        return b.get();
    }

    /** Feeds {@code b}: whole, as a direct ByteBuffer at an offset, or a byte at a time, by {@code way} (0, 1, 2). */
    static void feed(byte[] b, int way, BiConsumer<Object, int[]> to) {
        if (way == 0) {
            to.accept(b, new int[] {0, b.length});
        } else if (way == 1) {
            ByteBuffer d = ByteBuffer.allocateDirect(b.length + 3);
            d.position(3);
            d.put(b);
            to.accept(d, new int[] {3, b.length});
        } else {
            for (int i = 0; i < b.length; i++) {
                to.accept(new byte[] {b[i]}, new int[] {0, 1});
            }
        }
    }
}
