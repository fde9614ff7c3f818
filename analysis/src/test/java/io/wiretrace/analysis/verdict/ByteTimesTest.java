package io.wiretrace.analysis.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ByteTimesTest {
    private static final long MS = 1_000_000L;

    @Test
    void bytesAreTimedByThePacketThatCarriedThemFromTheSyn() {
        ByteTimes b = new ByteTimes(new Budget());
        assertEquals(ByteTimes.UNKNOWN, b.at(0));
        b.syn(1000);
        assertTrue(b.fromSyn());
        b.data(1001, 100, 10 * MS);
        b.data(1101, 50, 20 * MS);
        assertEquals(10 * MS, b.at(0));
        assertEquals(10 * MS, b.at(99));
        assertEquals(20 * MS, b.at(100));
        assertEquals(20 * MS, b.at(149));
        assertEquals(ByteTimes.NOT_YET, b.at(150));
        b.data(1001, 100, 30 * MS); // a retransmission of bytes seen already changes nothing
        assertEquals(10 * MS, b.at(0));
        assertEquals(150, b.contiguous());
    }

    @Test
    void bytesAboveAHoleCountFromWhenItFilled() {
        ByteTimes b = new ByteTimes(new Budget());
        b.syn(0);
        b.data(1, 10, 10 * MS);
        b.data(21, 10, 20 * MS); // bytes 20..29 come before 10..19
        assertEquals(ByteTimes.NOT_YET, b.at(25));
        b.data(11, 10, 50 * MS);
        assertEquals(50 * MS, b.at(10));
        assertEquals(50 * MS, b.at(25), "readable only once the hole filled");
        assertEquals(30, b.contiguous());
    }

    @Test
    void anAcknowledgementFillsWhatTheCaptureMissed() {
        ByteTimes b = new ByteTimes(new Budget());
        b.syn(0);
        b.data(1, 10, 10 * MS);
        b.data(21, 10, 20 * MS); // 10..19 never captured
        b.acked(31, 40 * MS);
        assertEquals(40 * MS, b.at(15));
        assertEquals(40 * MS, b.at(25));
        assertEquals(20, b.missed);
        b.data(31, 5, 60 * MS);
        assertEquals(60 * MS, b.at(33));
    }

    @Test
    void sequenceNumbersWrap() {
        ByteTimes b = new ByteTimes(new Budget());
        b.syn(0xFFFF_FFF0);
        b.data(0xFFFF_FFF1, 32, 10 * MS);
        b.data(0x11, 8, 20 * MS);
        assertEquals(10 * MS, b.at(31));
        assertEquals(20 * MS, b.at(35));
        assertEquals(40, b.contiguous());
    }

    @Test
    void packetsWithinAMillisecondShareAnEntry() {
        Budget budget = new Budget();
        ByteTimes b = new ByteTimes(budget);
        b.syn(0);
        for (int i = 0; i < 1000; i++) {
            b.data(1 + i * 100, 100, 10 * MS + i * 100); // 100 ns apart: one run
        }
        assertEquals(10 * MS, b.at(99_999));
        long used = budget.used();
        b.data(1 + 100_000, 100, 12 * MS);
        assertEquals(12 * MS, b.at(100_000));
        assertEquals(used, budget.used(), "two runs fit in the first ring");
    }

    @Test
    void withoutItsHandshakeItCountsFromTheFirstDataAndTellsWhereALaterCountBegan() {
        ByteTimes b = new ByteTimes(new Budget());
        b.data(5000, 100, 10 * MS);
        assertFalse(b.fromSyn());
        b.data(5100, 40, 50 * MS);
        assertEquals(100, b.capturedFrom(30 * MS), "the first byte captured after 30 ms is at offset 100");
        assertEquals(ByteTimes.UNKNOWN, b.capturedFrom(50 * MS + 1), "a run from just before may go on after it");
        assertEquals(140, b.capturedFrom(60 * MS));
        assertEquals(0, b.capturedFrom(5 * MS));
    }

    @Test
    void runsPastTheHorizonGoAndRunsInsideItStayUntilTheBudgetIsSpent() {
        Budget wide = new Budget(1L << 30, 1000 * MS);
        ByteTimes b = new ByteTimes(wide);
        b.syn(0);
        for (int i = 0; i < 10_000; i++) {
            b.data(1 + i * 10, 10, i * 2 * MS); // 20 s of runs, 2 ms apart
        }
        assertEquals(ByteTimes.UNKNOWN, b.at(0), "older than the horizon");
        assertEquals((9_999 - 400) * 2 * MS, b.at((9_999 - 400) * 10L), "within the horizon");
        assertEquals(0, wide.givenUp());

        Budget tight = new Budget(4096, 1000 * MS);
        ByteTimes c = new ByteTimes(tight);
        c.syn(0);
        for (int i = 0; i < 1000; i++) {
            c.data(1 + i * 10, 10, i * 2 * MS);
        }
        assertTrue(tight.givenUp() > 0, "the budget ran out inside the horizon");
        assertTrue(tight.used() <= 4096);
        assertEquals(ByteTimes.UNKNOWN, c.at(0));
        assertEquals(999 * 2 * MS, c.at(9_995));
        c.release();
        assertEquals(0, tight.used());
    }
}
