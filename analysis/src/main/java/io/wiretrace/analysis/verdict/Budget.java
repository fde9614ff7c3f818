package io.wiretrace.analysis.verdict;

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

    /** For the status: what is kept and what was given up. */
    public String describe() {
        String s = String.format(java.util.Locale.ROOT, "evidence: %.1f MiB of %d MiB, kept %d s back",
                used / 1048576.0, maxBytes >> 20, TimeUnit.NANOSECONDS.toSeconds(horizonNanos));
        return givenUp == 0 ? s : s + String.format(java.util.Locale.ROOT,
                "; %d entries given up under the memory budget (the youngest %.1f s old)", givenUp, youngestGivenUp / 1e9);
    }
}
