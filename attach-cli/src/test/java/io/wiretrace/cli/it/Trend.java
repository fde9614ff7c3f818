package io.wiretrace.cli.it;

import java.util.Arrays;
import java.util.List;

/**
 * Whether a series of samples taken at a steady cadence grows after its warm-up: the first
 * {@link #WARM_UP} of the samples are left out, and the rest grows if both the lowest sample of its
 * last third exceeds the lowest of its first third, and its least-squares line rises over the span,
 * by more than {@code relative} × the first third's lowest + {@code absolute}. A leak raises the
 * floor; spikes do not, however many fall in a third (a soak's thirds are three or four samples:
 * in one CI run two of a last third's three were 510 and 526 MB of RSS where the others were 445–456,
 * likely the watch writing a bundle, and they took the median with them). A slope alone is not
 * enough either, so the noise of a busy machine passes and a leak, which moves both, does not.
 */
final class Trend {
    static final double WARM_UP = 0.25;
    /** Samples needed after the warm-up: thirds of at least two. */
    static final int MIN_SAMPLES = 6;

    private Trend() {
    }

    /** Null if {@code samples} is flat after the warm-up, else what grew, by how much, against the allowance. */
    static String growth(String name, List<Double> samples, double relative, double absolute) {
        int skip = (int) Math.ceil(samples.size() * WARM_UP);
        double[] s = samples.subList(skip, samples.size()).stream().mapToDouble(Double::doubleValue).toArray();
        if (s.length < MIN_SAMPLES) {
            throw new IllegalArgumentException(name + ": " + s.length + " samples after the warm-up, fewer than "
                    + MIN_SAMPLES);
        }
        int third = s.length / 3;
        double first = Arrays.stream(s, 0, third).min().orElseThrow();
        double last = Arrays.stream(s, s.length - third, s.length).min().orElseThrow();
        double fitted = slope(s) * (s.length - 1);
        double allowed = relative * first + absolute;
        if (last - first > allowed && fitted > allowed) {
            return String.format("%s grew from %.1f to %.1f (the lowest of the first and last thirds after the warm-up),"
                    + " %.1f along its least-squares line; allowed %.1f", name, first, last, fitted, allowed);
        }
        return null;
    }

    /** The least-squares slope per sample. */
    static double slope(double[] y) {
        double n = y.length;
        double meanX = (n - 1) / 2;
        double meanY = Arrays.stream(y).average().orElse(0);
        double num = 0;
        double den = 0;
        for (int i = 0; i < y.length; i++) {
            num += (i - meanX) * (y[i] - meanY);
            den += (i - meanX) * (i - meanX);
        }
        return den == 0 ? 0 : num / den;
    }
}
