package io.wiretrace.analysis.verdict;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Frame;

/**
 * The packets of one flow that can be evidence for a verdict: handshake and teardown, the first
 * data after the other side spoke or after a pause ("turns"), retransmissions, zero windows and
 * their reopening. Data in the middle of a stream is not kept one by one; it is what the turns
 * and the counters summarise. The live correlation keeps one per flow (on its lock), and so does
 * the offline analysis.
 */
public class EvidenceRing {
    /**
     * The ring starts small and doubles, up to this, for flows with much to remember (loss, stalls);
     * with a {@link Budget}, on while its oldest record is within the budget's horizon.
     */
    public static final int CAPACITY = 1024;
    /**
     * What a flow not (yet) joined to the app's connections keeps: other processes' traffic and
     * scans (on {@code -i any} without a filter) must not cost a full ring each, in the app's heap.
     */
    public static final int UNJOINED = 16;
    /** Per record: its time, kind, aux and comment room. */
    static final int RECORD_BYTES = 28;
    private static final int INITIAL = 16;
    /** The most records the ring grows to (see {@link #keepSmall}). */
    private int limit = CAPACITY;
    /** Data after this long without data from the same side is a turn: something was waited for. */
    public static final long PAUSE_NANOS = 10_000_000L;

    // record kinds (bits; a record can carry several)
    public static final int CLIENT = 1; // sent by the flow's client (else by its server)
    public static final int SYN = 1 << 1;
    public static final int SYN_ACK = 1 << 2;
    public static final int RST = 1 << 3;
    public static final int FIN = 1 << 4;
    public static final int TURN = 1 << 5; // data after the other side's data, or after a pause
    public static final int RETRANSMISSION = 1 << 6;
    public static final int ZERO_WINDOW = 1 << 7;
    public static final int WINDOW_OPEN = 1 << 8; // a window again after a zero window: aux is how long it was shut
    public static final int WINDOW_FULL = 1 << 9;

    // the ring
    public long[] time = new long[INITIAL];
    public int[] kind = new int[INITIAL];
    /** For a turn, the other side's last data before it; for a retransmission, the silence before it. */
    public long[] aux = new long[INITIAL];
    /** Where the record's packet has room for a verdict comment in the capture file, or -1. */
    public long[] where = new long[INITIAL];
    public long written;
    private final long[] lastFull = new long[2];
    // per side, indexed by fromClient ? 0 : 1
    public final long[] lastData = new long[2];
    public final long[] shutSince = new long[2];
    public long lastPacket;
    /** The memory all flows' evidence may take (null: {@link #CAPACITY} records, no byte times). */
    private final Budget budget;
    /** When each byte of the stream was captured, from the client and from the server (null: no budget). */
    public final ByteTimes clientBytes;
    public final ByteTimes serverBytes;

    /** A ring of at most {@link #CAPACITY} records, without byte times (the offline analysis). */
    public EvidenceRing() {
        this(null);
    }

    /** A ring that keeps its records, and its bytes' times, as far back as {@code budget} allows. */
    public EvidenceRing(Budget budget) {
        this.budget = budget;
        clientBytes = budget == null ? null : new ByteTimes(budget);
        serverBytes = budget == null ? null : new ByteTimes(budget);
        if (budget != null) {
            budget.count((long) INITIAL * RECORD_BYTES);
        }
    }

    /** The byte times of the direction the app's end receives (localIsClient: from the server), or null. */
    public ByteTimes in(boolean localIsClient) {
        return localIsClient ? serverBytes : clientBytes;
    }

    /** The byte times of the direction the app's end sends, or null. */
    public ByteTimes out(boolean localIsClient) {
        return localIsClient ? clientBytes : serverBytes;
    }

    /**
     * Keeps the ring at {@link #UNJOINED} records, and its byte times at their first runs, until
     * {@link #keepAll}: the oldest are overwritten instead.
     */
    public void keepSmall() {
        limit = UNJOINED;
        if (clientBytes != null) {
            clientBytes.hold(true);
            serverBytes.hold(true);
        }
    }

    /** The flow is the app's: the ring may grow again. */
    public void keepAll() {
        limit = CAPACITY;
        if (clientBytes != null) {
            clientBytes.hold(false);
            serverBytes.hold(false);
        }
    }

    /** Whether the ring is held small ({@link #keepSmall}). */
    public boolean small() {
        return limit < CAPACITY;
    }

    /** Records the ring can hold now. */
    public int capacity() {
        return time.length;
    }

    /** The bytes its arrays take: the records and both directions' byte times. */
    public long bytes() {
        return (long) time.length * RECORD_BYTES
                + (clientBytes == null ? 0 : clientBytes.bytes() + serverBytes.bytes());
    }

