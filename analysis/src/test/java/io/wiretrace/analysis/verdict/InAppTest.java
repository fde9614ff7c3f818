package io.wiretrace.analysis.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InAppTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_700_000_000_000L * MS;
    private static final long THREAD = 42;
    private static final String[] BURN = {"java.lang.StrictMath.sqrt", "com.example.Shop.burn", "com.example.Shop.handle"};
    private static final String[] SLEEP = {"java.lang.Thread.sleep", "com.example.Shop.nap"};
    private static final String[] LOCK = {"jdk.internal.misc.Unsafe.park", "java.util.concurrent.locks.LockSupport.park",
        "java.util.concurrent.locks.AbstractQueuedSynchronizer.acquire",
        "java.util.concurrent.locks.ReentrantLock$Sync.lock", "java.util.concurrent.locks.ReentrantLock.lock",
        "com.example.Shop.locked"};

    private final List<InApp.Event> events = new ArrayList<>();

    private static Explanation unknown() {
        return new Explanation().set(Verdict.UNKNOWN, 0, "the network shows no fault");
    }

    private Explanation explain() {
        return InApp.explain(THREAD, T0, T0 + 500 * MS, 20 * MS, events, unknown());
    }

    private void samples(long thread, int n, String[] frames) {
        samples(thread, n, 20, frames);
    }

    private void samples(long thread, int n, long everyMs, String[] frames) {
        samples(thread, 10, n, everyMs, frames);
    }

    private void samples(long thread, long fromMs, int n, long everyMs, String[] frames) {
        for (int i = 0; i < n; i++) {
            long t = T0 + fromMs * MS + i * everyMs * MS;
            events.add(new InApp.Event(InApp.SAMPLE, thread, t, t, null, null, 0, frames));
        }
    }

    @Test
    void aThreadThatRanIsAppCpuWithItsHottestFrames() {
        samples(THREAD, 22, BURN);
        samples(THREAD, 450, 2, 20, new String[] {"com.example.Shop.handle"});
        samples(7, 25, SLEEP); // another thread's
        Explanation v = explain();
        assertEquals(Verdict.APP_CPU, v.verdict, v.evidence);
        assertEquals(480 * MS, v.explained);
        assertTrue(v.evidence.contains("24 execution samples"), v.evidence);
        assertTrue(v.evidence.contains("StrictMath.sqrt ← Shop.burn (22 of 24)"), v.evidence);
        assertTrue(v.evidence.endsWith("; the network shows no fault"), v.evidence);
    }

    @Test
    void aSamplerBehindItsPeriodStillShowsARunningThread() {
        samples(THREAD, 13, 38, BURN); // a busy machine: every 38 ms, not 20
        Explanation v = explain();
        assertEquals(Verdict.APP_CPU, v.verdict, v.evidence);
        assertEquals((20 + 12 * 38) * MS, v.explained);

        events.clear();
        samples(THREAD, 5, 100, BURN); // ran now and then: each sample stands for two periods at most
        v = explain();
        assertEquals(Verdict.UNKNOWN, v.verdict, v.evidence);
        assertTrue(v.evidence.contains("cpu 36% (5 samples)"), v.evidence);
    }

    @Test
    void aMonitorHeldElsewhereIsAppLockNamingTheClassAndTheHolder() {
        events.add(new InApp.Event(InApp.MONITOR, THREAD, T0 + 5 * MS, T0 + 495 * MS, "com.example.Shop$Stock",
                "stock-keeper", 0, new String[] {"com.example.Shop.reserve"}));
        Explanation v = explain();
        assertEquals(Verdict.APP_LOCK, v.verdict, v.evidence);
        assertEquals(490 * MS, v.explained);
        assertTrue(v.evidence.contains("a monitor of com.example.Shop$Stock held by stock-keeper at Shop.reserve"), v.evidence);

        // as wiretrace.jfc records it: without its stack
        events.clear();
        events.add(new InApp.Event(InApp.MONITOR, THREAD, T0 + 5 * MS, T0 + 495 * MS, "com.example.Shop$Stock",
                "stock-keeper", 0, null));
        v = explain();
        assertEquals(Verdict.APP_LOCK, v.verdict, v.evidence);
        assertTrue(v.evidence.contains("a monitor of com.example.Shop$Stock held by stock-keeper (490"), v.evidence);
    }

    @Test
    void aParkInAReentrantLockIsAppLockAndAPlainParkIsAppWait() {
        events.add(new InApp.Event(InApp.PARK, THREAD, T0 - 100 * MS, T0 + 400 * MS,
                "java.util.concurrent.locks.ReentrantLock$NonfairSync", null, 0, LOCK));
        Explanation v = explain();
        assertEquals(Verdict.APP_LOCK, v.verdict, v.evidence);
        assertEquals(400 * MS, v.explained); // only the part inside the call
        assertTrue(v.evidence.contains("java.util.concurrent lock, java.util.concurrent.locks.ReentrantLock$NonfairSync at"
                + " Unsafe.park ← Shop.locked"), v.evidence);

        events.clear();
        events.add(new InApp.Event(InApp.PARK, THREAD, T0, T0 + 450 * MS, null, null, 0,
                new String[] {"jdk.internal.misc.Unsafe.park", "java.util.concurrent.locks.LockSupport.parkNanos",
                    "com.example.Shop.pause"}));
        v = explain();
        assertEquals(Verdict.APP_WAIT, v.verdict, v.evidence);
        assertTrue(v.evidence.contains("parked at Unsafe.park ← Shop.pause"), v.evidence);
    }

    @Test
    void aConditionAwaitIsAWaitNotALock() {
        events.add(new InApp.Event(InApp.PARK, THREAD, T0, T0 + 450 * MS,
                "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject", null, 0,
                new String[] {"jdk.internal.misc.Unsafe.park", "java.util.concurrent.locks.LockSupport.park",
                    "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject.await", "com.example.Q.take"}));
        assertEquals(Verdict.APP_WAIT, explain().verdict);
    }

    @Test
    void aSleepIsAppWaitWhere() {
        events.add(new InApp.Event(InApp.SLEEP, THREAD, T0 + 1 * MS, T0 + 499 * MS, null, null, 0, SLEEP));
        Explanation v = explain();
        assertEquals(Verdict.APP_WAIT, v.verdict, v.evidence);
        assertTrue(v.evidence.contains("slept at Thread.sleep ← Shop.nap (498.0 ms)"), v.evidence);
    }

    @Test
    void gcPausesCountTheirPausesNotAConcurrentCycle() {
        events.add(new InApp.Event(InApp.GC, -1, T0 + 10 * MS, T0 + 460 * MS, "SerialOld (System.gc())", null,
                450 * MS, null));
        Explanation v = explain();
        assertEquals(Verdict.APP_GC, v.verdict, v.evidence);
        assertEquals(450 * MS, v.explained);
        assertTrue(v.evidence.contains("SerialOld (System.gc()) (450.0 ms)"), v.evidence);

        events.clear();
        events.add(new InApp.Event(InApp.GC, -1, T0, T0 + 500 * MS, "G1Old (G1 Humongous Allocation)", null, 3 * MS, null));
        assertEquals(Verdict.UNKNOWN, explain().verdict);
    }

    @Test
    void safepointsThatOverlapCountOnce() {
        events.add(new InApp.Event(InApp.SAFEPOINT, -1, T0, T0 + 200 * MS, null, null, 200 * MS, null));
        events.add(new InApp.Event(InApp.SAFEPOINT, -1, T0 + 100 * MS, T0 + 300 * MS, null, null, 200 * MS, null));
        Explanation v = explain();
        assertEquals(Verdict.APP_GC, v.verdict, v.evidence);
        assertEquals(300 * MS, v.explained);
    }

    @Test
    void noCauseCoveringHalfListsTheShares() {
        samples(THREAD, 7, BURN); // 140 ms
        events.add(new InApp.Event(InApp.MONITOR, THREAD, T0 + 200 * MS, T0 + 250 * MS, "X", null, 0, null));
        events.add(new InApp.Event(InApp.SLEEP, THREAD, T0 + 300 * MS, T0 + 400 * MS, null, null, 0, SLEEP));
        Explanation v = explain();
        assertEquals(Verdict.UNKNOWN, v.verdict);
        assertEquals("the network shows no fault; in the app: cpu 28% (7 samples), lock 10%, gc 0%, wait 20% of 500.0 ms",
                v.evidence);
    }

    @Test
    void aVerdictTheNetworkGaveIsKept() {
        samples(THREAD, 25, BURN);
        Explanation v = new Explanation().set(Verdict.SERVER_THINK, 400 * MS, "the peer thought");
        InApp.explain(THREAD, T0, T0 + 500 * MS, 20 * MS, events, v);
        assertEquals(Verdict.SERVER_THINK, v.verdict);
        assertEquals("the peer thought", v.evidence);
    }
}
