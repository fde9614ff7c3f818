package io.wiretrace.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TickerTest {
    private static final long WAIT = TimeUnit.MILLISECONDS.toNanos(40);

    @Test
    void aWaitLastsItsTimeAndLeavesNoParkEventWhereAParkDoes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("parks.jfr");
        String me = Thread.currentThread().getName();
        try (Recording r = new Recording(); Ticker t = new Ticker()) {
            r.enable("jdk.ThreadPark").withThreshold(Duration.ZERO).withStackTrace();
            r.enable("jdk.ThreadSleep").withThreshold(Duration.ZERO);
            r.enable("jdk.JavaMonitorWait").withThreshold(Duration.ZERO);
            r.start();
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                t.await(WAIT);
                assertTrue(System.nanoTime() - start >= WAIT / 2, "a wait with no wake returned early");
            }
            LockSupport.parkNanos(WAIT); // what the threads did before: the recording must see it
            r.stop();
            r.dump(out);
        }
        List<RecordedEvent> mine = RecordingFile.readAllEvents(out).stream()
                .filter(e -> e.getThread() != null && me.equals(e.getThread().getJavaName()))
                .filter(e -> e.getEventType().getName().matches("jdk\\.(ThreadPark|ThreadSleep|JavaMonitorWait)"))
                .collect(java.util.stream.Collectors.toList());
        assertEquals(1, mine.size(), "only the plain park is recorded: " + mine);
        assertEquals("jdk.ThreadPark", mine.get(0).getEventType().getName());
    }

    @Test
    void aWakeEndsAWaitUnderWayAndOneMadeBeforeTheWaitEndsIt() throws Exception {
        try (Ticker t = new Ticker()) {
            CountDownLatch waiting = new CountDownLatch(1);
            Thread waiter = new Thread(() -> {
                waiting.countDown();
                t.await(TimeUnit.SECONDS.toNanos(30));
            });
            waiter.start();
            assertTrue(waiting.await(10, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            // a wake can come just before the select starts: it still counts, like a park's permit
            while (waiter.isAlive() && System.nanoTime() < deadline) {
                t.wake();
                waiter.join(200);
            }
            assertFalse(waiter.isAlive(), "the wait went on after wake()");

            t.wake();
            long start = System.nanoTime();
            t.await(TimeUnit.SECONDS.toNanos(30));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "a wake before the wait was lost");
        }
    }

    @Test
    void anInterruptDoesNotMakeEveryWaitReturnAtOnce() {
        try (Ticker t = new Ticker()) {
            Thread.currentThread().interrupt();
            long start = System.nanoTime();
            t.await(WAIT);
            t.await(WAIT);
            assertTrue(System.nanoTime() - start >= WAIT, "an interrupt cut the waits short");
            assertFalse(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void afterCloseItStillWaitsAndWakes() throws Exception {
        Ticker t = new Ticker();
        t.close();
        long start = System.nanoTime();
        t.await(WAIT);
        assertTrue(System.nanoTime() - start >= WAIT / 2, "a closed ticker's wait returned early");
        Thread waiter = new Thread(() -> t.await(TimeUnit.SECONDS.toNanos(30)));
        waiter.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (waiter.isAlive() && System.nanoTime() < deadline) {
            t.wake(); // unparks the thread once it has waited
            waiter.join(200);
        }
        assertFalse(waiter.isAlive(), "a closed ticker's wait went on after wake()");
        t.close(); // twice: nothing
    }
}
