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
    void transientsAtMostOfAThirdsSamplesPass() {
        // SoakIT's watch soak on CI, RSS less the pinned heap (MB), a sample every 10 s: two of the
        // last four were high (likely a bundle being written), and the RSS went back after each
        List<Double> rss = List.of(189.3, 181.0, 183.1, 188.3, 196.4, 188.7, 196.4, 199.9, 190.7, 269.6, 195.3, 254.3);
        assertNull(Trend.growth("RSS beside the heap (MB)", rss, 0.1, 32));
        List<Double> leak = new ArrayList<>();
        for (int i = 0; i < rss.size(); i++) {
            leak.add(rss.get(i) + 8 * i); // the same series with 8 MB more every 10 s
        }
        assertNotNull(Trend.growth("RSS beside the heap (MB)", leak, 0.1, 32));
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
    void line() {
        assertEquals(2.0, Trend.slope(new double[] {1, 3, 5, 7}), 1e-9);
        assertEquals(0.0, Trend.slope(new double[] {5, 5, 5}), 1e-9);
    }
}
