package io.wiretrace.analysis.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Lines as a little-endian Linux (x86-64) writes them in /proc/net/tcp and tcp6. */
class ProcNetTest {
    @Test
    void ipv4Connection() {
        ProcNet s = ProcNet.parse("   3: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0"
                + "        0 123456 1 0000000000000000 20 4 30 10 -1", true);
        assertEquals(FlowKey.of("127.0.0.1", 8080, "127.0.0.1", 41668), s.key);
        assertEquals(123456, s.inode);
        assertFalse(s.listening);
    }

    @Test
    void ipv4ListenerOnAnAddress() {
        ProcNet s = ProcNet.parse("   0: 0A00A8C0:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000"
                + "        0 777 1 0000000000000000 100 0 0 10 0", true);
        assertEquals(FlowKey.of("192.168.0.10", 80, "0.0.0.0", 0), s.key);
        assertTrue(s.listening);
    }

    @Test
    void ipv6Connection() {
        // 2001:db8::1 port 443 to fe80::1:2 port 50000
        ProcNet s = ProcNet.parse("   1: B80D0120000000000000000001000000:01BB 000080FE000000000000000002000100:C350 01"
                + " 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1", true);
        assertEquals(FlowKey.of("2001:db8::1", 443, "fe80::1:2", 50000), s.key);
        assertEquals(4242, s.inode);
    }

    @Test
    void ipv4MappedEndsAreIpv4() {
        // an IPv6 socket (Netty's epoll default) talking to 127.0.0.1: its packets are IPv4
        ProcNet s = ProcNet.parse("   2: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431"
                + " 01 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 20 4 30 10 -1", true);
        assertEquals(FlowKey.of("127.0.0.1", 8080, "127.0.0.1", 54321), s.key);
        assertEquals(4, s.key.version);
    }

    @Test
    void ipv4MappedListenerIsIpv4() {
        // Netty's epoll server bound to 127.0.0.1: a dual-stack socket whose peer field is ::
        ProcNet s = ProcNet.parse("   2: 0000000000000000FFFF00000100007F:8D47 00000000000000000000000000000000:0000 0A"
                + " 00000000:00000000 00:00000000 00000000     0        0 1346727 1 0000000000000000 100 0 0 10 0", true);
        assertEquals(FlowKey.of("127.0.0.1", 36167, "0.0.0.0", 0), s.key);
        assertEquals(1346727, s.inode);
        assertTrue(s.listening);
    }

    @Test
    void ipv6WildcardListener() {
        ProcNet s = ProcNet.parse("   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A"
                + " 00000000:00000000 00:00000000 00000000     0        0 55 1 0000000000000000 100 0 0 10 0", true);
        assertEquals(6, s.key.version);
        assertEquals(8080, s.key.aPort);
        assertEquals(0, s.key.aHi | s.key.aLo);
        assertTrue(s.listening);
    }

    @Test
    void bigEndianHost() {
        ProcNet s = ProcNet.parse("   3: 7F000001:1F90 7F000001:A2C4 01 00000000:00000000 00:00000000 00000000     0"
                + "        0 1 1 0000000000000000 20 4 30 10 -1", false);
        assertEquals(FlowKey.of("127.0.0.1", 8080, "127.0.0.1", 41668), s.key);
    }

    @Test
    void headerAndGarbage() {
        assertNull(ProcNet.parse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
                + "  timeout inode"));
        assertNull(ProcNet.parse(""));
        assertNull(ProcNet.parse("   3: 0100007F:1F90 0100007F 01 a b c d e f"));
    }
}
