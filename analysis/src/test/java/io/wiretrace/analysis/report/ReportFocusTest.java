package io.wiretrace.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report focused on the call that made a trigger cut its bundle: that call found among the slow
 * calls of a recording made here, marked and shown first, the trigger's box opening the page.
 */
class ReportFocusTest {
    /** The calls' start, epoch ms. */
    private static final long T = 1_790_000_000_000L;
    private static final long MS = 1_000_000L;

    @TempDir
    Path tmp;

    /**
     * The report of a recording with four slow calls: the longest on connection 7, and on
     * connection 12 the one that fires (2,013 ms), a shorter read that began 30 ms after it, and
     * one that began 5 s later.
     */
    private Map<String, Object> report() throws Exception {
        Path jfr = tmp.resolve("recording.jfr");
        try (Recording r = new Recording()) {
            r.enable(AgentEvents.SlowCall.class).withoutStackTrace();
            r.start();
            slowCall(7, T, 3_000, "read", "GET /longest");
            slowCall(12, T + 1_000, 2_013, "read", "GET /api");
            slowCall(12, T + 1_030, 400, "write", "GET /api");
            slowCall(12, T + 5_000, 2_500, "read", "GET /later");
            r.stop();
            r.dump(jfr);
        }
        return Report.build(List.of(), jfr, 200 * MS, "test");
    }

    private static void slowCall(long connection, long start, long ms, String call, String request) {
        AgentEvents.SlowCall c = new AgentEvents.SlowCall();
        c.connectionId = connection;
        c.callStart = start;
        c.callDuration = ms * MS;
        c.explained = ms * MS;
        c.call = call;
        c.request = request;
        c.commit();
    }

    /** The trigger of the call on connection 12 that began at T + 1,000 ms and took 2,013 ms. */
    private static Map<String, Object> trigger() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("spec", "slow>2s");
        t.put("what", "a read on connection 12 to 127.0.0.1:8080 took 2,013 ms (SERVER_THINK)");
        t.put("firedAt", Instant.ofEpochMilli(T + 3_100).toString());
        t.put("connectionId", 12L);
        // nearer the write's start (T + 1,030) than the read's: the duration tells them apart
        t.put("callStart", T + 1_020);
        t.put("callDurationNanos", 2_013 * MS);
        t.put("verdict", "SERVER_THINK");
        t.put("thread", "worker-1");
        t.put("peer", "127.0.0.1:8080");
        t.put("request", "GET /api");
        t.put("status", 200);
        t.put("after", "10s");
        t.put("bundle", "wiretrace-web1-4242-20260921-101320");
        return t;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> calls(Map<String, Object> doc) {
        return (List<Map<String, Object>>) doc.get("slowCalls");
    }

