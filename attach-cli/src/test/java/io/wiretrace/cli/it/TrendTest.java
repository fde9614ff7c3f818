package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The soak's growth detector: what SoakIT fails on, and what it lets pass. */
class TrendTest {
    /** Heap after GC in MB, 18 samples (3 minutes at 10 s), as SoakIT allows it: 20 % + 4 MB. */
    private static String heap(IntToDoubleFunction sample) {
        List<Double> s = new ArrayList<>();
        for (int i = 0; i < 18; i++) {
            s.add(sample.applyAsDouble(i));
        }
        return Trend.growth("heap", s, 0.2, 4);
    }

    @Test
    void aFlatSeriesWithNoisePasses() {
        Random r = new Random(7);
        assertNull(heap(i -> 40 + r.nextGaussian() * 3));
    }

    @Test
    void aLeakFails() {
        Random r = new Random(7);
        String growth = heap(i -> 40 + i * 2 + r.nextGaussian() * 2); // 2 MB every 10 s
        assertNotNull(growth);
        assertTrue(growth.startsWith("heap grew from "), growth);
    }

    @Test
    void growthDuringTheWarmUpPasses() {
        assertNull(heap(i -> i < 4 ? 10 + i * 10 : 50));
    }

    @Test
    void spikesPass() {
        assertNull(heap(i -> i % 5 == 4 ? 80 : 40));
    }

    @Test
    void aCountThatCreepsUpFails() {
        List<Double> threads = new ArrayList<>();
        for (int i = 0; i < 18; i++) {
            threads.add(60.0 + i);
        }
        assertNotNull(Trend.growth("threads", threads, 0, 5));
        threads.replaceAll(t -> 60.0 + (t.intValue() % 3));
        assertNull(Trend.growth("threads", threads, 0, 5));
    }

    @Test
    void tooFewSamplesToJudgeIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Trend.growth("heap", List.of(1.0, 2.0, 3.0, 4.0, 5.0), 0.2, 4));
    }

    @Test
    void lineAndMedians() {
        assertEquals(2.0, Trend.slope(new double[] {1, 3, 5, 7}), 1e-9);
        assertEquals(2.5, Trend.median(new double[] {4, 1, 3, 2}), 1e-9);
    }
}
