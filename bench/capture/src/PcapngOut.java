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
 * A copy of agent/src/main/java/io/wiretrace/agent/core/Pcapng.java (2026-11-26) with one method
 * added, {@link #packet(int, long, byte[], int, int, int)}, which takes the packet as a slice of an
 * array so that the bulk reader (design A) can copy it straight out of its read buffer without
 * allocating. The block layout is unchanged: SHB, IDB with if_tsresol = 9, EPBs, little-endian.
 */
final class PcapngOut implements Closeable {
    static final int SHB = 0x0A0D0D0A;
    static final int IDB = 0x00000001;
    static final int EPB = 0x00000006;
    private static final int BUFFER = 1 << 20;

    private final FileChannel out;
    private final ByteBuffer buf;
    private long written;

    PcapngOut(Path file, String application) throws IOException {
        this(file, application, BUFFER);
    }

    PcapngOut(Path file, String application, int bufferBytes) throws IOException {
        this(file, application, bufferBytes, false);
    }

    PcapngOut(Path file, String application, int bufferBytes, boolean direct) throws IOException {
        buf = (direct ? ByteBuffer.allocateDirect(bufferBytes) : ByteBuffer.allocate(bufferBytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        out = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        byte[] app = application.getBytes(StandardCharsets.UTF_8);
        int len = 28 + option(app.length) + 4;
        ensure(len);
        buf.putInt(SHB).putInt(len).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1L);
        putOption(4, app); // shb_userappl
        buf.putInt(0).putInt(len);
    }

    void addInterface(int linkType, int snaplen, String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = 16 + option(n.length) + option(1) + 4 + 4;
        ensure(len);
        buf.putInt(IDB).putInt(len).putShort((short) linkType).putShort((short) 0).putInt(snaplen);
        putOption(2, n); // if_name
        putOption(9, new byte[] {9}); // if_tsresol: 10^-9 s
        buf.putInt(0).putInt(len);
    }

    /** As in the agent: one packet from its own byte[]. */
    void packet(int iface, long epochNanos, byte[] data, int originalLength) throws IOException {
        packet(iface, epochNanos, data, 0, data.length, originalLength);
    }

    /** One packet whose captured bytes are {@code src[off, off + len)}; allocates nothing. */
    void packet(int iface, long epochNanos, byte[] src, int off, int len, int originalLength) throws IOException {
        int padded = pad(len);
        int blockLen = 32 + padded;
        ensure(blockLen);
        buf.putInt(EPB).putInt(blockLen).putInt(iface)
                .putInt((int) (epochNanos >>> 32)).putInt((int) epochNanos)
                .putInt(len).putInt(originalLength)
                .put(src, off, len);
        for (int i = len; i < padded; i++) {
            buf.put((byte) 0);
        }
        buf.putInt(blockLen);
    }

    /** One packet whose captured bytes are src's remaining bytes (consumed); allocates nothing. */
    void packet(int iface, long epochNanos, ByteBuffer src, int originalLength) throws IOException {
        int len = src.remaining();
        int padded = pad(len);
        int blockLen = 32 + padded;
        ensure(blockLen);
        buf.putInt(EPB).putInt(blockLen).putInt(iface)
                .putInt((int) (epochNanos >>> 32)).putInt((int) epochNanos)
                .putInt(len).putInt(originalLength)
                .put(src);
        for (int i = len; i < padded; i++) {
            buf.put((byte) 0);
        }
        buf.putInt(blockLen);
    }

    /** Bytes waiting in the buffer (not yet handed to the file). */
    int buffered() {
        return buf.position();
    }

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

    static int pad(int n) {
        return (n + 3) & ~3;
    }
}