    private static Map<String, Object> call(Map<String, Object> doc, long startMs) {
        return calls(doc).stream().filter(c -> (long) c.get("start") == startMs * MS).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> triggerOf(Map<String, Object> doc) {
        return (Map<String, Object>) doc.get("trigger");
    }

    private static List<Object> fired(Map<String, Object> doc) {
        return calls(doc).stream().filter(c -> Boolean.TRUE.equals(c.get("fired"))).map(c -> c.get("id"))
                .collect(Collectors.toList());
    }

    @Test
    void theCallThatFiredIsMarkedAndTheHtmlOpensWithTheTrigger() throws Exception {
        Map<String, Object> doc = report();
        List<Object> ids = calls(doc).stream().map(c -> c.get("id")).collect(Collectors.toList());
        String verdicts = Json.write(doc.get("verdicts"));
        Object id = call(doc, T + 1_000).get("id");

        Report.focus(doc, trigger());

        Map<String, Object> t = triggerOf(doc);
        assertEquals(id, t.get("callId"), t.toString());
        assertEquals(List.of(id), fired(doc));
        assertEquals("slow>2s", t.get("spec"));
        assertEquals(ids, calls(doc).stream().map(c -> c.get("id")).collect(Collectors.toList()), "renumbered or reordered");
        assertEquals(verdicts, Json.write(doc.get("verdicts")));
        assertTrue(Json.write(doc).contains("\"callId\": " + id), "report.json lacks the trigger");

        String html = Html.write(doc);
        int box = html.indexOf("<section class=\"trigger\" id=\"trigger\">");
        int boxEnd = html.indexOf("</section>", box);
        assertEquals(html.indexOf("</h1>\n") + "</h1>\n".length(), box, "not right after the title: " + html);
        for (String later : List.of("No capture file", "<svg", "<h2>Verdicts", "<section class=\"call")) {
            assertTrue(html.indexOf(later) > boxEnd, later + " before the trigger's box: " + html);
        }
        String section = html.substring(box, boxEnd);
        for (String fact : List.of("slow&gt;2s", trigger().get("what").toString(), trigger().get("firedAt").toString(),
                "verdict SERVER_THINK", "thread worker-1", "peer 127.0.0.1:8080", "GET /api → 200", "2013.0 ms")) {
            assertTrue(section.contains(fact), fact + " is not in the box: " + section);
        }
        assertTrue(section.contains("<a href=\"#call-" + id + "\">"), section);
        // the anchor exists, and its call is the first shown, before the longest
        assertTrue(html.indexOf("<section class=\"call") == html.indexOf("<section class=\"call fired\" id=\"call-" + id
                + "\">"), html);
        assertFalse(section.contains("not among"), section);
    }

    @Test
    void withoutItsStartTheCallIsTheLastOnItsConnectionToEndBeforeTheTriggerFired() throws Exception {
        Map<String, Object> doc = report();
        Map<String, Object> t = trigger();
        t.put("callStart", null);
        t.put("callDurationNanos", null);
        Report.focus(doc, t);
        // the read ended at T + 3,013, the write at T + 1,430, the later one after the trigger fired
        assertEquals(call(doc, T + 1_000).get("id"), triggerOf(doc).get("callId"));

        t.put("firedAt", Instant.ofEpochMilli(T + 2_000).toString());
        Report.focus(doc, t);
        Object write = call(doc, T + 1_030).get("id");
        assertEquals(write, triggerOf(doc).get("callId"));
        assertEquals(List.of(write), fired(doc), "focused twice: only the last call that fired is marked");
    }

    @Test
    void aTriggerMatchingNoSlowCallSaysSo() throws Exception {
        Map<String, Object> doc = report();
        Map<String, Object> elsewhere = trigger();
        elsewhere.put("connectionId", 99L);
        Map<String, Object> later = trigger();
        later.put("callStart", T + 1_100); // on the connection, but 100 ms off
        Map<String, Object> noConnection = trigger();
        noConnection.put("connectionId", null);
        for (Map<String, Object> t : List.of(elsewhere, later, noConnection)) {
            Report.focus(doc, t);
            assertTrue(triggerOf(doc).containsKey("callId"), triggerOf(doc).toString());
            assertNull(triggerOf(doc).get("callId"), t.toString());
            assertEquals(List.of(), fired(doc), t.toString());
            String html = Html.write(doc);
            String section = html.substring(html.indexOf("<section class=\"trigger\""), html.indexOf("</section>"));
            assertTrue(section.contains("The call that fired is not among the report's slow calls: " + t.get("what")),
                    section);
            assertFalse(section.contains("href=\"#call-"), section);
            assertFalse(html.contains("class=\"call fired\""), html);
        }
    }

    @Test
    void whatTheTriggerSaysIsEscaped() throws Exception {
        Map<String, Object> doc = report();
        Map<String, Object> t = trigger();
        t.put("spec", "status>=500");
        t.put("what", "a read <script>alert(1)</script> took \"2,013 ms\" & more");
        t.put("request", "GET /a?<img src=x onerror=alert(1)>");
        t.put("thread", "<b>worker</b>");
        t.put("peer", "\"><svg onload=alert(1)>");
        t.put("bundle", "</section><script>x</script>");
        Report.focus(doc, t);
        String html = Html.write(doc);
        String lower = html.toLowerCase(Locale.ROOT);
        assertFalse(lower.contains("<script") || lower.contains("<img") || lower.contains("<svg onload")
                || html.contains("<b>"), html);
        for (String escaped : List.of("status&gt;=500", "a read &lt;script&gt;alert(1)&lt;/script&gt; took &quot;2,013 ms&quot;"
                + " &amp; more", "GET /a?&lt;img src=x onerror=alert(1)&gt; → 200", "thread &lt;b&gt;worker&lt;/b&gt;",
                "peer &quot;&gt;&lt;svg onload=alert(1)&gt;", "bundle &lt;/section&gt;&lt;script&gt;x&lt;/script&gt;")) {
            assertTrue(html.contains(escaped), escaped + " is not in " + html);
        }
    }
}
