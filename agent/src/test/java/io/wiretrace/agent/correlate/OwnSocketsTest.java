package io.wiretrace.agent.correlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.tcp.FlowTable;
import io.wiretrace.analysis.tcp.Frame;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fake /proc/self: fd links and net/tcp{,6} tables as a little-endian Linux writes them. */
class OwnSocketsTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final String TAIL = " 00000000:00000000 00:00000000 00000000     0        0 ";
    private static final String TAIL2 = " 1 0000000000000000 100 0 0 10 0\n";
    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            + "   uid  timeout inode\n";
    @TempDir
    Path proc;

    private void fds(long... inodes) throws Exception {
        Path fd = proc.resolve("fd");
        Files.createDirectories(fd);
        for (int i = 0; i < inodes.length; i++) {
            Files.createSymbolicLink(fd.resolve(String.valueOf(i + 20)), Paths.get("socket:[" + inodes[i] + "]"));
        }
        Files.createSymbolicLink(fd.resolve("1"), Paths.get("/dev/null"));
    }

    private void table(String name, String... lines) throws Exception {
        Files.createDirectories(proc.resolve("net"));
        StringBuilder b = new StringBuilder(HEADER);
        for (String l : lines) {
            b.append(l);
        }
        Files.write(proc.resolve("net").resolve(name), b.toString().getBytes(StandardCharsets.US_ASCII));
    }

    private static String line(int sl, String local, String remote, String state, long inode) {
        return "   " + sl + ": " + local + " " + remote + " " + state + TAIL + inode + TAIL2;
    }

    /** The flow of a SYN from the client's end to the server's. */
    private static Flow flow(String client, int clientPort, String server, int serverPort) throws Exception {
        FlowTable table = new FlowTable(16, 60 * S, S, x -> { });
        ByteBuffer f = CorrelatorTest.frame(InetAddress.getByName(client), clientPort, InetAddress.getByName(server),
                serverPort, 1, 0, Frame.SYN, 0);
        table.packet(Frame.LINKTYPE_ETHERNET, f, 0, f.limit(), f.limit(), S);
        return table.lastFlow();
    }

    @Test
    void nettyEpollListenerOnIpv4MappedLoopbackOwnsItsConnections() throws Exception {
        // Netty's epoll binds a dual-stack socket to 127.0.0.1: tcp6 shows ::ffff:127.0.0.1, its peer ::
        fds(1346727);
        table("tcp", line(0, "00000000:07E8", "00000000:0000", "0A", 109)); // another process's listener
        table("tcp6", line(0, "0000000000000000FFFF00000100007F:8D47", "00000000000000000000000000000000:0000",
                "0A", 1346727));
        OwnSockets own = new OwnSockets(proc);
        own.refresh(10 * S);
        assertFalse(own.failed);
        assertEquals(1, own.size());
        assertEquals(2, own.end(flow("127.0.0.1", 50000, "127.0.0.1", 0x8D47)));
        assertEquals(0, own.end(flow("127.0.0.1", 50000, "127.0.0.1", 0x07E8)));
    }

    @Test
    void connectionsByInodeEitherEnd() throws Exception {
        fds(11, 12);
        table("tcp", line(0, "0100007F:1F90", "0100007F:A2C4", "01", 11), // ours, the server end
                line(1, "0100007F:A2C4", "0100007F:1F90", "01", 99)); // its peer, another process's
        table("tcp6", line(0, "0000000000000000FFFF00000100007F:C350", "0000000000000000FFFF00000100007F:0050",
                "01", 12)); // ours, a client on a mapped IPv6 socket
        OwnSockets own = new OwnSockets(proc);
        own.refresh(10 * S);
        assertEquals(2, own.size());
        assertEquals(2, own.end(flow("127.0.0.1", 0xA2C4, "127.0.0.1", 0x1F90)));
        assertEquals(1, own.end(flow("127.0.0.1", 0xC350, "127.0.0.1", 80)));
        assertEquals(0, own.end(flow("127.0.0.1", 0xC351, "127.0.0.1", 80)));
        // gone from the tables: still remembered a while, then not
        table("tcp");
        table("tcp6");
        own.refresh(20 * S);
        assertEquals(1, own.end(flow("127.0.0.1", 0xC350, "127.0.0.1", 80)));
        own.refresh(50 * S);
        assertEquals(0, own.end(flow("127.0.0.1", 0xC350, "127.0.0.1", 80)));
    }

    @Test
    void ipv6WildcardListenerTakesIpv4Connections() throws Exception {
        fds(7);
        table("tcp6", line(0, "00000000000000000000000000000000:1F90", "00000000000000000000000000000000:0000",
                "0A", 7));
        OwnSockets own = new OwnSockets(proc);
        own.refresh(S);
        assertEquals(2, own.end(flow("127.0.0.1", 40000, "127.0.0.1", 8080)));
        assertEquals(2, own.end(flow("::1", 40000, "::1", 8080)));
    }

    @Test
    void noFdDirectoryIsAFailure() {
        OwnSockets own = new OwnSockets(proc.resolve("nothing"));
        own.refresh(S);
        assertTrue(own.failed);
        assertEquals(0, own.size());
    }
}
