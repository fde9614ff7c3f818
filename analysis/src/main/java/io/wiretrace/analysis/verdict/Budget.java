package io.wiretrace.analysis.verdict;

import java.math.BigDecimal;
import java.math.RoundingMode;
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

    public final long maxBytes;
    public final long horizonNanos;
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
