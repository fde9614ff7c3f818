package io.wiretrace.analysis.verdict;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The memory the evidence of all flows may take, and how far back it is kept: a flow's records
 * ({@link EvidenceRing}) and byte times ({@link ByteTimes}) grow while their oldest entry is
 * younger than the horizon and the budget has room; past the horizon the oldest entries go. A
 * call shorter than the horizon finds its packets unless the budget ran out, which is counted:
 * {@link #givenUp}, and the age of the youngest entry given up. Used on one thread (the
 * correlator's lock, or the offline analysis).
 */
public final class Budget {
    public static final long DEFAULT_BYTES = 64L << 20;
    public static final long DEFAULT_HORIZON_NANOS = TimeUnit.SECONDS.toNanos(30);

    /**
     * The arrays of flows that went, kept for new flows to grow into: at most this many bytes, by
     * length (a power of two, from {@link #SPARE_MIN}). A flow's evidence lives until its flow
     * leaves the table, seconds after its connection closed. An array it grows into that is new
     * is copied by each young collection it outlives, then promoted; one already old is not. With
     * 35 new connections a second, the evidence's {@code long[]} came first among what the app's
     * JVM promoted.
     */
    static final long SPARE_BYTES = 4L << 20;
    static final int SPARE_MIN = 32;

    public final long maxBytes;
    public final long horizonNanos;
    @SuppressWarnings("unchecked")
    private final ArrayDeque<long[]>[] spareLongs = new ArrayDeque[31];
    @SuppressWarnings("unchecked")
    private final ArrayDeque<int[]>[] spareInts = new ArrayDeque[31];
    private long spareBytes;
    private long used;
    private long givenUp;
    private long youngestGivenUp = Long.MAX_VALUE;

    public Budget(long maxBytes, long horizonNanos) {
        this.maxBytes = maxBytes;
        this.horizonNanos = horizonNanos;
    }

    public Budget() {
        this(DEFAULT_BYTES, DEFAULT_HORIZON_NANOS);
    }

    /**
     * Whether a full ring whose oldest entry is {@code age} old may take {@code bytes} more to
     * double: only within the horizon, and while the budget has room; refused inside the horizon,
     * its oldest entry is given up, and counted.
     */
    boolean grow(long age, long bytes) {
        if (age > horizonNanos) {
            return false;
        }
        if (used + bytes > maxBytes) {
            givenUp++;
            youngestGivenUp = Math.min(youngestGivenUp, age);
            return false;
        }
        used += bytes;
        return true;
    }

    /** Memory taken whatever the budget says: a new flow's small rings, which are never refused. */
    void count(long bytes) {
        used += bytes;
    }

    void give(long bytes) {
        used = Math.max(0, used - bytes);
    }

    /** An array of {@code n} longs: one a gone flow left, or a new one. Its contents are not cleared. */
    long[] longs(int n) {
        ArrayDeque<long[]> d = spares(spareLongs, n);
        long[] a = d == null ? null : d.pollLast();
        if (a == null) {
            return new long[n];
        }
        spareBytes -= 8L * n;
        return a;
    }

    /** An array of {@code n} ints: one a gone flow left, or a new one. Its contents are not cleared. */
    int[] ints(int n) {
        ArrayDeque<int[]> d = spares(spareInts, n);
        int[] a = d == null ? null : d.pollLast();
        if (a == null) {
            return new int[n];
        }
        spareBytes -= 4L * n;
        return a;
    }

    /** Keeps the array of a flow that went for another to grow into, while the spares have room; nothing else may use it. */
    void spare(long[] a) {
        if (spareBytes + 8L * a.length <= SPARE_BYTES && spareable(a.length)) {
            sparesMade(spareLongs, a.length).addLast(a);
            spareBytes += 8L * a.length;
        }
    }

    void spare(int[] a) {
        if (spareBytes + 4L * a.length <= SPARE_BYTES && spareable(a.length)) {
            sparesMade(spareInts, a.length).addLast(a);
            spareBytes += 4L * a.length;
        }
    }

    /** Bytes kept in spare arrays. */
    long spareBytes() {
        return spareBytes;
    }

    private static boolean spareable(int n) {
        return n >= SPARE_MIN && Integer.bitCount(n) == 1;
    }

    private static <T> ArrayDeque<T> spares(ArrayDeque<T>[] by, int n) {
        return spareable(n) ? by[Integer.numberOfTrailingZeros(n)] : null;
    }

    private static <T> ArrayDeque<T> sparesMade(ArrayDeque<T>[] by, int n) {
        int k = Integer.numberOfTrailingZeros(n);
        if (by[k] == null) {
            by[k] = new ArrayDeque<>();
        }
        return by[k];
    }

    /** Bytes taken now. */
    public long used() {
        return used;
    }

    /** Entries overwritten inside the horizon because the budget was spent. */
    public long givenUp() {
        return givenUp;
    }

    /** The age of the youngest entry given up (ns), or Long.MAX_VALUE: none. */
    public long youngestGivenUp() {
        return youngestGivenUp;
    }

    /**
     * For the status: what is kept and what was given up. Published twice a second by a thread that
     * runs interpreted for a long time, so without {@code String.format} (a Formatter and its
     * DecimalFormatSymbols per call took most of that thread's CPU).
     */
    public String describe() {
        String s = "evidence: " + tenths(used / 1048576.0) + " MiB of " + (maxBytes >> 20) + " MiB, kept "
                + TimeUnit.NANOSECONDS.toSeconds(horizonNanos) + " s back";
        return givenUp == 0 ? s : s + "; " + givenUp + " entries given up under the memory budget (the youngest "
                + tenths(youngestGivenUp / 1e9) + " s old)";
    }

    /** {@code x} rounded to one decimal as %.1f prints it (half up, from its shortest decimal form). */
    static String tenths(double x) {
        return BigDecimal.valueOf(x).setScale(1, RoundingMode.HALF_UP).toPlainString();
    }
}
