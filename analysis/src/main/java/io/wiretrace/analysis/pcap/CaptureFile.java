package io.wiretrace.analysis.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Reads a capture file packet by packet, streaming: classic pcap (microsecond or nanosecond
 * magic, either byte order) and pcapng (sections in either byte order, several interfaces, each
 * with its own link type, {@code if_tsresol} and {@code if_tsoffset}). Packets are handed out as a
 * view on one reused buffer, so reading allocates nothing per packet. A file that ends inside a
 * record (one still being written, or cut) ends the reading there without an error.
 *
 * <p>A hostile file gets no more than it can justify: a record longer than libpcap reads
 * ({@link #MAX_RECORD}, or the file's snaplen when larger) or a pcapng block longer than libpcap's
 * {@link #MAX_BLOCK} is an error that names its number, its claim and what the file has left, and
 * the buffer never grows past the bytes the file still holds.
 */
public final class CaptureFile {
    /** Receives each packet; the bytes are valid only during the call. */
    public interface Handler {
        void packet(int iface, int linkType, long nanos, ByteBuffer buf, int offset, int capturedLength,
                int originalLength) throws IOException;
    }

    /** A handler that also wants the packets' pcapng comments ({@code opt_comment}), each before its packet. */
    public interface Commented extends Handler {
        void comment(ByteBuffer buf, int offset, int length);
    }

    private static final int PCAP_MICRO = 0xa1b2c3d4;
    private static final int PCAP_NANO = 0xa1b23c4d;
    private static final int SHB = 0x0A0D0D0A;
    private static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    /** The longest pcap record libpcap reads whatever the snaplen says (its MAXIMUM_SNAPLEN). */
    public static final int MAX_RECORD = 262_144;
    /** The longest pcapng block libpcap reads (its INITIAL_MAX_BLOCKSIZE). */
    public static final int MAX_BLOCK = 16 << 20;
    private static final long NANOS = 1_000_000_000L;

    private final FileChannel in;
    private final Path file;
    private ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
    private int pos;
    private int lim;
    private boolean eof;
    // per pcapng interface of the current section
    private int[] linkTypes = new int[4];
    private long[] unitsPerSecond = new long[4];
    private long[] offsetNanos = new long[4];
    private int interfaces;
    private long lastNanos;

    CaptureFile(FileChannel in, Path file) {
        this.in = in;
        this.file = file;
    }

    /** Reads the whole file; returns the number of packets handed to {@code handler}. */
    public static long read(Path file, Handler handler) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new CaptureFile(ch, file).run(handler);
        }
    }

    long run(Handler h) throws IOException {
        if (!ensure(4)) {
            return 0;
        }
        int magic = buf.order(ByteOrder.BIG_ENDIAN).getInt(pos);
        if (magic == SHB) {
            return pcapng(h);
        }
        if (magic == PCAP_MICRO || magic == PCAP_NANO) {
            buf.order(ByteOrder.BIG_ENDIAN);
        } else if (Integer.reverseBytes(magic) == PCAP_MICRO || Integer.reverseBytes(magic) == PCAP_NANO) {
            buf.order(ByteOrder.LITTLE_ENDIAN);
            magic = Integer.reverseBytes(magic);
        } else {
            throw new IOException(file + " is neither pcap nor pcapng (magic " + String.format("0x%08x", magic) + ")");
        }
        return pcap(h, magic == PCAP_NANO);
    }

    private long pcap(Handler h, boolean nano) throws IOException {
        if (!ensure(24)) {
            return 0;
        }
        long snaplen = buf.getInt(pos + 16) & 0xFFFFFFFFL;
        int linkType = buf.getInt(pos + 20) & 0x0FFFFFFF; // the top bits may say FCS
        long max = Math.max(MAX_RECORD, Math.min(snaplen, MAX_BLOCK));
        pos += 24;
        long packets = 0;
        while (ensure(16)) {
            long sec = buf.getInt(pos) & 0xFFFFFFFFL;
            long frac = buf.getInt(pos + 4) & 0xFFFFFFFFL;
            long claimed = buf.getInt(pos + 8) & 0xFFFFFFFFL;
            int orig = buf.getInt(pos + 12);
            if (claimed > max) {
                throw tooLong("record " + (packets + 1), claimed, max + " with snaplen " + snaplen, 16);
            }
            int incl = (int) claimed;
            if (!ensure(16 + incl)) {
                break;
            }
            h.packet(0, linkType, sec * NANOS + (nano ? frac : frac * 1000), buf, pos + 16, incl, orig);
            packets++;
            pos += 16 + incl;
        }
        return packets;
    }

    private long pcapng(Handler h) throws IOException {
        long packets = 0;
        for (long block = 1; ensure(12); block++) {
            int type = buf.getInt(pos);
            if (type == SHB) {
                int bom = buf.getInt(pos + 8);
                if (bom == Integer.reverseBytes(BYTE_ORDER_MAGIC)) {
                    buf.order(buf.order() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
                } else if (bom != BYTE_ORDER_MAGIC) {
                    throw new IOException(file + ": pcapng section without its byte-order magic");
                }
                interfaces = 0;
            }
            long claimed = buf.getInt(pos + 4) & 0xFFFFFFFFL;
            if (claimed > MAX_BLOCK) {
                throw tooLong("block " + block, claimed, String.valueOf(MAX_BLOCK), 0);
            }
            int len = (int) claimed;
            int least = type == 6 || type == 2 ? 32 : type == 3 ? 16 : type == 1 ? 20 : 12;
            if (len < least || (len & 3) != 0) {
                throw new IOException(file + ": corrupt pcapng block " + block + " of length " + len);
            }
            if (!ensure(len)) {
                break;
            }
            int p = pos;
            switch (type) {
                case 1: // interface description
                    addInterface(p, len);
                    break;
                case 6: { // enhanced packet
                    int iface = buf.getInt(p + 8);
                    long ts = (buf.getInt(p + 12) & 0xFFFFFFFFL) << 32 | (buf.getInt(p + 16) & 0xFFFFFFFFL);
                    int cap = buf.getInt(p + 20);
                    if (iface < 0 || iface >= interfaces || cap < 0 || cap > len - 32) {
                        throw new IOException(file + ": corrupt enhanced packet block");
                    }
                    lastNanos = nanos(iface, ts);
                    if (h instanceof Commented) {
                        comments((Commented) h, p + 28 + ((cap + 3) & ~3), p + len - 4);
                    }
                    h.packet(iface, linkTypes[iface], lastNanos, buf, p + 28, cap, buf.getInt(p + 24));
                    packets++;
                    break;
                }
                case 2: { // packet (obsolete)
                    int iface = buf.getShort(p + 8) & 0xFFFF;
                    long ts = (buf.getInt(p + 12) & 0xFFFFFFFFL) << 32 | (buf.getInt(p + 16) & 0xFFFFFFFFL);
                    int cap = buf.getInt(p + 20);
                    if (iface >= interfaces || cap < 0 || cap > len - 32) {
                        throw new IOException(file + ": corrupt packet block");
                    }
                    lastNanos = nanos(iface, ts);
                    h.packet(iface, linkTypes[iface], lastNanos, buf, p + 28, cap, buf.getInt(p + 24));
                    packets++;
                    break;
                }
                case 3: { // simple packet: interface 0, no timestamp
                    int orig = buf.getInt(p + 8);
                    if (interfaces == 0) {
                        throw new IOException(file + ": simple packet block before any interface");
                    }
                    h.packet(0, linkTypes[0], lastNanos, buf, p + 12, Math.min(orig, len - 16), orig);
                    packets++;
                    break;
                }
                default:
                    break; // statistics, name resolution, custom, decryption secrets …
            }
            pos += len;
        }
        return packets;
    }

    /**
     * A record or block that claims more than the format allows: an error that says what it
     * claims, what the file has left after its {@code header} bytes, and the limit; the buffer
     * has not grown for it.
     */
    private IOException tooLong(String what, long claimed, String limit, int header) throws IOException {
        long left = Math.max(0, lim - pos - header + in.size() - in.position());
        return new IOException(file + ": " + what + " claims " + claimed + " bytes; the file has " + left
                + " left, and no " + (header == 0 ? "pcapng block" : "pcap record") + " may hold more than " + limit);
    }

    private void comments(Commented h, int from, int end) {
        for (int o = from; o + 4 <= end; ) {
            int code = buf.getShort(o) & 0xFFFF;
            int olen = buf.getShort(o + 2) & 0xFFFF;
            if (code == 0 || o + 4 + olen > end) {
                break;
            }
            if (code == 1) {
                h.comment(buf, o + 4, olen);
            }
            o += 4 + ((olen + 3) & ~3);
        }
    }

    private void addInterface(int p, int len) {
        if (interfaces == linkTypes.length) {
            linkTypes = Arrays.copyOf(linkTypes, interfaces * 2);
            unitsPerSecond = Arrays.copyOf(unitsPerSecond, interfaces * 2);
            offsetNanos = Arrays.copyOf(offsetNanos, interfaces * 2);
        }
        long units = 1_000_000;
        long offset = 0;
        int end = p + len - 4;
        for (int o = p + 16; o + 4 <= end; ) {
            int code = buf.getShort(o) & 0xFFFF;
            int olen = buf.getShort(o + 2) & 0xFFFF;
            if (code == 0 || o + 4 + olen > end) {
                break;
            }
            if (code == 9 && olen >= 1) { // if_tsresol
                int r = buf.get(o + 4) & 0xFF;
                int exp = r & 0x7F;
                if ((r & 0x80) != 0) {
                    units = exp >= 63 ? Long.MAX_VALUE : 1L << exp;
                } else {
                    units = 1;
                    for (int i = 0; i < Math.min(exp, 18); i++) {
                        units *= 10;
                    }
                }
            } else if (code == 14 && olen >= 8) { // if_tsoffset, seconds
                offset = buf.getLong(o + 4) * NANOS;
            }
            o += 4 + ((olen + 3) & ~3);
        }
        linkTypes[interfaces] = buf.getShort(p + 8) & 0xFFFF;
        unitsPerSecond[interfaces] = units;
        offsetNanos[interfaces] = offset;
        interfaces++;
    }

    /** The buffer's size: it grows only for a block that the file holds. */
    int capacity() {
        return buf.capacity();
    }

    private long nanos(int iface, long ts) {
        long units = unitsPerSecond[iface];
        long n;
        if (units == NANOS) {
            n = ts;
        } else if (NANOS % units == 0) {
            n = ts * (NANOS / units);
        } else {
            long frac = Long.remainderUnsigned(ts, units);
            long sec = Long.divideUnsigned(ts, units);
            n = sec * NANOS + (frac < Long.MAX_VALUE / NANOS ? frac * NANOS / units : (long) ((double) frac / units * NANOS));
        }
        return n + offsetNanos[iface];
    }

    /** Makes at least {@code n} bytes available from {@code pos}; false at the end of the file. */
    private boolean ensure(int n) throws IOException {
        if (lim - pos >= n) {
            return true;
        }
        if (eof) {
            return false;
        }
        ByteOrder order = buf.order();
        if (n > buf.capacity()) {
            if (n - (lim - pos) > in.size() - in.position()) {
                return false; // a length the rest of the file cannot hold: never a buffer for it
            }
            ByteBuffer bigger = ByteBuffer.allocateDirect(Integer.highestOneBit(n - 1) << 1);
            buf.limit(lim).position(pos);
            bigger.put(buf);
            buf = bigger;
        } else {
            buf.limit(lim).position(pos);
            buf.compact();
        }
        buf.order(order);
        lim -= pos;
        pos = 0;
        buf.clear().position(lim);
        while (lim < n) {
            int got = in.read(buf);
            if (got < 0) {
                eof = true;
                break;
            }
            lim += got;
        }
        // read on while there is room: fewer, larger reads
        while (!eof && buf.hasRemaining()) {
            int got = in.read(buf);
            if (got <= 0) {
                eof = got < 0;
                break;
            }
            lim += got;
        }
        buf.clear();
        return lim - pos >= n;
    }
}
