package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.common.item.Attribute;
import org.openjdk.jmc.common.item.IItem;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.item.IItemIterable;
import org.openjdk.jmc.common.item.IMemberAccessor;
import org.openjdk.jmc.common.item.ItemFilters;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;

/**
 * `wiretrace collect` as an on-call engineer runs it: a slowdown in the shop's upstream, one
 * command, one bundle; every file in it is checked with the tool its reader would use (tshark,
 * jfr, Mission Control's parser, a JSON parser, headless Chromium), and `analyze` must find the
 * same verdicts in it offline.
 */
class CollectIT {
    private static Server upstream;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = new Upstream(0).server(0).start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @Test
    void bundleHoldsEverythingAndAnalyzeAgrees() throws Exception {
        try (Harness.App app = Harness.shop(Harness.currentJava(), upstream.port())) {
            String filter = "tcp port " + app.port + " or tcp port " + upstream.port();
            Collect collect = new Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms", filter);
            collect.awaitOutput("collecting from " + app.pid());
            assertTrue(collect.out.toString().contains("(Ctrl+C stops earlier)"), collect.out.toString());
            for (int i = 0; i < 3; i++) {
                assertTrue(Harness.get(app.port, "/stock?item=fast" + i)[1].startsWith("HTTP/1.1 200"));
            }
            String[] slow = Harness.get(app.port, "/stock?item=slow&delay-ms=400"); // the upstream takes 400 ms
            assertTrue(slow[1].startsWith("HTTP/1.1 200"), slow[1]);
            Harness.awaitStatus(app.pid(), "SERVER_THINK");
            Harness.awaitStatus(app.pid(), ", 0 waiting for their packets");
            // Ctrl+C: collect stops the capture and still bundles
            assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(collect.process.pid())).start().waitFor());
            String out = collect.finish(0);
            assertTrue(out.contains("stopped by Ctrl+C"), out);

