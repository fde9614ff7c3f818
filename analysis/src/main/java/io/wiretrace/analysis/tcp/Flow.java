package io.wiretrace.analysis.tcp;

import static io.wiretrace.analysis.tcp.Analysis.ACKED_UNSEEN;
import static io.wiretrace.analysis.tcp.Analysis.DUPLICATE_ACK;
import static io.wiretrace.analysis.tcp.Analysis.FAST_RETRANSMISSION;
import static io.wiretrace.analysis.tcp.Analysis.KEEP_ALIVE;
import static io.wiretrace.analysis.tcp.Analysis.KEEP_ALIVE_ACK;
import static io.wiretrace.analysis.tcp.Analysis.LOST_SEGMENT;
import static io.wiretrace.analysis.tcp.Analysis.OUT_OF_ORDER;
import static io.wiretrace.analysis.tcp.Analysis.RETRANSMISSION;
import static io.wiretrace.analysis.tcp.Analysis.RTT_SAMPLE;
import static io.wiretrace.analysis.tcp.Analysis.SPURIOUS_RETRANSMISSION;
import static io.wiretrace.analysis.tcp.Analysis.WINDOW_FULL;
import static io.wiretrace.analysis.tcp.Analysis.WINDOW_UPDATE;
import static io.wiretrace.analysis.tcp.Analysis.ZERO_WINDOW;
import static io.wiretrace.analysis.tcp.Analysis.ZERO_WINDOW_PROBE;
import static io.wiretrace.analysis.tcp.Analysis.ZERO_WINDOW_PROBE_ACK;
import static io.wiretrace.analysis.tcp.Frame.ACK;
import static io.wiretrace.analysis.tcp.Frame.FIN;
import static io.wiretrace.analysis.tcp.Frame.RST;
import static io.wiretrace.analysis.tcp.Frame.SYN;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * One TCP connection, keyed by its 4-tuple, and its analysis: Wireshark's
 * {@code tcp_analyze_sequence_number} (epan/dissectors/packet-tcp.c) rule for rule, in the same
 * order, so that the findings per packet are tshark's. The client is the side that sent the SYN
 * (or, with the handshake not captured, the side first seen sending).
 */
public final class Flow {
    /** Why a flow left the table. */
    public enum End {
        /** Both FINs, or a RST, and then quiet for the linger time. */
        CLOSED,
        /** No packet for the idle time. */
        IDLE,
        /** Pushed out to make room: the table was full. */
        BOUND,
        /** A new connection (a SYN with a new sequence number) took its 4-tuple. */
        REUSED,
        /** The table was flushed (the capture or the file ended). */
        FLUSHED
    }

    private static final long FAST_RETRANSMISSION_NANOS = 20_000_000L;
    private static final long OUT_OF_ORDER_DEFAULT_NANOS = 3_000_000L;

    final int ipVersion;
    final long clientHi;
    final long clientLo;
    final long serverHi;
    final long serverLo;
    final int clientPort;
    final int serverPort;
    final long id;
    final Side client = new Side();
    final Side server = new Side();
    long firstNanos;
    long lastNanos;
    long synNanos; // Wireshark's ts_mru_syn: the latest SYN
    long synAckNanos;
    long initialRtt; // Wireshark's ts_first_rtt: the latest SYN to the first pure ACK
    boolean handshakeSeen;
    boolean reset;
    End end;
    int dupAckNumber; // of the last packet that was a duplicate ACK
    /** What the table's user keeps about this flow (the live correlation's per-flow state). */
    public Object attachment;
    // the table's recency list
    Flow older;
    Flow newer;

    Flow(long id, Frame f, boolean srcIsClient) {
        this.id = id;
        this.ipVersion = f.ipVersion;
        if (srcIsClient) {
            clientHi = f.srcHi;
            clientLo = f.srcLo;
            clientPort = f.srcPort;
            serverHi = f.dstHi;
            serverLo = f.dstLo;
            serverPort = f.dstPort;
        } else {
            clientHi = f.dstHi;
            clientLo = f.dstLo;
            clientPort = f.dstPort;
            serverHi = f.srcHi;
            serverLo = f.srcLo;
            serverPort = f.srcPort;
        }
    }

