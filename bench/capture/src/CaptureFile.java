import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The packets of a pcap or pcapng file, read without any library: per packet a digest of its
 * timestamp (ns), captured and original length and bytes, and the sender's sequence number.
 */
final class CaptureFile {
    /** Where the sender's sequence number stands in a frame on lo: Ethernet 14 + IPv4 20 + UDP 8. */
    private static final int SEQ_OFFSET = 42;

    String format = "?";
    long packets;
    long bytes;
    String error;
    long[] digests = new long[1024];
    long[] seqs = new long[1024];
    private final CRC32C crc = new CRC32C();

    static CaptureFile read(Path f) throws IOException {
        CaptureFile c = new CaptureFile();
        if (f == null || !Files.exists(f)) {
            c.error = "no file";
            return c;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 24 || size > Integer.MAX_VALUE) {
                c.error = "cannot check a file of " + size + " bytes";
                return c;
            }
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            try {
                m.order(ByteOrder.LITTLE_ENDIAN);
                if (m.getInt(0) == 0x0A0D0D0A) {
                    c.pcapng(m);
                } else {
                    c.pcap(m);
                }
            } finally {
                unmap(m);
            }
        } catch (RuntimeException e) {
            c.error = e.toString();
        }
        return c;
    }

    /**
     * Unmaps at once: a deleted file's mapping would otherwise stay until some later GC, and it
     * made every later regular-file write (tcpdump's too) cost 3-4x the CPU.
     */
    private static void unmap(MappedByteBuffer m) {
        try {
            java.lang.reflect.Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object u = f.get(null);
            u.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(u, m);
        } catch (ReflectiveOperationException e) {
            // then the mapping goes with the buffer's GC
        }
    }

    private void add(long nanos, int incl, int orig, ByteBuffer data) {
        crc.reset();
        crc.update(data.duplicate());
        long d = nanos;
        d = d * 1_000_003L + incl;
        d = d * 1_000_003L + orig;
        d = d * 1_000_003L + crc.getValue();
        if (packets == digests.length) {
            digests = Arrays.copyOf(digests, digests.length * 2);
            seqs = Arrays.copyOf(seqs, seqs.length * 2);
        }
        digests[(int) packets] = d;
        seqs[(int) packets] = incl >= SEQ_OFFSET + 8 ? data.order(ByteOrder.BIG_ENDIAN).getLong(SEQ_OFFSET) : -1;
        packets++;
        bytes += incl;
    }

    private void pcap(ByteBuffer m) {
        int magic = m.getInt(0);
        if (magic != 0xa1b23c4d && magic != 0xa1b2c3d4) {
            m.order(ByteOrder.BIG_ENDIAN);
            magic = m.getInt(0);
        }
        boolean nano = magic == 0xa1b23c4d;
        format = nano ? "pcap (ns)" : "pcap (us)";
        int p = 24;
        while (p + 16 <= m.limit()) {
            long sec = m.getInt(p) & 0xFFFFFFFFL;
            long frac = m.getInt(p + 4) & 0xFFFFFFFFL;
            int incl = m.getInt(p + 8);
            int orig = m.getInt(p + 12);
            if (incl < 0 || p + 16 + incl > m.limit()) {
                error = "truncated record at byte " + p;
                return;
            }
            add(sec * 1_000_000_000L + (nano ? frac : frac * 1000), incl, orig, m.slice(p + 16, incl));
            p += 16 + incl;
        }
        if (p != m.limit()) {
            error = (m.limit() - p) + " trailing bytes";
        }
    }

    private void pcapng(ByteBuffer m) {
        format = "pcapng";
        List<Long> units = new ArrayList<>(); // ns per timestamp unit, per interface
        int p = 0;
        while (p + 12 <= m.limit()) {
            int type = m.getInt(p);
            int len = m.getInt(p + 4);
            if (len < 12 || (len & 3) != 0 || p + len > m.limit() || m.getInt(p + len - 4) != len) {
                error = "bad block at byte " + p;
                return;
            }
            if (type == 0x0A0D0D0A) {
                if (m.getInt(p + 8) != 0x1A2B3C4D) {
                    error = "big-endian section not supported here";
                    return;
                }
                units.clear();
            } else if (type == 1) {
                units.add(tsUnit(m, p, len));
            } else if (type == 6) {
                int iface = m.getInt(p + 8);
                long ts = ((m.getInt(p + 12) & 0xFFFFFFFFL) << 32) | (m.getInt(p + 16) & 0xFFFFFFFFL);
                int incl = m.getInt(p + 20);
                int orig = m.getInt(p + 24);
                if (iface >= units.size() || units.get(iface) < 0 || 28 + incl > len - 4) {
                    error = "bad EPB at byte " + p;
                    return;
                }
                add(ts * units.get(iface), incl, orig, m.slice(p + 28, incl));
            }
            p += len;
        }
        if (p != m.limit()) {
            error = (m.limit() - p) + " trailing bytes";
        }
    }

    /** An IDB's if_tsresol as ns per unit (default 1000: microseconds); -1 if it is not a power of ten. */
    private static long tsUnit(ByteBuffer m, int p, int len) {
        int o = p + 16;
        while (o + 4 <= p + len - 4) {
            int code = m.getShort(o) & 0xFFFF;
            int olen = m.getShort(o + 2) & 0xFFFF;
            if (code == 0) {
                break;
            }
            if (code == 9 && olen == 1) {
                int r = m.get(o + 4);
                return (r & 0x80) != 0 || r > 9 ? -1 : (long) Math.pow(10, 9 - r);
            }
            o += 4 + ((olen + 3) & ~3);
        }
        return 1000;
    }

    /** How this file's packets compare with a reference file's: "same ..." or what differs. */
    String compareWith(CaptureFile ref) {
        if (error != null || ref.error != null) {
            return "not compared (" + (error != null ? error : "reference: " + ref.error) + ")";
        }
        if (packets == ref.packets && Arrays.equals(digests, 0, (int) packets, ref.digests, 0, (int) packets)) {
            return "same " + packets + " packets, each with the same timestamp, lengths and bytes";
        }
        long[] mine = Arrays.copyOf(seqs, (int) packets);
        long[] theirs = Arrays.copyOf(ref.seqs, (int) ref.packets);
        Arrays.sort(mine);
        Arrays.sort(theirs);
        List<Long> lacks = minus(theirs, mine);
        List<Long> extra = minus(mine, theirs);
        int firstDiff = 0;
        while (firstDiff < Math.min(packets, ref.packets) && digests[firstDiff] == ref.digests[firstDiff]) {
            firstDiff++;
        }
        return String.format("DIFFERENT: %d vs %d packets; lacks %d of the reference's packets%s; has %d it lacks%s;"
                + " the first difference is packet #%d", packets, ref.packets, lacks.size(), ranges(lacks), extra.size(),
                ranges(extra), firstDiff + 1);
    }

    private static List<Long> minus(long[] a, long[] b) {
        List<Long> r = new ArrayList<>();
        int j = 0;
        for (long x : a) {
            while (j < b.length && b[j] < x) {
                j++;
            }
            if (j < b.length && b[j] == x) {
                j++;
            } else {
                r.add(x);
            }
        }
        return r;
    }

    /** The first few runs of consecutive sequence numbers, e.g. " (seq 100-199, 400)". */
    private static String ranges(List<Long> seqs) {
        if (seqs.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (seq ");
        int i = 0;
        for (int runs = 0; i < seqs.size() && runs < 5; runs++) {
            int j = i;
            while (j + 1 < seqs.size() && seqs.get(j + 1) == seqs.get(j) + 1) {
                j++;
            }
            sb.append(runs > 0 ? ", " : "").append(seqs.get(i)).append(j > i ? "-" + seqs.get(j) : "");
            i = j + 1;
        }
        return sb.append(i < seqs.size() ? ", ...)" : ")").toString();
    }
}