            Path bundle = Paths.get(out.strip().lines().reduce((a, b) -> b).orElseThrow());
            assertTrue(bundle.getFileName().toString().matches("wiretrace-[A-Za-z0-9._-]+-" + app.pid()
                    + "-\\d{8}-\\d{6}\\.zip"), bundle.toString());
            assertEquals(tmp, bundle.getParent());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(bundle)));
            Path files = tmp.resolve("unpacked");
            Set<String> names = unzip(bundle, files);
            assertEquals(Set.of("trace.pcapng", "recording.jfr", "report.html", "report.json", "environment.txt"), names);
            String folder = bundle.getFileName().toString().replace(".zip", "");
            assertFalse(Files.exists(tmp.resolve(folder)), "the directory the bundle was made from is left");

            // the capture: tshark reads it, and it holds the slow exchange's packets
            Path pcapng = files.resolve("trace.pcapng");
            assertTrue(Evidence.pcapPackets(pcapng) > 20, "too few packets");
            assertTrue(Evidence.tshark("-r", pcapng.toString(), "-Y", "http.request.uri contains \"slow\"", "-T",
                    "fields", "-e", "frame.number").lines().anyMatch(l -> !l.isBlank()), "no slow request in the capture");

            // the recording: jfr and Mission Control's parser read it; the verdict is there, with units
            Path jfr = files.resolve("recording.jfr");
            String summary = run(List.of(Paths.get(System.getProperty("java.home"), "bin", "jfr").toString(), "summary",
                    jfr.toString()));
            assertTrue(summary.contains("wiretrace.SlowCall") && summary.contains("wiretrace.TcpConnection"), summary);
            assertTrue(summary.contains("jdk.GarbageCollection") || summary.contains("jdk.CPULoad"),
                    "no JDK context events (wiretrace.jfc):\n" + summary);
            IItemCollection items = JfrLoaderToolkit.loadEvents(new File(jfr.toString()));
            List<String> verdicts = strings(items, "wiretrace.SlowCall", "verdict");
            assertTrue(verdicts.contains("SERVER_THINK"), "JMC reads verdicts " + verdicts);
            List<IQuantity> rtts = quantities(items, "wiretrace.TcpConnection", "handshakeRtt");
            assertFalse(rtts.isEmpty(), "JMC sees no wiretrace.TcpConnection with a handshake RTT in time units");

            // report.json: parses, names the slow call with its verdict and a ladder
            Map<String, Object> live = json(files.resolve("report.json"));
            Map<String, Object> slowCall = slowestWith(live, "/stock");
            assertEquals("SERVER_THINK", slowCall.get("verdict"), slowCall.toString());
            assertTrue(((Number) slowCall.get("durationMs")).doubleValue() >= 400, slowCall.toString());
            assertTrue(((String) slowCall.get("evidence")).contains("/inventory"), slowCall.toString());
            Map<String, Object> inventory = slowestWith(live, "/inventory");
            assertEquals("SERVER_THINK", inventory.get("verdict"));
            assertTrue(ladder(inventory).stream().anyMatch(p -> Boolean.TRUE.equals(p.get("evidence"))),
                    "no evidence packet in the ladder of " + inventory);
            assertEquals("SERVER_THINK", ((Map<?, ?>) list(live, "verdicts").get(0)).get("verdict"));
            assertFalse(list(live, "connections").isEmpty());
            assertEquals(app.pid(), ((Map<?, ?>) live.get("environment")).get("pid"), "the report names its target");

            // environment.txt
            String env = Files.readString(files.resolve("environment.txt"));
            for (String s : List.of("wiretrace: ", "command: wiretrace collect " + app.pid(), "java.version: ",
                    "JVM arguments: ", "JVM flags: -XX:", "[OS]", "[interfaces, as the target sees them]", "lo")) {
                assertTrue(env.contains(s), "environment.txt lacks '" + s + "':\n" + env);
            }

            // report.html: renders in Chromium with its verdict table and ladders; a screenshot is kept
            Path html = files.resolve("report.html");
            assertFalse(Files.readString(html).matches("(?s).*(src|href)=\"(https?:)?//.*"), "the report fetches something");
            String dom = Chromium.dumpDom(html, tmp.resolve("chromium"));
            assertTrue(dom.contains("id=\"verdicts\"") && dom.contains("SERVER_THINK"), "no verdict table in the DOM");
            assertTrue(dom.contains("class=\"ladder\"") && dom.contains("evidence"), "no ladder diagram in the DOM");
            Path shot = Paths.get("target", "artifacts", "collect-report.png");
            Chromium.screenshot(html, shot, tmp.resolve("chromium"));
            assertTrue(Files.size(shot) > 10_000, "screenshot too small: " + Files.size(shot));

            // analyze, offline, on the bundle: the same verdicts
            Path again = tmp.resolve("analyzed");
            Harness.cli("analyze", bundle.toString(), "-o", again.toString()).expect(0);
            assertEquals(verdictsOf(live), verdictsOf(json(again.resolve("report.json"))));

            // and from the capture alone, the packets give the upstream's slowness its verdict
            Path packetsOnly = tmp.resolve("packets-only");
            Harness.Result r = Harness.cli("analyze", pcapng.toString(), "-o", packetsOnly.toString()).expect(0);
            assertTrue(r.out.contains("from the packets alone"), r.out);
            Map<String, Object> offline = json(packetsOnly.resolve("report.json"));
            Map<String, Object> upstreamCall = slowestWith(offline, "/inventory");
            assertEquals("SERVER_THINK", upstreamCall.get("verdict"), upstreamCall.toString());
            assertEquals(((Number) inventory.get("connectionId")).longValue(),
                    ((Number) upstreamCall.get("connectionId")).longValue(), "the comments name the connection");
        }
    }

    @Test
    void killedCollectLeavesNoCapturePastTheDeadline() throws Exception {
        try (Harness.App app = Harness.shop(Harness.currentJava(), upstream.port())) {
            Collect collect = new Collect(tmp, app.pid(), "-d", "4s", "-i", "lo", "tcp port " + app.port);
            collect.awaitOutput("collecting from");
            collect.process.destroyForcibly(); // SIGKILL: no chance to stop anything
            assertTrue(collect.process.waitFor(10, TimeUnit.SECONDS));
            String status = Harness.cli("status", app.pid()).expect(0).out;
            assertTrue(status.contains("state: capturing"), "the capture should outlive the CLI until its deadline:\n"
                    + status);
            Instant deadline = Instant.parse(status.replaceAll("(?s).*stops by itself at (\\S+).*", "$1"));
            assertTrue(Harness.await(Duration.ofSeconds(30), () -> Harness.cli("status", app.pid()).expect(0).out
                    .contains("state: idle")), "the capture still runs past its deadline " + deadline);
            Instant idle = Instant.now();
            assertTrue(idle.isBefore(deadline.plusSeconds(3)), "idle only at " + idle + ", deadline " + deadline);
            assertTrue(Harness.await(Duration.ofSeconds(10), () -> Harness.agentThreads(app.pid()).isEmpty()),
                    "agent threads left: " + Harness.agentThreads(app.pid()));
            Harness.assertServes(app.port);
            try (var dirs = Files.list(tmp)) {
                Path dir = dirs.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith("wiretrace-"))
                        .findFirst().orElseThrow(() -> new AssertionError("no capture directory; status:\n" + status));
                assertTrue(Files.size(dir.resolve("trace.pcapng")) > 0 && Files.size(dir.resolve("recording.jfr")) > 0,
                        "the files of a capture stopped by its deadline are closed and written");
            }
        }
    }

    @Test
    void usageErrors() throws Exception {
        Harness.cli("collect", "1", "-d", "0s").expect(2).oneLineError("-d takes a duration above 0");
        Harness.cli("collect", "1", "-d", "25h").expect(2).oneLineError("at most 24h");
        Harness.cli("analyze", tmp.resolve("missing.pcapng").toString()).expect(2).oneLineError("no such file");
        Path notCapture = Files.writeString(tmp.resolve("notes.pcapng"), "not a capture");
        Harness.cli("analyze", notCapture.toString()).expect(1).oneLineError("neither pcap nor pcapng");
    }

    /** The collect process, its output gathered as it comes. */
    static final class Collect {
        final Process process;
        final StringBuffer out = new StringBuffer();
        final StringBuffer err = new StringBuffer();
        private final CompletableFuture<Void> drains;

        Collect(Path dir, String pid, String... args) throws IOException {
            // A command started in the background by a script inherits SIGINT ignored, and so would
            // this one when the build runs that way: Ctrl+C must reach it as from a terminal.
            List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT", Harness.currentJava(), "-jar",
                    Harness.CLI_JAR.toString(), "collect", pid, "-o", dir.toString()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).start();
            drains = CompletableFuture.allOf(CompletableFuture.runAsync(() -> drain(process.getInputStream(), out)),
                    CompletableFuture.runAsync(() -> drain(process.getErrorStream(), err)));
        }

        void awaitOutput(String text) throws Exception {
            assertTrue(Harness.await(Harness.DEADLINE, () -> out.toString().contains(text) || !process.isAlive()),
                    "collect never said '" + text + "'");
            assertTrue(out.toString().contains(text), "collect ended early:\n" + out + err);
        }

        String finish(int code) throws Exception {
            assertTrue(process.waitFor(Harness.DEADLINE.toSeconds(), TimeUnit.SECONDS), "collect did not finish:\n" + out);
            drains.get(10, TimeUnit.SECONDS);
            assertEquals(code, process.exitValue(), "exit code; stdout:\n" + out + "\nstderr:\n" + err);
            return out.toString();
        }

        private static void drain(InputStream in, StringBuffer into) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    into.append(line).append('\n');
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }
    }

    /** Ends a collect with Ctrl+C, as a user would, and unpacks its bundle into {@code dir}. */
    static Path interruptAndUnpack(Collect collect, Path dir) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(collect.process.pid())).start().waitFor());
        String printed = collect.finish(0);
        Path bundle = Paths.get(printed.strip().lines().reduce((a, b) -> b).orElseThrow());
        unzip(bundle, dir);
        return dir;
    }

    /** The bundle's files into {@code dir}; returns their names. */
    static Set<String> unzip(Path zip, Path dir) throws IOException {
        Files.createDirectories(dir);
        Set<String> names = new TreeSet<>();
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(zip))) {
            ZipEntry e;
            while ((e = z.getNextEntry()) != null) {
                String n = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                names.add(n);
                Files.copy(z, dir.resolve(n), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(Path file) throws IOException {
        return (Map<String, Object>) JsonReader.parse(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> doc, String key) {
        return (List<Object>) doc.get(key);
    }

    /** The longest slow call whose request names {@code path}, but for its wait to be read (see Accuracy.ownCall). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> slowestWith(Map<String, Object> doc, String path) {
        return list(doc, "slowCalls").stream().map(o -> (Map<String, Object>) o)
                .filter(c -> c.get("request") != null && ((String) c.get("request")).contains(path))
                .filter(Accuracy::ownCall)
                .max((a, b) -> Double.compare(((Number) a.get("durationMs")).doubleValue(),
                        ((Number) b.get("durationMs")).doubleValue()))
                .orElseThrow(() -> new AssertionError("no slow call to " + path + " in " + doc.get("slowCalls")));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> ladder(Map<String, Object> call) {
        Map<String, Object> l = (Map<String, Object>) call.get("ladder");
        assertNotNull(l, "no ladder for " + call);
        return (List<Map<String, Object>>) l.get("packets");
    }

    /** What makes a verdict the same one: the call, its connection, its time and the verdict. */
    @SuppressWarnings("unchecked")
    private static List<String> verdictsOf(Map<String, Object> doc) {
        return list(doc, "slowCalls").stream().map(o -> (Map<String, Object>) o)
                .map(c -> c.get("call") + " " + c.get("request") + " conn " + c.get("connectionId") + " at "
                        + c.get("time") + " for " + c.get("durationMs") + " ms: " + c.get("verdict") + " ("
                        + c.get("explainedMs") + " ms) " + c.get("evidence"))
                .collect(Collectors.toList());
    }

    private static List<String> strings(IItemCollection items, String type, String field) {
        List<String> out = new ArrayList<>();
        for (IItemIterable it : items.apply(ItemFilters.type(type))) {
            IMemberAccessor<String, IItem> a = Attribute.attr(field, field, UnitLookup.PLAIN_TEXT).getAccessor(it.getType());
            assertNotNull(a, type + "." + field + " is not text to JMC");
            it.forEach(i -> out.add(a.getMember(i)));
        }
        return out;
    }

    private static List<IQuantity> quantities(IItemCollection items, String type, String field) {
        List<IQuantity> out = new ArrayList<>();
        for (IItemIterable it : items.apply(ItemFilters.type(type))) {
            IMemberAccessor<IQuantity, IItem> a = Attribute.attr(field, field, UnitLookup.TIMESPAN).getAccessor(it.getType());
            assertNotNull(a, type + "." + field + " is not a timespan to JMC");
            it.forEach(i -> out.add(a.getMember(i)));
        }
        return out;
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
