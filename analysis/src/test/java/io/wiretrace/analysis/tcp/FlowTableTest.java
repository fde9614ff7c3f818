package io.wiretrace.analysis.tcp;

import static io.wiretrace.analysis.tcp.Frame.ACK;
import static io.wiretrace.analysis.tcp.Frame.FIN;
import static io.wiretrace.analysis.tcp.Frame.PSH;
import static io.wiretrace.analysis.tcp.Frame.RST;
import static io.wiretrace.analysis.tcp.Frame.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlowTableTest {
    private static final int C = 0x0a000001;
    private static final int S = 0x0a000002;
    private static final long MS = 1_000_000L;

    private final List<Flow> gone = new ArrayList<>();

    private static int send(FlowTable t, long ms, int src, int sport, int dst, int dport, int seq, int ack, int flags,
            int payload) {
        ByteBuffer b = Packets.tcp(src, sport, dst, dport, seq, ack, flags, 1000, payload);
        return t.packet(Frame.LINKTYPE_ETHERNET, b, 0, b.capacity(), b.capacity(), ms * MS);
    }

    @Test
    void bothDirectionsAreOneFlowAndTheSynSenderIsTheClient() {
        FlowTable t = new FlowTable(10, 60_000 * MS, 1000 * MS, gone::add);
        // the SYN/ACK seen first: its receiver is the client
        int f1 = send(t, 1, S, 443, C, 40000, 500, 101, SYN | ACK, 0);
        Flow flow = t.lastFlow();
        assertTrue((f1 & Analysis.NEW_FLOW) != 0 && (f1 & Analysis.FROM_CLIENT) == 0);
        assertEquals("10.0.0.1:40000 -> 10.0.0.2:443", flow.toString());
        int f2 = send(t, 2, C, 40000, S, 443, 101, 501, ACK, 0);
        assertSame(flow, t.lastFlow());
        assertTrue((f2 & Analysis.FROM_CLIENT) != 0 && (f2 & Analysis.NEW_FLOW) == 0);
        assertEquals(1, t.size());
    }

    @Test
    void handshakeRttRttSamplesAndBytes() {
        FlowTable t = new FlowTable(10, 60_000 * MS, 1000 * MS, gone::add);
        // (a time of 0 would be "no SYN seen" to Wireshark, and so here)
        send(t, 10, C, 40000, S, 443, 100, 0, SYN, 0);
        send(t, 11, S, 443, C, 40000, 500, 101, SYN | ACK, 0);
        assertEquals(MS, t.lastRttNanos(), "the SYN/ACK acks the SYN");
        send(t, 13, C, 40000, S, 443, 101, 501, ACK, 0);
        send(t, 14, C, 40000, S, 443, 101, 501, PSH | ACK, 100);
        send(t, 15, C, 40000, S, 443, 201, 501, PSH | ACK, 100);
        int f = send(t, 17, S, 443, C, 40000, 501, 301, ACK, 0);
        assertTrue((f & Analysis.RTT_SAMPLE) != 0);
        assertEquals(2 * MS, t.lastRttNanos(), "from the segment it acks exactly");
        Flow flow = t.lastFlow();
        assertEquals(3 * MS, flow.handshakeRttNanos());
        assertEquals(MS, flow.synToSynAckNanos());
        assertEquals(200, flow.client().payloadBytes());
        assertEquals(2, flow.client().rttCount(), "the SYN, and of the two segments the one the ACK ends at");
        assertEquals(1, flow.server().rttCount(), "the SYN/ACK");
        assertEquals(0, flow.client().unacked());
    }

    @Test
    void duplicateAcksThenAFastRetransmission() {
        FlowTable t = new FlowTable(10, 60_000 * MS, 1000 * MS, gone::add);
        send(t, 0, C, 40000, S, 443, 100, 0, SYN, 0);
        send(t, 1, S, 443, C, 40000, 500, 101, SYN | ACK, 0);
        send(t, 2, C, 40000, S, 443, 101, 501, ACK, 0);
        for (int i = 0; i < 5; i++) {
            send(t, 10 + i, C, 40000, S, 443, 101 + i * 100, 501, ACK, 100);
        }
        send(t, 20, S, 443, C, 40000, 501, 201, ACK, 0); // 201..301 lost
        assertEquals(Analysis.DUPLICATE_ACK, send(t, 21, S, 443, C, 40000, 501, 201, ACK, 0) & 0xFFFF);
        assertEquals(1, t.lastDupAckNumber());
        send(t, 22, S, 443, C, 40000, 501, 201, ACK, 0);
        assertEquals(2, t.lastDupAckNumber());
        assertEquals(Analysis.FAST_RETRANSMISSION, send(t, 23, C, 40000, S, 443, 201, 501, ACK, 100) & 0xFFFF);
        assertEquals(Analysis.RETRANSMISSION, send(t, 500, C, 40000, S, 443, 301, 501, ACK, 100) & 0xFFFF);
        Flow f = t.lastFlow();
        assertEquals(2, f.client().retransmissions());
        assertEquals(2, f.server().count(Analysis.DUPLICATE_ACK));
    }

    @Test
    void aSegmentStampedBeforeItsReferenceIsNeitherFastNorOutOfOrder() {
        // Wireshark compares the time since the last dup ACK (and since the highest segment)
        // unsigned: stamped earlier, the difference wraps to a huge value
        FlowTable t = new FlowTable(10, 60_000 * MS, 1000 * MS, gone::add);
        send(t, 10, C, 40000, S, 443, 100, 0, SYN, 0);
        send(t, 11, S, 443, C, 40000, 500, 101, SYN | ACK, 0);
        send(t, 15, C, 40000, S, 443, 101, 501, ACK, 0); // initial RTT 5 ms: the out-of-order window
        for (int i = 0; i < 5; i++) {
            send(t, 20 + i, C, 40000, S, 443, 101 + i * 100, 501, ACK, 100);
        }
        send(t, 25, S, 443, C, 40000, 501, 201, ACK, 0); // 201..301 lost
        send(t, 26, S, 443, C, 40000, 501, 201, ACK, 0);
        send(t, 27, S, 443, C, 40000, 501, 201, ACK, 0);
        assertEquals(2, t.lastDupAckNumber());
        // 1 ms before the last dup ACK (tshark 4.0: out of order, as it is 2 ms after 501..601)
        assertEquals(Analysis.OUT_OF_ORDER, send(t, 26, C, 40000, S, 443, 201, 501, ACK, 100) & 0xFFFF);
        // 1 ms before the highest segment (501..601) too: a plain retransmission
        assertEquals(Analysis.RETRANSMISSION, send(t, 23, C, 40000, S, 443, 301, 501, ACK, 100) & 0xFFFF);
    }

    @Test
    void theBoundPushesOutTheLeastRecentlyActive() {
        FlowTable t = new FlowTable(4, 60_000 * MS, 1000 * MS, gone::add);
        for (int i = 0; i < 6; i++) {
            send(t, i, C, 40000 + i, S, 443, 1, 0, SYN, 0);
            if (i == 3) {
                send(t, i, C, 40000, S, 443, 1, 0, SYN, 0); // 40000 active again
            }
        }
        assertEquals(4, t.size());
        assertEquals(2, t.evictedForBound());
        assertEquals(List.of(40001, 40002), List.of(gone.get(0).clientPort(), gone.get(1).clientPort()));
        assertEquals(Flow.End.BOUND, gone.get(0).end());
    }

    @Test
    void closedFlowsLeaveAfterTheLingerIdleOnesAfterTheIdleTime() {
        FlowTable t = new FlowTable(100, 1000 * MS, 100 * MS, gone::add);
        send(t, 0, C, 1, S, 443, 1, 0, SYN, 0); // stays open, goes idle
        send(t, 0, C, 2, S, 443, 1, 0, SYN, 0);
        send(t, 1, C, 2, S, 443, 2, 1, FIN | ACK, 0);
        send(t, 2, S, 443, C, 2, 1, 3, FIN | ACK, 0);
        send(t, 3, C, 3, S, 443, 1, 0, SYN, 0);
        send(t, 4, S, 443, C, 3, 0, 2, RST | ACK, 0);
        send(t, 50, C, 4, S, 443, 1, 0, SYN, 0);
        assertEquals(0, gone.size(), "closed, but within the linger time");
        send(t, 300, C, 4, S, 443, 2, 0, ACK, 0);
        assertEquals(List.of(2, 3), List.of(gone.get(0).clientPort(), gone.get(1).clientPort()));
        assertEquals(Flow.End.CLOSED, gone.get(0).end());
        assertTrue(gone.get(1).reset());
        t.expire(1200 * MS);
        assertEquals(1, gone.get(2).clientPort());
        assertEquals(Flow.End.IDLE, gone.get(2).end());
        t.flush();
        assertEquals(Flow.End.FLUSHED, gone.get(3).end());
        assertEquals(0, t.size());
    }

    @Test
    void aNewSynOnTheSameFourTupleIsANewFlow() {
        FlowTable t = new FlowTable(10, 60_000 * MS, 60_000 * MS, gone::add);
        send(t, 0, C, 1, S, 443, 100, 0, SYN, 0);
        Flow first = t.lastFlow();
        assertEquals(0, send(t, 1000, C, 1, S, 443, 100, 0, SYN, 0) & Analysis.NEW_FLOW, "a retransmitted SYN");
        assertEquals(1, first.client().synRetransmissions());
        int f = send(t, 2000, C, 1, S, 443, 9999, 0, SYN, 0);
        assertTrue((f & Analysis.NEW_FLOW) != 0 && (f & Analysis.REUSED_PORTS) != 0);
        assertNotEquals(first, t.lastFlow());
        assertEquals(Flow.End.REUSED, first.end());
    }

    @Test
    void churnKeepsEveryLiveFlowFindable() {
        FlowTable t = new FlowTable(64, 60_000 * MS, 60_000 * MS, gone::add);
        Random r = new Random(1);
        java.util.LinkedHashMap<Integer, Boolean> recent = new java.util.LinkedHashMap<>(16, 0.75f, true);
        for (int i = 0; i < 20_000; i++) {
            int a = r.nextInt(50);
            int p = 1 + r.nextInt(200);
            send(t, i, C + a, p, S, 443, 1, 0, ACK, 0);
            recent.put(a << 16 | p, true);
            assertTrue(t.size() <= 64);
        }
        assertEquals(64, t.size());
        assertEquals(t.created() - 64, t.evictedForBound());
        // each flow still in the table is found again (deletions kept the probe chains whole)
        List<Integer> live = new ArrayList<>(recent.keySet()).subList(recent.size() - 64, recent.size());
        long created = t.created();
        for (int k : live) {
            send(t, 20_000, C + (k >>> 16), k & 0xFFFF, S, 443, 1, 0, ACK, 0);
        }
        assertEquals(created, t.created(), "the 64 most recent flows are all in the table");
        t.flush();
        assertEquals(t.created(), gone.size());
    }

    @Test
    void steadyStateAllocatesNothingPerPacket() {
        FlowTable t = new FlowTable(1000, 60_000 * MS, 60_000 * MS, gone::add);
        ByteBuffer[] packets = new ByteBuffer[200];
        for (int i = 0; i < packets.length; i++) {
            boolean up = i % 2 == 0;
            int port = 40000 + i % 20;
            packets[i] = up ? Packets.tcp(C, port, S, 443, 1 + i * 100, 1, ACK, 1000, 100)
                    : Packets.tcp(S, 443, C, port, 1, 1 + i * 100, ACK, 1000, 0);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long ns = 0;
        for (int round = 0; round < 300; round++) { // warm up: the JIT, and the segment arrays' growth
            for (ByteBuffer b : packets) {
                t.packet(Frame.LINKTYPE_ETHERNET, b, 0, b.capacity(), b.capacity(), ns += 1000);
            }
        }
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (int round = 0; round < 500; round++) {
            for (ByteBuffer b : packets) {
                t.packet(Frame.LINKTYPE_ETHERNET, b, 0, b.capacity(), b.capacity(), ns += 1000);
            }
        }
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(allocated < 10_000, "allocated " + allocated + " bytes for 100,000 packets");
        assertEquals(20, t.size());
    }
}
