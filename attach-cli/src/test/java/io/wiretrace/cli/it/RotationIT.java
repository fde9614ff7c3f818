package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -C, -W and -G as tcpdump applies them, side by side with tcpdump on the same traffic. */
class RotationIT {
    private static final long MB = 1_000_000;
    /** The largest record of the traffic below: a pcapng EPB of a 1400-byte payload. */
    private static final long MAX_RECORD = 32 + 1444;

    @TempDir
    Path tmp;

    /** -C 1 -W 3 in pcap: the same ring of files as tcpdump's, file by file, packet by packet. */
    @Test
    void sizeRingIsTcpdumpsRing() throws Exception {
        Path theirs = Files.createDirectory(tmp.resolve("tcpdump"));
        Path ours = tmp.resolve("out");
        try (Traffic traffic = new Traffic(); Harness.App app = Harness.idle();
                Tcpdump tcpdump = new Tcpdump("-i", "lo", "-B", "32768", "--time-stamp-precision=nano",
                        "-C", "1", "-W", "3", "-w", theirs.resolve("trace.pcap").toString(), traffic.filter())) {
            Harness.cli("start", app.pid(), "-i", "lo", "--format", "pcap", "-C", "1", "-W", "3",
                    "-w", ours.toString(), traffic.filter()).expect(0);
            traffic.send(7000, 1400, 20_000); // about 5 MB: the ring wraps
            assertTrue(Harness.await(Duration.ofSeconds(30), () -> contains(theirs, traffic.sent - 1)),
                    "tcpdump did not write the last packet");
            Harness.cli("stop", app.pid()).expect(0);
            tcpdump.stop();

            Map<String, List<String>> expected = packetsPerFile(theirs);
            Map<String, List<String>> got = packetsPerFile(ours);
            assertEquals(List.of("trace.pcap0", "trace.pcap1", "trace.pcap2"), new ArrayList<>(expected.keySet()));
            assertEquals(expected.keySet(), got.keySet());
            expected.forEach((name, packets) -> assertEquals(packets, got.get(name), name + " differs from tcpdump's"));
            for (Path f : files(ours)) {
                assertTrue(Files.size(f) <= MB + MAX_RECORD, f + " is " + Files.size(f) + " bytes");
                assertEquals(got.get(f.getFileName().toString()).size(), Evidence.pcapPackets(f), "tshark on " + f);
            }
        }
    }

