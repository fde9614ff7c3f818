package io.wiretrace.analysis.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FrameTest {
    private static final int A = 0x0a000001;
    private static final int B = 0x0a000002;

    @Test
    void everyLinkTypeAndBothIpVersions() {
        int[] types = {Frame.LINKTYPE_ETHERNET, Frame.LINKTYPE_LINUX_SLL, Frame.LINKTYPE_LINUX_SLL2, Frame.LINKTYPE_RAW,
            Frame.LINKTYPE_RAW_DLT, Frame.LINKTYPE_NULL, Frame.LINKTYPE_LOOP};
        for (int type : types) {
            for (boolean v6 : new boolean[] {false, true}) {
                ByteBuffer b = Packets.tcp(type, v6, A, 40000, B, 443, 1000, 0, Frame.SYN, 64240, 0, Packets.synOptions());
                Frame f = new Frame();
                String what = "link type " + type + (v6 ? " IPv6" : " IPv4");
                assertTrue(f.parse(type, b, 0, b.capacity(), b.capacity()), what);
                assertEquals(v6 ? 6 : 4, f.ipVersion, what);
                assertEquals(A & 0xFFFFFFFFL, f.srcLo, what);
                assertEquals(B & 0xFFFFFFFFL, f.dstLo, what);
                assertEquals(v6 ? 0xfd00L << 48 : 0, f.srcHi, what);
                assertEquals(40000, f.srcPort, what);
                assertEquals(443, f.dstPort, what);
                assertEquals(1000, f.seq, what);
                assertEquals(Frame.SYN, f.flags, what);
                assertEquals(64240, f.window, what);
                assertEquals(40, f.headerLength, what);
                assertEquals(0, f.payloadLength, what);
                assertEquals(1460, f.mss, what);
                assertEquals(7, f.windowScale, what);
                assertTrue(f.sackPermitted && f.hasTimestamps, what);
                assertEquals(7, f.tsVal, what);
            }
        }
    }

    @Test
    void payloadLengthComesFromIpNotFromTheSnaplen() {
        ByteBuffer b = Packets.tcp(A, 40000, B, 443, 1, 1, Frame.ACK, 100, 1448);
        Frame f = new Frame();
        assertTrue(f.parse(Frame.LINKTYPE_ETHERNET, b, 0, 18 + 20 + 20, b.capacity()));
        assertEquals(1448, f.payloadLength);
    }

    @Test
    void sackBlocksAndTheBufferByteOrderDoesNotMatter() {
        byte[] sack = {1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xf0, 0, 0, 0, 5};
        ByteBuffer b = Packets.tcp(Frame.LINKTYPE_RAW, false, A, 1, B, 2, 5, 6, Frame.ACK, 9, 0, sack)
                .order(ByteOrder.LITTLE_ENDIAN);
        Frame f = new Frame();
        assertTrue(f.parse(Frame.LINKTYPE_RAW, b, 0, b.capacity(), b.capacity()));
        assertEquals(2, f.sackBlocks);
        assertArrayEquals(new int[] {10, -16}, new int[] {f.sackLeft[0], f.sackLeft[1]});
        assertArrayEquals(new int[] {20, 5}, new int[] {f.sackRight[0], f.sackRight[1]});
        assertEquals(5, f.seq);
        assertEquals(-1, f.mss);
        assertEquals(-1, f.windowScale);
    }

    @Test
    void notTcpFragmentsAndShortFramesAreIgnored() {
        Frame f = new Frame();
        ByteBuffer udp = Packets.tcp(Frame.LINKTYPE_RAW, false, A, 1, B, 2, 0, 0, 0, 0, 10, null);
        udp.put(9, (byte) 17);
        assertFalse(f.parse(Frame.LINKTYPE_RAW, udp, 0, udp.capacity(), udp.capacity()));
        ByteBuffer frag = Packets.tcp(Frame.LINKTYPE_RAW, false, A, 1, B, 2, 0, 0, 0, 0, 10, null);
        frag.putShort(6, (short) 0x2000); // more fragments
        assertFalse(f.parse(Frame.LINKTYPE_RAW, frag, 0, frag.capacity(), frag.capacity()));
        ByteBuffer ok = Packets.tcp(A, 1, B, 2, 0, 0, 0, 0, 0);
        assertFalse(f.parse(Frame.LINKTYPE_ETHERNET, ok, 0, 30, 58), "cut inside the IP header");
        assertFalse(f.parse(147, ok, 0, ok.capacity(), ok.capacity()), "an unknown link type");
        ByteBuffer arp = Packets.tcp(A, 1, B, 2, 0, 0, 0, 0, 0);
        arp.putShort(16, (short) 0x0806);
        assertFalse(f.parse(Frame.LINKTYPE_ETHERNET, arp, 0, arp.capacity(), arp.capacity()));
    }

    @Test
    void aFrameAtAnOffsetInALargerBuffer() {
        ByteBuffer one = Packets.tcp(A, 40000, B, 443, 77, 88, Frame.PSH | Frame.ACK, 500, 10);
        ByteBuffer big = ByteBuffer.allocateDirect(1000);
        big.position(123);
        big.put(one);
        big.position(7).limit(500); // the position is not looked at
        Frame f = new Frame();
        assertTrue(f.parse(Frame.LINKTYPE_ETHERNET, big, 123, one.capacity(), one.capacity()));
        assertEquals(77, f.seq);
        assertEquals(88, f.ack);
        assertEquals(10, f.payloadLength);
        assertEquals(7, big.position());
    }
}
