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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a session whose agent captured no packets: the recording alone, whose
 * wiretrace.CaptureStatistics says why. It must say so, and never read as "0 packets, all fine".
 */
class ReportWithoutPacketsTest {
    private static final String WHY = "the app's user may not capture (no CAP_NET_RAW: ...)";

    /** The agent's events as the report reads them (the analysis never links against the agent). */
    @Name("wiretrace.CaptureStatistics")
    static final class Statistics extends Event {
        String captureInterface;
        long packetsCaptured;
        long packetsDroppedByKernel;
        long packetsDroppedByInterface;
        long packetsDroppedByWiretrace;
        String packetsOff;
    }

    @Name("wiretrace.SlowCall")
    static final class SlowCall extends Event {
        String localAddress = "127.0.0.1";
        int localPort = 40000;
        String remoteAddress = "127.0.0.1";
        int remotePort = 9090;
        long connectionId = 3;
        String call = "http";
        String verdict = "UNKNOWN";
        String evidence = "request sent 0.1 ms into the exchange, ...; packets were off";
        String callThread = "shop-http-1";
        long callThreadId;
        long callStart = System.currentTimeMillis();
        long callDuration = 400_000_000L;
        long explained;
        String failure;
        String request = "GET /inventory?…";
        int retransmissions;
        String evidenceFrames = "";
    }

    @TempDir
    Path tmp;

    @Test
    void aRecordingWithoutPacketsSaysSoAndCountsNoPackets() throws Exception {
        Path jfr = tmp.resolve("recording.jfr");
        try (Recording r = new Recording()) {
            r.enable(Statistics.class);
            r.enable(SlowCall.class);
            r.start();
            Statistics s = new Statistics();
            s.captureInterface = "any";
            s.packetsOff = WHY;
            s.commit();
            new SlowCall().commit();
            r.stop();
            r.dump(jfr);
        }
        Map<String, Object> doc = Report.build(List.of(), jfr, 200_000_000L, "test");
        @SuppressWarnings("unchecked")
        Map<String, Object> capture = (Map<String, Object>) doc.get("capture");
        assertEquals(WHY, capture.get("packetsOff"));
        assertNull(capture.get("packets"), "no count without a capture file: " + capture);
        assertFalse(capture.containsKey("packetsCapturedInTarget"), capture.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> source = (Map<String, Object>) doc.get("source");
        assertTrue(((String) source.get("verdictsExplained")).contains("app's timings alone"), source.toString());
        assertEquals(1, ((List<?>) doc.get("slowCalls")).size());

        String html = Html.write(doc);
        assertTrue(html.contains("id=\"packets-off\"") && html.contains("no CAP_NET_RAW"), html);
        assertFalse(html.contains(" packets ("), "the header counts packets");
    }
}
