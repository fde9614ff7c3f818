package io.wiretrace.analysis.verdict;

/**
 * When each byte of one direction of a TCP connection was captured, by its offset in the stream
 * (byte 0 is the first after the SYN): the byte-exact join of socket calls to packets. A read
 * that returned the bytes from offset {@code a} on got data that was in the kernel from
 * {@code at(a)}; a write whose last byte is at {@code b} had its bytes on the wire at {@code at(b)}.
 *
 * <p>Bytes count from when all bytes before them were seen (what a receiver can read): a segment
 * that came out of order waits for the hole to fill, a retransmission of bytes seen already
 * changes nothing. Runs of bytes that became contiguous within {@link #MERGE_NANOS} of each other
 * share one entry, so a bulk transfer costs at most a thousand entries a second, and a time
 * answered is the run's first packet's, at most that much early.
 *
 * <p>Offsets are known from the SYN (its sequence number plus one is byte 0). A connection whose
 * handshake was not captured can be anchored on its first data segment instead, when the caller
 * knows which byte of the app's count that is ({@link #anchor}).
 */
public final class ByteTimes {
    /** Bytes that became contiguous this soon after a run began join the run. */
    public static final long MERGE_NANOS = 1_000_000L;
    /** {@link #at}: the byte was not captured yet. */
    public static final long NOT_YET = -1;
    /** {@link #at}: the byte is older than what is kept, or offsets are not known. */
    public static final long UNKNOWN = -2;
    private static final int INITIAL = 8;
    private static final int MAX_HOLES = 16;
    /** Per entry: its end offset and its time. */
    static final int ENTRY_BYTES = 16;

    private final Budget budget;
    /** While set, the ring does not grow (a flow not known to be the app's). */
    private boolean held;
    private boolean anchored;
    /** Offsets count from the SYN (else from the first data captured). */
    private boolean fromSyn;
    /** The sequence number of offset {@link #contig}. */
    private int contigSeq;
    /** Every byte before it was seen. */
    private long contig;
    // runs, a ring: run k covers [end of run k-1, end[k]) and became contiguous at time[k]
    private long[] end = new long[INITIAL];
    private long[] time = new long[INITIAL];
    private long written;
    /** Where the oldest run kept begins. */
    private long keptFrom;
    // segments above a hole, until it fills
    private final long[] holeStart = new long[MAX_HOLES];
    private final long[] holeEnd = new long[MAX_HOLES];
    private final long[] holeTime = new long[MAX_HOLES];
    private int holes;
    /** Bytes acknowledged that the capture did not see. */
    public long missed;

    public ByteTimes(Budget budget) {
        this.budget = budget;
        if (budget != null) {
            budget.count(INITIAL * ENTRY_BYTES);
        }
    }

    /** Holds the ring at its size (the oldest run goes), or lets it grow again. */
    public void hold(boolean hold) {
        held = hold;
    }

    /** The bytes its runs take. */
    public long bytes() {
        return (long) end.length * ENTRY_BYTES;
    }

    /** The SYN (or SYN-ACK) with sequence number {@code seq}: byte 0 is the next. */
    public void syn(int seq) {
        if (!anchored) {
            anchor(seq + 1, 0);
            fromSyn = true;
        }
    }

    /** Whether offsets count from the connection's first byte (its SYN was captured). */
    public boolean fromSyn() {
        return fromSyn;
    }

    /** Byte {@code offset} of the stream has sequence number {@code seq}; offsets before it are unknown. */
    public void anchor(int seq, long offset) {
        anchored = true;
        contigSeq = seq;
        contig = offset;
        keptFrom = offset;
    }

    public boolean anchored() {
        return anchored;
    }

    /** Every byte before this offset was captured. */
    public long contiguous() {
        return anchored ? contig : -1;
    }

    /** A segment with {@code len} bytes from {@code seq}, captured at {@code nanos}. */
    public void data(int seq, int len, long nanos) {
        if (len <= 0 || end.length == 0) {
            return;
        }
        if (!anchored) {
            anchor(seq, 0); // its handshake was not captured: offsets count from here
        }
        long from = contig + (seq - contigSeq); // 32-bit difference: wraps are unwrapped here
        long to = from + len;
        if (to <= contig) {
            return; // seen already: a retransmission, a duplicate
        }
        if (from > contig) {
            hole(from, to, nanos);
            return;
        }
        advance(to, nanos);
        // segments that waited above the hole: contiguous now, at the time the hole filled
        boolean more = true;
        while (more && holes > 0) {
            more = false;
            for (int i = 0; i < holes; i++) {
                if (holeStart[i] <= contig) {
                    if (holeEnd[i] > contig) {
                        advance(holeEnd[i], nanos);
                    }
                    holes--;
                    holeStart[i] = holeStart[holes];
                    holeEnd[i] = holeEnd[holes];
                    holeTime[i] = holeTime[holes];
                    more = true;
                    break;
                }
            }
        }
    }

