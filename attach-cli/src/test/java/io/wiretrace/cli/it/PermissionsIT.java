package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output files are readable by their owner only (0600, directories the capture creates 0700),
 * every rotated file too, whatever the target's umask; a symbolic link at a capture file's name
 * is never written through.
 */
class PermissionsIT {

    @TempDir
    Path tmp;

    @Test
    void sizeRotatedFilesArePrivateUnderAnOpenUmask() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start(); Harness.App app = openUmaskShop(upstream);
                Traffic traffic = new Traffic()) {
            Path parent = tmp.resolve("new");
            Path out = parent.resolve("out");
            start(app, out, traffic, "-C", "1").expect(0);
            traffic.send(3300, 2000, 100_000); // about 3.5 MB with the headers: four files
            Harness.awaitStatus(app.pid(), "3300 packets captured");
            Harness.cli("stop", app.pid()).expect(0);

            List<Path> traces = traces(out);
            assertEquals(List.of("trace.pcapng", "trace.pcapng1", "trace.pcapng2", "trace.pcapng3"),
                    traces.stream().map(f -> f.getFileName().toString()).toList());
            assertEquals(3300, privatePackets(traces));
            assertEquals("rw-------", mode(out.resolve("recording.jfr")));
            assertEquals("rwx------", mode(out));
            assertEquals("rwx------", mode(parent), "a parent directory the capture created");
        }
    }

    @Test
    void timeRotatedFilesArePrivateInAnExistingDirectory() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start(); Harness.App app = openUmaskShop(upstream);
                Traffic traffic = new Traffic()) {
            Path out = userDirectory();
            start(app, out, traffic, "-G", "1", "-W", "2").expect(0);
            assertTrue(Harness.await(Duration.ofSeconds(20), () -> {
                traffic.send(1, 100, 1000);
                return Harness.cli("status", app.pid()).expect(0).out.contains("Maximum file limit reached: 2");
            }), "-W 2 never ended the capture");
            Harness.cli("stop", app.pid()).expect(0);

            List<Path> traces = traces(out);
            assertEquals(2, traces.size(), traces.toString());
            for (Path f : traces) {
                assertTrue(f.getFileName().toString().matches("trace-\\d{8}-\\d{6}\\.pcapng"), f.toString());
            }
            // The first period starts when the file is made, during the attach: it may hold no packet.
            assertTrue(privatePackets(traces) > 0, "no packets in " + traces);
            assertEquals("rw-------", mode(out.resolve("recording.jfr")));
            assertEquals("rwxr-xr-x", mode(out), "the mode of a directory the user made is the user's");
        }
    }

    /** An existing file at the capture's name is replaced, private; the statistics events count what was written. */
    @Test
    void overwrittenFileIsPrivateAndStatisticsCountIt() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start(); Harness.App app = openUmaskShop(upstream);
                Traffic traffic = new Traffic()) {
            Path out = userDirectory();
            Path trace = Files.writeString(out.resolve("trace.pcapng"), "from an earlier capture");
            Files.setPosixFilePermissions(trace, PosixFilePermissions.fromString("rw-r--r--"));
            start(app, out, traffic).expect(0);
            assertEquals("rw-------", mode(trace), "the overwritten file kept its old mode");
            traffic.send(500, 300, 10_000);
            Harness.awaitStatus(app.pid(), "500 packets captured");
            awaitStatisticsEvent(app, 500);
            String stopped = Harness.cli("stop", app.pid()).expect(0).out;
            assertTrue(stopped.contains("500 packets captured"), stopped);

            assertEquals(500, privatePackets(List.of(trace)));
            Path jfr = out.resolve("recording.jfr");
            List<RecordedEvent> stats = statistics(jfr);
            assertTrue(stats.size() >= 2, "fewer than 2 periodic events: " + stats);
            RecordedEvent latest = stats.get(stats.size() - 1);
            assertEquals("lo", latest.getString("captureInterface"));
            assertEquals(500, latest.getLong("packetsCaptured"), latest.toString());
            assertEquals(0, latest.getLong("packetsDroppedByWiretrace"), latest.toString());
            assertEquals(trace.toString(), latest.getString("file"));
            long previous = -1;
            for (RecordedEvent e : stats) {
                assertTrue(e.getLong("packetsCaptured") >= previous, "the count went down: " + stats);
                previous = e.getLong("packetsCaptured");
            }
            Duration gap = Duration.between(stats.get(stats.size() - 2).getStartTime(), latest.getStartTime());
            assertTrue(gap.toMillis() >= 500 && gap.toMillis() <= 1500, "events " + gap + " apart, not every second");
        }
    }

    @Test
    void symlinkAtTheFileNameIsNotFollowed() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start(); Harness.App app = openUmaskShop(upstream);
                Traffic traffic = new Traffic()) {
            Path out = userDirectory();
            Path victim = Files.writeString(tmp.resolve("victim"), "precious");
            Path absent = tmp.resolve("absent");
            Files.createSymbolicLink(out.resolve("trace.pcapng"), victim);
            Files.createSymbolicLink(out.resolve("trace.pcap"), absent);

            Harness.Result r = start(app, out, traffic);
            System.out.println("start over a symlink: " + r);
            r.expect(1).oneLineError("cannot write " + out.resolve("trace.pcapng"));
            r = start(app, out, traffic, "--format", "pcap");
            r.expect(1).oneLineError("cannot write " + out.resolve("trace.pcap"));

            assertEquals("precious", Files.readString(victim));
            assertEquals("rw-r--r--", mode(victim));
            try (Stream<Path> left = Files.list(out)) {
                assertEquals(List.of("trace.pcap", "trace.pcapng"), left.map(f -> f.getFileName().toString()).sorted().toList(),
                        "a failed start left files");
            }
            assertFalse(Files.exists(absent, LinkOption.NOFOLLOW_LINKS), "a dangling link's target was created");
            assertTrue(Files.isSymbolicLink(out.resolve("trace.pcapng")) && Files.isSymbolicLink(out.resolve("trace.pcap")),
                    "a failed start removed the user's links");
            assertTrue(Harness.cli("status", app.pid()).expect(0).out.contains("state: idle"));
            assertTrue(Harness.agentThreads(app.pid()).isEmpty());
            Harness.assertServes(app.port);
        }
    }

    @Test
    void symlinkAtARotatedFileNameEndsTheCapture() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start(); Harness.App app = openUmaskShop(upstream);
                Traffic traffic = new Traffic()) {
            Path out = userDirectory();
            Path victim = Files.writeString(tmp.resolve("victim"), "precious");
            Files.createSymbolicLink(out.resolve("trace.pcapng1"), victim);
            start(app, out, traffic, "-C", "1").expect(0);
            traffic.send(1500, 2000, 100_000); // 1.5 MB
            String status = Harness.awaitStatus(app.pid(), "state: capture stopped");
            assertTrue(status.contains(out.resolve("trace.pcapng1").toString()), status);
            String stopped = Harness.cli("stop", app.pid()).expect(0).out;
            System.out.println("stop after a symlink at the next file: " + stopped);

            assertEquals("precious", Files.readString(victim));
            assertTrue(Files.isSymbolicLink(out.resolve("trace.pcapng1")));
            int kept = Evidence.pcapPackets(out.resolve("trace.pcapng"));
            assertTrue(kept > 400, "the first file lost its packets: " + kept);
            assertTrue(stopped.contains("\n" + kept + " packets captured\n"), "captured is not what the file holds: " + stopped);
            Harness.assertServes(app.port);
        }
    }

    /** The shop under umask 000, so that only the modes wiretrace asks for keep files private. */
    private static Harness.App openUmaskShop(Server upstream) throws Exception {
        Harness.App app = new Harness.App(List.of("sh", "-c", "umask 000 && exec \"$0\" \"$@\"", Harness.currentJava(),
                "-jar", Harness.SHOP_JAR.toString(), "shop", "--upstream", "http://127.0.0.1:" + upstream.port()));
        String umask = Files.readAllLines(Path.of("/proc", app.pid(), "status"), StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("Umask:")).findFirst().orElse("");
        if (!umask.endsWith("0000")) {
            app.close();
            throw new AssertionError("the app does not run under umask 000: " + umask);
        }
        return app;
    }

    /** Waits until the running recording holds two statistics events, the latest counting {@code packets}. */
    private void awaitStatisticsEvent(Harness.App app, long packets) throws Exception {
        Path dump = tmp.resolve("dump.jfr");
        List<Object> seen = new ArrayList<>();
        assertTrue(Harness.await(Duration.ofSeconds(20), () -> {
            seen.clear();
            seen.add(Harness.jcmd(app.pid(), "JFR.dump", "name=wiretrace", "filename=" + dump));
            List<RecordedEvent> stats = Files.exists(dump) ? statistics(dump) : List.of();
            seen.addAll(stats);
            return stats.size() >= 2 && stats.get(stats.size() - 1).getLong("packetsCaptured") == packets;
        }), "no statistics event counted " + packets + ": " + seen);
    }

    private static List<RecordedEvent> statistics(Path jfr) throws Exception {
        return RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("wiretrace.CaptureStatistics"))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime)).collect(Collectors.toList());
    }

    /** wiretrace start on lo into {@code out}, capturing the datagrams of {@code traffic}. */
    private static Harness.Result start(Harness.App app, Path out, Traffic traffic, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("start", app.pid(), "-i", "lo", "-w", out.toString()));
        args.addAll(List.of(options));
        args.add(traffic.filter());
        return Harness.cli(args.toArray(String[]::new));
    }

    /** A directory as a user makes it under umask 022, before the capture. */
    private Path userDirectory() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Asserts that each file is its owner's only and has its header; returns the packets in them all. */
    private static int privatePackets(List<Path> traces) throws Exception {
        int packets = 0;
        for (Path f : traces) {
            assertEquals("rw-------", mode(f), f.toString());
            assertTrue(Files.size(f) > 0, f + " has no header");
            packets += Evidence.pcapPackets(f);
        }
        return packets;
    }

    private static List<Path> traces(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("trace")).sorted().collect(Collectors.toCollection(ArrayList::new));
        }
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
