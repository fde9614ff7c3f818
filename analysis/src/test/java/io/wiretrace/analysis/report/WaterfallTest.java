package io.wiretrace.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import jdk.jfr.Event;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slow request and the calls made for it, from a recording made here: the waterfall nests them
 * (by thread, by the request's evidence, by time), the summary counts their time once, and the
 * timeline counts the capture per second.
 */
class WaterfallTest {
    private static final long MS = 1_000_000L;

    /** The agent's events as the report reads them (the analysis never links against the agent). */
    abstract static class OnConnection extends Event {
        String localAddress = "127.0.0.1";
        int localPort = 40000;
        String remoteAddress = "127.0.0.1";
        int remotePort = 8080;
        long connectionId;
        String requestThread = Thread.currentThread().getName();
    }

    @Name("wiretrace.HttpExchange")
    static final class Exchange extends OnConnection {
        String direction;
        String method = "GET";
        String path;
        int status = 200;
        boolean streamed;
    }

    @Name("wiretrace.DatabaseQuery")
    static final class Query extends OnConnection {
        String system = "postgresql";
        String statement = "SELECT pg_sleep($1)";
        long rows = 1;
        String error;
    }

    @TempDir
    Path tmp;

    @Test
    void aSlowRequestNestsTheCallsMadeForItAndTheSummaryCountsThemOnce() throws Exception {
        Path jfr = tmp.resolve("recording.jfr");
        Thread me = Thread.currentThread();
        try (Recording r = new Recording()) {
            for (Class<? extends Event> c : List.of(Exchange.class, Query.class, ReportWithoutPacketsTest.SlowCall.class)) {
                r.enable(c).withoutThreshold();
            }
            r.enable("jdk.ThreadPark").withoutThreshold();
            r.enable("jdk.GCPhasePause").withoutThreshold();
            r.enable("jdk.GarbageCollection").withoutThreshold();
            r.start();

            Exchange in = exchange(1, "incoming", "/orders");
            in.begin();
            Query q = new Query();
            q.connectionId = 2;
            q.begin();
            LockSupport.parkNanos(30 * MS); // a wait on the request's thread (jdk.ThreadPark) while its query runs
            q.commit();
            // the upstream call its evidence names, on a worker; another request served meanwhile, whose
            // thread calls out too; and a call on a pool thread that served no request: matched by time
            run("worker-1", () -> call(exchange(3, "outgoing", "/upstream")));
            run("serving-2", () -> {
                Exchange other = exchange(4, "incoming", "/other");
                other.begin();
                call(exchange(5, "outgoing", "/for-other"));
                other.commit();
            });
            run("pool-9", () -> call(exchange(6, "outgoing", "/audit")));
            System.gc(); // a pause of the JVM's, in the request's time
            in.commit();

            Path mid = tmp.resolve("mid.jfr");
            r.dump(mid);
            RecordedEvent request = event(mid, "wiretrace.HttpExchange", 1);
            RecordedEvent query = event(mid, "wiretrace.DatabaseQuery", 2);
            RecordedEvent upstream = event(mid, "wiretrace.HttpExchange", 3);
            slowCall(request, "http", "GET /orders", me.getName(), me.getId(), "it waited 30.0 ms on the http call GET"
                    + " /upstream to 127.0.0.1:40000 (connection 3) that worker-1 made for it: the server took 30 ms");
            slowCall(query, "query", "SELECT pg_sleep($1)", me.getName(), me.getId(), "the server took 30 ms");
            slowCall(upstream, "http", "GET /upstream", "worker-1", 99, "the server took 30 ms");
            r.stop();
            r.dump(jfr);
        }

        Map<String, Object> doc = Report.build(List.of(), jfr, 200 * MS, "test");
        List<Map<String, Object>> calls = list(doc, "slowCalls");
        assertEquals(3, calls.size(), calls.toString());
        Map<String, Object> request = calls.stream().filter(c -> "GET /orders".equals(c.get("request"))).findFirst().get();
        assertEquals(true, request.get("incoming"));
        assertNull(request.get("nestedIn"));
        for (Map<String, Object> c : calls) {
            if (c != request) {
                assertEquals(request.get("id"), c.get("nestedIn"), c.toString());
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> w = (Map<String, Object>) request.get("waterfall");
        assertNotNull(w, request.toString());
        List<Map<String, Object>> spans = list(w, "spans");
        String seen = spans.stream().map(Object::toString).collect(Collectors.joining("\n"));
        assertEquals("self", spans.get(0).get("matched"), seen);
        assertEquals("request", spans.get(0).get("kind"), seen);
        Map<String, Object> db = only(spans, "postgresql SELECT pg_sleep($1)", seen);
        assertEquals("query", db.get("kind"), seen);
        assertEquals("thread", db.get("matched"), seen);
        assertEquals("SERVER_THINK", db.get("verdict"), seen);
        Map<String, Object> up = only(spans, "GET /upstream → 200", seen);
        assertEquals("evidence", up.get("matched"), seen);
        assertEquals("SERVER_THINK", up.get("verdict"), seen);
        Map<String, Object> audit = only(spans, "GET /audit → 200", seen);
        assertEquals("time", audit.get("matched"), seen);
        assertNull(audit.get("verdict"), seen);
        assertTrue(spans.stream().noneMatch(s -> String.valueOf(s.get("label")).contains("/for-other")),
                "a call of another request's thread:\n" + seen);
        assertTrue(spans.stream().anyMatch(s -> "lock".equals(s.get("kind")) && "thread".equals(s.get("matched"))), seen);
        assertTrue(spans.stream().anyMatch(s -> "gc".equals(s.get("kind")) && "jvm".equals(s.get("matched"))), seen);
        double total = (double) spans.get(0).get("durationMs");
        for (Map<String, Object> s : spans) {
            assertTrue((double) s.get("startMs") >= -2 && (double) s.get("startMs") + (double) s.get("durationMs")
                    <= total + 2, "within the request's time:\n" + seen);
        }

        // the three calls are SERVER_THINK; the time lost is the request's alone
        List<Map<String, Object>> verdicts = list(doc, "verdicts");
        assertEquals(1, verdicts.size(), verdicts.toString());
        assertEquals(3L, verdicts.get(0).get("calls"));
        assertEquals(2L, verdicts.get(0).get("nestedCalls"));
        assertEquals(request.get("durationMs"), verdicts.get(0).get("timeLostMs"));

        @SuppressWarnings("unchecked")
        Map<String, Object> timeline = (Map<String, Object>) doc.get("timeline");
        List<Map<String, Object>> buckets = list(timeline, "buckets");
        assertEquals(1L, timeline.get("bucketSeconds"));
        assertEquals("jdk.GCPhasePause", timeline.get("gcFrom"));
        assertEquals(3L, sum(buckets, "slowCalls"));
        assertEquals(2L, sum(buckets, "requests"), "the incoming exchanges");
        assertTrue(sum(buckets, "gcPauses") >= 1, buckets.toString());
        assertTrue(buckets.stream().allMatch(b -> b.get("retransmissions") == null), "no capture, no count");

        String html = Html.write(doc);
        assertTrue(html.contains("<svg id=\"timeline\""), html);
        assertTrue(html.indexOf("id=\"timeline\"") < html.indexOf("id=\"verdicts\""), "the timeline first");
        assertTrue(html.contains("<div class=\"waterfall\" id=\"waterfall-" + request.get("id") + "\">"), html);
        assertTrue(html.contains("by time only: a guess") && html.contains("named in its evidence"), html);
        assertTrue(html.contains("3 (2 nested)"), html);
        assertFalse(html.contains("<script"), html);
    }

    @Test
    void aLongCaptureGetsLongerBuckets() {
        assertEquals(1, Timeline.step(1_000, 1_299));
        assertEquals(2, Timeline.step(1_000, 1_300));
        assertEquals(15, Timeline.step(0, 3_600));
        assertEquals(300, Timeline.step(0, 86_399));
        long days = Timeline.step(0, 400L * 86_400);
        assertEquals(0, days % 86_400);
        assertTrue(400L * 86_400 / days < Timeline.MAX_BUCKETS);

        long t0 = 1_790_000_000L * 1_000_000_000L;
        List<Map<String, Object>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) { // a minute apart: 10 minutes in 2-second buckets
            calls.add(Map.of("start", t0 + i * 60_000 * MS, "verdict", i % 2 == 0 ? "SERVER_THINK" : "NETWORK_LOSS"));
        }
        Map<String, Object> t = Timeline.of(calls, null, null);
        assertEquals(2L, t.get("bucketSeconds"));
        List<Map<String, Object>> buckets = list(t, "buckets");
        assertEquals(271, buckets.size());
        assertEquals(10L, sum(buckets, "slowCalls"));
        assertEquals(Map.of("NETWORK_LOSS", 1L), buckets.get(30).get("verdicts"));
        assertNull(buckets.get(0).get("requests"), "no recording, no count");
        assertNull(t.get("gcFrom"));
    }

    private static Exchange exchange(long id, String direction, String path) {
        Exchange e = new Exchange();
        e.connectionId = id;
        e.direction = direction;
        e.path = path;
        return e;
    }

    private static void call(Exchange e) {
        e.begin();
        LockSupport.parkNanos(5 * MS);
        e.commit();
    }

    private static void run(String name, Runnable r) throws InterruptedException {
        Thread t = new Thread(r, name);
        t.start();
        t.join();
    }

    private static RecordedEvent event(Path jfr, String name, long connectionId) throws Exception {
        return RecordingFile.readAllEvents(jfr).stream().filter(e -> e.getEventType().getName().equals(name)
                && e.getLong("connectionId") == connectionId).findFirst().orElseThrow();
    }

    /** The verdict the agent commits once the call's packets are in: placed by callStart (ms) and callDuration. */
    private static void slowCall(RecordedEvent of, String call, String request, String thread, long threadId,
            String evidence) {
        ReportWithoutPacketsTest.SlowCall s = new ReportWithoutPacketsTest.SlowCall();
        s.connectionId = of.getLong("connectionId");
        s.call = call;
        s.verdict = "SERVER_THINK";
        s.request = request;
        s.callThread = thread;
        s.callThreadId = threadId;
        s.callStart = of.getStartTime().toEpochMilli();
        s.callDuration = Duration.between(of.getStartTime(), of.getEndTime()).toNanos();
        s.explained = s.callDuration;
        s.evidence = evidence;
        s.commit();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        return (List<Map<String, Object>>) m.get(key);
    }

    private static Map<String, Object> only(List<Map<String, Object>> spans, String label, String seen) {
        List<Map<String, Object>> found = spans.stream().filter(s -> label.equals(s.get("label"))).collect(Collectors.toList());
        assertEquals(1, found.size(), label + ":\n" + seen);
        return found.get(0);
    }

    private static long sum(List<Map<String, Object>> buckets, String key) {
        return buckets.stream().mapToLong(b -> ((Number) b.get(key)).longValue()).sum();
    }
}
