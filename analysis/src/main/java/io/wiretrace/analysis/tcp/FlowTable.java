package io.wiretrace.analysis.tcp;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The TCP connections of a capture, keyed by 4-tuple, each with its running analysis; bounded.
 * A flow leaves the table, summarised, to the {@link Listener}: when it has closed (both FINs,
 * or a RST) and stayed quiet for the linger time, when it has been idle for the idle time, when
 * its 4-tuple is taken by a new connection, or when the table is full and it is the least
 * recently active (counted in {@link #evictedForBound}).
 *
 * <p>Made for the capture's reader thread: one thread calls it, it takes no lock, and in steady
 * state it allocates nothing per packet (a new connection costs its {@link Flow}). The table is
 * open addressing on the key's primitive fields; a recency list through the flows makes eviction
 * O(1).
 */
public final class FlowTable {
    /** Receives each flow that leaves the table; {@link Flow#end()} says why. */
    public interface Listener {
        void evicted(Flow flow);
    }

    /** The flows the live correlation and the offline analysis keep at most. */
    public static final int MAX_FLOWS = 32_768;
    public static final long DEFAULT_IDLE_NANOS = TimeUnit.MINUTES.toNanos(5);
    public static final long DEFAULT_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int maxFlows;
    private final long idleNanos;
    private final long lingerNanos;
    private final long sweepNanos;
    private final Listener listener;
    private final int mask;
    private final byte[] version;
    private final long[] keyA; // two longs a slot: the lesser endpoint's address
    private final long[] keyB;
    private final int[] ports; // lesser endpoint's port << 16 | the other's
    private final Flow[] flows;
    private final Frame frame = new Frame();
    private final long[] rtt = new long[1];
    private final long[] ended = new long[Flow.End.values().length];
    private int size;
    private long created;
    private Flow oldest;
    private Flow newest;
    private long now;
    private long lastSweep;
    // about the last packet
    private Flow lastFlow;
    private long lastRtt;

    /**
     * @param maxFlows    at most this many flows at once
     * @param idleNanos   a flow without packets this long leaves
     * @param lingerNanos a closed flow leaves after this long without packets (late ACKs and
     *                    retransmitted FINs still find it until then)
     */
    public FlowTable(int maxFlows, long idleNanos, long lingerNanos, Listener listener) {
        if (maxFlows < 1 || maxFlows > 1 << 28 || idleNanos <= 0 || lingerNanos < 0) {
            throw new IllegalArgumentException("maxFlows " + maxFlows + ", idle " + idleNanos + ", linger " + lingerNanos);
        }
        this.maxFlows = maxFlows;
        this.idleNanos = idleNanos;
        this.lingerNanos = lingerNanos;
        this.sweepNanos = Math.max(1, Math.min(idleNanos, Math.max(lingerNanos, 1)) / 4);
        this.listener = listener;
        int slots = Integer.highestOneBit(maxFlows * 2 - 1) << 1;
        mask = slots - 1;
        version = new byte[slots];
        keyA = new long[slots * 2];
        keyB = new long[slots * 2];
        ports = new int[slots];
        flows = new Flow[slots];
    }

    /**
     * Parses and analyzes one captured frame. Returns its {@link Analysis} findings, or
     * {@link Analysis#NOT_TCP} for a frame that is not a whole TCP segment (nothing else is
     * then done). Positions in {@code buf} are absolute (within its limit); its position, limit
     * and byte order are not touched.
     */
    public int packet(int linkType, ByteBuffer buf, int offset, int capturedLength, int originalLength, long nanos) {
        lastFlow = null;
        if (!frame.parse(linkType, buf, offset, capturedLength, originalLength)) {
            return Analysis.NOT_TCP;
        }
        return packet(frame, nanos);
    }

    /** Analyzes a frame parsed already. */
    public int packet(Frame f, long nanos) {
        if (nanos > now) {
            now = nanos;
            if (now - lastSweep >= sweepNanos) {
                expire(now);
            }
        }
        boolean srcIsA = lesser(f.srcHi, f.srcLo, f.srcPort, f.dstHi, f.dstLo, f.dstPort);
        long aHi = srcIsA ? f.srcHi : f.dstHi;
        long aLo = srcIsA ? f.srcLo : f.dstLo;
        long bHi = srcIsA ? f.dstHi : f.srcHi;
        long bLo = srcIsA ? f.dstLo : f.srcLo;
        int p = srcIsA ? f.srcPort << 16 | f.dstPort : f.dstPort << 16 | f.srcPort;
        int slot = find(f.ipVersion, aHi, aLo, bHi, bLo, p);
        Flow flow = flows[slot];
        int extra = 0;
        boolean pureSyn = (f.flags & (Frame.SYN | Frame.ACK)) == Frame.SYN;
        if (flow != null && pureSyn) {
            Side fwd = flow.fromClient(f) ? flow.client : flow.server;
            boolean newIsn = fwd.baseSeqSet && f.seq != fwd.baseSeq;
            if (newIsn || flow.closed()) {
                // Wireshark starts a new conversation here too
                remove(flow, Flow.End.REUSED);
                slot = find(f.ipVersion, aHi, aLo, bHi, bLo, p);
                flow = null;
                extra = newIsn ? Analysis.REUSED_PORTS : 0;
            }
        }
        if (flow == null) {
            if (size >= maxFlows) {
                remove(oldest, Flow.End.BOUND);
                slot = find(f.ipVersion, aHi, aLo, bHi, bLo, p);
            }
            flow = new Flow(++created, f, (f.flags & (Frame.SYN | Frame.ACK)) != (Frame.SYN | Frame.ACK));
            version[slot] = (byte) f.ipVersion;
            keyA[slot * 2] = aHi;
            keyA[slot * 2 + 1] = aLo;
            keyB[slot * 2] = bHi;
            keyB[slot * 2 + 1] = bLo;
            ports[slot] = p;
            flows[slot] = flow;
            size++;
            extra |= Analysis.NEW_FLOW;
        } else {
            unlink(flow);
        }
        link(flow);
        boolean fromClient = flow.fromClient(f);
        int found = flow.packet(f, fromClient, nanos, rtt) | extra;
        lastFlow = flow;
        lastRtt = (found & Analysis.RTT_SAMPLE) != 0 ? rtt[0] : -1;
        return fromClient ? found | Analysis.FROM_CLIENT : found;
    }

    /** Lets closed and idle flows go; the packets call it as time passes, a quiet capture may too. */
    public void expire(long nanos) {
        now = Math.max(now, nanos);
        lastSweep = now;
        long quiet = Math.min(idleNanos, lingerNanos);
        Flow f = oldest;
        while (f != null && now - f.lastNanos >= quiet) {
            Flow next = f.newer;
            if (now - f.lastNanos >= idleNanos) {
                remove(f, Flow.End.IDLE);
            } else if (f.closed()) {
                remove(f, Flow.End.CLOSED);
            }
            f = next;
        }
    }

    /** Hands every flow to the listener (as {@link Flow.End#FLUSHED}) and empties the table. */
    public void flush() {
        while (oldest != null) {
            remove(oldest, Flow.End.FLUSHED);
        }
    }

    /** The last packet's flow; null if it was not TCP. */
    public Flow lastFlow() {
        return lastFlow;
    }

    /** The RTT sample the last packet gave (tshark's {@code tcp.analysis.ack_rtt}), -1 if none. */
    public long lastRttNanos() {
        return lastRtt;
    }

    /** For a last packet that was a duplicate ACK: its number (tshark's {@code duplicate_ack_num}). */
    public int lastDupAckNumber() {
        return lastFlow == null ? 0 : lastFlow.dupAckNumber;
    }

    /** The frame the last packet was parsed into (valid until the next call). */
    public Frame frame() {
        return frame;
    }

    public int size() {
        return size;
    }

    public int maxFlows() {
        return maxFlows;
    }

    /** Flows created since the table was made. */
    public long created() {
        return created;
    }

    /** Flows pushed out because the table was full. */
    public long evictedForBound() {
        return ended[Flow.End.BOUND.ordinal()];
    }

    /** Flows that left the table for the given reason. */
    public long ended(Flow.End why) {
        return ended[why.ordinal()];
    }

    // ---- the hash table

    private static boolean lesser(long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        if (aHi != bHi) {
            return Long.compareUnsigned(aHi, bHi) < 0;
        }
        if (aLo != bLo) {
            return Long.compareUnsigned(aLo, bLo) < 0;
        }
        return aPort <= bPort;
    }

    private static int hash(long aHi, long aLo, long bHi, long bLo, int p) {
        long h = aLo * 0x9E3779B97F4A7C15L;
        h = (h ^ bLo) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ aHi ^ Long.rotateLeft(bHi, 17)) * 0x165667B19E3779F9L;
        h = (h ^ p) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    /** The slot that holds this key, or the empty slot where it would go. */
    private int find(int ver, long aHi, long aLo, long bHi, long bLo, int p) {
        int i = hash(aHi, aLo, bHi, bLo, p) & mask;
        while (flows[i] != null) {
            if (ports[i] == p && keyA[i * 2 + 1] == aLo && keyB[i * 2 + 1] == bLo && keyA[i * 2] == aHi
                    && keyB[i * 2] == bHi && version[i] == ver) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return i;
    }

    private int slotOf(Flow flow) {
        int i = hash(keyA0(flow), keyA1(flow), keyB0(flow), keyB1(flow), portsOf(flow)) & mask;
        while (flows[i] != flow) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private static boolean clientIsA(Flow f) {
        return lesser(f.clientHi, f.clientLo, f.clientPort, f.serverHi, f.serverLo, f.serverPort);
    }

    private static long keyA0(Flow f) {
        return clientIsA(f) ? f.clientHi : f.serverHi;
    }

    private static long keyA1(Flow f) {
        return clientIsA(f) ? f.clientLo : f.serverLo;
    }

    private static long keyB0(Flow f) {
        return clientIsA(f) ? f.serverHi : f.clientHi;
    }

    private static long keyB1(Flow f) {
        return clientIsA(f) ? f.serverLo : f.clientLo;
    }

    private static int portsOf(Flow f) {
        return clientIsA(f) ? f.clientPort << 16 | f.serverPort : f.serverPort << 16 | f.clientPort;
    }

    private void remove(Flow flow, Flow.End why) {
        int i = slotOf(flow);
        flows[i] = null;
        // backward-shift deletion keeps every probe chain unbroken
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            Flow g = flows[j];
            if (g == null) {
                break;
            }
            int home = hash(keyA[j * 2], keyA[j * 2 + 1], keyB[j * 2], keyB[j * 2 + 1], ports[j]) & mask;
            boolean movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (movable) {
                flows[i] = g;
                version[i] = version[j];
                keyA[i * 2] = keyA[j * 2];
                keyA[i * 2 + 1] = keyA[j * 2 + 1];
                keyB[i * 2] = keyB[j * 2];
                keyB[i * 2 + 1] = keyB[j * 2 + 1];
                ports[i] = ports[j];
                flows[j] = null;
                i = j;
            }
        }
        size--;
        unlink(flow);
        ended[why.ordinal()]++;
        flow.end = why;
        if (lastFlow == flow) {
            lastFlow = null;
        }
        listener.evicted(flow);
    }

    private void link(Flow f) {
        f.older = newest;
        f.newer = null;
        if (newest != null) {
            newest.newer = f;
        } else {
            oldest = f;
        }
        newest = f;
    }

    private void unlink(Flow f) {
        if (f.older != null) {
            f.older.newer = f.newer;
        } else if (oldest == f) {
            oldest = f.newer;
        }
        if (f.newer != null) {
            f.newer.older = f.older;
        } else if (newest == f) {
            newest = f.older;
        }
        f.older = null;
        f.newer = null;
    }
}
