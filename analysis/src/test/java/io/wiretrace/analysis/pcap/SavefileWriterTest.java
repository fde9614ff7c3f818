package io.wiretrace.analysis.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The capture files as tshark, the reference reader, sees them, and tcpdump's rotation rules. */
class SavefileWriterTest {
    private static final long T0 = 1_700_000_000L;

    /** Ethernet + IPv4 + TCP SYN from 10.0.0.1:40000 to 10.0.0.2:443, 54 bytes. */
    private static ByteBuffer frame() {
        int[] b = {
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
            0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
        ByteBuffer out = ByteBuffer.allocate(b.length);
        for (int v : b) {
            out.put((byte) v);
        }
        return out.flip();
    }

    private static SavefileWriter open(Path dir, String name, SavefileWriter.Format f, long c, int w, long g) throws Exception {
        SavefileWriter s = new SavefileWriter(dir, name, f, c, w, g, "wiretrace-test");
        s.addInterface(1, 262144, "eth-test");
        s.open(T0);
        return s;
    }

    @Test
    void tsharkReadsBothFormatsWithNanosecondTimestampsAndOriginalLengths(@TempDir Path tmp) throws Exception {
        for (SavefileWriter.Format f : SavefileWriter.Format.values()) {
            SavefileWriter s = open(tmp, "t-" + f, f, 0, 0, 0);
            assertTrue(s.packet(0, 1_700_000_000_123_456_789L, frame(), 54));
            assertTrue(s.packet(0, 1_700_000_001_000_000_001L, frame(), 1514)); // cut by the snaplen
            s.close();
            Path file = tmp.resolve("t-" + f);
            assertEquals(List.of(
                    "1700000000.123456789,54,54,10.0.0.1,443",
                    "1700000001.000000001,1514,54,10.0.0.1,443"),
                    tshark(file, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len",
                            "-e", "frame.cap_len", "-e", "ip.src", "-e", "tcp.dstport", "-E", "separator=,"), f.name());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        assertEquals(List.of("eth-test"), tshark(tmp.resolve("t-PCAPNG"), "-T", "fields", "-e", "frame.interface_name"
                , "-c", "1"));
    }

    @Test
    void pcapngHoldsOneInterfaceBlockPerInterface(@TempDir Path tmp) throws Exception {
        SavefileWriter s = new SavefileWriter(tmp, "t.pcapng", SavefileWriter.Format.PCAPNG, 0, 0, 0, "wiretrace-test");
        assertEquals(0, s.addInterface(1, 262144, "eth-a"));
        assertEquals(1, s.addInterface(1, 96, "eth-b"));
        s.open(T0);
        s.packet(1, T0 * 1_000_000_000L, frame(), 54);
        s.packet(0, T0 * 1_000_000_000L + 1, frame(), 54);
        s.close();
        assertEquals(List.of("eth-b", "eth-a"), tshark(tmp.resolve("t.pcapng"), "-T", "fields", "-e", "frame.interface_name"));
        SavefileWriter pcap = new SavefileWriter(tmp, "t.pcap", SavefileWriter.Format.PCAP, 0, 0, 0, "wiretrace-test");
        pcap.addInterface(1, 262144, "eth-a");
        assertThrows(IllegalArgumentException.class, () -> pcap.addInterface(1, 262144, "eth-b"));
    }

    /**
     * A file is renamed into place once its headers are in: a plain file at the name is replaced
     * (as tcpdump overwrites), a link at it is refused and left, and a link at the temporary name is
     * removed, never followed.
     */
    @Test
    void linksAtTheNameAreRefusedAndPlainFilesReplaced(@TempDir Path tmp) throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim"), "precious");
        Path dir = Files.createDirectory(tmp.resolve("out"));
        Files.createSymbolicLink(dir.resolve("a.pcapng"), victim);
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> open(dir, "a.pcapng", SavefileWriter.Format.PCAPNG, 0, 0, 0));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(dir.resolve("a.pcapng")));
        assertFalse(Files.exists(dir.resolve(".a.pcapng.new"), java.nio.file.LinkOption.NOFOLLOW_LINKS));

