package io.wiretrace.analysis.offline;

import static io.wiretrace.analysis.tcp.Frame.ACK;
import static io.wiretrace.analysis.tcp.Frame.FIN;
import static io.wiretrace.analysis.tcp.Frame.PSH;
import static io.wiretrace.analysis.tcp.Frame.RST;
import static io.wiretrace.analysis.tcp.Frame.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.offline.SyntheticCapture.Pcapng;
import io.wiretrace.analysis.offline.SyntheticCapture.Tcp;
import io.wiretrace.analysis.verdict.Verdict;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The capture-file analysis: conversations and findings from packets alone, and the ladders' windows. */
class OfflineTest {
    private static final long T0 = 1_790_000_000_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final long US = 1_000L;
    private static final String GET_ITEM = "GET /item/7?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @TempDir
    Path tmp;

    @Test
    void aRetransmittedSynIsConnectRetry() throws IOException {
        Pcapng cap = new Pcapng();
        Tcp t = new Tcp(cap, 40001);
        t.client(T0, SYN, "");
        t.client(T0 + 1000 * MS, SYN, "");
        t.server(T0 + 1001 * MS, SYN | ACK, "");
        t.client(T0 + 1001 * MS + 200 * US, ACK, "");
        Offline o = Offline.analyze(List.of(cap.write(tmp.resolve("retry.pcapng"))), 200 * MS);

        assertEquals(1, o.findings().size());
        Offline.Finding f = o.findings().get(0);
        assertEquals("connect", f.call);
        assertEquals(Verdict.CONNECT_RETRY, f.verdict);
        assertEquals(1000 * MS, f.explained);
        assertEquals(T0, f.start);
        assertEquals(1001 * MS, f.duration);
        assertNull(f.failure);
        assertArrayEquals(new long[] {T0, T0 + 1000 * MS, T0 + 1001 * MS}, f.frames);
        assertEquals(1, o.conversations().size());
        Offline.Conversation c = o.conversations().get(0);
        assertSame(c, f.conversation);
        assertEquals(1, c.synRetransmissions);
        assertEquals("10.0.0.1", c.clientAddress);
        assertEquals(40001, c.clientPort);
        assertEquals("10.0.0.2", c.serverAddress);
        assertEquals(80, c.serverPort);
        assertEquals(4, o.packets);
        assertEquals(4, o.tcpPackets);
        assertEquals(Map.of(T0 / 1_000_000_000L + 1, 1), o.retransmissionsBySecond, "the SYN sent again, in its second");
    }

    @Test
    void aResetAnswerIsConnectRefusedAndUnansweredSynsAConnectTimeout() throws IOException {
        Pcapng cap = new Pcapng();
        Tcp refused = new Tcp(cap, 40001);
        refused.client(T0, SYN, "");
        refused.server(T0 + 300 * US, RST | ACK, "");
        Tcp unanswered = new Tcp(cap, 40002);
        unanswered.client(T0 + 10 * MS, SYN, "");
        unanswered.client(T0 + 1010 * MS, SYN, "");
        unanswered.client(T0 + 3010 * MS, SYN, "");
        Offline o = Offline.analyze(List.of(cap.write(tmp.resolve("refused.pcapng"))), 200 * MS);

        assertEquals(2, o.findings().size());
        Offline.Finding f = o.findings().get(0);
        assertEquals("connect", f.call);
        assertEquals(Verdict.CONNECT_REFUSED, f.verdict);
        assertEquals("the peer refused the connection (reset)", f.failure);
        assertEquals(300 * US, f.duration);
        assertEquals(40001, f.conversation.clientPort);
        assertEquals(1, f.conversation.resets);

        Offline.Finding g = o.findings().get(1);
        assertEquals("connect", g.call);
        assertEquals(Verdict.CONNECT_TIMEOUT, g.verdict);
        assertEquals("no answer to 3 SYNs", g.failure);
        assertEquals(3000 * MS, g.duration);
        assertEquals(40002, g.conversation.clientPort);
    }

