package io.wiretrace.analysis.report;

import static io.wiretrace.analysis.tcp.Frame.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.offline.SyntheticCapture.Pcapng;
import io.wiretrace.analysis.offline.SyntheticCapture.Tcp;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording at its size limit drops its oldest chunks, and the live verdicts in them: the report
 * says where the recording begins, and judges the calls before that from the packets alone, as
 * analyze does without a recording, never silently showing fewer slow calls than there were.
 */
class ReportRecordingReachTest {
    private static final long MS = 1_000_000L;

    @TempDir
    Path tmp;

    /**
     * Unanswered SYNs on two connections, 120 s and 3 s before {@code now} (a connect timeout each),
     * and a recording made from {@code now} on with a slow call on the second of them and one more.
     */
    private Map<String, Object> report(long capturedBefore) throws Exception {
        long now = System.currentTimeMillis();
        Pcapng cap = new Pcapng();
        Tcp early = new Tcp(cap, 40001);
        long e = (now - capturedBefore) * MS;
        early.client(e, SYN, "");
        early.client(e + 1_000 * MS, SYN, "");
        early.client(e + 3_000 * MS, SYN, "");
        Tcp late = new Tcp(cap, 40002);
        long l = (now - 3_000) * MS;
        late.client(l, SYN, "");
        late.client(l + 1_000 * MS, SYN, "");
        late.client(l + 3_000 * MS, SYN, "");
        Path capture = cap.write(tmp.resolve("trace.pcapng"));

        Path jfr = tmp.resolve("recording.jfr");
        try (Recording r = new Recording()) {
            r.enable(AgentEvents.SlowCall.class).withoutStackTrace();
            r.start();
            slowCall(2, 40002, now - 3_000, 3_000, "CONNECT_TIMEOUT");
            slowCall(9, 50000, now, 400, "SERVER_THINK");
            r.stop();
            r.dump(jfr);
        }
        return Report.build(List.of(capture), jfr, 200 * MS, "test");
    }

    private static void slowCall(long connection, int localPort, long start, long ms, String verdict) {
        AgentEvents.SlowCall c = new AgentEvents.SlowCall();
        c.connectionId = connection;
        c.localAddress = "10.0.0.1";
        c.localPort = localPort;
        c.remoteAddress = "10.0.0.2";
        c.remotePort = 80;
        c.call = "connect";
        c.callStart = start;
        c.callDuration = ms * MS;
        c.explained = ms * MS;
        c.verdict = verdict;
        c.commit();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> calls(Map<String, Object> doc) {
        return (List<Map<String, Object>>) doc.get("slowCalls");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> reach(Map<String, Object> doc) {
        return (Map<String, Object>) ((Map<String, Object>) doc.get("capture")).get("recordingReach");
    }

    @Test
    void callsBeforeTheRecordingBeginsAreJudgedFromThePacketsAndTheReportSaysSo() throws Exception {
        Map<String, Object> doc = report(120_000);

        List<Map<String, Object>> before = calls(doc).stream().filter(c -> Boolean.TRUE.equals(c.get("beforeRecording")))
                .collect(Collectors.toList());
        assertEquals(1, before.size(), "the early connect, once: " + calls(doc));
        assertEquals(40001, before.get(0).get("localPort"));
        assertEquals("CONNECT_TIMEOUT", before.get(0).get("verdict"));
        // the later connect is the recording's own call, not added again from its packets
        assertEquals(3, calls(doc).size(), calls(doc).toString());
        assertEquals(1, calls(doc).stream().filter(c -> (int) c.get("localPort") == 40002).count());
        assertEquals(List.of(1, 2, 3), calls(doc).stream().map(c -> c.get("id")).collect(Collectors.toList()));
        assertEquals(1, before.get(0).get("id"), "the calls are in time order, the early one first");

        Map<String, Object> reach = reach(doc);
        long notCovered = (long) reach.get("secondsNotCovered");
        assertTrue(notCovered >= 115 && notCovered <= 125, reach.toString());
        assertEquals(1, reach.get("callsFromPackets"));
        assertTrue(reach.get("note").toString().contains("size limit"), reach.toString());

        String html = Html.write(doc);
        assertTrue(html.contains("id=\"recording-reach\""), html);
        assertTrue(html.contains("before the recording: from the packets alone"), html);
        assertTrue(Json.write(doc).contains("\"beforeRecording\": true"), "report.json lacks the mark");
    }

    @Test
    void aRecordingThatReachesTheCaptureStartAddsNothing() throws Exception {
        Map<String, Object> doc = report(3_000); // both connects within the margin of the recording's start

        assertNull(reach(doc));
        assertEquals(2, calls(doc).size(), calls(doc).toString());
        assertFalse(calls(doc).stream().anyMatch(c -> c.containsKey("beforeRecording")), calls(doc).toString());
        assertFalse(Html.write(doc).contains("recording-reach"));
    }
}
