/**
 * Latencies in nanoseconds, log-linear: 128 buckets per power of two, so a bucket is at most 0.8 %
 * wide. Recording is an array increment: nothing is allocated per request.
 */
final class Histogram {
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    private final long[] counts = new long[(64 - SUB_BITS + 1) * SUB];
    private long total;

    static int index(long v) {
        if (v < 2 * SUB) {
            return (int) Math.max(v, 0);
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
        return ((shift + 1) << SUB_BITS) + (int) ((v >>> shift) - SUB);
    }

    /** The middle of bucket i. */
    static long value(int i) {
        if (i < 2 * SUB) {
            return i;
        }
        int shift = (i >>> SUB_BITS) - 1;
        long low = (long) ((i & (SUB - 1)) + SUB) << shift;
        return low + (1L << shift) / 2;
    }

    void record(long nanos) {
        counts[index(nanos)]++;
        total++;
    }

    void add(Histogram h) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += h.counts[i];
        }
        total += h.total;
    }

    long total() {
        return total;
    }

    /** The value at quantile q (0..1], in nanoseconds; 0 when empty. */
    long quantile(double q) {
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return value(i);
            }
        }
        return 0;
    }
}
