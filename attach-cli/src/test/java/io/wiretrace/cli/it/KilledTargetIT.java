package io.wiretrace.cli.it;

import static io.wiretrace.cli.it.Evidence.flow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Capture files are readable at any moment: what is being written can be read up to a point
 * at most one second old, and a SIGKILL of the target leaves files that tshark reads in full.
 */
class KilledTargetIT {
    private static final Duration MAX_AGE = Duration.ofSeconds(1);

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "--format {0}")
    @ValueSource(strings = {"pcapng", "pcap"})
    void fileIsFreshWhileWrittenAndWholeAfterKill(String format) throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
                Traffic traffic = new Traffic()) {
            Path out = tmp.resolve("out");
            Path file = out.resolve("trace." + format);
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "--format", format,
                    "tcp port " + app.port + " or " + traffic.filter()).expect(0);

            List<String> clients = new ArrayList<>();
            List<Long> ages = new ArrayList<>();
            for (int round = 0; round < 8; round++) {
                String[] r = Harness.get(app.port, "/orders?item=k" + round);
                assertTrue(r[1].startsWith("HTTP/1.1 200"), r[1]);
                int client = Integer.parseInt(r[0]);
                clients.add(flow("127.0.0.1", client, "127.0.0.1", app.port));
                long seq = traffic.send(1, 200, 1000).sent - 1;
                // The request's last packets: the FINs of both sides, and the datagram sent after it.
                List<Predicate<Savefile.Packet>> awaited = List.of(
                        p -> fin(p, client, app.port),
                        p -> fin(p, app.port, client),
                        p -> udpSequence(p) == seq);
                ages.add(awaitAge(file, awaited));
            }
            long min = ages.stream().mapToLong(Long::longValue).min().orElseThrow();
            long max = ages.stream().mapToLong(Long::longValue).max().orElseThrow();
            System.out.printf("%s: age of the newest packets when the file showed them: min %d ms, max %d ms, all %s%n",
                    format, min / 1_000_000, max / 1_000_000, ages.stream().map(a -> a / 1_000_000).toList());
            assertTrue(max <= MAX_AGE.toNanos(), "packets reached the file " + max / 1_000_000 + " ms after capture");

            kill(app);
            assertEquals(Savefile.read(file).size(), Evidence.pcapPackets(file), "tshark and Savefile count differently");
            assertTrue(Evidence.pcapFlows(file).containsAll(clients), "connections missing after the kill");
            assertEquals(traffic.sent, Evidence.udpSequences(file).size(), "datagrams missing after the kill");
        }
    }

    @Test
    void ringOfFilesIsWholeAfterKill() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
                Traffic traffic = new Traffic()) {
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "-C", "1", "-W", "3",
                    "tcp port " + app.port + " or " + traffic.filter()).expect(0);
            List<Path> ring = List.of(out.resolve("trace.pcapng0"), out.resolve("trace.pcapng1"),
                    out.resolve("trace.pcapng2"));
            traffic.send(4000, 2000, 100_000); // about 4 MB: the ring of 3 MB wraps
            String[] r = Harness.get(app.port, "/orders?item=last");
            assertTrue(r[1].startsWith("HTTP/1.1 200"), r[1]);
            int client = Integer.parseInt(r[0]);
            long last = traffic.send(1, 100, 1000).sent - 1;
            assertTrue(Harness.await(Harness.DEADLINE, () -> ringHolds(ring, p -> udpSequence(p) == last)
                    && ringHolds(ring, p -> fin(p, app.port, client))), "the last packets never reached the files");

            kill(app);
            assertEquals(ring, traces(out));
            TreeSet<Long> sequences = new TreeSet<>();
            TreeSet<String> flows = new TreeSet<>();
            for (Path f : ring) {
                assertTrue(Evidence.pcapPackets(f) > 0, f + " is empty");
                sequences.addAll(Evidence.udpSequences(f));
                flows.addAll(Evidence.pcapFlows(f));
            }
            assertEquals(last, sequences.last(), "the last datagram is missing");
            assertEquals(sequences.last() - sequences.first() + 1, sequences.size(), "the ring has a gap");
            assertTrue(sequences.size() > 2000, "the ring holds less than 2 of its 3 MB: " + sequences.size());
            assertTrue(sequences.first() > 0, "the ring never wrapped");
            assertTrue(flows.contains(flow("127.0.0.1", client, "127.0.0.1", app.port)), "the last connection is missing: " + flows);
        }
    }

    /** A file rotation opens the next file empty; its headers must reach it before a kill could leave it so. */
    @Test
    void fileJustRotatedToHasItsHeadersAfterKill() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
                Traffic traffic = new Traffic()) {
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "-C", "1", traffic.filter()).expect(0);
            long deadline = System.nanoTime() + Harness.DEADLINE.toNanos();
            Path empty = null;
            List<Path> files = List.of();
            // Until a file shows empty (then kill at once) or five rotations went by without one.
            while (empty == null && files.size() < 6) {
                assertTrue(System.nanoTime() < deadline, "the capture did not rotate: " + files);
                traffic.send(20, 2000, 1_000_000);
                for (int i = 0; i < 10 && empty == null; i++) {
                    files = traces(out);
                    for (Path f : files) {
                        if (Files.size(f) == 0) {
                            empty = f;
                        }
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
            kill(app);
            System.out.println("killed " + (empty == null ? "with no empty file seen" : "as " + empty + " was empty"));
            for (Path f : traces(out)) {
                // tshark takes an empty file for an empty capture: ask for the header itself.
                assertTrue(Files.size(f) >= 28, f + " has no section header: " + Files.size(f) + " bytes");
                Evidence.pcapPackets(f);
            }
        }
    }

    /**
     * Reads the file until each predicate matched a packet; returns the age of the newest of those
     * packets at the moment the file first showed them all (capture time to the read that found them).
     */
    private static long awaitAge(Path file, List<Predicate<Savefile.Packet>> awaited) throws Exception {
        long[] age = {0};
        assertTrue(Harness.await(Harness.DEADLINE, () -> {
            List<Savefile.Packet> packets = Files.exists(file) ? Savefile.read(file) : List.of();
            Instant readAt = Instant.now();
            long newest = Long.MIN_VALUE;
            for (Predicate<Savefile.Packet> want : awaited) {
                OptionalLong ts = packets.stream().filter(want).mapToLong(Savefile.Packet::nanos).max();
                if (ts.isEmpty()) {
                    return false;
                }
                newest = Math.max(newest, ts.getAsLong());
            }
            age[0] = readAt.getEpochSecond() * 1_000_000_000L + readAt.getNano() - newest;
            return true;
        }), "the request's packets never reached the file");
        return age[0];
    }

    private static boolean ringHolds(List<Path> ring, Predicate<Savefile.Packet> want) throws Exception {
        for (Path f : ring) {
            if (Files.exists(f) && Savefile.read(f).stream().anyMatch(want)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the frame (Ethernet, as on lo) is a TCP FIN from port {@code from} to port {@code to}. */
    private static boolean fin(Savefile.Packet p, int from, int to) {
        ByteBuffer b = ByteBuffer.wrap(p.data());
        int t = transport(b, 6);
        return t > 0 && b.remaining() >= t + 14 && (b.getShort(t) & 0xFFFF) == from && (b.getShort(t + 2) & 0xFFFF) == to
                && (b.get(t + 13) & 1) != 0;
    }

    /** The sequence number {@link Traffic} put in a datagram, or -1. */
    private static long udpSequence(Savefile.Packet p) {
        ByteBuffer b = ByteBuffer.wrap(p.data());
        int t = transport(b, 17);
        return t > 0 && b.remaining() >= t + 16 ? b.getLong(t + 8) : -1;
    }

    /** Where the transport header of an IPv4 frame with that protocol starts, or -1. */
    private static int transport(ByteBuffer frame, int protocol) {
        if (frame.remaining() < 34 || frame.getShort(12) != 0x0800 || (frame.get(23) & 0xFF) != protocol) {
            return -1;
        }
        return 14 + (frame.get(14) & 0x0F) * 4;
    }

    private static List<Path> traces(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("trace")).sorted().toList();
        }
    }

    private static void kill(Harness.App app) throws Exception {
        app.process.destroyForcibly();
        assertTrue(app.process.waitFor(30, TimeUnit.SECONDS), "the app did not die");
        assertEquals(137, app.process.exitValue(), "the app did not die of SIGKILL");
    }
}
