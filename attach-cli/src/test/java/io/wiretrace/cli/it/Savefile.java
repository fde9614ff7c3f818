package io.wiretrace.cli.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the packets of a classic pcap or a pcapng file, for comparing captures packet by
 * packet. A file still being written may end inside a record: that tail is ignored.
 * (tshark stays the judge of whether a file is valid; this only lists what is in it.)
 */
final class Savefile {
    record Packet(int iface, long nanos, int originalLength, byte[] data) {
        /** Timestamp, lengths and bytes: what two captures of the same packet share. */
        String key() {
            return nanos + "/" + originalLength + "/" + data.length + "/" + Arrays.hashCode(data);
        }
    }

    private Savefile() {
    }

    static List<Packet> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Packet> out = new ArrayList<>();
        if (b.remaining() < 24) {
            return out;
        }
        int magic = b.getInt(0);
        if (magic == 0x0A0D0D0A) {
            readPcapng(b, out);
        } else {
            if (magic != 0xa1b23c4d && magic != 0xa1b2c3d4) {
                b.order(ByteOrder.BIG_ENDIAN);
                magic = b.getInt(0);
            }
            boolean nano = magic == 0xa1b23c4d;
            int p = 24;
            while (p + 16 <= b.limit()) {
                long sec = b.getInt(p) & 0xFFFFFFFFL;
                long frac = b.getInt(p + 4) & 0xFFFFFFFFL;
                int incl = b.getInt(p + 8);
                if (p + 16 + incl > b.limit()) {
                    break;
                }
                byte[] data = new byte[incl];
                b.get(p + 16, data);
                out.add(new Packet(0, sec * 1_000_000_000L + (nano ? frac : frac * 1000), b.getInt(p + 12), data));
                p += 16 + incl;
            }
        }
        return out;
    }

    private static void readPcapng(ByteBuffer b, List<Packet> out) {
        List<Long> unitsPerSecond = new ArrayList<>();
        int p = 0;
        while (p + 12 <= b.limit()) {
            int type = b.getInt(p);
            int len = b.getInt(p + 4);
            if (len < 12 || p + len > b.limit()) {
                break;
            }
            if (type == 0x0A0D0D0A) {
                unitsPerSecond.clear();
            } else if (type == 1) {
                long units = 1_000_000;
                for (int o = p + 16; o + 4 <= p + len - 4; ) {
                    int code = b.getShort(o) & 0xFFFF;
                    int olen = b.getShort(o + 2) & 0xFFFF;
                    if (code == 0) {
                        break;
                    }
                    if (code == 9) {
                        int r = b.get(o + 4);
                        units = (r & 0x80) != 0 ? 1L << (r & 0x7F) : (long) Math.pow(10, r);
                    }
                    o += 4 + ((olen + 3) & ~3);
                }
                unitsPerSecond.add(units);
            } else if (type == 6) {
                int iface = b.getInt(p + 8);
                long ts = ((b.getInt(p + 12) & 0xFFFFFFFFL) << 32) | (b.getInt(p + 16) & 0xFFFFFFFFL);
                int cap = b.getInt(p + 20);
                byte[] data = new byte[cap];
                b.get(p + 28, data);
                long units = unitsPerSecond.get(iface);
                long nanos = ts / units * 1_000_000_000L + ts % units * 1_000_000_000L / units;
                out.add(new Packet(iface, nanos, b.getInt(p + 24), data));
            }
            p += len;
        }
    }
}
