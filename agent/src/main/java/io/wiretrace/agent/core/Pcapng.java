package io.wiretrace.agent.core;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a pcapng file (draft-ietf-opsawg-pcapng): one section header, one interface block per
 * capture interface with nanosecond timestamps (if_tsresol = 9), and enhanced packet blocks.
 * Little-endian, as the section header's byte-order magic says. Not thread-safe: the capture
 * thread owns it.
 */
final class Pcapng implements Closeable {
    static final int SHB = 0x0A0D0D0A;
    static final int IDB = 0x00000001;
    static final int EPB = 0x00000006;
    private static final int BUFFER = 1 << 20;

    private final FileChannel out;
    private final ByteBuffer buf = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    Pcapng(Path file, String application) throws IOException {
        out = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        // The attribute above only applies to a new file; an old one keeps its mode otherwise.
        java.nio.file.Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        byte[] app = application.getBytes(StandardCharsets.UTF_8);
        int len = 28 + option(app.length) + 4;
        ensure(len);
        buf.putInt(SHB).putInt(len).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1L);
        putOption(4, app); // shb_userappl
        buf.putInt(0).putInt(len); // opt_endofopt, then the trailing length
    }

    /** Adds an interface description block; interfaces are numbered from 0 in this order. */
    void addInterface(int linkType, int snaplen, String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = 16 + option(n.length) + option(1) + 4 + 4;
        ensure(len);
        buf.putInt(IDB).putInt(len).putShort((short) linkType).putShort((short) 0).putInt(snaplen);
        putOption(2, n); // if_name
        putOption(9, new byte[] {9}); // if_tsresol: 10^-9 s
        buf.putInt(0).putInt(len);
    }

    void packet(int iface, long epochNanos, byte[] data, int originalLength) throws IOException {
        int padded = pad(data.length);
        int len = 32 + padded;
        ensure(len);
        buf.putInt(EPB).putInt(len).putInt(iface)
                .putInt((int) (epochNanos >>> 32)).putInt((int) epochNanos)
                .putInt(data.length).putInt(originalLength)
                .put(data);
        for (int i = data.length; i < padded; i++) {
            buf.put((byte) 0);
        }
        buf.putInt(len);
    }

    /** Bytes handed to the file so far, including what is still buffered. */
    long size() {
        return written + buf.position();
    }

    void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            written += out.write(buf);
        }
        buf.clear();
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            out.close();
        }
    }

    private void ensure(int len) throws IOException {
        if (buf.remaining() < len) {
            flush();
        }
        if (buf.remaining() < len) {
            throw new IOException("block of " + len + " bytes is larger than the write buffer");
        }
    }

    private void putOption(int code, byte[] value) {
        buf.putShort((short) code).putShort((short) value.length).put(value);
        for (int i = value.length; i < pad(value.length); i++) {
            buf.put((byte) 0);
        }
    }

    private static int option(int valueLength) {
        return 4 + pad(valueLength);
    }

    private static int pad(int n) {
        return (n + 3) & ~3;
    }
}
