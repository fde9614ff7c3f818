package io.wiretrace.analysis.tcp;

/**
 * One direction of a flow: the sequence state Wireshark keeps per direction ({@code tcp_flow_t}
 * and its {@code tcp_analyze_seq_info}), and the counts of what this side sent.
 *
 * <p>Sequence numbers are 32-bit and compared modulo 2^32. Where Wireshark treats a zero
 * {@code nextseq}, {@code lastack} or {@code maxseqtobeacked} as "not known yet", so does this,
 * so that the two agree also on the odd connection whose numbers pass through zero.
 */
public final class Side {
    /** Wireshark's TCP_MAX_UNACKED_SEGMENTS: past this many, new segments are not remembered. */
    static final int MAX_UNACKED = 1000;
    /** The most segments remembered now: {@link #MAX_UNACKED}, or fewer for a flow not known to be the app's. */
    int maxUnacked = MAX_UNACKED;

    // sequence analysis state
    boolean baseSeqSet;
    int baseSeq;
    /** -1 unknown, -2 no scaling in use, else the shift this side's windows are scaled by. */
    int winScale = -1;
    int window;
    int nextseq;
    long nextseqTime;
    int lastack;
    long lastackTime;
    int dupacknum;
    int maxseqtobeacked;
    int lastSegmentFlags;
    boolean finSeen;
    // segments sent and not yet acked, oldest first
    int unacked;
    int[] segSeq = new int[8];
    int[] segNext = new int[8];
    long[] segTime = new long[8];

    // what this side sent
    long packets;
    long payloadBytes;
    int syns;
    int synRetransmissions;
    int fins;
    int resets;
    int mss = -1;
    int announcedWindowScale = -1;
    boolean sackPermitted;
    boolean timestamps;
    final int[] counts = new int[15];
    // RTT of this side's data: from a segment to the peer's ACK of it (tshark's ack_rtt)
    int rttCount;
    long rttSum;
    long rttMin = Long.MAX_VALUE;
    long rttMax;

    void addSegment(int seq, int next, long time) {
        if (unacked == segSeq.length) {
            int n = Math.min(maxUnacked, unacked * 2);
            segSeq = java.util.Arrays.copyOf(segSeq, n);
            segNext = java.util.Arrays.copyOf(segNext, n);
            segTime = java.util.Arrays.copyOf(segTime, n);
        }
        segSeq[unacked] = seq;
        segNext[unacked] = next;
        segTime[unacked] = time;
        unacked++;
    }

    void rtt(long nanos) {
        rttCount++;
        rttSum += nanos;
        rttMin = Math.min(rttMin, nanos);
        rttMax = Math.max(rttMax, nanos);
    }

    public long packets() {
        return packets;
    }

    /** Payload bytes sent, retransmissions included. */
    public long payloadBytes() {
        return payloadBytes;
    }

    /** How many packets this side sent with the given {@link Analysis} finding (one bit). */
    public int count(int analysisFlag) {
        return counts[Integer.numberOfTrailingZeros(analysisFlag)];
    }

    /** Retransmissions of any kind: what tshark counts as {@code tcp.analysis.retransmission}. */
    public int retransmissions() {
        return count(Analysis.RETRANSMISSION) + count(Analysis.FAST_RETRANSMISSION)
                + count(Analysis.SPURIOUS_RETRANSMISSION);
    }

    public int syns() {
        return syns;
    }

    /** SYNs (or SYN/ACKs) sent again: retransmissions that carry the SYN flag. */
    public int synRetransmissions() {
        return synRetransmissions;
    }

    public int fins() {
        return fins;
    }

    public int resets() {
        return resets;
    }

    /** The MSS this side announced, -1 if its SYN was not seen or had none. */
    public int mss() {
        return mss;
    }

    /** The window scale shift this side announced in its SYN, -1 if none. */
    public int windowScale() {
        return announcedWindowScale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean timestamps() {
        return timestamps;
    }

    public int rttCount() {
        return rttCount;
    }

    public long rttMinNanos() {
        return rttCount == 0 ? -1 : rttMin;
    }

    public long rttMaxNanos() {
        return rttCount == 0 ? -1 : rttMax;
    }

    public long rttSumNanos() {
        return rttSum;
    }

    public long rttAvgNanos() {
        return rttCount == 0 ? -1 : rttSum / rttCount;
    }

    /** Segments of this side not yet acked by the peer (at most {@value #MAX_UNACKED} are tracked). */
    public int unacked() {
        return unacked;
    }
}