    /** Two exchanges on one connection: the first answered after 500 ms, the second at once. */
    private Path twoExchanges(String name) throws IOException {
        Pcapng cap = new Pcapng();
        Tcp t = new Tcp(cap, 40001);
        handshake(t, T0);
        long t1 = T0 + 1 * MS;
        t.client(t1, PSH | ACK, GET_ITEM);
        t.server(t1 + 50 * US, ACK, "");
        t.server(t1 + 500 * MS, PSH | ACK, OK);
        t.client(t1 + 500 * MS + 50 * US, ACK, "");
        long t2 = t1 + 600 * MS;
        t.client(t2, PSH | ACK, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        t.server(t2 + 2 * MS, PSH | ACK, OK);
        close(t, t2 + 3 * MS);
        return cap.write(tmp.resolve(name));
    }

    @Test
    void aSlowAnswerIsServerThinkWithTheQueryLeftOut() throws IOException {
        Offline o = Offline.analyze(List.of(twoExchanges("http.pcapng")), 100 * MS);

        assertEquals(1, o.findings().size());
        Offline.Finding f = o.findings().get(0);
        assertEquals("http", f.call);
        assertEquals("GET /item/7?…", f.request);
        assertEquals(Verdict.SERVER_THINK, f.verdict);
        assertEquals(T0 + 1 * MS, f.start);
        assertEquals(500 * MS, f.duration);
        assertEquals(500 * MS, f.explained);
        assertNull(f.failure);

        assertEquals(1, o.conversations().size());
        Offline.Conversation c = o.conversations().get(0);
        assertSame(c, f.conversation);
        assertEquals(2, c.requestCount);
        assertEquals(List.of("GET /item/7?…", "GET /health"), c.requests);
        assertEquals("http/1.1", c.application);
        assertEquals(1, c.findings);
        assertEquals(0, c.synRetransmissions);
        assertEquals(GET_ITEM.length() + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".length(), c.bytesFromClient);
        assertEquals(2 * OK.length(), c.bytesFromServer);
        assertEquals(-1, c.connectionId);
        assertNull(c.thread);
    }

    @Test
    void theSlowThresholdDecides() throws IOException {
        Path file = twoExchanges("fast.pcapng");
        assertEquals(List.of(), Offline.analyze(List.of(file), 500 * MS + 1).findings());
        assertEquals(1, Offline.analyze(List.of(file), 500 * MS).findings().size());
        Offline fast = Offline.analyze(List.of(file), 1000 * MS);
        assertEquals(0, fast.conversations().get(0).findings);
        assertEquals(2, fast.conversations().get(0).requestCount);
    }

    /**
     * Conversation 40001 carries wiretrace's comments (and a verdict comment, which is the
     * recording's, not the packets'); conversation 40002 says only which application it is.
     */
    private Path commented() throws IOException {
        Pcapng cap = new Pcapng();
        Tcp t = new Tcp(cap, 40001);
        t.client(T0, SYN, "", "conn 42 · worker-1");
        t.server(T0 + 100 * US, SYN | ACK, "");
        t.client(T0 + 200 * US, ACK, "", "conn 42 · worker-1");
        t.client(T0 + 1 * MS, PSH | ACK, "GET /item/7 HTTP/1.1\r\nHost: x\r\n\r\n", "conn 42 · worker-1 · GET /item/7",
                "verdict SERVER_THINK: 2.0 ms");
        t.server(T0 + 3 * MS, PSH | ACK, OK, "conn 42 · worker-1 · GET /item/7");
        close(t, T0 + 4 * MS);
        Tcp u = new Tcp(cap, 40002);
        handshake(u, T0 + 10 * MS);
        u.client(T0 + 11 * MS, PSH | ACK, "\u0016\u0003\u0001", "conn 43 · worker-2 · tls");
        close(u, T0 + 12 * MS);
        return cap.write(tmp.resolve("commented.pcapng"));
    }

    @Test
    void wiretracesCommentsNameTheConnectionAndItsThread() throws IOException {
        Offline o = Offline.analyze(List.of(commented()), 100 * MS);
        assertEquals(List.of(), o.findings());
        assertEquals(2, o.conversations().size());
        Offline.Conversation c = conversation(o, 40001);
        assertEquals(42, c.connectionId);
        assertEquals("worker-1", c.thread);
        assertEquals(List.of("GET /item/7"), c.requests); // the comments' request and the payload's are one
        assertEquals(1, c.requestCount);
        assertEquals("http/1.1", c.application);
        Offline.Conversation d = conversation(o, 40002);
        assertEquals(43, d.connectionId);
        assertEquals("worker-2", d.thread);
        assertEquals("tls", d.application);
        assertEquals(0, d.requestCount);
    }

    @Test
    void aWindowHoldsItsConversationsPacketsInOrder() throws IOException {
        Path file = commented();
        Offline.Window all = new Offline.Window("10.0.0.1", 40001, "10.0.0.2", 80, T0, T0 + 1000 * MS, 4);
        Offline.Window server = new Offline.Window("10.0.0.2", 80, "10.0.0.1", 40001, T0, T0 + 1000 * MS, 100);
        Offline.Window exchange = new Offline.Window("10.0.0.1", 40001, "10.0.0.2", 80, T0 + 1 * MS, T0 + 3 * MS, 100);
        Offline.Window other = new Offline.Window("", 0, "10.0.0.2", 80, T0 + 10 * MS, T0 + 1000 * MS, 100);
        Offline.Window none = new Offline.Window("10.0.0.1", 40001, "10.0.0.2", 81, T0, T0 + 1000 * MS, 100);
        Offline.packets(List.of(file), List.of(all, server, exchange, other, none));

        assertEquals(List.of("out SYN seq=0 ack=0 len=0", "in SYN,ACK seq=0 ack=1 len=0", "out ACK seq=1 ack=1 len=0",
                "out PSH,ACK seq=1 ack=1 len=33"), describe(all.packets));
        assertEquals(4, all.more); // the response, and the FIN, FIN, ACK
        long[] times = all.packets.stream().mapToLong(p -> p.nanos).toArray();
        assertArrayEquals(new long[] {T0, T0 + 100 * US, T0 + 200 * US, T0 + 1 * MS}, times);
        assertEquals("conn 42 · worker-1 · GET /item/7\nverdict SERVER_THINK: 2.0 ms", all.packets.get(3).comment);
        assertNull(all.packets.get(1).comment);

        assertEquals(8, server.packets.size());
        assertEquals(0, server.more);
        assertFalse(server.packets.get(0).outgoing); // the client's SYN comes in
        assertTrue(server.packets.get(1).outgoing);
        assertEquals("out PSH,ACK seq=1 ack=34 len=40", describe(server.packets).get(4));

        // sequence numbers count from the window's first packet of each side
        assertEquals(2, exchange.packets.size());
        assertEquals("out PSH,ACK seq=0", describe(exchange.packets).get(0).substring(0, 17));
        assertEquals("in PSH,ACK seq=0 ack=33 len=40", describe(exchange.packets).get(1));

        assertEquals(7, other.packets.size()); // any local end: the other conversation, from its SYN
        assertTrue(other.packets.get(0).outgoing);
        assertEquals(SYN, other.packets.get(0).flags);
        assertEquals(List.of(), none.packets);
    }

    /**
     * A packet with 400,000 one-letter comments (3.2 MB): joining them took 28 s; read now in
     * linear time, with at most {@link Offline#MAX_COMMENT_CHARS} of them kept and the cut counted.
     */
    @Test
    void aPacketOfManyCommentsIsReadInLinearTimeAndCut() throws IOException {
        Pcapng cap = new Pcapng();
        Tcp t = new Tcp(cap, 40001);
        String[] many = new String[400_000];
        Arrays.fill(many, "x");
        t.client(T0, SYN, "", many);
        t.server(T0 + 100 * US, SYN | ACK, "", "conn 42 · worker-1");
        Path file = cap.write(tmp.resolve("comments.pcapng"));
        Offline o = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> Offline.analyze(List.of(file), 500 * MS));
        assertEquals(2, o.packets);
        assertEquals(1, o.commentsCut);
        assertEquals(42, o.conversations().get(0).connectionId);

        Offline.Window w = new Offline.Window("10.0.0.1", 40001, "10.0.0.2", 80, T0 - MS, T0 + MS, 10);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> Offline.packets(List.of(file), List.of(w)));
        assertEquals(2, w.packets.size());
        String kept = w.packets.get(0).comment;
        assertTrue(kept.startsWith("x\nx\n") && kept.length() <= Offline.MAX_COMMENT_CHARS, kept.length() + " chars");
    }

    private static Offline.Conversation conversation(Offline o, int clientPort) {
        return o.conversations().stream().filter(c -> c.clientPort == clientPort).findFirst().orElseThrow();
    }

    private static List<String> describe(List<Offline.Packet> packets) {
        List<String> out = new ArrayList<>();
        for (Offline.Packet p : packets) {
            StringBuilder f = new StringBuilder();
            String[] names = {"FIN", "SYN", "RST", "PSH", "ACK"};
            for (int i = 0; i < names.length; i++) {
                if ((p.flags & (1 << i)) != 0) {
                    f.append(f.length() == 0 ? "" : ",").append(names[i]);
                }
            }
            out.add((p.outgoing ? "out " : "in ") + f + " seq=" + p.seq + " ack=" + p.ack + " len=" + p.length);
        }
        return out;
    }

    private static void handshake(Tcp t, long at) {
        t.client(at, SYN, "");
        t.server(at + 100 * US, SYN | ACK, "");
        t.client(at + 200 * US, ACK, "");
    }

    private static void close(Tcp t, long at) {
        t.client(at, FIN | ACK, "");
        t.server(at + 100 * US, FIN | ACK, "");
        t.client(at + 200 * US, ACK, "");
    }
}
