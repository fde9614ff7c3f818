package io.wiretrace.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.agent.correlate.Correlator;
import io.wiretrace.analysis.protocol.StartOptions;
import io.wiretrace.analysis.verdict.Call;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watch's bookkeeping: one bundle per window, the cooldown, the maximum, the arming, on calls made up here. */
class WatchTest {
    /** Armed a minute before the start: the calls made up here began before it. */
    private static final long ARMED = -Duration.ofMinutes(1).toNanos();

    @TempDir
    Path dir;

    private static StartOptions options(String... kv) {
        Map<String, String> v = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            v.put(kv[i], kv[i + 1]);
        }
        return StartOptions.parse(v);
    }

    private static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** A slow read of {@code ms}, ended now, on connection 7 to 10.0.0.5:5432. */
    private static void slowRead(Watch w, long ms) {
        long end = now();
        Call c = new Call(Call.READ, end - ms * 1_000_000L, end, "worker-1", null);
        w.call(c, "read", "SERVER_THINK", c.start, c.end, 7, "10.0.0.5", 5432, "the peer took its time");
    }

    private List<Path> bundles() throws IOException {
        try (Stream<Path> l = Files.list(dir)) {
            return l.filter(p -> p.getFileName().toString().endsWith(".zip") && !p.getFileName().toString().startsWith("."))
                    .sorted().collect(Collectors.toList());
        }
    }

    private static boolean await(java.util.function.BooleanSupplier b) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            if (b.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return b.getAsBoolean();
    }

    @Test
    void oneBundlePerWindowThenCooldownThenTheMaximum() throws Exception {
        StartOptions o = options("trigger", "slow>1s,peer=10.0.0.5", "after", "300ms", "cooldown", "1s", "max-bundles", "2");
        Watch w = new Watch(o, dir, new Correlator(o.slow.toNanos(), false), null, null, o.slow.toNanos(), ARMED);
        w.start();
        try {
            slowRead(w, 500); // not slow enough
            slowRead(w, 1500);
            slowRead(w, 1500); // in the window: the same bundle
            assertTrue(await(() -> w.written() == 1), w.status());
            assertTrue(w.status().contains("1 in a window"), w.status());
            slowRead(w, 1500); // cooling down
            assertTrue(w.status().contains("1 cooling down"), w.status());
            assertTrue(await(() -> !w.status().contains("cooling down for")), w.status());
            slowRead(w, 2000);
            assertTrue(await(() -> w.written() == 2), w.status());
            assertTrue(await(() -> !w.status().contains("cooling down for")), w.status());
            slowRead(w, 2000); // past the maximum
            assertTrue(w.status().contains("1 past --max-bundles"), w.status());
            assertTrue(w.status().contains("slow>1s,peer=10.0.0.5 (fired 5)"), w.status());
        } finally {
            w.stop(false);
        }
        List<Path> b = bundles();
        assertEquals(2, b.size(), b.toString());
        try (ZipFile z = new ZipFile(b.get(0).toFile())) {
            String folder = b.get(0).getFileName().toString().replace(".zip", "");
            String env = new String(z.getInputStream(z.getEntry(folder + "/environment.txt")).readAllBytes());
            assertTrue(env.contains("trigger: slow>1s,peer=10.0.0.5"), env);
            assertTrue(env.contains("read on connection 7 with 10.0.0.5:5432 on thread worker-1 took 1,500.0 ms (SERVER_THINK)"), env);
            assertTrue(env.contains("also fired in the window: slow>1s"), env);
        }
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(b.get(0))));
        try (Stream<Path> l = Files.list(dir)) {
            assertEquals(List.of(), l.filter(p -> p.getFileName().toString().startsWith(".")).collect(Collectors.toList()),
                    "no temporary file or cut directory left");
        }
    }

    @Test
    void aWindowOpenAtTheStopIsCutThen() throws Exception {
        StartOptions o = options("trigger", "verdict=PEER_RESET", "after", "5m");
        Watch w = new Watch(o, dir, new Correlator(o.slow.toNanos(), false), null, null, o.slow.toNanos(), ARMED);
        w.start();
        long end = now();
        Call c = new Call(Call.READ, end - 1_000_000L, end, "worker-2", "java.net.SocketException: Connection reset");
        w.call(c, "read", "PEER_RESET", c.start, c.end, 9, "10.0.0.6", 443, "a reset");
        assertTrue(w.status().contains("window open: verdict=PEER_RESET"), w.status());
        w.stop(false);
        assertEquals(1, bundles().size());
    }

    @Test
    void callsThatBeganBeforeTheTriggersWereArmedFireNothing() throws Exception {
        StartOptions o = options("trigger", "slow>1s", "after", "0s");
        Watch w = new Watch(o, dir, new Correlator(o.slow.toNanos(), false), null, null, o.slow.toNanos(),
                Duration.ofMinutes(1).toNanos());
        w.start();
        try {
            slowRead(w, 3000);
            assertTrue(w.status().contains("slow>1s (fired 0)"), w.status());
            assertTrue(w.status().contains("not fired on: 1"), w.status());
        } finally {
            w.stop(false);
        }
        assertEquals(0, bundles().size());
    }
}
