package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which HTTP exchanges go into the recording under --exchange-threshold (HttpExchanges.recorded):
 * the long ones, and of the short ones each connection's first three, server errors, unanswered
 * ones, and the calls made for a request that had run the threshold by their end. The others
 * are counted. Driven as Tracer drives HttpExchanges, into a JFR recording that takes every
 * event (the agent's own recording leaves the threshold to the agent).
 */
class ExchangeRecordingTest {
    private static final long THRESHOLD = TimeUnit.MILLISECONDS.toNanos(10);

    @TempDir
    Path tmp;

    @BeforeEach
    void threshold() {
        HttpExchanges.recordFromNanos = THRESHOLD;
        HttpExchanges.takeUnrecorded(true);
        HttpExchanges.takeUnrecorded(false);
    }

    @AfterEach
    void none() {
        HttpExchanges.recordFromNanos = 0;
        RequestContext.swap(0);
    }

    @Test
    void aContextSaysWhenItsRequestBegan() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            long before = System.nanoTime();
            long context = RequestContext.next();
            long after = System.nanoTime();
            assertTrue(context > 0, "a context is positive: " + context);
            assertTrue(seen.add(context), "contexts are unique");
            long began = RequestContext.began(context);
            assertTrue(began <= after && began > before - (1L << 20) - 1, (before - began) + " ns before the call");
        }
    }

    @Test
    void aConnectionsFirstThreeAreRecordedAndTheQuickOnesAfterThemCounted() throws Exception {
        List<String> recorded = record(() -> fiveQuick(client(9101)));
        assertEquals(List.of("/1 200", "/2 200", "/3 200"), recorded);
        assertEquals(2, HttpExchanges.takeUnrecorded(false), "the quick ones past the third, counted");
    }

    @Test
    void serverErrorsAndUnansweredRequestsAreRecordedHoweverQuick() throws Exception {
        List<String> recorded = record(() -> {
            Conn c = client(9102);
            for (int i = 1; i <= 3; i++) {
                exchange(c, "/warm" + i, 200);
            }
            exchange(c, "/missing", 404);
            exchange(c, "/broken", 503);
            HttpExchangeEndsTest.write(c, "GET /lost HTTP/1.1\r\n\r\n");
            HttpExchanges.close(c);
        });
        assertEquals(List.of("/warm1 200", "/warm2 200", "/warm3 200", "/broken 503", "/lost 0"), recorded);
        assertEquals(1, HttpExchanges.takeUnrecorded(false), "the quick 404, counted");
    }

    @Test
    void aCallForARequestThatHasRunTheThresholdIsRecordedHoweverQuick() throws Exception {
        long old = RequestContext.next();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - RequestContext.began(old) < 2 * THRESHOLD && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        List<String> recorded = record(() -> {
            Conn c = client(9103);
            for (int i = 1; i <= 3; i++) {
                exchange(c, "/warm" + i, 200);
            }
            RequestContext.swap(old);
            exchange(c, "/for-the-old-request", 200);
            RequestContext.swap(RequestContext.next());
            exchange(c, "/for-a-new-request", 200);
        });
        assertEquals(List.of("/warm1 200", "/warm2 200", "/warm3 200", "/for-the-old-request 200"), recorded);
        assertEquals(1, HttpExchanges.takeUnrecorded(false));
    }

    @Test
    void withoutAThresholdEveryExchangeIsRecorded() throws Exception {
        HttpExchanges.recordFromNanos = 0;
        List<String> recorded = record(() -> fiveQuick(client(9104)));
        assertEquals(5, recorded.size(), recorded.toString());
        assertEquals(0, HttpExchanges.takeUnrecorded(false));
    }

    @Test
    void anIncomingRequestIsNotKeptForItsOwnAge() {
        long context = RequestContext.next();
        long end = RequestContext.began(context) + 2 * THRESHOLD;
        assertTrue(HttpExchanges.recorded(end - 1_000, end, 4, 200, null, false, false, context), "a call made for it");
        assertFalse(HttpExchanges.recorded(end - 1_000, end, 4, 200, null, false, true, context),
                "a request of 1 µs is short, whatever its context");
        assertTrue(HttpExchanges.recorded(end - 1_000, end, 4, 200, null, true, true, context), "a stream");
        assertTrue(HttpExchanges.recorded(end - 1_000, end, 4, 200, "reset", false, true, context), "a failure");
    }

    private List<String> record(Runnable traffic) throws Exception {
        Path file = tmp.resolve("exchanges.jfr");
        try (Recording r = new Recording()) {
            r.enable("wiretrace.HttpExchange").withThreshold(java.time.Duration.ZERO);
            r.start();
            traffic.run();
            r.stop();
            r.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                .sorted((a, b) -> a.getStartTime().compareTo(b.getStartTime()))
                .map(e -> e.getString("path") + " " + e.getInt("status")).collect(Collectors.toList());
    }

    private static Conn client(int id) {
        Conn c = new Conn(id, "127.0.0.1", 40000 + id, "127.0.0.1", 8080);
        c.role = Conn.CLIENT;
        return c;
    }

    private static void fiveQuick(Conn c) {
        for (int i = 1; i <= 5; i++) {
            exchange(c, "/" + i, 200);
        }
    }

    /** A quick exchange on {@code c}: its request written, its response read whole. */
    private static void exchange(Conn c, String path, int status) {
        HttpExchangeEndsTest.write(c, "GET " + path + " HTTP/1.1\r\n\r\n");
        HttpExchangeEndsTest.read(c, "HTTP/1.1 " + status + " X\r\nContent-Length: 2\r\n\r\nok");
    }
}
