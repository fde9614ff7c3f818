package io.wiretrace.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long collect's recording holds a connection event per connection: the report keeps the
 * longest {@link Report#MAX_CONNECTIONS} and counts the rest, in memory that does not grow with
 * the recording.
 */
class ReportConnectionsTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void theTableKeepsTheLongestAndCountsTheRest() throws Exception {
        Path jfr = tmp.resolve("recording.jfr");
        AgentEvents.record(jfr, 5_000);
        Map<String, Object> doc = Report.build(List.of(), jfr, 200_000_000L, "test");
        List<Map<String, Object>> conns = (List<Map<String, Object>>) doc.get("connections");
        assertEquals(Report.MAX_CONNECTIONS, conns.size());
        assertEquals(3_000L, doc.get("connectionsLeftOut"));
        assertEquals(4_999L, conns.get(0).get("connectionId"));
        assertEquals(3_000L, conns.get(conns.size() - 1).get("connectionId"));
        assertEquals(4_999.0, conns.get(0).get("durationMs"));
        assertEquals(1, conns.get(0).get("requests"));
        assertEquals(List.of("GET /item → 200"), conns.get(0).get("requestSamples"));
        assertTrue(conns.get(0).get("thread") != null && conns.get(0).get("start") != null, conns.get(0).toString());
        assertTrue(Html.write(doc).contains("3000 more connections are not listed"));
    }

    /**
     * 200,000 connections in a JVM of 48 MB: keeping every event took some 100 MB and ran out of
     * memory; the table's rows take well under one.
     */
    @Test
    void aHugeRecordingFitsInASmallHeap() throws Exception {
        Path jfr = tmp.resolve("huge.jfr");
        AgentEvents.record(jfr, 200_000);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx48m",
                "-cp", System.getProperty("java.class.path"), Read.class.getName(), jfr.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the reader did not finish in 120 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertEquals(Report.MAX_CONNECTIONS + " listed, " + (200_000 - Report.MAX_CONNECTIONS) + " left out", out.trim());
    }

    /** Builds the report of a recording in its own JVM, whose heap the test chooses. */
    public static final class Read {
        public static void main(String[] args) throws Exception {
            Map<String, Object> doc = Report.build(List.of(), Path.of(args[0]), 200_000_000L, "test");
            System.out.println(((List<?>) doc.get("connections")).size() + " listed, " + doc.get("connectionsLeftOut")
                    + " left out");
        }
    }
}
