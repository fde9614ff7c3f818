package io.wiretrace.agent.correlate;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.tcp.FlowTable;
import io.wiretrace.analysis.tcp.Frame;
import io.wiretrace.analysis.verdict.Budget;
import io.wiretrace.analysis.verdict.EvidenceRing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Made-up traffic through the TCP analysis and the evidence, once, before a capture's first
 * packet: every kind of packet and flow they take a branch for (options, VLAN tags, the Linux
 * link types, IPv6, retransmissions, holes, zero windows, resets, refused and retried connects,
 * a port used again, a full table, idle and closed flows leaving it, rings and byte times growing).
 *
 * <p>Why: the JIT compiles the capture reader's loop with all of that inlined, and a branch its
 * profile never saw taken becomes a trap. Real traffic takes such branches one by one, minutes
 * into a capture (a first reset, the table's first collision, a port used again), and each one
 * threw the compiled loop away and compiled it again: 0.2-0.8 s of C2 each, on the app's cores,
 * some fifteen times in the first two minutes of a busy capture. A profile that has seen each
 * branch taken once compiles it in. Nothing here is kept, counted or recorded: its own table,
 * budget and rings, garbage when it returns.
 */
final class Rehearsal {
    private static final long MS = 1_000_000L;
    /** Flows made up; with their packets about 25,000, some 100-250 ms of the starting thread, once per JVM. */
    static final int FLOWS = 400;

    private final FlowTable table;
    private final Budget budget = new Budget();
    /** Written in network order, read in the order the capture's buffers have: libpcap's, the host's. */
    private final ByteBuffer buf = ByteBuffer.allocate(256);
    private long now = 1_000_000_000L;
    /** The next segment's options: 0 as they should be, 1 one that says it is one byte long, 2 one that runs past the header. */
    private int malformed;
    private int flow;
    /** What it analysed: for the test, which asks that every kind of packet and end came. */
    final int[] seen = new int[32];
    int packets;
    int evicted;
    final int[] ends = new int[Flow.End.values().length];
    /** The largest ring, the rings held small that overwrote their oldest records, the others that did. */
    int largest;
    int smallOverwritten;
    int refused;

    private Rehearsal() {
        // small and quick to expire, so that flows leave it every way they can
        table = new FlowTable(64, 20_000 * MS, 50 * MS, f -> {
            evicted++;
            ends[f.end().ordinal()]++;
            Object a = f.attachment;
            if (a instanceof EvidenceRing) {
                EvidenceRing r = (EvidenceRing) a;
                largest = Math.max(largest, r.capacity());
                if (r.small() && r.written > EvidenceRing.UNJOINED) {
                    smallOverwritten++;
                } else if (!r.small() && r.written > r.capacity()) {
                    refused++; // full past its horizon: the budget let it grow no more
                }
                r.release();
                if (f.end() == Flow.End.CLOSED) {
                    r.forget();
                }
            }
        });
    }

    /** Runs it; never throws. Returns the rehearsal (for tests), or null if it failed. */
    static Rehearsal run() {
        try {
            Rehearsal r = new Rehearsal();
            for (int k = 0; k < FLOWS; k++) {
                r.flow(k);
            }
            r.now += 30_000 * MS;
            r.udp();
            // a segment of one more flow moves the table's clock: every other flow left goes
            r.send(0, false, address(false, 3, 0), 1, address(false, 4, 0), 2, 1, 1, Frame.ACK, 0, 65_535, false);
            return r;
        } catch (Throwable t) {
            return null; // a rehearsal only: the capture does without
        }
    }

    /** One connection, its kind by {@code k}. */
    private void flow(int k) {
        flow = k;
        int link = k % 4;
        boolean v6 = k % 2 == 1;
        byte[] client = address(v6, 1, k);
        byte[] server = address(v6, 2, k % 7);
        int cport = 40_000 + k % 20_000;
        int sport = k % 3 == 0 ? 443 : 8080;
        int cseq = 1_000 * k;
        int sseq = 500_000 + 1_000 * k;
        int cwin = 65_535;
        now += MS / 4;
        if (k % 17 == 5) { // refused: the SYN answered by a reset
            send(link, v6, client, cport, server, sport, cseq, 0, Frame.SYN, 0, cwin, true);
            send(link, v6, server, sport, client, cport, 0, cseq + 1, Frame.RST | Frame.ACK, 0, 0, false);
            return;
        }
        send(link, v6, client, cport, server, sport, cseq, 0, Frame.SYN, 0, cwin, true);
        if (k % 13 == 3) { // the SYN again, after a second: a connect that retried
            now += 1_000 * MS;
            send(link, v6, client, cport, server, sport, cseq, 0, Frame.SYN, 0, cwin, true);
        }
        now += 2 * MS; // the handshake's round trip: what a late segment is measured against
        send(link, v6, server, sport, client, cport, sseq, cseq + 1, Frame.SYN | Frame.ACK, 0, cwin, true);
        cseq++;
        sseq++;
        send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK, 0, cwin, false);
        // one flow past a full ring's 1,024 records; one that goes on past the evidence's 30 s horizon
        int turns = k == 7 ? 600 : k == 9 ? 1_100 : 2 + k % 19;
        for (int t = 0; t < turns; t++) {
            now += k == 9 ? 50 * MS : (t % 3 == 2 ? 15 : 1) * MS / 2; // some after a pause
            send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK | Frame.PSH, 120, cwin, false);
            if (k % 5 == 1 && t == 1) { // retransmitted
                now += 200 * MS;
                send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK | Frame.PSH, 120, cwin, false);
            }
            cseq += 120;
            send(link, v6, server, sport, client, cport, sseq, cseq, Frame.ACK, 0, cwin, false);
            if (k % 7 == 2 && t == 0) { // the second segment first: a hole, filled (out of order, or fast retransmitted)
                send(link, v6, server, sport, client, cport, sseq + 700, cseq, Frame.ACK | Frame.PSH, 300, cwin, false);
                for (int d = k % 14 == 2 ? 1 : 2; d > 0; d--) {
                    send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK, 0, cwin, false); // duplicate ACKs
                    now -= 20_000; // the next packet with the same timestamp
                }
                now += 20_000;
                send(link, v6, server, sport, client, cport, sseq, cseq, Frame.ACK, 700, cwin, false);
                sseq += 1_000;
            } else if (k % 6 == 1 && t == 0) { // three segments in flight, acknowledged one, then all
                for (int g = 0; g < 3; g++) {
                    send(link, v6, server, sport, client, cport, sseq + 500 * g, cseq, Frame.ACK, 500, cwin, false);
                }
                send(link, v6, client, cport, server, sport, cseq, sseq + 250, Frame.ACK, 0, cwin, false); // within the first
                send(link, v6, client, cport, server, sport, cseq, sseq + 500, Frame.ACK, 0, cwin, false);
                sseq += 1_500;
            } else {
                if (k % 29 == 3 && t == 1) {
                    now -= MS; // the capture's clock stepped back
                    malformed = k % 58 == 3 ? 1 : 2; // and an option one byte long, or one past the header
                }
                send(link, v6, server, sport, client, cport, sseq, cseq, Frame.ACK | Frame.PSH, 1_400, cwin, false);
                malformed = 0;
                sseq += 1_400;
            }
            if (k % 11 == 4 && t == 0) { // the client's window shuts, is probed, and opens
                send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK, 0, 0, false);
                now += 30 * MS;
                send(link, v6, server, sport, client, cport, sseq, cseq, Frame.ACK, 1, cwin, false);
                send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK, 0, 0, false);
                now += 30 * MS;
                send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK, 0, cwin, false);
            } else {
                send(link, v6, client, cport, server, sport, cseq, sseq, Frame.ACK, 0, cwin, false);
            }
        }
        if (k % 23 == 6) { // a keep-alive, and its answer
            now += 500 * MS;
            send(link, v6, client, cport, server, sport, cseq - 1, sseq, Frame.ACK, 0, cwin, false);
            send(link, v6, server, sport, client, cport, sseq, cseq, Frame.ACK, 0, cwin, false);
        }
        switch (k % 4) {
            case 0: // both FINs
                send(link, v6, client, cport, server, sport, cseq, sseq, Frame.FIN | Frame.ACK, 0, cwin, false);
                send(link, v6, server, sport, client, cport, sseq, cseq + 1, Frame.FIN | Frame.ACK, 0, cwin, false);
                send(link, v6, client, cport, server, sport, cseq + 1, sseq + 1, Frame.ACK, 0, cwin, false);
                if (k % 8 == 0) { // the same ports again, a new connection
                    now += MS;
                    send(link, v6, client, cport, server, sport, cseq + 77_777, 0, Frame.SYN, 0, cwin, true);
                }
                break;
            case 1: // reset
                send(link, v6, server, sport, client, cport, sseq, cseq, Frame.RST | Frame.ACK, 0, 0, false);
                break;
            default: // left open: idle, or pushed out of the full table
                break;
        }
    }

    private void udp() {
        buf.clear();
        buf.position(12);
        buf.putShort((short) 0x0800);
        buf.put((byte) 0x45).put((byte) 0).putShort((short) 28).putInt(0).put((byte) 64).put((byte) 17)
                .putShort((short) 0).put(address(false, 1, 0)).put(address(false, 2, 0));
        buf.putShort((short) 5353).putShort((short) 5353).putShort((short) 8).putShort((short) 0);
        analyse(Frame.LINKTYPE_ETHERNET, buf.position(), buf.position());
    }

    private static byte[] address(boolean v6, int host, int k) {
        if (!v6) {
            return new byte[] {10, (byte) host, (byte) (k >> 8), (byte) k};
        }
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        a[1] = (byte) host;
        a[14] = (byte) (k >> 8);
        a[15] = (byte) k;
        return a;
    }

    /**
     * One TCP segment in a frame of link type {@code link} (0 Ethernet, 1 Ethernet with a VLAN
     * tag, 2 Linux cooked, 3 Linux cooked v2), with options on a SYN (MSS, SACK permitted,
     * timestamps, window scale) and timestamps otherwise; payload bytes beyond 64 are not captured.
     */
    private void send(int link, boolean v6, byte[] src, int sport, byte[] dst, int dport, int seq, int ack, int flags,
            int payload, int window, boolean syn) {
        buf.clear();
        int linkType;
        int ethertype = v6 ? 0x86DD : 0x0800;
        switch (link) {
            case 1:
                linkType = Frame.LINKTYPE_ETHERNET;
                buf.position(12);
                buf.putShort((short) 0x8100).putShort((short) 7).putShort((short) ethertype);
                break;
            case 2:
                linkType = Frame.LINKTYPE_LINUX_SLL;
                buf.putShort((short) 0).putShort((short) 772).putShort((short) 6).putLong(0).putShort((short) ethertype);
                break;
            case 3:
                linkType = Frame.LINKTYPE_LINUX_SLL2;
                buf.putShort((short) ethertype).putShort((short) 0).putInt(1).putShort((short) 772).put((byte) 0)
                        .put((byte) 6).putLong(0);
                break;
            default:
                linkType = Frame.LINKTYPE_ETHERNET;
                buf.position(12);
                buf.putShort((short) ethertype);
        }
        int options = syn ? 20 : 12;
        int tcp = 20 + options + payload;
        if (v6) {
            buf.putInt(0x60000000).putShort((short) tcp).put((byte) 6).put((byte) 64);
        } else {
            buf.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tcp)).putInt(0x00014000).put((byte) 64)
                    .put((byte) 6).putShort((short) 0);
        }
        buf.put(src).put(dst);
        buf.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .put((byte) ((5 + options / 4) << 4)).put((byte) flags).putShort((short) window).putInt(0);
        if (syn) {
            buf.put((byte) 2).put((byte) 4).putShort((short) 1460) // MSS
                    .put((byte) 4).put((byte) 2) // SACK permitted
                    .put((byte) 8).put((byte) 10).putInt((int) (now / MS)).putInt(0) // timestamps
                    .put((byte) 1).put((byte) 3).put((byte) 3).put((byte) 7); // NOP, window scale 7
        } else if (malformed == 1) {
            buf.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 1).putInt(0).putInt(0);
        } else if (malformed == 2) {
            buf.putInt(0x01010101).putInt(0x01010101).put((byte) 8).put((byte) 10).putShort((short) 0);
        } else {
            buf.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt((int) (now / MS)).putInt(0);
        }
        int headers = buf.position();
        int captured = Math.min(payload, 64);
        buf.position(headers + captured);
        analyse(linkType, headers + captured, headers + payload);
        now += 20_000; // 20 µs apart
    }

    /** What the capture's reader does with a frame, without the correlation: the table, then the flow's evidence. */
    private void analyse(int linkType, int capLen, int origLen) {
        packets++;
        buf.order(ByteOrder.nativeOrder());
        int a = table.packet(linkType, buf, 0, capLen, origLen, now);
        buf.order(ByteOrder.BIG_ENDIAN);
        if (a == Analysis.NOT_TCP) {
            seen[31]++;
            return;
        }
        for (int b = 0; b < 31; b++) {
            if ((a & 1 << b) != 0) {
                seen[b]++;
            }
        }
        Flow f = table.lastFlow();
        EvidenceRing r = (EvidenceRing) f.attachment;
        if (r == null) {
            r = new EvidenceRing(budget);
            f.attachment = r;
            if (flow % 2 == 0) {
                r.keepSmall(); // half stay small, as another process's flows do until they are joined
                f.keepSmall(16);
            }
        }
        r.packet(table.frame(), a, now);
        r.firstAt(now - 100 * MS); // what a verdict looks up
        r.at(now);
    }
}