    /** Records the packet the table has just analysed, if it can be evidence; returns its ring index, or -1. */
    public int packet(Frame f, int analysis, long nanos) {
        boolean fromClient = (analysis & Analysis.FROM_CLIENT) != 0;
        int side = fromClient ? 0 : 1;
        int k = 0;
        long a = 0;
        int flags = f.flags;
        if ((flags & Frame.SYN) != 0) {
            k |= (flags & Frame.ACK) != 0 ? SYN_ACK : SYN;
        }
        if ((flags & Frame.RST) != 0) {
            k |= RST;
        }
        if ((flags & Frame.FIN) != 0) {
            k |= FIN;
        }
        if (Analysis.isRetransmission(analysis)) {
            k |= RETRANSMISSION;
            a = lastPacket == 0 ? 0 : nanos - lastPacket;
        }
        // a receiver with a small window makes these on every segment: one record per pause
        if ((analysis & Analysis.WINDOW_FULL) != 0 && nanos - lastFull[side] >= PAUSE_NANOS) {
            k |= WINDOW_FULL;
            lastFull[side] = nanos;
        }
        if ((analysis & Analysis.ZERO_WINDOW) != 0) {
            if (shutSince[side] == 0) {
                k |= ZERO_WINDOW; // the window shuts; repeats while it stays shut are not kept
                shutSince[side] = nanos;
            }
        } else if (shutSince[side] != 0 && f.window > 0 && (flags & Frame.RST) == 0) {
            k |= WINDOW_OPEN;
            a = nanos - shutSince[side];
            shutSince[side] = 0;
        }
        if (f.payloadLength > 0 && (k & RETRANSMISSION) == 0) {
            long other = lastData[1 - side];
            long mine = lastData[side];
            if (mine == 0 || other > mine || nanos - mine >= PAUSE_NANOS) {
                k |= TURN;
                a = other > mine ? other : 0;
            }
            lastData[side] = nanos;
        }
        lastPacket = nanos;
        ByteTimes bytes = fromClient ? clientBytes : serverBytes;
        if (bytes != null) {
            if ((flags & Frame.SYN) != 0) {
                bytes.syn(f.seq);
            } else if (f.payloadLength > 0) {
                bytes.data(f.seq, f.payloadLength, nanos);
            }
            if ((flags & (Frame.ACK | Frame.RST)) == Frame.ACK) {
                (fromClient ? serverBytes : clientBytes).acked(f.ack, nanos);
            }
        }
        if (k != 0) {
            if (written - first() == time.length) {
                grow(nanos);
            }
            int i = (int) (written++ % time.length);
            time[i] = nanos;
            kind[i] = fromClient ? k | CLIENT : k;
            aux[i] = a;
            where[i] = -1;
            return i;
        }
        return -1;
    }

    /** A full ring doubles: up to {@link #CAPACITY}, and past it while its oldest record is within the budget's horizon. */
    private void grow(long nanos) {
        int cap = time.length;
        if (cap >= limit) {
            if (limit < CAPACITY) {
                return; // not the app's (yet): the oldest record goes
            }
            if (budget == null || !budget.grow(nanos - time[index(first())], (long) cap * RECORD_BYTES)) {
                return;
            }
        } else if (budget != null) {
            budget.count((long) cap * RECORD_BYTES); // small rings are not refused: the budget counts them
        }
        long[] t = budget == null ? new long[cap * 2] : budget.longs(cap * 2);
        int[] k = budget == null ? new int[cap * 2] : budget.ints(cap * 2);
        long[] a = budget == null ? new long[cap * 2] : budget.longs(cap * 2);
        long[] w = budget == null ? new long[cap * 2] : budget.longs(cap * 2);
        for (long n = first(); n < written; n++) {
            int from = index(n);
            int to = (int) (n % (cap * 2));
            t[to] = time[from];
            k[to] = kind[from];
            a[to] = aux[from];
            w[to] = where[from];
        }
        if (budget != null) {
            spare(); // the smaller ones, for a younger flow
        }
        time = t;
        kind = k;
        aux = a;
        where = w;
    }

    private void spare() {
        budget.spare(time);
        budget.spare(kind);
        budget.spare(aux);
        budget.spare(where);
    }

    /** The number of the first record at or after {@code nanos} (records are in time order), or {@link #written}. */
    public long firstAt(long nanos) {
        long lo = first();
        long hi = written;
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (time[index(mid)] >= nanos) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Gives its memory back to the budget: its flow has gone. */
    public void release() {
        if (budget != null) {
            budget.give((long) time.length * RECORD_BYTES);
            clientBytes.release();
            serverBytes.release();
        }
    }

    /**
     * Lets the records go, after {@link #release}: nothing will be explained from them. Whatever
     * still knows the ring (a connection remembered after its flow went) no longer keeps them in
     * the heap: 40 new connections a second of a hundred requests each kept some 9 MB.
     */
    public void forget() {
        if (budget != null) {
            spare(); // released: nothing reads them again
        }
        time = new long[1];
        kind = new int[1];
        aux = new long[1];
        where = new long[1];
        written = 0;
    }

    /** The ring index of the record made at {@code nanos}, or -1. */
    public int at(long nanos) {
        for (long n = written - 1; n >= first(); n--) {
            int i = index(n);
            if (time[i] == nanos) {
                return i;
            }
            if (time[i] < nanos) {
                return -1;
            }
        }
        return -1;
    }

    /** Whether record {@code i} (an index into the ring) was sent by the side the app's end is on. */
    public boolean local(int i, boolean localIsClient) {
        return ((kind[i] & CLIENT) != 0) == localIsClient;
    }

    /** The index of the oldest record still in the ring. */
    public long first() {
        return Math.max(0, written - time.length);
    }

    /** The ring index of record number {@code n}. */
    public int index(long n) {
        return (int) (n % time.length);
    }

    /** Whether records from {@code nanos} on may have been overwritten. */
    public boolean lostBefore(long nanos) {
        return written > time.length && time[index(first())] > nanos;
    }
}
