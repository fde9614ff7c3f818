package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wiretrace watch} as a user leaves it running: the sample shop under steady load, its
 * upstream turning slow or resetting connections at random moments, a few times over a couple of
 * minutes. Each occurrence must yield exactly one bundle that holds it (packets, events) and whose
 * report opens on the call that fired; the quiet stretch before the first fires nothing; the ring
 * stays within its disk budget; and a target killed while a window is open leaves the bundles
 * already written whole.
 */
class WatchIT {
    private static final Duration AFTER = Duration.ofSeconds(3);
    private static final Duration COOLDOWN = Duration.ofSeconds(4);
    private static final long DISK = 60_000_000L;

    @TempDir
    Path tmp;

    /** An upstream that answers /stock and /inventory at once, or late, or with a reset, as it is told. */
    static final class Flaky implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong delayMs = new AtomicLong();
        final AtomicBoolean reset = new AtomicBoolean();
        final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

        Flaky() throws IOException {
            server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "flaky-accept");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    open.add(s);
                    Thread t = new Thread(() -> serve(s), "flaky-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                while (true) {
                    if (!readHead(in)) {
                        return;
                    }
                    if (reset.get()) {
                        s.setSoLinger(true, 0); // the close sends a reset
                        return;
                    }
                    long d = delayMs.get();
                    if (d > 0) {
                        Thread.sleep(d);
                    }
                    byte[] body = "{\"stock\":7}".getBytes(StandardCharsets.US_ASCII);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            } finally {
                open.remove(s);
            }
        }

        private static boolean readHead(InputStream in) throws IOException {
            int state = 0;
            int c;
            boolean any = false;
            while ((c = in.read()) >= 0) {
                any = true;
                state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
                if (state == 4) {
                    return true;
                }
            }
            if (any) {
                throw new IOException("request cut short");
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (open) {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    /** Requests /stock (a blocking socket upstream call) every 40 ms on two threads until closed; counts answers. */
    static final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();

        Load(int port) {
            for (int i = 0; i < 2; i++) {
                int n = i;
                Thread t = new Thread(() -> {
                    for (int k = 0; running.get(); k++) {
                        try {
                            String[] r = Harness.get(port, "/stock?item=w" + n + "-" + k);
                            (r[1].startsWith("HTTP/1.1 200") ? ok : failed).incrementAndGet();
                        } catch (IOException e) {
                            failed.incrementAndGet();
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(40_000_000L);
                    }
                }, "load-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(20_000);
            }
        }
    }

    /** One occurrence of the problem: what it was and when it began and ended. */
    static final class Occurrence {
        final String kind;
        final Instant from;
        Instant to;

        Occurrence(String kind, Instant from) {
            this.kind = kind;
            this.from = from;
        }

        @Override
        public String toString() {
            return kind + " " + from + ".." + to;
        }
    }

    @Test
    void eachOccurrenceYieldsOneBundleThatHoldsIt() throws Exception {
        long seed = Long.getLong("wiretrace.watch.seed", System.nanoTime());
        System.out.println("watch: the occurrences' moments from seed " + seed + " (-Dwiretrace.watch.seed=" + seed + ")");
        Random random = new Random(seed);
        Path out = tmp.resolve("watch");
        List<Occurrence> occurrences = new ArrayList<>();
        try (Flaky upstream = new Flaky();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
                Load load = new Load(app.port)) {
            Harness.Result started = Harness.cli("watch", app.pid(), "-i", "lo", "-w", out.toString(),
                    "--trigger", "slow>800ms", "--trigger", "verdict=PEER_RESET", "--after", AFTER.toSeconds() + "s",
                    "--cooldown", COOLDOWN.toSeconds() + "s", "--keep", "3m", "--disk", DISK / 1_000_000 + "MB",
                    "--max-bundles", "4", "--for", "10m",
                    "tcp port " + app.port + " or tcp port " + upstream.port()).expect(0);
            assertTrue(started.out.contains("watching: slow>800ms, verdict=PEER_RESET"), started.out);

            // a quiet stretch: steady load, nothing slow; nothing may fire
            long quietUntil = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            long most = 0;
            while (System.nanoTime() < quietUntil) {
                most = Math.max(most, ringBytes(out));
                Thread.sleep(500);
            }
            String quiet = Harness.cli("status", app.pid()).expect(0).out;
            assertTrue(quiet.contains("slow>800ms (fired 0), verdict=PEER_RESET (fired 0)"), quiet);
            assertTrue(quiet.contains("bundles: 0 of 4"), quiet);
            assertTrue(load.ok.get() > 100 && load.failed.get() == 0, "load: " + load.ok + " ok, " + load.failed + " failed");

            String[] kinds = {"slow", "reset", "slow"};
            for (String kind : kinds) {
                Thread.sleep(1000 + random.nextInt(4000)); // a random moment
                Occurrence o = new Occurrence(kind, Instant.now());
                if (kind.equals("slow")) {
                    upstream.delayMs.set(1200);
                } else {
                    upstream.reset.set(true);
                }
                Thread.sleep(1500);
                upstream.delayMs.set(0);
                upstream.reset.set(false);
                Thread.sleep(1300); // the slow answers still under way end
                o.to = Instant.now();
                occurrences.add(o);
                int n = occurrences.size();
                assertTrue(Harness.await(Harness.DEADLINE, () -> bundles(out).size() >= n),
                        "no bundle for " + o + ": " + Harness.cli("status", app.pid()).out);
                // past the cooldown, so that the next occurrence gets a bundle of its own
                long until = System.nanoTime() + COOLDOWN.toNanos() + 500_000_000L;
                while (System.nanoTime() < until) {
                    most = Math.max(most, ringBytes(out));
                    Thread.sleep(250);
                }
            }
            String status = Harness.cli("status", app.pid()).expect(0).out;
            assertTrue(status.contains("bundles: 3 of 4"), status);
            assertTrue(most <= DISK * 4 / 5, "the ring took " + most + " bytes, its part of --disk is " + DISK * 4 / 5);

            // one more occurrence, and the target killed inside its window: the bundles written stay whole
            upstream.delayMs.set(1200);
            assertTrue(Harness.await(Harness.DEADLINE, () -> Harness.cli("status", app.pid()).out.contains("window open:")),
                    "the fourth occurrence opened no window");
            app.process.destroyForcibly().waitFor();
            upstream.delayMs.set(0);
        }

        List<Path> bundles = bundles(out);
        assertEquals(3, bundles.size(), "one bundle per occurrence " + occurrences + ": " + bundles);
        for (int i = 0; i < bundles.size(); i++) {
            check(bundles.get(i), occurrences.get(i), tmp.resolve("b" + i));
        }
    }

    /** The bundle's files, trigger, report, packets and events hold the occurrence. */
    private static void check(Path bundle, Occurrence o, Path into) throws Exception {
        Files.createDirectories(into);
        Map<String, Path> files = new TreeMap<>();
        try (ZipFile z = new ZipFile(bundle.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                Path p = into.resolve(e.getName().substring(e.getName().indexOf('/') + 1));
                try (InputStream in = z.getInputStream(e)) {
                    Files.copy(in, p);
                }
                files.put(p.getFileName().toString(), p);
            }
        }
        String what = bundle + " for " + o + ": ";
        for (String need : List.of("recording.jfr", "report.html", "report.json", "environment.txt")) {
            assertTrue(files.containsKey(need), what + "no " + need + " in " + files.keySet());
        }
        List<Path> captures = files.values().stream().filter(p -> p.getFileName().toString().contains(".pcapng"))
                .collect(Collectors.toList());
        assertFalse(captures.isEmpty(), what + "no capture files");

        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) JsonReader.parse(Files.readString(files.get("report.json")));
        @SuppressWarnings("unchecked")
        Map<String, Object> trigger = (Map<String, Object>) report.get("trigger");
        assertNotNull(trigger, what + "the report has no trigger");
        Instant fired = Instant.parse((String) trigger.get("firedAt"));
        assertTrue(!fired.isBefore(o.from) && fired.isBefore(o.to.plusSeconds(5)), what + "fired at " + fired);
        String spec = (String) trigger.get("spec");
        System.out.println("watch: " + o + " -> " + bundle.getFileName() + ": " + spec + " fired at " + fired + " by "
                + trigger.get("what") + "; report call #" + trigger.get("callId") + " (" + trigger.get("verdict") + ")");
        if (o.kind.equals("slow")) {
            assertEquals("slow>800ms", spec, what + trigger);
        } else {
            assertTrue(spec.equals("verdict=PEER_RESET") || spec.equals("slow>800ms"), what + trigger);
        }
        assertNotNull(trigger.get("callId"), what + "the report does not name the call that fired: " + trigger);
        String html = Files.readString(files.get("report.html"));
        long callId = ((Number) trigger.get("callId")).longValue();
        int box = html.indexOf("id=\"trigger\"");
        int call = html.indexOf("id=\"call-" + callId + "\"");
        assertTrue(box >= 0 && html.indexOf(spec.replace(">", "&gt;"), box) > box && call > box, what
                + "the report does not open on the trigger (box at " + box + ", call #" + callId + " at " + call + ")");
        assertEquals(call, html.indexOf("id=\"call-"), what + "the call that fired is not the first call shown");

        // the packets of the occurrence: the upstream's port, at its time
        long from = o.from.toEpochMilli() * 1_000_000L;
        long to = o.to.toEpochMilli() * 1_000_000L;
        long inside = 0;
        for (Path c : captures) {
            for (Savefile.Packet p : Savefile.read(c)) {
                if (p.nanos() >= from && p.nanos() <= to) {
                    inside++;
                }
            }
        }
        assertTrue(inside > 20, what + inside + " packets of its time");

        // its events: the trigger's, and the slow calls or resets of its time
        List<RecordedEvent> events = RecordingFile.readAllEvents(files.get("recording.jfr"));
        assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("wiretrace.Trigger")
                && "bundle".equals(e.getString("outcome")) && e.getString("trigger").equals(spec)), what + "no Trigger event");
        long slow = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall")
                && !e.getStartTime().isBefore(o.from) && e.getStartTime().isBefore(o.to.plusSeconds(5))).count();
        assertTrue(slow > 0, what + "no slow call of its time in the recording");
        String env = Files.readString(files.get("environment.txt"));
        assertTrue(env.contains("trigger: " + spec), what + env);
        assertTrue(Evidence.pcapPackets(captures.get(0)) > 0, what + "tshark reads no packet in " + captures.get(0));
    }

    private static List<Path> bundles(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        try (Stream<Path> l = Files.list(out)) {
            return l.filter(p -> p.getFileName().toString().endsWith(".zip") && !p.getFileName().toString().startsWith("."))
                    .sorted().collect(Collectors.toList());
        }
    }

    private static long ringBytes(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return 0;
        }
        long n = 0;
        try (Stream<Path> l = Files.list(out)) {
            for (Path p : (Iterable<Path>) l::iterator) {
                if (p.getFileName().toString().contains(".pcapng")) {
                    try {
                        n += Files.size(p);
                    } catch (IOException e) {
                        // let go meanwhile
                    }
                }
            }
        }
        return n;
    }

    /**
     * A status trigger fires on fast 502s (the shop's answer when its upstream resets), a rate
     * trigger on the resets in the packets; each cuts its bundle, the report saying what fired.
     */
    @Test
    void statusAndRateTriggers() throws Exception {
        try (Flaky upstream = new Flaky();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
                Load load = new Load(app.port)) {
            String filter = "tcp port " + app.port + " or tcp port " + upstream.port();
            String[][] watches = {{"status>=502,path=/stock", "status 502"}, {"resets>3/s", "TCP resets"}};
            for (int i = 0; i < watches.length; i++) {
                Path out = tmp.resolve("w" + i);
                Harness.cli("watch", app.pid(), "-i", "lo", "-w", out.toString(), "--trigger", watches[i][0],
                        "--after", "1s", "--disk", "50MB", filter).expect(0);
                Harness.awaitStatus(app.pid(), "(fired 0)");
                // quiet until the triggers are armed (5 s after the start)
                assertTrue(Harness.await(Harness.DEADLINE, () -> !Harness.cli("status", app.pid()).out.contains("armed in")));
                String list = Harness.cli("list").expect(0).out;
                assertTrue(list.lines().anyMatch(l -> l.contains(app.pid()) && l.contains("watching " + out)), list);
                assertEquals(List.of(), bundles(out), "fired on a quiet run");
                upstream.reset.set(true);
                assertTrue(Harness.await(Harness.DEADLINE, () -> bundles(out).size() == 1),
                        Harness.cli("status", app.pid()).out);
                upstream.reset.set(false);
                String stopped = Harness.cli("stop", app.pid()).expect(0).out;
                assertTrue(stopped.contains(watches[i][0] + " (fired "), stopped);
                Path b = bundles(out).get(0);
                Path into = tmp.resolve("u" + i);
                Files.createDirectories(into);
                String json;
                try (ZipFile z = new ZipFile(b.toFile())) {
                    String folder = b.getFileName().toString().replace(".zip", "");
                    json = new String(z.getInputStream(z.getEntry(folder + "/report.json")).readAllBytes(), StandardCharsets.UTF_8);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> trigger = (Map<String, Object>) ((Map<String, Object>) JsonReader.parse(json)).get("trigger");
                System.out.println("watch " + watches[i][0] + ": " + trigger);
                assertEquals(watches[i][0], trigger.get("spec"));
                assertTrue(((String) trigger.get("what")).contains(watches[i][1]), trigger.toString());
            }
            assertTrue(load.failed.get() > 0, "the resets failed requests");
        }
    }

    @Test
    void wrongWatchesAreUsageErrors() throws Exception {
        Harness.cli("watch", "1", "-i", "lo").expect(2);
        Harness.cli("watch", "1", "--trigger", "slow>fast").expect(2).oneLineError("slow>fast");
        Harness.cli("watch", "1", "--trigger", "verdict=SLOWNESS").expect(2).oneLineError("PEER_RESET");
        Harness.cli("watch", "1", "--trigger", "slow>1s", "--after", "10m").expect(2).oneLineError("--keep");
        Harness.cli("watch", "1", "--trigger", "slow>1s", "--disk", "1MB").expect(2).oneLineError("--disk");
        Harness.cli("watch", "1", "--trigger", "slow>1s", "-G", "10").expect(2).oneLineError("-G");
        Harness.cli("watch", "1", "--trigger", "slow>1s", "--for", "0s").expect(2).oneLineError("--for");
        String help = Harness.cli("watch", "--help").expect(0).out;
        for (String s : new String[] {"--trigger", "--after", "--before", "--keep", "--disk", "--cooldown", "--max-bundles",
            "--for", "retrans>50/s", "status>=500"}) {
            assertTrue(help.contains(s), "--help names " + s);
        }
    }
}