    boolean fromClient(Frame f) {
        return f.srcPort == clientPort && f.srcLo == clientLo && f.srcHi == clientHi;
    }

    /** Both FINs seen, or a RST. */
    public boolean closed() {
        return reset || (client.finSeen && server.finSeen);
    }

    /**
     * Analyzes one packet of this flow; returns its {@link Analysis} findings.
     *
     * @param rtt where the RTT sample this packet gives, if any, is left ({@code rtt[0]})
     */
    int packet(Frame f, boolean fromClient, long now, long[] rtt) {
        Side fwd = fromClient ? client : server;
        Side rev = fromClient ? server : client;
        int flags = f.flags;
        int seglen = f.payloadLength;
        if (firstNanos == 0) {
            firstNanos = now;
        }
        lastNanos = now;
        fwd.packets++;
        fwd.payloadBytes += seglen;
        if ((flags & SYN) != 0) {
            fwd.syns++;
            if (f.mss >= 0) {
                fwd.mss = f.mss;
            }
            fwd.announcedWindowScale = f.windowScale;
            fwd.sackPermitted = f.sackPermitted;
            fwd.timestamps = f.hasTimestamps;
            if ((flags & ACK) == 0) {
                synNanos = now;
            } else {
                synAckNanos = now;
            }
        }
        if ((flags & FIN) != 0) {
            fwd.fins++;
            fwd.finSeen = true;
        }
        if ((flags & RST) != 0) {
            fwd.resets++;
            reset = true;
        }
        int found = analyze(f, fwd, rev, now, rtt);
        if ((flags & SYN) != 0) {
            windowScaling(f, fwd, rev);
            if ((found & (RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION | OUT_OF_ORDER)) != 0) {
                fwd.synRetransmissions++;
            }
        }
        if ((flags & (SYN | ACK)) == ACK && synNanos != 0 && initialRtt == 0) {
            initialRtt = now - synNanos;
            handshakeSeen = synAckNanos != 0;
        }
        for (int bits = found & 0x7FFF; bits != 0; bits &= bits - 1) {
            fwd.counts[Integer.numberOfTrailingZeros(bits)]++;
        }
        return found;
    }

    /** Wireshark's pdu_store_window_scale_option and verify_tcp_window_scaling. */
    private static void windowScaling(Frame f, Side fwd, Side rev) {
        if (f.windowScale >= 0) {
            fwd.winScale = f.windowScale;
        }
        if (fwd.winScale == -1) {
            fwd.winScale = -2;
            rev.winScale = -2;
        } else if ((f.flags & ACK) != 0 && rev.winScale == -2) {
            fwd.winScale = -2;
        }
    }

