package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The most common field condition: the app runs as a user without CAP_NET_RAW, and so does the
 * operator. Degraded, not dead: start and collect succeed without packets, say so on one line
 * with what would grant them, and everything that needs no packets is recorded — socket calls,
 * HTTP exchanges, slow calls with verdicts that claim only what the app's own timings show.
 */
class NoCaptureRightsIT {
    /** Verdicts the app's timings alone can support; none that rests on packets. */
    private static final Set<String> APP_TIMING_VERDICTS = Set.of("UNKNOWN", "DNS_SLOW", "TLS_HANDSHAKE_SLOW");
    private static Server upstream;

    @TempDir
    Path tmp;
    private Path shop;
    private Path cliJar;

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = new Upstream(0).server(0).start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    /** setpriv execs in place, so the pid we hold is the JVM's. */
    private List<String> asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                Harness.currentJava(), "-Djava.io.tmpdir=" + tmp));
        cmd.addAll(List.of(command));
        return cmd;
    }

    /** The CLI as the user nobody, with no capability. */
    private Harness.Result wiretrace(String... args) throws Exception {
        List<String> cmd = asNobody("-jar", cliJar.toString());
        cmd.addAll(List.of(args));
        return Harness.run(cmd);
    }

    /** The shop as nobody, its slow path calling the upstream in this JVM. */
    private Harness.App shopAsNobody() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        // The build tree may sit where nobody cannot read (e.g. under /root): use copies.
        shop = Files.copy(Harness.SHOP_JAR, tmp.resolve("sample-shop.jar"));
        cliJar = Files.copy(Harness.CLI_JAR, tmp.resolve("wiretrace.jar"));
        for (Path jar : new Path[] {shop, cliJar}) {
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return new Harness.App(asNobody("-jar", shop.toString(), "shop", "--upstream",
                "http://127.0.0.1:" + upstream.port()));
    }

    /** A fast request and one whose upstream call takes 400 ms. */
    private static void traffic(int port) throws Exception {
        assertTrue(Harness.get(port, "/stock?item=fast")[1].startsWith("HTTP/1.1 200"));
        String[] slow = Harness.get(port, "/stock?item=slow&delay-ms=400");
        assertTrue(slow[1].startsWith("HTTP/1.1 200"), slow[1]);
    }

    @Test
    void startWithoutCaptureRightsRecordsAllButPackets() throws Exception {
        try (Harness.App app = shopAsNobody()) {
            Path out = tmp.resolve("out");
            // what is wrong with the input is still said, without packets as with them
            wiretrace("start", app.pid(), "-w", out.toString(), "-i", "no-such-if").expect(2)
                    .oneLineError("no capture interface named 'no-such-if'");
            wiretrace("start", app.pid(), "-w", out.toString(), "tcp", "portt", "80").expect(2)
                    .oneLineError("invalid filter");
            assertFalse(Files.exists(out), "a refused start left its output directory");

            Harness.Result started = wiretrace("start", app.pid(), "-w", out.toString(), "--slow", "200ms",
                    "--jfr-threshold", "0ms").expect(0);
            List<String> off = started.out.lines().filter(l -> l.contains("packets")).collect(Collectors.toList());
            assertEquals(1, off.size(), started.out);
            assertTrue(off.get(0).startsWith("packets: off — the app's user may not capture (no CAP_NET_RAW")
                    && off.get(0).contains("setcap cap_net_raw,cap_net_admin+eip /"), started.out);
            assertTrue(started.out.contains("instrumented: "), started.out);

            traffic(app.port);
            String status = Harness.awaitStatusWith(() -> wiretrace("status", app.pid()).expect(0).out,
                    "http GET /stock?…");
            assertTrue(status.contains("state: capturing without packets") && status.contains("packets: off — ")
                    && status.contains("verdicts rest on the app's timings alone"), status);
            assertFalse(status.contains("packets captured"), status);

            Harness.Result stopped = wiretrace("stop", app.pid()).expect(0);
            assertTrue(stopped.out.contains("packets: off — "), stopped.out);
            Path jfr = out.resolve("recording.jfr");
            try (Stream<Path> files = Files.list(out)) {
                assertEquals(List.of(jfr), files.collect(Collectors.toList()), "no capture file without packets");
            }
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(jfr)));

            List<RecordedEvent> events = events(jfr);
            Set<String> types = events.stream().map(Evidence::type).collect(Collectors.toCollection(TreeSet::new));
            assertTrue(types.containsAll(Set.of("SocketAccept", "SocketRead", "SocketWrite", "SocketClose",
                    "SocketConnect", "HttpExchange", "SlowCall", "CaptureStatistics")), types.toString());
            assertFalse(types.contains("TcpConnection"), "a TCP summary needs packets: " + types);
            assertTrue(events.stream().anyMatch(e -> Evidence.type(e).equals("SocketConnect")
                    && e.getInt("remotePort") == upstream.port()), "no connect to the upstream recorded");
            assertTrue(events.stream().anyMatch(e -> Evidence.type(e).equals("HttpExchange")
                    && e.getString("path").startsWith("/stock") && e.getInt("status") == 200), "no /stock exchange");
            assertTrue(events.stream().filter(e -> Evidence.type(e).equals("CaptureStatistics"))
                    .allMatch(e -> String.valueOf(e.getString("packetsOff")).contains("CAP_NET_RAW")),
                    "the recording does not say that packets were off");
            slowCallsAreHonest(events);
            Harness.assertServes(app.port);
        }
    }

    /** Every slow call has a verdict the app's timings support, the shop's slow /stock among them. */
    private static void slowCallsAreHonest(List<RecordedEvent> events) {
        List<RecordedEvent> slow = events.stream().filter(e -> Evidence.type(e).equals("SlowCall"))
                .collect(Collectors.toList());
        for (RecordedEvent e : slow) {
            assertTrue(APP_TIMING_VERDICTS.contains(e.getString("verdict")), "a verdict that needs packets: " + e);
            assertTrue(e.getString("evidenceFrames").isEmpty(), "evidence packets without packets: " + e);
        }
        // the slow request came last (the fast one before it may be slow too, while the JIT recompiles)
        RecordedEvent stock = slow.stream().filter(e -> String.valueOf(e.getString("request")).contains("/stock"))
                .max(java.util.Comparator.comparingLong(e -> e.getLong("callStart")))
                .orElseThrow(() -> new AssertionError("no SlowCall for the slow /stock: " + slow));
        assertTrue(stock.getLong("callDuration") >= TimeUnit.MILLISECONDS.toNanos(400), stock.toString());
        assertEquals("UNKNOWN", stock.getString("verdict"), stock.toString());
        assertTrue(stock.getString("evidence").contains("packets were off")
                && stock.getString("evidence").contains("call GET /inventory?…"), stock.toString());
        assertTrue(slow.stream().anyMatch(e -> String.valueOf(e.getString("request")).contains("/inventory")),
                "no SlowCall for the upstream call: " + slow);
    }

    @Test
    void collectWithoutCaptureRightsMakesABundleThatSaysSo() throws Exception {
        try (Harness.App app = shopAsNobody()) {
            Path bundles = Files.createDirectory(tmp.resolve("bundles"));
            Files.setPosixFilePermissions(bundles, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path log = tmp.resolve("collect.out");
            // Ctrl+C must reach it as from a terminal (see CollectIT); env and setpriv exec in place
            List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT"));
            cmd.addAll(asNobody("-jar", cliJar.toString(), "collect", app.pid(), "-d", "120s", "-o", bundles.toString(),
                    "--slow", "200ms"));
            Process collect = new ProcessBuilder(cmd).redirectOutput(log.toFile())
                    .redirectError(tmp.resolve("collect.err").toFile()).start();
            try {
                assertTrue(Harness.await(Harness.DEADLINE, () -> Files.readString(log).contains("collecting from")
                        || !collect.isAlive()), "collect never began");
                assertTrue(collect.isAlive(), "collect ended early:\n" + Files.readString(log)
                        + Files.readString(tmp.resolve("collect.err")));
                traffic(app.port);
                Harness.awaitStatusWith(() -> wiretrace("status", app.pid()).expect(0).out, "http GET /stock?…");
                assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(collect.pid())).start().waitFor());
                assertTrue(collect.waitFor(Harness.DEADLINE.toSeconds(), TimeUnit.SECONDS), "collect did not finish");
            } finally {
                collect.destroyForcibly();
            }
            String out = Files.readString(log);
            assertEquals(0, collect.exitValue(), out + Files.readString(tmp.resolve("collect.err")));
            assertTrue(out.contains("stopped by Ctrl+C"), out);
            assertTrue(out.contains("packets off") && !out.contains(" 0 packets"), out);
            assertTrue(out.contains("\npackets: off in the target — the app's user may not capture (no CAP_NET_RAW"), out);

            Path bundle = Paths.get(out.strip().lines().reduce((a, b) -> b).orElseThrow());
            Path files = tmp.resolve("unpacked");
            assertEquals(Set.of("recording.jfr", "report.html", "report.json", "environment.txt"),
                    CollectIT.unzip(bundle, files));
            Map<String, Object> report = CollectIT.json(files.resolve("report.json"));
            @SuppressWarnings("unchecked")
            Map<String, Object> capture = (Map<String, Object>) report.get("capture");
            assertTrue(String.valueOf(capture.get("packetsOff")).contains("CAP_NET_RAW"), capture.toString());
            assertNull(capture.get("packets"), "the report counts packets that were never captured: " + capture);
            assertTrue(Files.readString(files.resolve("report.html")).contains("Packets: off in the target"));
            slowCallsAreHonest(events(files.resolve("recording.jfr")));

            // analyze, offline, on the bundle says it too
            Harness.Result analyzed = Harness.cli("analyze", bundle.toString(), "-o", tmp.resolve("again").toString())
                    .expect(0);
            assertTrue(analyzed.out.contains("packets: off in the target — "), analyzed.out);
            Harness.assertServes(app.port);
        }
    }

    /** A JVM that cannot load libpcap (a musl or distroless image, say) runs without packets too. */
    @Test
    void withoutLibpcapTheSessionRunsWithoutPackets() throws Exception {
        try (Harness.App app = Harness.shop(Harness.currentJava(), upstream.port(),
                "-Dorg.pcap4j.core.pcapLibName=" + tmp.resolve("no-libpcap.so"))) {
            Path out = tmp.resolve("out");
            Harness.Result started = Harness.cli("start", app.pid(), "-w", out.toString()).expect(0);
            assertEquals(1, started.out.lines().filter(l -> l.contains("packets")).count(), started.out);
            assertTrue(started.out.contains("\npackets: off — libpcap cannot be loaded in the app's JVM (")
                    && started.out.contains("apt-get install libpcap0.8"), started.out);
            traffic(app.port);
            Harness.cli("stop", app.pid()).expect(0);
            assertFalse(Files.exists(out.resolve("trace.pcapng")), "a capture file without packets");
            slowCallsAreHonest(events(out.resolve("recording.jfr")));
        }
    }

    /** All of wiretrace's events in a recording (also those about no connection). */
    private static List<RecordedEvent> events(Path jfr) throws Exception {
        return RecordingFile.readAllEvents(jfr).stream().filter(e -> e.getEventType().getName().startsWith("wiretrace."))
                .collect(Collectors.toList());
    }
}
