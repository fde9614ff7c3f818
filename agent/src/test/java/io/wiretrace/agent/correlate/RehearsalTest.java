package io.wiretrace.agent.correlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Flow;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The made-up traffic a capture's analysis is rehearsed with takes the branches real traffic takes
 * late: each kind of finding, each way a flow leaves the table, and packets that are not TCP.
 */
class RehearsalTest {
    @Test
    void everyKindOfPacketAndEveryWayOutOfTheTableComes() {
        long began = System.nanoTime();
        Rehearsal r = Rehearsal.run();
        long took = System.nanoTime() - began;
        assertNotNull(r, "the rehearsal failed");
        System.out.printf("rehearsal: %d packets, %d flows left the table, %.1f ms (cold)%n", r.packets, r.evicted,
                took / 1e6);
        int[] findings = {Analysis.RETRANSMISSION, Analysis.FAST_RETRANSMISSION, Analysis.OUT_OF_ORDER,
            Analysis.DUPLICATE_ACK, Analysis.ZERO_WINDOW, Analysis.ZERO_WINDOW_PROBE, Analysis.WINDOW_UPDATE,
            Analysis.KEEP_ALIVE, Analysis.KEEP_ALIVE_ACK, Analysis.LOST_SEGMENT, Analysis.REUSED_PORTS, Analysis.RTT_SAMPLE,
            Analysis.FROM_CLIENT, Analysis.NEW_FLOW};
        for (int f : findings) {
            int bit = Integer.numberOfTrailingZeros(f);
            assertTrue(r.seen[bit] > 0, "no packet with finding bit " + bit + ": " + Arrays.toString(r.seen));
        }
        assertTrue(r.seen[31] > 0, "no packet that is not TCP");
        for (Flow.End e : new Flow.End[] {Flow.End.CLOSED, Flow.End.IDLE, Flow.End.BOUND, Flow.End.REUSED}) {
            assertTrue(r.ends[e.ordinal()] > 0, "no flow left the table " + e + ": " + Arrays.toString(r.ends));
        }
        assertTrue(r.largest > io.wiretrace.analysis.verdict.EvidenceRing.CAPACITY, "no ring grew past a full one: " + r.largest);
        assertTrue(r.refused > 0, "the budget never refused a ring past its horizon");
        assertTrue(r.smallOverwritten > 0, "no ring held small overwrote its oldest records");
        assertEquals(Rehearsal.FLOWS + r.ends[Flow.End.REUSED.ordinal()], r.evicted,
                "every flow, and each connection that took a reused one's ports, leaves the table");
    }
}