    private int analyze(Frame f, Side fwd, Side rev, long now, long[] rtt) {
        final int seq = f.seq;
        final int ack = f.ack;
        final int seglen = f.payloadLength;
        final int flags = f.flags;
        final int window = f.window;
        final boolean synFinRst = (flags & (SYN | FIN | RST)) != 0;
        int ta = 0;

        if (!fwd.baseSeqSet) {
            fwd.baseSeq = (flags & SYN) != 0 ? seq : seq - 1;
            fwd.baseSeqSet = true;
        }
        if (!rev.baseSeqSet && (flags & ACK) != 0) {
            rev.baseSeq = ack - 1;
            rev.baseSeqSet = true;
        }

        findings:
        {
            if (seglen == 1 && seq == fwd.nextseq && rev.window == 0) {
                ta |= ZERO_WINDOW_PROBE;
                break findings;
            }
            if (window == 0 && !synFinRst) {
                ta |= ZERO_WINDOW;
            }
            if (fwd.nextseq != 0 && gt(seq, fwd.nextseq) && (flags & RST) == 0) {
                ta |= LOST_SEGMENT;
            }
            if ((seglen == 0 || seglen == 1) && seq == fwd.nextseq - 1 && !synFinRst) {
                ta |= KEEP_ALIVE;
            }
            boolean repeats = seglen == 0 && seq == fwd.nextseq && ack == fwd.lastack && !synFinRst;
            if (repeats && window != 0 && window != fwd.window) {
                ta |= WINDOW_UPDATE;
            }
            if (seglen > 0 && rev.winScale != -1 && !synFinRst
                    && seq + seglen == rev.lastack + (rev.window << (rev.winScale == -2 ? 0 : rev.winScale))) {
                ta |= WINDOW_FULL;
            }
            if (repeats && window != 0 && window == fwd.window && (rev.lastSegmentFlags & KEEP_ALIVE) != 0) {
                ta |= KEEP_ALIVE_ACK;
                break findings;
            }
            if (repeats && window == 0 && fwd.window == 0 && (rev.lastSegmentFlags & ZERO_WINDOW_PROBE) != 0) {
                ta |= ZERO_WINDOW_PROBE_ACK;
                break findings;
            }
            if (repeats && window != 0 && window == fwd.window) {
                fwd.dupacknum = fwd.dupacknum == -1 ? 1 : fwd.dupacknum + 1;
                ta |= DUPLICATE_ACK;
                dupAckNumber = fwd.dupacknum;
            }
        }
        if (ack != fwd.lastack) {
            fwd.dupacknum = 0;
        }

        // Wireshark's newer rule (one finding per unseen segment); tshark 4.0 flags a few more
        // ACKs of the same gap where the capture itself lost packets
        if (rev.maxseqtobeacked != 0 && gt(ack, rev.maxseqtobeacked) && (flags & ACK) != 0) {
            if (Integer.compareUnsigned(rev.maxseqtobeacked, rev.nextseq) > 0) {
                rev.maxseqtobeacked = rev.nextseq;
                ta |= ACKED_UNSEEN;
            } else {
                if (rev.dupacknum == 0) {
                    ta |= ACKED_UNSEEN;
                }
                rev.dupacknum = -1;
            }
        }

        if ((seglen > 0 || (flags & (SYN | FIN)) != 0) && (ta & KEEP_ALIVE) == 0) {
            boolean notAdvanced = fwd.nextseq != 0 && lt(seq, fwd.nextseq);
            if (seglen > 1 && fwd.nextseq - 1 == seq) {
                notAdvanced = false; // new data after a zero window probe
            }
            // Wireshark holds both time differences in a guint64 t (and the threshold in a guint64
            // ooo_thres) and compares unsigned: a packet stamped before the reference packet (the
            // capture's timestamps went back) gives a huge t, so it is neither fast nor out of order
            if (seglen > 0 && rev.lastack != 0 && le(seq + seglen, rev.lastack)) {
                ta |= SPURIOUS_RETRANSMISSION;
            } else if (notAdvanced && rev.dupacknum >= 2 && rev.lastack == seq
                    && Long.compareUnsigned(now - rev.lastackTime, FAST_RETRANSMISSION_NANOS) < 0) {
                ta |= FAST_RETRANSMISSION;
            } else if (notAdvanced
                    && Long.compareUnsigned(now - fwd.nextseqTime,
                            initialRtt == 0 ? OUT_OF_ORDER_DEFAULT_NANOS : initialRtt) < 0
                    && fwd.nextseq != seq + seglen + ((flags & (SYN | FIN)) != 0 ? 1 : 0)) {
                ta |= OUT_OF_ORDER;
            } else if (notAdvanced) {
                ta |= RETRANSMISSION;
            }
        }

        int nextseq = seq + seglen;
        if ((seglen > 0 || (flags & (SYN | FIN)) != 0) && fwd.unacked < fwd.maxUnacked) {
            if ((flags & (SYN | FIN)) != 0) {
                nextseq++;
            }
            fwd.addSegment(seq, nextseq, now);
        }
        if ((gt(nextseq, fwd.nextseq) || fwd.nextseq == 0) && (ta & ZERO_WINDOW_PROBE) == 0) {
            fwd.nextseq = nextseq;
            fwd.nextseqTime = now;
        }
        if ((seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && (ta & ZERO_WINDOW_PROBE) == 0) {
            fwd.maxseqtobeacked = fwd.nextseq;
        }
        fwd.window = window;
        fwd.lastack = ack;
        fwd.lastackTime = now;
        fwd.lastSegmentFlags = ta;

        // Drop the peer's segments this acks; an exact match is an RTT sample (Wireshark walks
        // newest first and keeps the last match: the oldest segment)
        int n = rev.unacked;
        if (n > 0) {
            int[] segSeq = rev.segSeq;
            int[] segNext = rev.segNext;
            long sample = -1;
            int w = 0;
            for (int i = 0; i < n; i++) {
                int next = segNext[i];
                if (ack == next) {
                    if (sample < 0) {
                        sample = now - rev.segTime[i];
                    }
                    continue;
                }
                if (gt(ack, segSeq[i]) && le(ack, next)) {
                    segSeq[i] = ack;
                } else if (!gt(next, ack)) {
                    continue;
                }
                if (w != i) {
                    segSeq[w] = segSeq[i];
                    segNext[w] = next;
                    rev.segTime[w] = rev.segTime[i];
                }
                w++;
            }
            rev.unacked = w;
            if (sample >= 0) {
                rev.rtt(sample);
                rtt[0] = sample;
                ta |= RTT_SAMPLE;
            }
        }
        return ta;
    }

    private static boolean gt(int a, int b) {
        return a - b > 0;
    }

    private static boolean lt(int a, int b) {
        return a - b < 0;
    }

    private static boolean le(int a, int b) {
        return a - b <= 0;
    }

    // ---- the summary

    /** Unique within one table (one capture); counts from 1 in the order flows were first seen. */
    public long id() {
        return id;
    }

    /**
     * Remembers at most {@code segments} unacked segments a side (Wireshark's 1,000 otherwise):
     * for a flow not known to be the app's, whose analysis needs less.
     */
    public void keepSmall(int segments) {
        client.maxUnacked = segments;
        server.maxUnacked = segments;
    }

    /** The flow is the app's: as many unacked segments as Wireshark remembers. */
    public void keepAll() {
        client.maxUnacked = Side.MAX_UNACKED;
        server.maxUnacked = Side.MAX_UNACKED;
    }

    /** The bytes its sides' unacked segments take (a sequence number, its end and its time each). */
    public long segmentBytes() {
        return 16L * (client.segSeq.length + server.segSeq.length);
    }

    public Side client() {
        return client;
    }

    public Side server() {
        return server;
    }

    public int clientPort() {
        return clientPort;
    }

    public int serverPort() {
        return serverPort;
    }

    public String clientAddress() {
        return address(clientHi, clientLo);
    }

    public String serverAddress() {
        return address(serverHi, serverLo);
    }

    public int ipVersion() {
        return ipVersion;
    }

    /** The client's address as the table keys it: IPv4 in the low 32 bits of lo, IPv6 as two halves. */
    public long clientHi() {
        return clientHi;
    }

    public long clientLo() {
        return clientLo;
    }

    public long serverHi() {
        return serverHi;
    }

    public long serverLo() {
        return serverLo;
    }

    public long firstNanos() {
        return firstNanos;
    }

    public long lastNanos() {
        return lastNanos;
    }

    /** tshark's {@code tcp.analysis.initial_rtt}: the latest SYN to the first pure ACK; -1 if not seen. */
    public long handshakeRttNanos() {
        return initialRtt == 0 ? -1 : initialRtt;
    }

    /** The latest SYN to the latest SYN/ACK (the server's share of the handshake); -1 if not seen. */
    public long synToSynAckNanos() {
        return synNanos != 0 && synAckNanos != 0 ? synAckNanos - synNanos : -1;
    }

    public boolean reset() {
        return reset;
    }

    /** Why the flow left the table; null while it is in it. */
    public End end() {
        return end;
    }

    private String address(long hi, long lo) {
        byte[] a;
        if (ipVersion == 4) {
            a = ByteBuffer.allocate(4).putInt((int) lo).array();
        } else {
            a = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
        }
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // the length is always right
        }
    }

    @Override
    public String toString() {
        String c = clientAddress();
        String s = serverAddress();
        return (ipVersion == 6 ? "[" + c + "]" : c) + ":" + clientPort + " -> "
                + (ipVersion == 6 ? "[" + s + "]" : s) + ":" + serverPort;
    }
}
