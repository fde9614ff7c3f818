package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk ends the capture cleanly: the file keeps what was written and stays readable,
 * `status` says why, `stop` still succeeds with the statistics, and the app never notices.
 */
class DiskFullIT {
    @TempDir
    Path tmp;

    @Test
    void fullDiskStopsTheCaptureCleanly() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            fail("DiskFullIT mounts a tmpfs and must run as root (CI does)");
        }
        Path small = Files.createDirectory(tmp.resolve("small"));
        run("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", small.toString());
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
                Traffic traffic = new Traffic()) {
            Path out = small.resolve("out");
            Path trace = out.resolve("trace.pcapng");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), traffic.filter()).expect(0);
            traffic.send(3000, 2000, 100_000); // 3 MB into 2 MiB

            String status = Harness.awaitStatus(app.pid(), "No space left on device");
            Harness.assertServes(app.port);
            assertTrue(status.contains("state: capture stopped at ") && status.contains("(writing " + trace + ")"), status);
            awaitNoThread(app.pid(), "wiretrace-pcap-lo", "wiretrace-read-lo");

            int kept = Evidence.pcapPackets(trace);
            TreeSet<Long> sequences = new TreeSet<>(Evidence.udpSequences(trace));
            assertTrue(kept > 500, "the file kept " + kept + " packets of 3000");
            assertEquals(kept, sequences.size());
            assertEquals(List.of(0L, kept - 1L), List.of(sequences.first(), sequences.last()),
                    "the file does not hold the first packets, in one run");

            long filler = fill(small); // what the failed write gave back: recording.jfr cannot be written either
            Harness.Result stopped = Harness.cli("stop", app.pid()).expect(0);
            System.out.println("stop on a full disk (" + kept + " packets in the file; filled up again with " + filler
                    + " bytes):\n" + stopped.out + stopped.err);
            assertTrue(stopped.out.contains("No space left on device"), stopped.out);
            long captured = count(stopped.out, "packets? captured");
            long dropped = count(stopped.out, "packets? dropped by wiretrace");
            count(stopped.out, "packets? received by filter");
            count(stopped.out, "packets? dropped by kernel");
            assertEquals(kept, captured, "'captured' is not what the file holds:\n" + stopped.out);
            assertTrue(dropped > 0, "no packet counted as dropped after the failure:\n" + stopped.out);
            assertTrue(stopped.out.contains(trace.toString()), stopped.out);
            assertTrue(stopped.out.contains("warning: writing " + out.resolve("recording.jfr") + " failed"),
                    "stop does not say that recording.jfr could not be written:\n" + stopped.out);

            assertEquals(kept, Evidence.pcapPackets(trace), "stop changed the file");
            assertEquals(List.of(), Harness.agentThreads(app.pid()), "agent threads left after stop");
            Harness.assertServes(app.port);
            assertTrue(app.process.isAlive());
        } finally {
            Process p = new ProcessBuilder("umount", small.toString()).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                run("umount", "-l", small.toString());
                fail("umount " + small + ": " + said);
            }
        }
    }

    /** The capture and reader threads end by themselves once the capture stopped. */
    private static void awaitNoThread(String pid, String... names) throws Exception {
        List<String> alive = new ArrayList<>();
        assertTrue(Harness.await(Duration.ofSeconds(10), () -> {
            alive.clear();
            Harness.agentThreads(pid).stream().filter(List.of(names)::contains).forEach(alive::add);
            return alive.isEmpty();
        }), "still running after the capture stopped: " + alive);
    }

    /** Writes a file until the file system is full; returns its size. */
    private static long fill(Path dir) throws IOException {
        long n = 0;
        byte[] block = new byte[4096];
        try (OutputStream o = Files.newOutputStream(dir.resolve("filler"))) {
            while (true) {
                o.write(block);
                n += block.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        return n;
    }

    private static long count(String out, String what) {
        Matcher m = Pattern.compile("(?m)^(\\d+) " + what + "$").matcher(out);
        assertTrue(m.find(), "no '" + what + "' line in:\n" + out);
        return Long.parseLong(m.group(1));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }
}
