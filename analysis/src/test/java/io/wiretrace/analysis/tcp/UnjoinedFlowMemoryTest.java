package io.wiretrace.analysis.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.verdict.Budget;
import io.wiretrace.analysis.verdict.EvidenceRing;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The evidence a flow not joined to the app's connections keeps (other processes' traffic, scans,
 * on {@code -i any} without a filter): its record ring and its unacked segments, measured by the
 * arrays' sizes. It was up to 1,024 records and 1,000 segments a side (60,928 bytes of arrays, 1.9
 * GiB at the flow table's cap).
 */
class UnjoinedFlowMemoryTest {
    private static final int C = 0x0a000001;
    private static final int S = 0x0a000002;
    private static final long MS = 1_000_000L;
    /** 16 records of 28 bytes, 8 byte-time runs of 16 bytes each way, 16 segments of 16 bytes each way. */
    private static final long SMALL_FLOW_BYTES = 16 * 28 + 2 * 8 * 16 + 2 * 16 * 16;

    private final Budget budget = new Budget();

    /** A new flow from its SYN, kept small as the correlator keeps one it has not joined. */
    private Flow open(FlowTable t, int port) {
        ByteBuffer syn = Packets.tcp(C, port, S, 80, 100, 0, Frame.SYN, 1000, 0);
        int a = t.packet(Frame.LINKTYPE_ETHERNET, syn, 0, syn.capacity(), syn.capacity(), MS);
        Flow f = t.lastFlow();
        EvidenceRing ring = new EvidenceRing(budget);
        ring.keepSmall();
        f.keepSmall(16);
        f.attachment = ring;
        ring.packet(t.frame(), a, MS);
        send(t, 2, S, 80, C, port, 500, 101, Frame.SYN | Frame.ACK, 0);
        send(t, 3, C, port, S, 80, 101, 501, Frame.ACK, 0);
        return f;
    }

    /** Segments {@code from} to {@code to}, turn by turn, none of them acked. */
    private static void talk(FlowTable t, int port, int from, int to) {
        for (int i = from; i < to; i++) {
            boolean client = i % 2 == 0;
            int seq = (client ? 101 : 501) + (i / 2) * 100;
            send(t, 10 + i, client ? C : S, client ? port : 80, client ? S : C, client ? 80 : port, seq,
                    client ? 501 : 101, Frame.ACK | Frame.PSH, 100);
        }
    }

    private static void send(FlowTable t, long ms, int src, int sport, int dst, int dport, int seq, int ack, int flags,
            int payload) {
        ByteBuffer b = Packets.tcp(src, sport, dst, dport, seq, ack, flags, 1000, payload);
        int a = t.packet(Frame.LINKTYPE_ETHERNET, b, 0, b.capacity(), b.capacity(), ms * MS);
        ((EvidenceRing) t.lastFlow().attachment).packet(t.frame(), a, ms * MS);
    }

    @Test
    void anUnjoinedFlowStaysSmallAndGrowsOnceJoined() {
        FlowTable t = new FlowTable(FlowTable.MAX_FLOWS, 600_000 * MS, 1000 * MS, f -> { });
        Flow flow = open(t, 40000);
        EvidenceRing ring = (EvidenceRing) flow.attachment;
        talk(t, 40000, 0, 3000);

        assertEquals(16, ring.capacity());
        assertEquals(SMALL_FLOW_BYTES, ring.bytes() + flow.segmentBytes(), "1,216 bytes of arrays");
        assertEquals(16, flow.client().unacked(), "segments past 16 a side are not remembered");

        ring.keepAll();
        flow.keepAll();
        talk(t, 40000, 3000, 6000);
        assertTrue(ring.capacity() >= EvidenceRing.CAPACITY, "joined, it grows: " + ring.capacity());
        assertEquals(2 * 1000 * 16, flow.segmentBytes(), "and remembers Wireshark's 1,000 segments a side");
    }

    /** At the flow table's cap, 32,768 such flows take 38 MiB of arrays (they took up to 1.9 GiB). */
    @Test
    void unjoinedFlowsAtTheTablesCap() {
        FlowTable t = new FlowTable(FlowTable.MAX_FLOWS, 600_000 * MS, 1000 * MS, f -> { });
        long total = 0;
        for (int port = 0; port < FlowTable.MAX_FLOWS; port++) {
            Flow f = open(t, 1024 + port);
            talk(t, 1024 + port, 0, 40);
            long bytes = ((EvidenceRing) f.attachment).bytes() + f.segmentBytes();
            assertEquals(SMALL_FLOW_BYTES, bytes);
            total += bytes;
        }
        assertEquals(FlowTable.MAX_FLOWS, t.size());
        assertEquals(38L << 20, total, "38 MiB of arrays at the cap");
    }
}
