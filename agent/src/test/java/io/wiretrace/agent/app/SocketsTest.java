package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Addresses in events read as Wireshark shows them, so users can match them by eye. */
class SocketsTest {
    @Test
    void ipv6InTheShortForm() throws Exception {
        assertEquals("::1", Sockets.host(InetAddress.getByName("::1")));
        assertEquals("::", Sockets.host(InetAddress.getByName("::")));
        assertEquals("2001:db8::1", Sockets.host(InetAddress.getByName("2001:db8:0:0:0:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", Sockets.host(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", Sockets.host(InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("fe80::1%1", Sockets.compress("fe80:0:0:0:0:0:0:1%1"));
        assertEquals("1::", Sockets.compress("1:0:0:0:0:0:0:0"));
        assertEquals("127.0.0.1", Sockets.host(InetAddress.getByName("127.0.0.1")));
    }
}