        Files.createSymbolicLink(dir.resolve(".b.pcapng.new"), victim);
        Files.writeString(dir.resolve("b.pcapng"), "an earlier run's");
        Files.setPosixFilePermissions(dir.resolve("b.pcapng"), PosixFilePermissions.fromString("rw-r--r--"));
        SavefileWriter s = open(dir, "b.pcapng", SavefileWriter.Format.PCAPNG, 0, 0, 0);
        assertTrue(s.packet(0, T0 * 1_000_000_000L, frame(), 54));
        s.close();
        assertEquals(List.of("54"), tshark(dir.resolve("b.pcapng"), "-T", "fields", "-e", "frame.len"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("b.pcapng"))));
        assertEquals("precious", Files.readString(victim));
        assertEquals(List.of("a.pcapng", "b.pcapng"), names(dir));
    }

    /** Comments, and room for one written later: in the buffer, in the file, in a file rotated away. */
    @Test
    void commentsAndVerdictsWrittenLater(@TempDir Path tmp) throws Exception {
        SavefileWriter s = open(tmp, "t.pcapng", SavefileWriter.Format.PCAPNG, 1, 0, 0); // rotates before every packet
        byte[] conn = "conn 7 · worker · GET /x".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long[] room = new long[4];
        for (int i = 0; i < 4; i++) {
            assertTrue(s.packet(0, T0 * 1_000_000_000L + i, frame(), 54, i == 3 ? null : conn, i != 1));
            room[i] = s.lastReservation();
        }
        assertEquals(-1, room[1], "no room asked for");
        s.flushIfOlder(0);
        assertTrue(s.annotate(room[0], "verdict A")); // a file closed by the rotation
        assertTrue(s.annotate(room[2], "verdict C"));
        assertTrue(s.packet(0, T0 * 1_000_000_000L + 4, frame(), 54, conn, true));
        assertTrue(s.annotate(s.lastReservation(), "verdict E")); // still in the buffer
        s.close();
        assertTrue(s.annotate(room[3], "verdict D")); // after the close
        List<String> comments = new java.util.ArrayList<>();
        for (String n : names(tmp)) {
            comments.addAll(tshark(tmp.resolve(n), "-T", "fields", "-e", "frame.comment"));
        }
        assertEquals(List.of("conn 7 · worker · GET /x,verdict A", "conn 7 · worker · GET /x",
                "conn 7 · worker · GET /x,verdict C", "verdict D", "conn 7 · worker · GET /x,verdict E"),
                comments.stream().map(String::trim).collect(java.util.stream.Collectors.toList()));
    }

    /** -C alone: trace.pcapng, then trace.pcapng1, 2, ... each a complete file. */
    @Test
    void sizeRotationNamesFilesAsTcpdump(@TempDir Path tmp) throws Exception {
        SavefileWriter s = open(tmp, "trace.pcap", SavefileWriter.Format.PCAP, 1000, 0, 0);
        for (int i = 0; i < 60; i++) {
            assertTrue(s.packet(0, T0 * 1_000_000_000L + i, frame(), 54));
        }
        s.close();
        // 24-byte header + 70 bytes a packet: a file rotates once it is larger than 1000 bytes,
        // checked before each packet, so each holds 14 packets (24 + 14 * 70 = 1004 > 1000).
        List<String> names = names(tmp);
        assertEquals(List.of("trace.pcap", "trace.pcap1", "trace.pcap2", "trace.pcap3", "trace.pcap4"), names);
        for (int i = 0; i < names.size(); i++) {
            assertEquals(i < 4 ? 14 : 4, tshark(tmp.resolve(names.get(i)), "-T", "fields", "-e", "frame.number").size(),
                    names.get(i));
        }
    }

    /** -C with -W: a ring named with enough digits for W - 1, overwritten from the start; bounded. */
    @Test
    void ringOverwritesTheOldestAndStaysBounded(@TempDir Path tmp) throws Exception {
        SavefileWriter s = open(tmp, "trace.pcapng", SavefileWriter.Format.PCAPNG, 2000, 3, 0);
        for (int i = 0; i < 500; i++) {
            assertTrue(s.packet(0, T0 * 1_000_000_000L + i, frame(), 54));
        }
        s.close();
        assertEquals(List.of("trace.pcapng0", "trace.pcapng1", "trace.pcapng2"), names(tmp));
        long total = 0;
        for (String n : names(tmp)) {
            long size = Files.size(tmp.resolve(n));
            assertTrue(size <= 2000 + 88, n + " is " + size + " bytes");
            total += size;
            assertFalse(tshark(tmp.resolve(n), "-T", "fields", "-e", "frame.number").isEmpty(), n);
        }
        assertTrue(total <= 3 * (2000 + 88), "total " + total);
        // the last packet written is in the file written last
        List<String> last = tshark(tmp.resolve(s.current().getFileName().toString()), "-T", "fields",
                "-e", "frame.time_epoch");
        assertEquals("1700000000.000000499", last.get(last.size() - 1));
        assertEquals(0, SavefileWriter.digits(1));
        assertEquals(1, SavefileWriter.digits(10));
        assertEquals(2, SavefileWriter.digits(11));
    }

    /** -G: a new file per period, named through strftime; with -W, the capture ends after W files. */
    @Test
    void timeRotationFollowsPacketTimeAndEndsAfterWFiles(@TempDir Path tmp) throws Exception {
        SavefileWriter s = open(tmp, "t-%s.pcapng", SavefileWriter.Format.PCAPNG, 0, 3, 2);
        long[] at = {0, 1_900, 2_100, 3_500, 4_000, 5_999, 6_000};
        int written = 0;
        for (long ms : at) {
            if (s.packet(0, T0 * 1_000_000_000L + ms * 1_000_000L, frame(), 54)) {
                written++;
            }
        }
        s.close();
        assertEquals(6, written);
        assertEquals("Maximum file limit reached: 3", s.failure());
        assertTrue(s.limitReached());
        assertEquals(List.of("t-" + T0 + ".pcapng", "t-" + (T0 + 2) + ".pcapng", "t-" + (T0 + 4) + ".pcapng"),
                names(tmp));
        assertEquals(2, tshark(tmp.resolve("t-" + (T0 + 2) + ".pcapng"), "-T", "fields", "-e", "frame.number").size());
    }

    /** -G with -C: each period starts a new count at 0, named with W's digits. */
    @Test
    void timeAndSizeTogether(@TempDir Path tmp) throws Exception {
        SavefileWriter s = open(tmp, "t-%s.pcap", SavefileWriter.Format.PCAP, 200, 10, 60);
        for (int i = 0; i < 6; i++) {
            s.packet(0, T0 * 1_000_000_000L + i, frame(), 54);
        }
        s.packet(0, (T0 + 60) * 1_000_000_000L, frame(), 54);
        s.close();
        // 24 + 3 * 70 = 234 > 200: three packets a file
        assertEquals(List.of("t-" + T0 + ".pcap0", "t-" + T0 + ".pcap1", "t-" + (T0 + 60) + ".pcap0"), names(tmp));
    }

    @Test
    void strftimeConversions() {
        ZonedDateTime t = ZonedDateTime.of(2026, 3, 7, 9, 5, 4, 0, ZoneOffset.ofHours(-5));
        assertEquals("trace-20260307-090504.pcapng", Strftime.format("trace-%Y%m%d-%H%M%S.pcapng", t));
        assertEquals("2026-03-07T09:05:04 066 -0500 %", Strftime.format("%FT%T %j %z %%", t));
        assertThrows(IllegalArgumentException.class, () -> Strftime.format("%Q", t));
        assertThrows(IllegalArgumentException.class, () -> Strftime.format("a%", t));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static List<String> tshark(Path file, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", file.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), err);
        assertEquals("", err.lines().filter(l -> !l.startsWith("Running as user")).reduce("", String::concat), err);
        return out.lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
    }

    // ---- a watch's ring

    private static ByteBuffer big(int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(frame());
        b.position(size);
        return b.flip();
    }

    private static SavefileWriter ring(Path dir, long maxBytes, long maxAgeSeconds) throws Exception {
        SavefileWriter s = new SavefileWriter(dir, "ring.pcapng", SavefileWriter.Format.PCAPNG, 0, 0, 0, "wiretrace-test");
        s.retain(maxBytes, TimeUnit.SECONDS.toNanos(maxAgeSeconds), 0);
        s.addInterface(1, 262144, "eth-test");
        s.open(T0);
        return s;
    }

    private static List<Path> ringFiles(Path dir) throws Exception {
        try (Stream<Path> l = Files.list(dir)) {
            return l.filter(p -> p.getFileName().toString().startsWith("ring.pcapng")).sorted().collect(Collectors.toList());
        }
    }

    private static long bytes(List<Path> files) throws Exception {
        long n = 0;
        for (Path p : files) {
            n += Files.size(p);
        }
        return n;
    }

    @Test
    void ringNeverTakesMoreThanItsBytesAndDeletesTheOldestFirst(@TempDir Path tmp) throws Exception {
        SavefileWriter s = ring(tmp, 10_000_000, 3600);
        long t = T0 * 1_000_000_000L;
        long most = 0;
        for (int i = 0; i < 600; i++) { // 600 packets of 50 kB: 30 MB
            assertTrue(s.packet(0, t + i * 1_000_000L, big(50_000), 50_000));
            most = Math.max(most, bytes(ringFiles(tmp)) + s.buffered());
        }
        s.close();
        List<Path> left = ringFiles(tmp);
        assertTrue(most <= 10_000_000, "the ring took " + most + " bytes at most");
        assertTrue(bytes(left) > 7_000_000, "and kept most of its budget: " + bytes(left));
        assertEquals("ring.pcapng000030", left.get(left.size() - 1).getFileName().toString(), "numbered on: " + left);
        assertFalse(Files.exists(tmp.resolve("ring.pcapng000001")), "the oldest went first");
        long packets = 0;
        for (Path p : left) {
            packets += CaptureFile.read(p, (iface, link, nanos, data, off, len, orig) -> { });
        }
        assertTrue(packets > 140 && packets < 200, packets + " packets in the files left");
        assertTrue(s.ring().contains("older files deleted"), s.ring());
    }

    @Test
    void ringLetsOldFilesGoUnlessPinned(@TempDir Path tmp) throws Exception {
        SavefileWriter s = ring(tmp, 100_000_000, 100); // a new file every 10 s of packets
        long t = T0 * 1_000_000_000L;
        for (int i = 0; i <= 300; i++) { // a packet a second for 300 s
            s.packet(0, t + i * 1_000_000_000L, frame(), 54);
        }
        List<Path> files = ringFiles(tmp);
        assertTrue(files.size() >= 10 && files.size() <= 12, "about 100 s of 10-s files: " + files);
        s.pin(t + 250 * 1_000_000_000L); // a firing at 250 s wants them from there
        for (int i = 301; i <= 500; i++) {
            s.packet(0, t + i * 1_000_000_000L, frame(), 54);
        }
        s.expire(t + 500 * 1_000_000_000L);
        List<Path> pinned = ringFiles(tmp);
        assertTrue(pinned.size() >= 24, "from 250 s on, kept past their age: " + pinned.size());
        s.pin(Long.MAX_VALUE);
        s.expire(t + 500 * 1_000_000_000L);
        assertTrue(ringFiles(tmp).size() <= 12, "unpinned, let go: " + ringFiles(tmp));
        s.close();
    }

    @Test
    void cutLinksTheFilesSoTheRingCannotTakeThem(@TempDir Path tmp) throws Exception {
        Path ringDir = Files.createDirectory(tmp.resolve("ring"));
        Path cut = Files.createDirectory(tmp.resolve("cut"));
        SavefileWriter s = ring(ringDir, 5_000_000, 3600);
        long t = T0 * 1_000_000_000L;
        for (int i = 0; i < 60; i++) {
            s.packet(0, t + i * 1_000_000L, big(50_000), 50_000);
        }
        List<SavefileWriter.Kept> linked = s.cut(cut, t + 30 * 1_000_000L);
        assertFalse(linked.isEmpty());
        assertTrue(linked.get(0).last >= t + 30 * 1_000_000L, "only files reaching the firing's span");
        assertEquals(t + 59 * 1_000_000L, linked.get(linked.size() - 1).last, "the current file was closed and taken");
        long packets = 0;
        for (SavefileWriter.Kept k : linked) {
            packets += CaptureFile.read(k.path, (iface, link, nanos, data, off, len, orig) -> { });
        }
        for (int i = 60; i < 400; i++) { // the ring goes round several times
            s.packet(0, t + i * 1_000_000L, big(50_000), 50_000);
        }
        s.close();
        long after = 0;
        for (SavefileWriter.Kept k : linked) {
            assertFalse(Files.exists(ringDir.resolve(k.path.getFileName())), "the ring let it go");
            after += CaptureFile.read(k.path, (iface, link, nanos, data, off, len, orig) -> { });
        }
        assertEquals(packets, after, "the cut's files are whole");
        assertTrue(packets >= 30, packets + " packets");
    }
}