    /** -C 1 alone in pcapng: trace.pcapng, trace.pcapng1, ... each just over 1 MB but the last; nothing lost. */
    @Test
    void sizeRotationKeepsEveryPacket() throws Exception {
        Path theirs = tmp.resolve("tcpdump.pcap");
        Path ours = tmp.resolve("out");
        try (Traffic traffic = new Traffic(); Harness.App app = Harness.idle();
                Tcpdump tcpdump = new Tcpdump("-i", "lo", "--time-stamp-precision=nano", "-w", theirs.toString(),
                        traffic.filter())) {
            Harness.cli("start", app.pid(), "-i", "lo", "-C", "1", "-w", ours.toString(), traffic.filter()).expect(0);
            traffic.send(5000, 1400, 20_000);
            assertTrue(Harness.await(Duration.ofSeconds(30), () -> Savefile.read(theirs).size() == traffic.sent));
            Harness.cli("stop", app.pid()).expect(0);
            tcpdump.stop();

            List<Path> files = files(ours);
            List<String> names = files.stream().map(f -> f.getFileName().toString()).collect(Collectors.toList());
            List<String> expectedNames = new ArrayList<>(List.of("trace.pcapng"));
            for (int i = 1; i < names.size(); i++) {
                expectedNames.add("trace.pcapng" + i);
            }
            assertEquals(expectedNames, names);
            assertTrue(files.size() >= 4, "expected 4 or more files: " + names);
            List<String> all = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                long size = Files.size(files.get(i));
                assertTrue(size <= MB + MAX_RECORD, names.get(i) + " is " + size + " bytes");
                assertTrue(i == files.size() - 1 || size > MB, names.get(i) + " rotated early at " + size + " bytes");
                all.addAll(CaptureVsTcpdumpIT.keys(Savefile.read(files.get(i))));
                Evidence.pcapPackets(files.get(i)); // tshark reads it
            }
            assertEquals(CaptureVsTcpdumpIT.keys(Savefile.read(theirs)), all);
        }
    }

    /**
     * -G 1: a new file at the first packet of each new second, named through strftime, as
     * tcpdump does. tcpdump goes by the clock when it writes a packet, which lags the packet's
     * own timestamp by up to its 1 s read timeout; wiretrace goes by the packet's timestamp, so
     * each file holds exactly the packets of its second.
     */
    @Test
    void timeRotation() throws Exception {
        Path theirs = Files.createDirectory(tmp.resolve("tcpdump"));
        Path ours = tmp.resolve("out");
        try (Traffic traffic = new Traffic(); Harness.App app = Harness.idle();
                Tcpdump tcpdump = new Tcpdump("-i", "lo", "--time-stamp-precision=nano", "-G", "1",
                        "-w", theirs.resolve("t-%s.pcap").toString(), traffic.filter())) {
            Harness.cli("start", app.pid(), "-i", "lo", "--format", "pcap", "-G", "1", "--name", "t-%s.pcap",
                    "-w", ours.toString(), traffic.filter()).expect(0);
            traffic.sendFor(3.5, 200, 400);
            assertTrue(Harness.await(Duration.ofSeconds(30), () -> contains(theirs, traffic.sent - 1)));
            Harness.cli("stop", app.pid()).expect(0);
            tcpdump.stop();

            Map<String, List<String>> got = packetsPerFile(ours);
            Map<String, List<String>> expected = packetsPerFile(theirs);
            System.out.println("tcpdump -G 1: " + counts(expected) + "\nwiretrace -G 1: " + counts(got));
            List<String> all = new ArrayList<>();
            for (Path f : files(ours)) {
                String second = f.getFileName().toString().replaceAll("t-(\\d+)\\.pcap", "$1");
                for (Savefile.Packet p : Savefile.read(f)) {
                    assertEquals(Long.parseLong(second), p.nanos() / 1_000_000_000L, "a packet in " + f);
                    all.add(p.key());
                }
                Evidence.pcapPackets(f);
            }
            assertEquals(expected.values().stream().flatMap(List::stream).collect(Collectors.toList()), all);
            assertTrue(got.size() >= 4, "expected a file per second of traffic: " + counts(got));
        }
    }

    @Test
    void timeRotationEndsAfterWFiles() throws Exception {
        Path ours = tmp.resolve("out");
        try (Traffic traffic = new Traffic(); Harness.App app = Harness.idle()) {
            Harness.cli("start", app.pid(), "-i", "lo", "-G", "1", "-W", "2", "-w", ours.toString(),
                    traffic.filter()).expect(0);
            traffic.sendFor(3, 200, 200);
            assertTrue(Harness.await(Duration.ofSeconds(30), () -> Harness.cli("status", app.pid()).expect(0).out
                    .contains("Maximum file limit reached: 2")), Harness.cli("status", app.pid()).out);
            String stopped = Harness.cli("stop", app.pid()).expect(0).out;
            assertTrue(stopped.contains("Maximum file limit reached: 2"), stopped);
            List<Path> files = files(ours);
            assertEquals(2, files.size(), files.toString());
            for (Path f : files) {
                assertTrue(f.getFileName().toString().matches("trace-\\d{8}-\\d{6}\\.pcapng"), f.toString());
                Evidence.pcapPackets(f); // tshark reads it; the first may be empty if no packet came in its second
            }
            assertTrue(Evidence.pcapPackets(files.get(1)) > 0, files.get(1) + " is empty");
            assertTrue(stopped.contains("0 packets dropped by wiretrace"), stopped);
            assertTrue(Harness.get(app.port, "/health")[1].startsWith("HTTP/1.1 200"), "the app no longer serves");
        }
    }

    private static boolean contains(Path dir, long sequence) throws Exception {
        for (Path f : files(dir)) {
            for (Savefile.Packet p : Savefile.read(f)) {
                // the payload after Ethernet (14), IPv4 (20) and UDP (8) headers starts with the sequence number
                if (p.data().length >= 50 && java.nio.ByteBuffer.wrap(p.data(), 42, 8).getLong() == sequence) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> !f.getFileName().toString().equals("recording.jfr"))
                    .sorted(java.util.Comparator.comparing((Path f) -> f.getFileName().toString().length())
                            .thenComparing(f -> f.getFileName().toString()))
                    .collect(Collectors.toList());
        }
    }

    private static Map<String, List<String>> packetsPerFile(Path dir) throws Exception {
        Map<String, List<String>> m = new TreeMap<>();
        for (Path f : files(dir)) {
            m.put(f.getFileName().toString(), CaptureVsTcpdumpIT.keys(Savefile.read(f)));
        }
        return m;
    }

    private static Map<String, Integer> counts(Map<String, List<String>> files) {
        Map<String, Integer> m = new TreeMap<>();
        files.forEach((k, v) -> m.put(k, v.size()));
        return m;
    }
}
