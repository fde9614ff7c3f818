package io.wiretrace.analysis.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Frame;
import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** The verdict rules on made-up packet timelines (the fault tests check them on real ones). */
class VerdictRulesTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_700_000_000_000L * MS; // any wall-clock time
    private static final long MARGIN = 2 * MS;
    private final EvidenceRing t = new EvidenceRing();

    /** A packet at {@code ms} after T0; the app's end is the client. */
    private void packet(double ms, boolean fromClient, int flags, int payload, int window, int analysis) {
        Frame f = new Frame();
        f.flags = flags;
        f.payloadLength = payload;
        f.window = window;
        t.packet(f, analysis | (fromClient ? Analysis.FROM_CLIENT : 0), at(ms));
    }

    private static long at(double ms) {
        return T0 + (long) (ms * MS);
    }

    private void handshake() {
        packet(0, true, Frame.SYN, 0, 65535, 0);
        packet(0.1, false, Frame.SYN | Frame.ACK, 0, 65535, 0);
        packet(0.2, true, Frame.ACK, 0, 65535, 0);
    }

    private static Call call(int kind, Throwable failure) {
        return new Call(kind, 0, 0, null, failure == null ? null : failure.toString());
    }

    private Explanation explain(Call c, double fromMs, double toMs, double... http) {
        long[] h = new long[3];
        for (int i = 0; i < http.length; i++) {
            h[i] = at(http[i]);
        }
        return VerdictRules.explain(c, at(fromMs), at(toMs), h, t, true, MARGIN);
    }

    private static void near(double expectedMs, long nanos, double toleranceMs) {
        assertTrue(Math.abs(nanos / (double) MS - expectedMs) <= toleranceMs,
                "expected " + expectedMs + " ms, got " + nanos / (double) MS);
    }

    @Test
    void serverThink() {
        handshake();
        packet(1, true, Frame.ACK | Frame.PSH, 100, 65535, 0); // the request
        packet(1.1, false, Frame.ACK, 0, 65535, 0);
        packet(401, false, Frame.ACK | Frame.PSH, 200, 65535, 0); // the response
        Call c = call(Call.HTTP, null);
        c.status = 200;
        Explanation v = explain(c, 1, 402, 1.05, 401.2, 402);
        assertEquals(Verdict.SERVER_THINK, v.verdict, v.evidence);
        near(400, v.explained, 0.01);
        assertEquals(at(401) + "," + at(1), v.frames.toString());
    }

    @Test
    void appReadLate() {
        handshake();
        packet(1, true, Frame.ACK | Frame.PSH, 100, 65535, 0);
        packet(5, false, Frame.ACK | Frame.PSH, 200, 65535, 0); // answered at once
        Call c = call(Call.HTTP, null);
        c.status = 200;
        Explanation v = explain(c, 1, 601, 1.05, 600, 601);
        assertEquals(Verdict.APP_READ_LATE, v.verdict, v.evidence);
        near(595, v.explained, 0.01);
    }

    @Test
    void lossAccountsForTheTime() {
        handshake();
        packet(1, true, Frame.ACK | Frame.PSH, 1000, 65535, 0);
        packet(201, true, Frame.ACK | Frame.PSH, 1000, 65535, Analysis.RETRANSMISSION); // 200 ms RTO
        packet(601, true, Frame.ACK | Frame.PSH, 1000, 65535, Analysis.RETRANSMISSION); // backed off
        packet(601.1, false, Frame.ACK | Frame.PSH, 50, 65535, 0);
        Call c = call(Call.HTTP, null);
        c.status = 200;
        Explanation v = explain(c, 1, 602, 1, 601.2, 602);
        assertEquals(Verdict.NETWORK_LOSS, v.verdict, v.evidence);
        assertEquals(2, v.retransmissions);
        near(600, v.explained, 0.01);
    }

    @Test
    void connectRefused() {
        packet(0, true, Frame.SYN, 0, 65535, 0);
        packet(0.05, false, Frame.RST | Frame.ACK, 0, 0, 0);
        Explanation v = explain(call(Call.CONNECT, new ConnectException("Connection refused")), 0, 0.1);
        assertEquals(Verdict.CONNECT_REFUSED, v.verdict, v.evidence);
    }

    @Test
    void connectRetriedThenAnswered() {
        packet(0, true, Frame.SYN, 0, 65535, 0);
        packet(1000, true, Frame.SYN, 0, 65535, Analysis.RETRANSMISSION);
        packet(3000, true, Frame.SYN, 0, 65535, Analysis.RETRANSMISSION);
        packet(3000.1, false, Frame.SYN | Frame.ACK, 0, 65535, 0);
        Explanation v = explain(call(Call.CONNECT, null), 0, 3000.2);
        assertEquals(Verdict.CONNECT_RETRY, v.verdict, v.evidence);
        near(3000, v.explained, 0.01);
        assertTrue(v.evidence.contains("3 times"), v.evidence);
    }

    @Test
    void connectUnanswered() {
        packet(0, true, Frame.SYN, 0, 65535, 0);
        packet(1000, true, Frame.SYN, 0, 65535, Analysis.RETRANSMISSION);
        Explanation v = explain(call(Call.CONNECT, new java.net.SocketTimeoutException("Connect timed out")), 0, 1500);
        assertEquals(Verdict.CONNECT_TIMEOUT, v.verdict, v.evidence);
        near(1500, v.explained, 0.01);
    }

    @Test
    void writeAgainstAZeroWindow() {
        handshake();
        packet(1, true, Frame.ACK, 60000, 65535, 0);
        packet(10, false, Frame.ACK, 0, 0, Analysis.ZERO_WINDOW);
        packet(1510, false, Frame.ACK, 0, 30000, Analysis.WINDOW_UPDATE);
        Explanation v = explain(call(Call.WRITE, null), 1, 1520);
        assertEquals(Verdict.RECEIVER_STALLED, v.verdict, v.evidence);
        near(1500, v.explained, 0.01);
    }

    @Test
    void readEndedByAReset() {
        handshake();
        packet(1, true, Frame.ACK | Frame.PSH, 100, 65535, 0);
        packet(2, false, Frame.RST | Frame.ACK, 0, 0, 0);
        Explanation v = explain(call(Call.READ, new IOException("Connection reset")), 1, 2.1);
        assertEquals(Verdict.PEER_RESET, v.verdict, v.evidence);
    }

    @Test
    void noCauseForHalfTheTimeIsUnknown() {
        handshake();
        packet(1, true, Frame.ACK | Frame.PSH, 100, 65535, 0);
        packet(150, false, Frame.ACK | Frame.PSH, 200, 65535, 0); // 149 ms server
        Call c = call(Call.HTTP, null);
        c.status = 200;
        Explanation v = explain(c, 1, 301, 1.05, 250, 301); // 100 ms late, 51 ms transfer
        assertEquals(Verdict.UNKNOWN, v.verdict, v.evidence);
        assertEquals(0, v.explained);
        assertTrue(v.evidence.contains("149.0 ms"), v.evidence);
    }

    @Test
    void nothingCapturedIsUnknownNotAGuess() {
        Explanation v = VerdictRules.explain(call(Call.READ, null), at(0), at(500), new long[3], null, true, MARGIN);
        assertEquals(Verdict.UNKNOWN, v.verdict);
        assertTrue(v.evidence.contains("no packet"), v.evidence);
    }

    /** Without packets, only what the app's timings show by themselves is named. */
    @Test
    void withoutPacketsNothingIsClaimedThatOnlyPacketsShow() {
        Call exchange = call(Call.HTTP, null);
        exchange.status = 200;
        long[] http = {at(1), at(401), at(402)}; // with packets a 400 ms wait for the answer: SERVER_THINK
        Explanation v = VerdictRules.withoutPackets(exchange, at(0), at(402), http);
        assertEquals(Verdict.UNKNOWN, v.verdict, v.evidence);
        assertEquals(0, v.explained);
        assertEquals(0, v.count, "no evidence packet");
        assertTrue(v.evidence.contains("400.0 ms later") && v.evidence.contains("packets were off"), v.evidence);

        Explanation refused = VerdictRules.withoutPackets(call(Call.CONNECT, new ConnectException("Connection refused")),
                at(0), at(300), new long[3]);
        assertEquals(Verdict.UNKNOWN, refused.verdict, "a reset is the packets' to show: " + refused.evidence);
        assertTrue(refused.evidence.contains("Connection refused"), refused.evidence);
        for (int kind : new int[] {Call.READ, Call.WRITE}) {
            assertEquals(Verdict.UNKNOWN, VerdictRules.withoutPackets(call(kind, null), at(0), at(300), new long[3]).verdict);
        }
        Call served = call(Call.HTTP, null);
        served.incoming = true;
        Explanation in = VerdictRules.withoutPackets(served, at(0), at(500), new long[] {0, at(450), at(500)});
        assertEquals(Verdict.UNKNOWN, in.verdict);
        assertTrue(in.evidence.contains("began its response 450.0 ms after"), in.evidence);
    }

    @Test
    void withoutPacketsALookupOrHandshakeIsStillItsOwnCause() {
        Call lookup = call(Call.DNS, null);
        lookup.remoteAddress = "db.example";
        Explanation dns = VerdictRules.withoutPackets(lookup, at(0), at(300), new long[3]);
        assertEquals(Verdict.DNS_SLOW, dns.verdict);
        assertEquals(300 * MS, dns.explained);
        Explanation tls = VerdictRules.withoutPackets(call(Call.TLS, null), at(0), at(250), new long[3]);
        assertEquals(Verdict.TLS_HANDSHAKE_SLOW, tls.verdict);
        assertTrue(tls.evidence.contains("loss during it is not ruled out"), tls.evidence);
    }

    /**
     * A stream served by the app whose request's bytes waited for the app's own window: the cause
     * when that was most of the stream's time; else UNKNOWN, which still says what was waited.
     */
    @Test
    void aStreamsWaitForTheAppsOwnWindowIsTheCauseOnlyWhenItWasMostOfItsTime() {
        handshake();
        for (long waited : new long[] {600, 400}) {
            Call c = call(Call.HTTP, null);
            c.incoming = true;
            c.multiplexed = true;
            c.status = 200;
            c.windowWait = waited * MS;
            Explanation v = explain(c, 1, 1001, 0, 1000, 1001);
            if (waited == 600) {
                assertEquals(Verdict.RECEIVER_STALLED, v.verdict, v.evidence);
                assertEquals(600 * MS, v.explained);
                assertTrue(v.evidence.startsWith("the request's bytes waited 600.0 ms for the app's own HTTP/2"
                        + " flow-control window: the app did not read"), v.evidence);
            } else {
                assertEquals(Verdict.UNKNOWN, v.verdict, v.evidence);
                assertEquals(0, v.explained);
                assertTrue(v.evidence.contains("began its response 999.0 ms after it read the request; of the stream's"
                        + " 1000.0 ms, the request's bytes waited 400.0 ms for the app's own HTTP/2 flow-control window: the"
                        + " app did not read"), v.evidence);
            }
        }
    }
}
