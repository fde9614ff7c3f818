package io.wiretrace.analysis.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Frame;
import org.junit.jupiter.api.Test;

/**
 * The evidence of a flow that went leaves its arrays to flows that come later (they are old
 * already: a young collection does not copy them), and what a new flow reads from them is its
 * own records only, whatever the arrays held before.
 */
class SpareArraysTest {
    private static final long MS = 1_000_000L;

    /** {@code turns} exchanges of a request and its answer, 1 ms apart from {@code t0}: two records each. */
    private static void turns(EvidenceRing r, long t0, int turns) {
        for (int i = 0; i < turns; i++) {
            Frame f = new Frame();
            f.flags = Frame.ACK | Frame.PSH;
            f.payloadLength = 100;
            f.window = 65535;
            f.seq = 1 + 100 * i;
            r.packet(f, Analysis.FROM_CLIENT, t0 + (2 * i) * MS);
            f.seq = 50_001 + 100 * i;
            r.packet(f, 0, t0 + (2 * i + 1) * MS);
        }
    }

    @Test
    void aGoneFlowsArraysAreANewFlowsAndItReadsOnlyItsOwnRecords() {
        Budget budget = new Budget();
        EvidenceRing gone = new EvidenceRing(budget);
        gone.keepAll();
        turns(gone, 1_000 * MS, 300); // 600 records: a ring of 1,024
        assertEquals(1024, gone.capacity());
        java.util.Set<Object> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        arrays.addAll(java.util.List.of(gone.time, gone.kind, gone.aux, gone.where));
        assertTrue(budget.spareBytes() > 0, "the ring's smaller arrays are spare as it grows");
        gone.release();
        gone.forget();
        assertEquals(1, gone.capacity());

        EvidenceRing next = new EvidenceRing(budget);
        next.keepAll();
        turns(next, 5_000 * MS, 300);
        assertTrue(arrays.contains(next.time) && arrays.contains(next.kind) && arrays.contains(next.aux)
                && arrays.contains(next.where), "the new flow grows into the gone one's arrays");
        assertEquals(600, next.written);
        // its records only: the first is its own, and nothing from before it is found
        assertEquals(0, next.firstAt(0));
        assertEquals(5_000 * MS, next.time[next.index(next.firstAt(0))]);
        assertEquals(-1, next.at(1_000 * MS), "a record of the flow that went");
        assertEquals(next.index(599), next.at(5_000 * MS + 599 * MS));
        for (long n = 0; n < next.written; n++) {
            int i = next.index(n);
            assertEquals(5_000 * MS + n * MS, next.time[i]);
            assertEquals(-1, next.where[i]);
            assertEquals(n % 2 == 0, next.local(i, true));
        }
    }

    @Test
    void sparesStayWithinTheirBytesAndOnlyPowersOfTwoFromTheLeast() {
        Budget budget = new Budget();
        java.util.List<EvidenceRing> rings = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) { // 400 flows at once, 28 KiB each, then all gone
            EvidenceRing r = new EvidenceRing(budget);
            r.keepAll();
            turns(r, i * 1_000 * MS, 300);
            rings.add(r);
        }
        for (EvidenceRing r : rings) {
            r.release();
            r.forget();
            assertTrue(budget.spareBytes() <= Budget.SPARE_BYTES, budget.spareBytes() + " bytes spare");
        }
        assertTrue(budget.spareBytes() > Budget.SPARE_BYTES / 2, budget.spareBytes() + " bytes spare");
        budget.spare(new long[1000]); // not a power of two
        budget.spare(new long[16]); // below the least
        long before = budget.spareBytes();
        assertNotSame(null, budget.longs(1000));
        assertEquals(before, budget.spareBytes());
        long[] a = budget.longs(1024);
        assertEquals(1024, a.length);
        assertEquals(before - 8 * 1024, budget.spareBytes(), "a spare one was taken");
    }

    @Test
    void byteTimesOfAGoneFlowAreSpareOnce() {
        Budget budget = new Budget();
        ByteTimes b = new ByteTimes(budget);
        b.syn(0);
        for (int i = 0; i < 200; i++) { // runs 20 ms apart: none merges with the one before
            b.data(1 + 100 * i, 100, i * 20 * MS);
        }
        long spare = budget.spareBytes();
        b.release();
        long after = budget.spareBytes();
        assertTrue(after > spare, "its arrays are spare: " + spare + " -> " + after);
        b.release();
        assertEquals(after, budget.spareBytes(), "released twice, spared once");
    }
}
