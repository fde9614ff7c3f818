package io.wiretrace.agent.core;

import io.wiretrace.agent.core.events.Conn;
import io.wiretrace.agent.core.tcp.Analysis;
import io.wiretrace.agent.core.tcp.Frame;

/**
 * What the correlation keeps about one flow beyond its TCP analysis: the connection it was
 * joined to, and a ring of the packets that can be evidence — handshake and teardown, the first
 * data after the other side spoke or after a pause ("turns"), retransmissions, zero windows and
 * their reopening. Data in the middle of a stream is not kept one by one; it is what the turns
 * and the counters summarise. All on the correlator's lock.
 */
final class Track {
    /** The ring starts small and doubles, up to this, for flows with much to remember (loss, stalls). */
    static final int CAPACITY = 1024;
    private static final int INITIAL = 16;
    /** Data after this long without data from the same side is a turn: something was waited for. */
    static final long PAUSE_NANOS = 10_000_000L;

    // record kinds (bits; a record can carry several)
    static final int CLIENT = 1; // sent by the flow's client (else by its server)
    static final int SYN = 1 << 1;
    static final int SYN_ACK = 1 << 2;
    static final int RST = 1 << 3;
    static final int FIN = 1 << 4;
    static final int TURN = 1 << 5; // data after the other side's data, or after a pause
    static final int RETRANSMISSION = 1 << 6;
    static final int ZERO_WINDOW = 1 << 7;
    static final int WINDOW_OPEN = 1 << 8; // a window again after a zero window: aux is how long it was shut
    static final int WINDOW_FULL = 1 << 9;

    /** The app's connection at the flow's client end, and at its server end (both: the app talks to itself). */
    Conn client;
    Conn server;
    long nextJoinTry;
    /** When a request to the app's server end arrived (its first bytes, a turn), until the app is seen reading it; 0: none. */
    long arrival;
    int arrivalRecord;
    long joinBackoff;
    // the ring
    long[] time = new long[INITIAL];
    int[] kind = new int[INITIAL];
    /** For a turn, the other side's last data before it; for a retransmission, the silence before it. */
    long[] aux = new long[INITIAL];
    /** Where the record's packet has room for a verdict comment in the capture file, or -1. */
    long[] where = new long[INITIAL];
    long written;
    private final long[] lastFull = new long[2];
    // per side, indexed by fromClient ? 0 : 1
    final long[] lastData = new long[2];
    final long[] shutSince = new long[2];
    long lastPacket;
    // the last comment made for each end (the app may hold both), and what it was made for
    private final byte[][] comment = new byte[2][];
    private final Conn[] commentConn = new Conn[2];
    private final Object[] commentFor = new Object[2];
    private final String[] commentApp = new String[2];

    /** Records the packet the table has just analysed, if it can be evidence; returns its ring index, or -1. */
    int packet(Frame f, int analysis, long nanos) {
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
        if (k != 0) {
            int cap = time.length;
            if (written == cap && cap < CAPACITY) {
                time = java.util.Arrays.copyOf(time, cap * 2);
                kind = java.util.Arrays.copyOf(kind, cap * 2);
                aux = java.util.Arrays.copyOf(aux, cap * 2);
                where = java.util.Arrays.copyOf(where, cap * 2);
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

    /** The ring index of the record made at {@code nanos}, or -1. */
    int at(long nanos) {
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

    /**
     * "conn 42 · thread · GET /path" for a packet of the app's connection {@code c}: the exchange
     * on it when the packet was read (the capture reads packets a little after they pass), else
     * the thread that opened it. Made again only when that changes.
     */
    byte[] comment(Conn c) {
        int end = c == server ? 1 : 0;
        Conn p = c.plain;
        Object exchange = Http.current(p != null ? p : c);
        String app = p != null ? p.application : c.application; // constants: compared by reference
        if (c == commentConn[end] && exchange == commentFor[end] && app == commentApp[end] && comment[end] != null) {
            return comment[end];
        }
        String what = Http.describe(exchange);
        String apps = c.applications();
        String text = "conn " + c.id + " · " + (what != null ? what : c.thread + (apps != null ? " · " + apps : ""));
        if (text.length() > 200) {
            text = text.substring(0, 200);
        }
        comment[end] = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        commentConn[end] = c;
        commentFor[end] = exchange;
        commentApp[end] = app;
        return comment[end];
    }

    /** Whether record {@code i} (an index into the ring) was sent by the side the app's end is on. */
    boolean local(int i, boolean localIsClient) {
        return ((kind[i] & CLIENT) != 0) == localIsClient;
    }

    boolean joined() {
        return client != null || server != null;
    }

    /** The index of the oldest record still in the ring. */
    long first() {
        return Math.max(0, written - time.length);
    }

    /** The ring index of record number {@code n}. */
    int index(long n) {
        return (int) (n % time.length);
    }

    /** Whether records from {@code nanos} on may have been overwritten. */
    boolean lostBefore(long nanos) {
        return written > time.length && time[index(first())] > nanos;
    }
}