    /**
     * The other side acknowledged up to {@code ack}: bytes under it that the capture missed (a
     * drop) were there by now, so the bytes above them do not wait for a hole that never fills.
     */
    public void acked(int ack, long nanos) {
        if (!anchored || end.length == 0) {
            return;
        }
        long to = contig + (ack - contigSeq);
        if (to > contig && to - contig < (1L << 30)) {
            missed += to - contig;
            advance(to, nanos);
            for (int i = 0; i < holes; i++) {
                if (holeEnd[i] <= contig) {
                    holes--;
                    holeStart[i] = holeStart[holes];
                    holeEnd[i] = holeEnd[holes];
                    i--;
                }
            }
        }
    }

    /**
     * The offset of the first byte captured at or after {@code nanos}: where a count that began
     * then starts in the stream. {@link #UNKNOWN} when it cannot be told (a run of bytes from
     * just before may go on after it, or what came before is not kept).
     */
    public long capturedFrom(long nanos) {
        if (!anchored) {
            return UNKNOWN;
        }
        long k = written;
        while (k > first() && time[index(k - 1)] >= nanos) {
            k--;
        }
        if (k > first() && time[index(k - 1)] > nanos - MERGE_NANOS) {
            return UNKNOWN; // that run may hold bytes from after it
        }
        if (k == first() && k > 0) {
            return UNKNOWN; // runs before it are no longer kept
        }
        return k == 0 ? keptFrom : end[index(k - 1)];
    }

    private void hole(long from, long to, long nanos) {
        for (int i = 0; i < holes; i++) {
            if (from <= holeEnd[i] && to >= holeStart[i]) {
                holeStart[i] = Math.min(from, holeStart[i]);
                holeEnd[i] = Math.max(to, holeEnd[i]);
                return;
            }
        }
        if (holes == MAX_HOLES) {
            return; // the bytes become contiguous when the hole under them fills, from a later segment
        }
        holeStart[holes] = from;
        holeEnd[holes] = to;
        holeTime[holes] = nanos;
        holes++;
    }

    private void advance(long to, long nanos) {
        contigSeq += (int) (to - contig);
        contig = to;
        if (written > 0) {
            int last = index(written - 1);
            if (nanos - time[last] < MERGE_NANOS) {
                end[last] = to;
                return;
            }
        }
        if (written - first() == end.length && !grow(nanos)) {
            keptFrom = end[index(first())]; // the oldest run goes
        }
        int i = index(written++);
        end[i] = to;
        time[i] = nanos;
    }

    /**
     * Room for one more run: the ring doubles while its oldest run is within the budget's horizon
     * and the budget has the memory; a run given up inside the horizon is counted.
     */
    private boolean grow(long nanos) {
        int n = end.length;
        if (held || budget == null || !budget.grow(nanos - time[index(first())], (long) n * ENTRY_BYTES)) {
            return false;
        }
        long[] e = budget.longs(n * 2);
        long[] t = budget.longs(n * 2);
        for (long k = first(); k < written; k++) {
            e[(int) (k % (n * 2))] = end[index(k)];
            t[(int) (k % (n * 2))] = time[index(k)];
        }
        budget.spare(end); // the smaller ones, for a younger flow
        budget.spare(time);
        end = e;
        time = t;
        return true;
    }

    private long first() {
        return Math.max(0, written - end.length);
    }

    private int index(long k) {
        return (int) (k % end.length);
    }

    /**
     * When byte {@code offset} was captured with every byte before it (ns since the epoch):
     * {@link #NOT_YET} if it was not, {@link #UNKNOWN} if it is older than what is kept or no
     * offsets are known.
     */
    public long at(long offset) {
        if (!anchored || offset < keptFrom) {
            return UNKNOWN;
        }
        if (offset >= contig) {
            return NOT_YET;
        }
        long lo = first();
        long hi = written - 1;
        while (lo < hi) { // the first run whose end is past the offset
            long mid = (lo + hi) >>> 1;
            if (end[index(mid)] > offset) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return time[index(lo)];
    }

    /** Gives its memory back to the budget (its flow has gone). */
    public void release() {
        if (budget != null) {
            budget.give((long) end.length * ENTRY_BYTES);
            if (end != time) {
                budget.spare(end); // nothing reads them again
                budget.spare(time);
            }
        }
        end = new long[0];
        time = end;
        written = 0;
        anchored = false;
    }
}
