package io.wiretrace.analysis.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdk.jfr.Event;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.Timespan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording made with --exchange-threshold holds only the longer HTTP exchanges: the report's
 * request counts would read as a quiet app unless it says so, which it does from the threshold the
 * agent's wiretrace.CaptureStatistics carries.
 */
class ReportExchangeThresholdTest {
    /** The agent's statistics event as the report reads it; with the field as an older agent lacked it. */
    @Name("wiretrace.CaptureStatistics")
    static final class Statistics extends Event {
        String captureInterface = "lo";
        long packetsCaptured;
        long packetsDroppedByKernel;
        long packetsDroppedByInterface;
        long packetsDroppedByWiretrace;
        @Timespan(Timespan.NANOSECONDS)
        long exchangeThreshold;
    }

    @Name("wiretrace.CaptureStatistics")
    static final class OlderStatistics extends Event {
        String captureInterface = "lo";
        long packetsCaptured;
        long packetsDroppedByKernel;
        long packetsDroppedByInterface;
        long packetsDroppedByWiretrace;
    }

    @TempDir
    Path tmp;

    private Map<String, Object> report(Event statistics) throws Exception {
        Path jfr = tmp.resolve("recording.jfr");
        try (Recording r = new Recording()) {
            r.enable(statistics.getClass());
            r.enable(AgentEvents.HttpExchange.class).withoutStackTrace();
            r.start();
            statistics.commit();
            new AgentEvents.HttpExchange().commit();
            r.stop();
            r.dump(jfr);
        }
        return Report.build(List.of(), jfr, 200_000_000L, "test");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> capture(Map<String, Object> doc) {
        return (Map<String, Object>) doc.get("capture");
    }

    @Test
    void aThresholdOnExchangesIsSaid() throws Exception {
        Statistics s = new Statistics();
        s.exchangeThreshold = 10_000_000L;
        Map<String, Object> doc = report(s);
        Object said = capture(doc).get("exchangeThreshold");
        assertTrue(said instanceof String && ((String) said).contains("at least 10.0 ms"), String.valueOf(said));
        String html = Html.write(doc);
        assertTrue(html.contains("id=\"exchange-threshold\""), html);
        assertTrue(html.contains("at least 10.0 ms (--exchange-threshold)"), html);
    }

    @Test
    void everyExchangeRecordedSaysNothing() throws Exception {
        Map<String, Object> doc = report(new Statistics());
        assertNull(capture(doc).get("exchangeThreshold"), capture(doc).toString());
        assertFalse(Html.write(doc).contains("exchange-threshold"));
        Map<String, Object> older = report(new OlderStatistics());
        assertNull(capture(older).get("exchangeThreshold"), capture(older).toString());
    }
}
