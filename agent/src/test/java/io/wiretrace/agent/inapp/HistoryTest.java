package io.wiretrace.agent.inapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class HistoryTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * JFR's stream also calls its flush action when a poll found nothing new, just before it reads
     * the flush that woke it: that call must not settle a call that ended after the last flush.
     */
    @Test
    void onlyAFlushThatBeganAfterTheCallsEndSettlesIt() {
        History h = new History(20 * MS);
        long flush = 1_000_000 * 1_000 * MS;
        long end = flush + 300 * MS;
        assertFalse(h.settled(end, end + 200 * MS), "nothing delivered yet");
        h.flushBegan(flush);
        h.flush();
        assertFalse(h.settled(end, end + 700 * MS), "the last flush began before the call ended");
        h.flush(); // the poll that found nothing, a second later
        assertFalse(h.settled(end, flush + 1_001 * MS), "a delivery without a flush event settles nothing");
        h.flushBegan(flush + 1_000 * MS); // the flush's event is dispatched, its delivery is not done
        assertFalse(h.settled(end, flush + 1_002 * MS), "settled before the flush's events were all dispatched");
        h.flush();
        assertTrue(h.settled(end, flush + 1_003 * MS));
        assertTrue(h.settled(flush + 1_000 * MS, flush + 3_500 * MS), "waited long enough");
    }

    /**
     * With the JDK's own stream: once a call is settled, polled as closely as a busy correlator
     * might, all of its thread's samples are in; none comes later.
     */
    @Test
    void aSettledCallHasAllItsSamples() throws Exception {
        List<String> off = new ArrayList<>();
        History h = History.start(Map.of("jdk.ExecutionSample#enabled", "true", "jdk.ExecutionSample#period", "10 ms"),
                off::add);
        assertNotNull(h, off.toString());
        try {
            for (int round = 0; round < 2; round++) {
                long[] window = new long[2];
                long[] id = new long[1];
                Thread t = new Thread(() -> {
                    id[0] = Thread.currentThread().getId();
                    window[0] = now();
                    long t0 = System.nanoTime(); // stays in Java: the sampler skips a thread in native code
                    long x = 0;
                    while (System.nanoTime() - t0 < 500 * MS) {
                        for (int i = 0; i < 1000; i++) {
                            x += Long.numberOfTrailingZeros(x * 31 + i);
                        }
                    }
                    window[1] = now() + (x & 0); // keeps the loop
                }, "burner-" + round);
                t.start();
                t.join();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!h.settled(window[1], now()) && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000);
                }
                assertTrue(h.settled(window[1], now()), "not settled 10 s after its end");
                int settled = h.events(id[0], window[0], window[1]).size();
                long after = now(); // one more flush: anything late would be in by then
                while (!h.settled(after, now()) && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(10)) {
                    LockSupport.parkNanos(MS);
                }
                int later = h.events(id[0], window[0], window[1]).size();
                assertTrue(later > 0, "no sample of a thread that ran 500 ms: " + h.status());
                assertEquals(later, settled, "samples delivered after round " + round + "'s call was settled");
            }
        } finally {
            h.close();
        }
    }

    private static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
