package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app runs as a user without CAP_NET_RAW and root runs wiretrace: the packets come from
 * tcpdump, which wiretrace starts in the app's network namespace and whose guard ends it with
 * the capture, with the target, or at the deadline when the CLI is gone.
 */
class OutsideCaptureIT {
    @TempDir
    static Path tmp;
    private static Path shop;

    @BeforeAll
    static void setUp() throws Exception {
        shop = Harness.shopReadableByAll(tmp);
    }

    /** The shop and its upstream (slow by {@code delayMs}) as nobody, without any capability. */
    private static Harness.App app(int delayMs) throws Exception {
        return new Harness.App(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                Harness.currentJava(), "-jar", shop.toString(), "all", "--delay-ms", String.valueOf(delayMs)));
    }

    /** The guard's pid from start's "watched by pid N". */
    private static long guard(String startOutput) {
        Matcher m = Pattern.compile("watched by pid (\\d+)").matcher(startOutput);
        assertTrue(m.find(), "start did not capture outside the JVM:\n" + startOutput);
        return Long.parseLong(m.group(1));
    }

    /** The guard and the tcpdump it runs. */
    private static List<ProcessHandle> producers(long guard) {
        List<ProcessHandle> all = new ArrayList<>();
        ProcessHandle.of(guard).ifPresent(g -> {
            all.add(g);
            g.descendants().forEach(all::add);
        });
        return all;
    }

    private static void assertAllEnd(List<ProcessHandle> processes, Duration within, String when) throws Exception {
        assertTrue(Harness.await(within, () -> processes.stream().noneMatch(ProcessHandle::isAlive)),
                "the capture outside the JVM outlived " + when + ": " + processes.stream().filter(ProcessHandle::isAlive)
                        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
    }

    @Test
    void packetsEventsAndVerdictsAsWithARootApp() throws Exception {
        try (Harness.App app = app(400)) {
            Path out = tmp.resolve("out");
            Harness.Result started = Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString()).expect(0);
            List<ProcessHandle> producers = producers(guard(started.out));
            assertTrue(producers.stream().anyMatch(p -> p.info().command().orElse("").endsWith("tcpdump")),
                    "no tcpdump under the guard: " + producers);
            for (int i = 0; i < 3; i++) {
                assertTrue(Harness.get(app.port, "/orders?item=outside" + i)[1].startsWith("HTTP/1.1 200"));
            }
            String status = Harness.awaitStatus(app.pid(), "counted by the capture outside the JVM");
            assertTrue(status.contains("packets from a capture outside the JVM"), status);
            Harness.Result stopped = Harness.cli("stop", app.pid()).expect(0);
            assertTrue(stopped.out.contains("[the capture outside the JVM]") && stopped.out.contains("packets captured"),
                    stopped.out);
            assertAllEnd(producers, Harness.DEADLINE, "the stop");

            assertTrue(Evidence.pcapPackets(out.resolve("trace.pcapng")) > 20, "too few packets");
            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            List<String> verdicts = events.stream().filter(e -> Evidence.type(e).equals("SlowCall"))
                    .map(e -> e.getString("verdict")).toList();
            assertTrue(verdicts.contains("SERVER_THINK"), "the upstream's 400 ms not named from the packets: " + verdicts);
            assertTrue(events.stream().filter(e -> Evidence.type(e).equals("TcpConnection")).count() > 0,
                    "no TCP analysis of the packets");
        }
    }

    @Test
    void theCaptureOutsideEndsWithTheTarget() throws Exception {
        List<ProcessHandle> producers;
        try (Harness.App app = app(0)) {
            Harness.Result started = Harness.cli("start", app.pid(), "-i", "lo", "-w", tmp.resolve("gone").toString())
                    .expect(0);
            producers = producers(guard(started.out));
            assertEquals(2, producers.size(), "the guard and its tcpdump: " + producers);
        } // the app is killed here, with the capture running
        assertAllEnd(producers, Harness.DEADLINE, "its target");
    }

    @Test
    void theCaptureOutsideEndsAtTheDeadlineWhenCollectIsKilled() throws Exception {
        try (Harness.App app = app(0)) {
            Path bundles = Files.createDirectory(tmp.resolve("killed"));
            Process cli = new ProcessBuilder(Harness.currentJava(), "-jar", Harness.CLI_JAR.toString(), "collect", app.pid(),
                    "-d", "2s", "-i", "lo", "-o", bundles.toString()).redirectErrorStream(true).start();
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = r.readLine()) != null && !line.startsWith("collecting from")) {
                    // the start's output is not shown by collect
                }
                assertTrue(line != null, "collect ended before it collected");
                Optional<ProcessHandle> guard = cli.children().filter(p -> p.info().commandLine().orElse("")
                        .contains("Producer")).findFirst();
                assertTrue(guard.isPresent(), "no guard under collect");
                List<ProcessHandle> producers = producers(guard.get().pid());
                cli.destroyForcibly().waitFor();
                // the agent stops by itself 10 s after -d; the guard ends tcpdump then, at the latest
                assertAllEnd(producers, Duration.ofSeconds(60), "a killed collect");
                assertTrue(Harness.await(Duration.ofSeconds(30), () -> Harness.agentThreads(app.pid()).isEmpty()),
                        "the agent did not stop by itself");
                // nothing lost: the next stop hands over what the ended capture left staged
                Harness.Result stopped = Harness.cli("stop", app.pid()).expect(0);
                Matcher m = Pattern.compile("are now in (\\S+):").matcher(stopped.out);
                assertTrue(m.find(), stopped.out);
                Path dir = Path.of(m.group(1));
                assertTrue(dir.startsWith(bundles) && Files.isRegularFile(dir.resolve("recording.jfr"))
                        && Files.isRegularFile(dir.resolve("trace.pcapng")), stopped.out);
            } finally {
                cli.destroyForcibly();
            }
        }
    }
}
