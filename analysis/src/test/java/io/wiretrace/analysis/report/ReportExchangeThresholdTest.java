package io.wiretrace.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    /** The packet counters of the agent's statistics event, as the report reads them. */
    abstract static class Counters extends Event {
        String captureInterface = "lo";
        long packetsCaptured;
        long packetsDroppedByKernel;
        long packetsDroppedByInterface;
        long packetsDroppedByWiretrace;
    }

    /** The agent's statistics event with its threshold, as the agent of 2026-12-06 recorded it (no counts). */
    @Name("wiretrace.CaptureStatistics")
    static final class Statistics extends Counters {
        @Timespan(Timespan.NANOSECONDS)
        long exchangeThreshold;
    }

    /** As the agent records it since it counts the exchanges it leaves out. */
    @Name("wiretrace.CaptureStatistics")
    static final class CountingStatistics extends Counters {
        @Timespan(Timespan.NANOSECONDS)
        long exchangeThreshold = 10_000_000L;
        long incomingUnrecorded;
        long outgoingUnrecorded;
    }

    /** As an agent before --exchange-threshold recorded it. */
    @Name("wiretrace.CaptureStatistics")
    static final class OlderStatistics extends Counters {
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

    /**
     * The exchanges under the threshold are counted, not recorded: the timeline's requests and
     * the connection table's request counts hold them; the sentence says how many.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theExchangesLeftOutAreCounted() throws Exception {
        Path jfr = tmp.resolve("counted.jfr");
        try (Recording r = new Recording()) {
            r.enable(CountingStatistics.class);
            r.enable(AgentEvents.HttpExchange.class).withoutStackTrace();
            r.enable(AgentEvents.TcpConnection.class).withoutStackTrace();
            r.start();
            AgentEvents.HttpExchange slow = new AgentEvents.HttpExchange(); // the one long enough to be recorded
            slow.direction = "incoming";
            slow.connectionId = 3;
            slow.commit();
            CountingStatistics s = new CountingStatistics();
            s.incomingUnrecorded = 7;
            s.outgoingUnrecorded = 5;
            s.commit();
            CountingStatistics next = new CountingStatistics(); // a second with none
            next.commit();
            AgentEvents.TcpConnection served = new AgentEvents.TcpConnection();
            served.connectionId = 3;
            served.role = "server";
            served.exchanges = 8;
            served.lifetime = 5_000_000L;
            served.commit();
            AgentEvents.TcpConnection older = new AgentEvents.TcpConnection(); // no count: its recorded ones
            older.connectionId = 4;
            older.lifetime = 4_000_000L;
            older.commit();
            AgentEvents.HttpExchange onOlder = new AgentEvents.HttpExchange();
            onOlder.connectionId = 4;
            onOlder.commit();
            r.stop();
            r.dump(jfr);
        }
        Map<String, Object> doc = Report.build(List.of(), jfr, 200_000_000L, "test");
        String said = String.valueOf(capture(doc).get("exchangeThreshold"));
        assertTrue(said.contains("at least 10.0 ms") && said.contains("include the 12 left out"), said);
        long requests = 0;
        for (Map<String, Object> bucket : (List<Map<String, Object>>) ((Map<String, Object>) doc.get("timeline")).get("buckets")) {
            Object n = bucket.get("requests");
            requests += n == null ? 0 : ((Number) n).longValue();
        }
        assertEquals(8, requests, "one recorded and seven counted: " + doc.get("timeline"));
        Map<Long, Object> counts = new java.util.HashMap<>();
        for (Map<String, Object> c : (List<Map<String, Object>>) doc.get("connections")) {
            counts.put(((Number) c.get("connectionId")).longValue(), c.get("requests"));
        }
        assertEquals(Map.of(3L, 8, 4L, 1), counts);
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
