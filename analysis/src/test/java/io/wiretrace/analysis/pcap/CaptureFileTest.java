package io.wiretrace.analysis.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureFileTest {
    private static List<String> read(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        CaptureFile.read(file, (iface, linkType, nanos, buf, off, cap, orig) ->
                out.add(iface + "/" + linkType + "/" + nanos + "/" + cap + "/" + orig + "/" + buf.get(off)));
        return out;
    }

    private static ByteBuffer buffer(ByteOrder order) {
        return ByteBuffer.allocate(1 << 16).order(order);
    }

    private static void write(Path file, ByteBuffer... parts) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (ByteBuffer b : parts) {
                ch.write(b.flip());
            }
        }
    }

    private static void pcap(ByteBuffer b, int magic, int linkType) {
        pcap(b, magic, linkType, 65535);
    }

    private static void pcap(ByteBuffer b, int magic, int linkType, int snaplen) {
        b.putInt(magic).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(snaplen).putInt(linkType);
    }

    private static void record(ByteBuffer b, int sec, int frac, int cap, int orig, int firstByte) {
        b.putInt(sec).putInt(frac).putInt(cap).putInt(orig);
        for (int i = 0; i < cap; i++) {
            b.put((byte) (i == 0 ? firstByte : 0));
        }
    }

    @Test
    void pcapMicrosecondsBigEndianAndNanosecondsLittleEndian(@TempDir Path tmp) throws Exception {
        ByteBuffer be = buffer(ByteOrder.BIG_ENDIAN);
        pcap(be, 0xa1b2c3d4, 1);
        record(be, 1_700_000_000, 123_456, 60, 1514, 7);
        record(be, 1_700_000_001, 1, 3, 3, 8);
        be.putInt(5); // a record cut short: the end of a file still being written
        write(tmp.resolve("be.pcap"), be);
        assertEquals(List.of("0/1/1700000000123456000/60/1514/7", "0/1/1700000001000001000/3/3/8"),
                read(tmp.resolve("be.pcap")));

        ByteBuffer le = buffer(ByteOrder.LITTLE_ENDIAN);
        pcap(le, 0xa1b23c4d, 0x10000000 | 113); // the top bits carry FCS information
        record(le, 1_700_000_000, 123_456_789, 20, 20, 9);
        write(tmp.resolve("le.pcap"), le);
        assertEquals(List.of("0/113/1700000000123456789/20/20/9"), read(tmp.resolve("le.pcap")));
    }

    private static void block(ByteBuffer b, int type, ByteBuffer body) {
        body.flip();
        int len = 12 + ((body.remaining() + 3) & ~3);
        b.putInt(type).putInt(len).put(body);
        while ((b.position() & 3) != 0) {
            b.put((byte) 0);
        }
        b.putInt(len);
    }

    private static void section(ByteBuffer b) {
        ByteBuffer body = buffer(b.order());
        body.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1);
        block(b, 0x0A0D0D0A, body);
    }

    private static void iface(ByteBuffer b, int linkType, int tsresol, long tsoffset) {
        ByteBuffer body = buffer(b.order());
        body.putShort((short) linkType).putShort((short) 0).putInt(0);
        if (tsresol >= 0) {
            body.putShort((short) 9).putShort((short) 1).put((byte) tsresol).put(new byte[3]);
        }
        if (tsoffset != 0) {
            body.putShort((short) 14).putShort((short) 8).putLong(tsoffset);
        }
        body.putInt(0);
        block(b, 1, body);
    }

    private static void packet(ByteBuffer b, int iface, long ts, int cap, int orig, int firstByte) {
        ByteBuffer body = buffer(b.order());
        body.putInt(iface).putInt((int) (ts >>> 32)).putInt((int) ts).putInt(cap).putInt(orig);
        for (int i = 0; i < cap; i++) {
            body.put((byte) (i == 0 ? firstByte : 0));
        }
        block(b, 6, body);
    }

    @Test
    void pcapngSectionsOfBothByteOrdersInterfacesAndResolutions(@TempDir Path tmp) throws Exception {
        ByteBuffer s1 = buffer(ByteOrder.BIG_ENDIAN);
        section(s1);
        iface(s1, 1, -1, 0); // microseconds by default
        iface(s1, 113, 9, 10); // nanoseconds, 10 s offset
        packet(s1, 0, 1_700_000_000_123_456L, 5, 60, 1);
        packet(s1, 1, 1_700_000_000_123_456_789L, 7, 7, 2);
        block(s1, 5, buffer(ByteOrder.BIG_ENDIAN).putInt(42)); // interface statistics: skipped
        ByteBuffer s2 = buffer(ByteOrder.LITTLE_ENDIAN);
        section(s2);
        iface(s2, 101, 0x80 | 3, 0); // 1/8 s
        packet(s2, 0, 8L * 1_700_000_000 + 3, 1, 1, 3);
        write(tmp.resolve("t.pcapng"), s1, s2);
        assertEquals(List.of("0/1/1700000000123456000/5/60/1", "1/113/1700000010123456789/7/7/2",
                "0/101/1700000000375000000/1/1/3"), read(tmp.resolve("t.pcapng")));
    }

    @Test
    void aBlockLargerThanTheBufferAndANonCaptureFile(@TempDir Path tmp) throws Exception {
        ByteBuffer big = ByteBuffer.allocate(6 << 20).order(ByteOrder.LITTLE_ENDIAN);
        pcap(big, 0xa1b2c3d4, 1, 8 << 20); // a snaplen that allows it
        record(big, 1, 0, 5 << 20, 5 << 20, 4);
        record(big, 2, 0, 10, 10, 5);
        write(tmp.resolve("big.pcap"), big);
        assertEquals(List.of("0/1/1000000000/5242880/5242880/4", "0/1/2000000000/10/10/5"), read(tmp.resolve("big.pcap")));
        Files.writeString(tmp.resolve("x.txt"), "hello, not a capture");
        assertThrows(IOException.class, () -> read(tmp.resolve("x.txt")));
    }

    /**
     * A 5 MB pcap whose third record claims 256 MiB: libpcap refuses a record longer than
     * max(snaplen, 262144), and so does the reader, saying what was claimed and what is left.
     */
    @Test
    void aRecordLongerThanLibpcapReadsIsAnErrorThatSaysSo(@TempDir Path tmp) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(5 << 20).order(ByteOrder.LITTLE_ENDIAN);
        pcap(b, 0xa1b2c3d4, 1);
        record(b, 1, 0, 60, 60, 1);
        record(b, 2, 0, 60, 60, 2);
        b.putInt(3).putInt(0).putInt(256 << 20).putInt(256 << 20);
        b.position(b.capacity());
        write(tmp.resolve("huge.pcap"), b);
        IOException e = assertThrows(IOException.class, () -> read(tmp.resolve("huge.pcap")));
        String left = String.valueOf((5 << 20) - 24 - 2 * 76 - 16);
        assertTrue(e.getMessage().contains("record 3 claims 268435456 bytes; the file has " + left + " left"),
                e.getMessage());
        assertTrue(e.getMessage().contains("262144 with snaplen 65535"), e.getMessage());

        ByteBuffer ng = buffer(ByteOrder.LITTLE_ENDIAN);
        section(ng);
        iface(ng, 1, -1, 0);
        ng.putInt(6).putInt(64 << 20).putInt(0);
        write(tmp.resolve("huge.pcapng"), ng);
        e = assertThrows(IOException.class, () -> read(tmp.resolve("huge.pcapng")));
        assertTrue(e.getMessage().contains("block 3 claims 67108864 bytes; the file has 12 left"), e.getMessage());
    }

    /**
     * A record or block within the limits that the rest of the file cannot hold is a cut file: the
     * reading ends there, and the buffer never grew for it (it did, to 16 MiB, for 200 bytes).
     */
    @Test
    void aLengthTheFileCannotHoldGetsNoBuffer(@TempDir Path tmp) throws Exception {
        ByteBuffer b = buffer(ByteOrder.BIG_ENDIAN);
        pcap(b, 0xa1b2c3d4, 1, 16 << 20);
        record(b, 1, 0, 60, 60, 7);
        b.putInt(2).putInt(0).putInt(15 << 20).putInt(15 << 20).put(new byte[200]);
        write(tmp.resolve("cut.pcap"), b);
        ByteBuffer ng = buffer(ByteOrder.BIG_ENDIAN);
        section(ng);
        iface(ng, 1, -1, 0);
        packet(ng, 0, 5, 3, 3, 8);
        ng.putInt(6).putInt(15 << 20).put(new byte[200]);
        write(tmp.resolve("cut.pcapng"), ng);

        for (String name : List.of("cut.pcap", "cut.pcapng")) {
            try (FileChannel ch = FileChannel.open(tmp.resolve(name), StandardOpenOption.READ)) {
                CaptureFile reader = new CaptureFile(ch, tmp.resolve(name));
                assertEquals(1, reader.run((iface, linkType, nanos, buf, off, cap, orig) -> { }), name);
                assertEquals(4 << 20, reader.capacity(), name);
            }
        }
    }
}
