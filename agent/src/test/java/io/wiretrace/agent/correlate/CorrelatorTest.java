package io.wiretrace.agent.correlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.agent.app.AppCall;
import io.wiretrace.agent.app.AppSide;
import io.wiretrace.agent.app.Conn;
import io.wiretrace.agent.inapp.History;
import io.wiretrace.analysis.verdict.InApp;
import io.wiretrace.analysis.tcp.Frame;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The join of captured packets and the app's connections, fed as the capture and the app threads
 * feed it: frames built here through the PacketSink API under its lock, connections and slow
 * calls through the CallSink API. No thread of its own runs; {@link Correlator#finish} explains.
 */
class CorrelatorTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final Correlator cor = new Correlator(TimeUnit.MILLISECONDS.toNanos(200));
    /** Now, on the packets' clock. */
    private final long t0 = cor.epoch(System.nanoTime());

    /** One TCP flow on the wire: frames from either end, with sequence numbers that follow on. */
    private final class Wire {
        final InetAddress client;
        final int clientPort;
        final InetAddress server;
        final int serverPort;
        int clientSeq = 1000;
        int serverSeq = 50_000;
        /** Whether the last frame got room for a verdict comment. */
        boolean reserved;

        Wire(String client, int clientPort, String server, int serverPort) throws Exception {
            this.client = InetAddress.getByName(client);
            this.clientPort = clientPort;
            this.server = InetAddress.getByName(server);
            this.serverPort = serverPort;
        }

        /** Hands one frame to the correlator, as a capture reader does; returns its comment. */
        String send(boolean fromClient, int flags, int payload, long nanos) {
            int seq = fromClient ? clientSeq : serverSeq;
            int ack = (flags & Frame.ACK) != 0 ? (fromClient ? serverSeq : clientSeq) : 0;
            int advance = payload + ((flags & (Frame.SYN | Frame.FIN)) != 0 ? 1 : 0);
            if (fromClient) {
                clientSeq += advance;
            } else {
                serverSeq += advance;
            }
            ByteBuffer f = fromClient ? frame(client, clientPort, server, serverPort, seq, ack, flags, payload)
                    : frame(server, serverPort, client, clientPort, seq, ack, flags, payload);
            synchronized (cor.lock()) {
                byte[] comment = cor.packet(Frame.LINKTYPE_ETHERNET, f, 0, f.limit(), f.limit(), nanos);
                reserved = cor.reserve();
                if (reserved) {
                    cor.placed(-1); // no file: nowhere to write a verdict
                }
                return comment == null ? null : new String(comment, StandardCharsets.UTF_8);
            }
        }

        /** The three-way handshake from {@code nanos}, 1 ms apart; returns the comments. */
        String[] open(long nanos) {
            return new String[] {send(true, Frame.SYN, 0, nanos), send(false, Frame.SYN | Frame.ACK, 0, nanos + MS),
                send(true, Frame.ACK, 0, nanos + 2 * MS)};
        }
    }

    /** The evidence of the flow the connection was joined to. */
    private static Track track(Conn c) {
        return (Track) ((io.wiretrace.analysis.tcp.Flow) c.flow).attachment;
    }

    /** Ethernet, IPv4 or IPv6, TCP (20 bytes, no options) and {@code payload} zero bytes. */
    static ByteBuffer frame(InetAddress src, int sport, InetAddress dst, int dport, int seq, int ack, int flags,
            int payload) {
        boolean v4 = src instanceof Inet4Address;
        int tcp = 20 + payload;
        ByteBuffer b = ByteBuffer.allocate(14 + (v4 ? 20 : 40) + tcp);
        b.position(12);
        b.putShort((short) (v4 ? 0x0800 : 0x86DD));
        if (v4) {
            b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tcp)).putInt(0x00014000)
                    .put((byte) 64).put((byte) 6).putShort((short) 0);
        } else {
            b.putInt(0x60000000).putShort((short) tcp).put((byte) 6).put((byte) 64);
        }
        b.put(src.getAddress()).put(dst.getAddress());
        b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .put((byte) (5 << 4)).put((byte) flags).putShort((short) 65535).putInt(0);
        return b.position(0);
    }

    /** A connection as the tracer makes it, opened on a thread of the given name. */
    private static Conn conn(long id, String thread, String local, int localPort, String remote, int remotePort,
            int role) throws Exception {
        AtomicReference<Conn> c = new AtomicReference<>();
        Thread t = new Thread(() -> c.set(new Conn(id, local, localPort, remote, remotePort)), thread);
        t.start();
        t.join();
        c.get().role = role;
        return c.get();
    }

    /**
     * A request its thread read and answered alone is looked at inside the app; one handed to
     * another thread is not, whatever the thread that read it did meanwhile (an event loop's
     * samples are other requests' work).
     */
    @Test
    void onlyARequestItsThreadServedAloneIsLookedAtInsideTheApp() throws Exception {
        long thread = 4242;
        long start = System.nanoTime();
        History h = new History(20 * MS);
        for (int i = 0; i < 25; i++) {
            long at = cor.epoch(start) + i * 20 * MS;
            h.add(new InApp.Event(InApp.SAMPLE, thread, at, at, null, null, 0, new String[] {"app.Work.burn"}));
        }
        cor.inApp = h;
        Conn server = conn(7, "worker", "10.0.0.2", 8080, "10.0.0.1", 52000, Conn.SERVER);
        cor.opened(server);
        for (boolean own : new boolean[] {false, true}) {
            AppCall c = new AppCall(AppCall.HTTP, server, start, start + 500 * MS, (String) null);
            c.incoming = true;
            c.request = own ? "GET /alone" : "GET /handed";
            c.status = 200;
            c.firstByte = start + 499 * MS;
            c.threadId = thread;
            c.ownThread = own;
            cor.call(c);
        }
        cor.finish();
        String status = cor.status();
        assertTrue(status.matches("(?s).*GET /alone [^\\n]*: APP_CPU .*"), status);
        assertTrue(status.matches("(?s).*GET /handed [^\\n]*: UNKNOWN .*"), status);
    }

    @Test
    void aFlowIsJoinedToTheAppsClientEndByItsFourTuple() throws Exception {
        Conn c = conn(5, "http-client-1", "10.0.0.1", 40000, "10.0.0.2", 80, Conn.CLIENT);
        cor.opened(c);
        Wire w = new Wire("10.0.0.1", 40000, "10.0.0.2", 80);
        // another process's flow to the same server, and one with the ports reversed
        Wire other = new Wire("10.0.0.3", 40000, "10.0.0.2", 80);
        Wire reversed = new Wire("10.0.0.2", 40000, "10.0.0.1", 80);
        for (String comment : w.open(t0)) {
            assertEquals("conn 5 · http-client-1", comment);
        }
        assertEquals("conn 5 · http-client-1", w.send(false, Frame.ACK | Frame.PSH, 100, t0 + 5 * MS));
        assertTrue(w.reserved, "a joined flow's evidence gets room for a verdict");
        for (String comment : other.open(t0)) {
            assertNull(comment);
        }
        assertNull(other.send(true, Frame.ACK | Frame.PSH, 100, t0 + 5 * MS));
        assertFalse(other.reserved, "data of a flow not the app's gets no room");
        for (String comment : reversed.open(t0)) {
            assertNull(comment);
        }
        assertNotNull(c.flow, "the connection knows its flow");
        assertTrue(cor.status().contains("3 in the table, 1 joined"), cor.status());
    }

    @Test
    void aFlowIsJoinedToTheAppsServerEnd() throws Exception {
        Conn s = conn(6, "http-nio-8080-exec-3", "10.0.0.2", 8080, "10.0.0.1", 51000, Conn.SERVER);
        cor.opened(s);
        Wire w = new Wire("10.0.0.1", 51000, "10.0.0.2", 8080);
        for (String comment : w.open(t0)) {
            assertEquals("conn 6 · http-nio-8080-exec-3", comment);
        }
        assertEquals("conn 6 · http-nio-8080-exec-3", w.send(true, Frame.ACK | Frame.PSH, 50, t0 + 5 * MS));
        assertTrue(cor.status().contains("1 joined"), cor.status());
    }

    @Test
    void bothEndsWhenTheAppTalksToItselfEachWithItsExchange() throws Exception {
        Conn client = conn(1, "caller", "127.0.0.1", 43210, "127.0.0.1", 8080, Conn.CLIENT);
        Conn server = conn(2, "worker", "127.0.0.1", 8080, "127.0.0.1", 43210, Conn.SERVER);
        cor.opened(client);
        cor.opened(server);
        Wire w = new Wire("127.0.0.1", 43210, "127.0.0.1", 8080);
        String[] open = w.open(t0);
        assertEquals("conn 1 · caller", open[0], "the client's SYN: the client end");
        assertEquals("conn 2 · worker", open[1], "the SYN-ACK: the server end");
        assertEquals("conn 1 · caller", open[2]);
        // the exchange on each end names the packets, its query left out
        byte[] request = "GET /cart?session=s3cr3t HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        String thread = Thread.currentThread().getName();
        AppSide.write(client, request);
        assertEquals("conn 1 · " + thread + " · GET /cart?…", w.send(true, Frame.ACK | Frame.PSH, request.length,
                t0 + 5 * MS));
        AppSide.read(server, request);
        assertEquals("conn 2 · " + thread + " · GET /cart?…", w.send(false, Frame.ACK, 0, t0 + 6 * MS));
        assertTrue(cor.status().contains("1 in the table, 2 joined"), cor.status());
    }

    @Test
    void aConnectionRegisteredAfterItsFirstPacketsIsStillJoined() throws Exception {
        Wire w = new Wire("10.0.0.1", 40001, "10.0.0.2", 80);
        for (String comment : w.open(t0)) {
            assertNull(comment, "not registered yet");
        }
        cor.opened(conn(7, "late", "10.0.0.1", 40001, "10.0.0.2", 80, Conn.CLIENT));
        assertEquals("conn 7 · late", w.send(true, Frame.ACK | Frame.PSH, 10, t0 + 100 * MS));

        // a flow seen for a long time before its connection: the tries thin out, but go on
        Wire idle = new Wire("10.0.0.1", 40002, "10.0.0.2", 80);
        idle.open(t0);
        for (int s = 1; s <= 10; s++) {
            assertNull(idle.send(true, Frame.ACK | Frame.PSH, 10, t0 + TimeUnit.SECONDS.toNanos(s)));
        }
        cor.opened(conn(8, "later", "10.0.0.1", 40002, "10.0.0.2", 80, Conn.CLIENT));
        String comment = null;
        for (int s = 11; s <= 30 && comment == null; s++) {
            comment = idle.send(true, Frame.ACK | Frame.PSH, 10, t0 + TimeUnit.SECONDS.toNanos(s));
            assertTrue(comment != null || s < 16, "joined at the latest 5 s after it was registered");
        }
        assertEquals("conn 8 · later", comment);
    }

    /**
     * A request that waited in the accept queue: the app accepted the connection (and so
     * registered it) only after its request had arrived, and read it at once. The flow is joined
     * after its request's packets went by, and the wait is still the app's: APP_READ_LATE, not
     * a silent miss.
     */
    @Test
    void aRequestThatArrivedBeforeTheAcceptIsStillReadLate() throws Exception {
        String status = readAfterALateAccept(null, "10.0.0.1", 51001, "10.0.0.2");
        assertTrue(status.contains("APP_READ_LATE"), status);
        assertTrue(status.contains(" http GET /queued 10.0.0.1:51001 (conn 40) on "), status);
    }

    /** The same when the app calls itself: the flow's client end is joined from its SYN, the server end later. */
    @Test
    void aRequestToItselfThatArrivedBeforeTheAcceptIsStillReadLate() throws Exception {
        Conn client = conn(41, "caller", "127.0.0.1", 51002, "127.0.0.1", 8080, Conn.CLIENT);
        String status = readAfterALateAccept(client, "127.0.0.1", 51002, "127.0.0.1");
        assertTrue(status.contains("APP_READ_LATE"), status);
        assertTrue(status.contains(" http GET /queued 127.0.0.1:51002 (conn 40) on "), status);
    }

    /**
     * A connection the app was using before the capture: its first request seen was read by code
     * not yet instrumented (no exchange began), and the connection registered only with the
     * response. The next request, read at once, is no late read of the first.
     */
    @Test
    void aReadAfterTheNextRequestIsNotTheFirstOnesLateRead() throws Exception {
        long now = cor.epoch(System.nanoTime());
        Wire w = new Wire("10.0.0.1", 51003, "10.0.0.2", 8080);
        w.send(true, Frame.ACK | Frame.PSH, 40, now - 1500 * MS); // mid-stream: a request, read unseen
        Conn server = conn(43, "worker", "10.0.0.2", 8080, "10.0.0.1", 51003, Conn.SERVER);
        cor.opened(server);
        assertNotNull(w.send(false, Frame.ACK | Frame.PSH, 40, now - 1400 * MS), "joined with the response");
        byte[] request = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        w.send(true, Frame.ACK | Frame.PSH, request.length, now - MS);
        AppSide.read(server, request);
        cor.finish();
        String status = cor.status();
        assertFalse(status.contains("APP_READ_LATE"), status);
    }

    /**
     * A connection to port 8080 whose request came 1.5 s before the app accepted it (registered
     * the server end, conn 40) and read it; {@code client}, if not null, the app's own client end,
     * registered from the start. The correlator's status once finished.
     */
    private String readAfterALateAccept(Conn client, String from, int port, String to) throws Exception {
        long p = cor.epoch(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(1500));
        if (client != null) {
            cor.opened(client);
        }
        Wire w = new Wire(from, port, to, 8080);
        w.open(p);
        byte[] request = "GET /queued HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        if (client != null) {
            AppSide.write(client, request);
        }
        assertEquals(client == null, w.send(true, Frame.ACK | Frame.PSH, request.length, p + 3 * MS) == null,
                "joined only if the client end is the app's");
        Conn server = conn(40, "acceptor", to, 8080, from, port, Conn.SERVER);
        cor.opened(server);
        AppSide.read(server, request);
        byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        AppSide.write(server, response);
        long answered = cor.epoch(System.nanoTime());
        assertNotNull(w.send(false, Frame.ACK | Frame.PSH, response.length, answered), "joined by now");
        if (client != null) {
            AppSide.read(client, response);
        }
        w.send(true, Frame.ACK, 0, answered + MS);
        cor.finish();
        return cor.status();
    }

    @Test
    void ipv6() throws Exception {
        Conn c = conn(9, "v6", "::1", 40003, "::1", 8443, Conn.CLIENT);
        Conn d = conn(10, "v6b", "2001:db8::1", 40004, "2001:db8::2", 443, Conn.CLIENT);
        // an IPv4 connection with the same ports is not the v6 flow's
        Conn v4 = conn(11, "v4", "127.0.0.1", 40003, "127.0.0.1", 8443, Conn.CLIENT);
        cor.opened(v4);
        cor.opened(c);
        cor.opened(d);
        Wire w = new Wire("::1", 40003, "::1", 8443);
        for (String comment : w.open(t0)) {
            assertEquals("conn 9 · v6", comment);
        }
        Wire x = new Wire("2001:db8::1", 40004, "2001:db8::2", 443);
        assertEquals("conn 10 · v6b", x.open(t0)[1]);
        assertNull(new Wire("2001:db8::1", 40005, "2001:db8::2", 443).open(t0)[0]);
        assertNull(v4.flow);
    }

    @Test
    void slowCallsGetTheirVerdictWhenTheCaptureEnds() throws Exception {
        Conn c = conn(12, "orders-1", "10.0.0.1", 40010, "10.0.0.2", 80, Conn.CLIENT);
        cor.opened(c);
        Wire w = new Wire("10.0.0.1", 40010, "10.0.0.2", 80);
        long s = System.nanoTime() - TimeUnit.SECONDS.toNanos(2); // the call, on the app's clock
        long p = cor.epoch(s); // and on the packets'
        w.open(p - 3 * MS);
        w.send(true, Frame.ACK | Frame.PSH, 120, p + MS); // the request
        w.send(false, Frame.ACK, 0, p + 2 * MS);
        w.send(false, Frame.ACK | Frame.PSH, 300, p + 400 * MS); // the response, 399 ms later
        w.send(true, Frame.ACK, 0, p + 401 * MS);
        AppCall call = new AppCall(AppCall.HTTP, c, s, s + 402 * MS, (String) null);
        call.thread = "orders-1";
        call.request = "GET /slow?…";
        call.requestSent = s + MS;
        call.firstByte = s + 401 * MS;
        call.lastByte = s + 402 * MS;
        call.status = 200;
        cor.call(call);

        // a connect refused: no connection, its SYN answered by a reset
        Wire refused = new Wire("10.0.0.1", 40011, "10.0.0.2", 81);
        refused.send(true, Frame.SYN, 0, p + 10 * MS);
        refused.send(false, Frame.RST | Frame.ACK, 0, p + 11 * MS);
        AppCall connect = new AppCall(AppCall.CONNECT, null, s + 9 * MS, s + 12 * MS, "java.net.ConnectException: Connection refused");
        connect.thread = "orders-1";
        connect.remoteAddress = "10.0.0.2";
        connect.remotePort = 81;
        cor.call(connect);

        // a read on a connection none of whose packets was captured
        Conn unseen = conn(13, "orders-2", "10.0.0.1", 40012, "10.0.0.9", 80, Conn.CLIENT);
        cor.opened(unseen);
        cor.call(new AppCall(AppCall.READ, unseen, s, s + 300 * MS, (String) null));

        assertEquals(0, cor.explainedCount(), "nothing is explained before its packets settle");
        assertTrue(cor.status().contains("3 waiting for their packets"), cor.status());
        cor.finish();
        String status = cor.status();
        assertEquals(3, cor.explainedCount(), status);
        assertTrue(status.contains("3 explained (CONNECT_REFUSED 1, SERVER_THINK 1, UNKNOWN 1)"), status);
        assertTrue(status.contains("0 waiting"), status);
        assertTrue(status.contains(" http GET /slow?… 10.0.0.2:80 (conn 12) on orders-1: SERVER_THINK 399.0 ms of 402.0 ms"),
                status);
        assertTrue(status.contains(" connect 10.0.0.2:81 on orders-1: CONNECT_REFUSED"), status);
        assertTrue(status.contains(" read 10.0.0.9:80 (conn 13) on "), status);
    }

    /**
     * No capture at all (the app may not capture): every slow call still gets its verdict, soon
     * after it ended, and only one its own timings support.
     */
    @Test
    void withoutPacketsEverySlowCallIsExplainedFromTheAppsTimings() throws Exception {
        Correlator off = new Correlator(TimeUnit.MILLISECONDS.toNanos(200), false);
        Conn served = conn(20, "shop-1", "127.0.0.1", 8080, "127.0.0.1", 40020, Conn.SERVER);
        Conn upstream = conn(21, "shop-1", "127.0.0.1", 40021, "127.0.0.1", 9090, Conn.CLIENT);
        off.opened(served);
        off.opened(upstream);
        long s = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(1200); // ended 0.7 s ago
        AppCall lookup = new AppCall(AppCall.DNS, null, s + MS, s + 301 * MS, (String) null);
        lookup.thread = "shop-1";
        lookup.remoteAddress = "inventory.internal";
        AppCall out = new AppCall(AppCall.HTTP, upstream, s + 302 * MS, s + 402 * MS, (String) null);
        out.thread = "shop-1";
        out.request = "GET /inventory?…";
        out.requestSent = s + 303 * MS;
        out.firstByte = s + 401 * MS;
        out.lastByte = s + 402 * MS;
        out.status = 200;
        AppCall in = new AppCall(AppCall.HTTP, served, s, s + 500 * MS, (String) null);
        in.thread = "shop-1";
        in.incoming = true;
        in.request = "GET /stock?…";
        in.firstByte = s + 450 * MS;
        in.lastByte = s + 500 * MS;
        in.status = 200;
        // with packets, these would wait for them until 3 s after their end
        String status = explainedWithoutPackets(off, lookup, out, in);
        // the request's thread spent most of it in a slow lookup: that is its own timing
        assertTrue(status.contains("3 explained (DNS_SLOW 2, UNKNOWN 1), 0 waiting"), status);
        assertTrue(status.contains(" http GET /inventory?… 127.0.0.1:9090 (conn 21) on shop-1: UNKNOWN 0.0 ms"),
                status);
        assertFalse(status.contains("packets") || status.contains("tcp flows"), status);
        assertTrue(status.contains(" http GET /stock?… 127.0.0.1:40020 (conn 20) on shop-1: DNS_SLOW 300.0 ms"
                + " of 500.0 ms"), status);
    }

    /**
     * A request read on one thread and handled on another takes the verdict of the calls made for
     * it (its context), on whatever thread; not that of a longer call made at the same time for
     * another request.
     */
    @Test
    void aRequestTakesTheVerdictOfTheCallsMadeForItOnOtherThreads() throws Exception {
        Correlator off = new Correlator(TimeUnit.MILLISECONDS.toNanos(200), false);
        Conn served = conn(30, "XNIO-1 I/O-1", "127.0.0.1", 8080, "127.0.0.1", 40030, Conn.SERVER);
        off.opened(served);
        long s = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(1200);
        AppCall mine = new AppCall(AppCall.DNS, null, s + MS, s + 301 * MS, (String) null);
        mine.thread = "worker-1";
        mine.remoteAddress = "inventory.internal";
        mine.context = 7;
        AppCall other = new AppCall(AppCall.DNS, null, s, s + 480 * MS, (String) null);
        other.thread = "worker-2";
        other.remoteAddress = "billing.internal";
        other.context = 8;
        AppCall in = new AppCall(AppCall.HTTP, served, s, s + 500 * MS, (String) null);
        in.thread = "XNIO-1 I/O-1";
        in.incoming = true;
        in.request = "GET /stock";
        in.firstByte = s + 450 * MS;
        in.lastByte = s + 500 * MS;
        in.status = 200;
        in.context = 7;
        String status = explainedWithoutPackets(off, mine, other, in);
        assertTrue(status.contains(" http GET /stock 127.0.0.1:40030 (conn 30) on XNIO-1 I/O-1: DNS_SLOW 300.0 ms"
                + " of 500.0 ms"), status);
    }

    /** Hands the calls to a correlator without packets, lets its thread explain them all (2 s at most); its status. */
    private static String explainedWithoutPackets(Correlator off, AppCall... calls) throws InterruptedException {
        for (AppCall c : calls) {
            off.call(c);
        }
        off.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (off.explainedCount() < calls.length && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String status = off.status();
            assertEquals(calls.length, off.explainedCount(), status);
            return status;
        } finally {
            off.finish();
        }
    }

    /**
     * A storm of failed connects to one peer: the first {@link Correlator#CONNECTS_PER_PEER} of a
     * second are explained, the others counted on the last of them ("N more like it").
     */
    @Test
    void failedConnectsToOnePeerAreSampled() {
        long s = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            AppCall c = new AppCall(AppCall.CONNECT, null, s, s + 1000, "java.net.ConnectException: Connection refused");
            c.thread = "client-1";
            c.remoteAddress = "10.0.0.7";
            c.remotePort = 5432;
            cor.call(c);
        }
        cor.finish();
        String status = cor.status();
        assertEquals(Correlator.CONNECTS_PER_PEER, cor.explainedCount(), status);
        assertTrue(status.contains("90 failed connects not explained one by one"), status);
        assertTrue(status.contains("10.0.0.7:5432 on client-1: ") && status.contains(", 90 more like it"), status);
    }

    /**
     * The calls waiting to be explained are bounded where they are handed over, whether they wait
     * in the queue or, taken from it by the correlator's thread, for their packets.
     */
    @Test
    void callsWaitingForTheirPacketsAreBoundedAtInsertion() throws Exception {
        long later = System.nanoTime() + TimeUnit.HOURS.toNanos(1); // never settled while the test runs
        for (int i = 0; i < Correlator.MAX_QUEUED; i++) {
            cor.call(new AppCall(AppCall.READ, null, later, later, (String) null));
        }
        cor.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cor.queuedCalls() > 0 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(MS); // until its thread took them into its pending calls
        }
        assertEquals(0, cor.queuedCalls(), "the correlator's thread takes the calls");
        for (int i = 0; i < 100; i++) {
            cor.call(new AppCall(AppCall.READ, null, later, later, (String) null));
        }
        assertEquals(100, cor.dropped.sum(), "pending calls count against the bound");
        assertTrue(cor.status().contains(Correlator.MAX_QUEUED + " waiting for their packets, 100 dropped"), cor.status());
        cor.finish();
    }

    /** The connections the app threads hand over wait in a bounded queue, and what it drops is counted. */
    @Test
    void openedConnectionsAreBoundedAndCounted() throws Exception {
        Conn c = conn(1, "main", "10.0.0.1", 40000, "10.0.0.2", 80, Conn.CLIENT);
        for (int i = 0; i < Correlator.MAX_OPENED + 5; i++) {
            cor.opened(c);
        }
        assertEquals(5, cor.openedDropped.sum());
        assertTrue(cor.status().contains("connections not handed to the join (more than " + Correlator.MAX_OPENED
                + " waiting): 5"), cor.status());
    }

    /** The correlator's thread goes on after any Throwable a round throws, counting it. */
    @Test
    void theCorrelatorThreadSurvivesAnError() {
        java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
        cor.round = () -> {
            rounds.incrementAndGet();
            throw new StackOverflowError("injected");
        };
        cor.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (rounds.get() < 3 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(MS);
        }
        assertTrue(rounds.get() >= 3, "rounds after an Error: " + rounds.get());
        String status = cor.status();
        assertTrue(status.contains("correlation errors: ") && status.contains("StackOverflowError: injected"), status);
        cor.finish();
    }

    /**
     * Flows of other processes keep a small evidence ring (16 records, 16 unacked segments a side)
     * until they are joined: 1,000 such flows of 200 turns each take well under 1 MiB of the
     * evidence budget (a ring grown to 256 records each took 7 MiB); a joined flow grows as before.
     */
    @Test
    void unjoinedFlowsKeepSmallEvidence() throws Exception {
        long p = t0;
        for (int f = 0; f < 1000; f++) {
            Wire w = new Wire("10.1.0.1", 20000 + f, "10.1.0.2", 80);
            w.open(p);
            for (int i = 0; i < 200; i++) {
                w.send(i % 2 == 0, Frame.ACK | Frame.PSH, 100, p + (3 + i) * MS);
            }
        }
        String status = cor.status();
        assertTrue(status.contains("evidence: 0.") && status.contains("tcp flows: 1000 in the table, 0 joined"), status);

        Conn mine = conn(1, "main", "10.1.0.3", 40000, "10.1.0.2", 80, Conn.CLIENT);
        cor.opened(mine);
        Wire w = new Wire("10.1.0.3", 40000, "10.1.0.2", 80);
        w.open(p);
        for (int i = 0; i < 1000; i++) {
            w.send(i % 2 == 0, Frame.ACK | Frame.PSH, 100, p + (3 + i) * MS);
        }
        Track t = track(mine);
        assertEquals(1024, t.capacity(), "a joined flow's ring grows to its full size");
        assertTrue(cor.status().contains("1001 in the table, 1 joined"), cor.status());
    }

    /**
     * A flow of the app's that closed lets its records go when it leaves the table: its
     * connection is remembered longer (late joins), and kept every record of it alive with it.
     * One that left idle keeps them: a call may still be waiting on its connection.
     */
    @Test
    void aClosedFlowLetsItsRecordsGoAnIdleOneKeepsThem() throws Exception {
        Conn closing = conn(7, "main", "10.2.0.1", 40000, "10.2.0.2", 80, Conn.CLIENT);
        Conn quiet = conn(8, "main", "10.2.0.1", 40001, "10.2.0.2", 80, Conn.CLIENT);
        cor.opened(closing);
        cor.opened(quiet);
        Wire w = new Wire("10.2.0.1", 40000, "10.2.0.2", 80);
        Wire q = new Wire("10.2.0.1", 40001, "10.2.0.2", 80);
        w.open(t0);
        q.open(t0);
        for (int i = 0; i < 100; i++) {
            w.send(i % 2 == 0, Frame.ACK | Frame.PSH, 100, t0 + (3 + i) * MS);
            q.send(i % 2 == 0, Frame.ACK | Frame.PSH, 100, t0 + (3 + i) * MS);
        }
        w.send(true, Frame.FIN | Frame.ACK, 0, t0 + 200 * MS);
        w.send(false, Frame.FIN | Frame.ACK, 0, t0 + 201 * MS);
        w.send(true, Frame.ACK, 0, t0 + 202 * MS);
        Track closed = track(closing);
        Track idle = track(quiet);
        assertTrue(closed.written > 100 && idle.written > 100 && closed.capacity() >= 128,
                closed.written + " records, capacity " + closed.capacity());

        // another flow's packets move the table's clock past the linger time, then the idle time
        Wire later = new Wire("10.2.0.3", 40002, "10.2.0.2", 80);
        long afterLinger = t0 + TimeUnit.SECONDS.toNanos(20);
        later.open(afterLinger);
        later.send(true, Frame.ACK | Frame.PSH, 100, afterLinger + 5 * MS);
        assertEquals(0, closed.written, "a closed flow that left the table keeps no records");
        assertEquals(1, closed.capacity());
        assertTrue(idle.written > 100, "an open flow keeps its records");

        long afterIdle = t0 + TimeUnit.MINUTES.toNanos(6);
        later.send(true, Frame.ACK | Frame.PSH, 100, afterIdle);
        later.send(true, Frame.ACK | Frame.PSH, 100, afterIdle + TimeUnit.SECONDS.toNanos(3));
        assertTrue(cor.status().contains("1 in the table"), cor.status());
        assertTrue(idle.written > 100 && idle.capacity() >= 128, "a flow that left idle keeps its records");
    }

    /**
     * A new flow that nothing joined asks for a reading of the JVM's sockets while it is still
     * open. One that comes too soon after the last reading for the share of the thread those
     * take gets it as soon as the share allows, not a whole tick later: a native transport's
     * connection of 0.4 s (an upstream call) closed before a tick's reading (PacketsOnlyIT).
     */
    @Test
    void aNewFlowTooSoonAfterAReadingHasTheNextOneAsSoonAsAllowedNotATickLater() throws Exception {
        Wire first = new Wire("10.3.0.1", 40000, "10.3.0.2", 80);
        first.send(true, Frame.SYN, 0, t0);
        synchronized (cor) {
            cor.round.run();
        }
        long read = cor.ownRefreshed();
        assertTrue(read != 0, "the first new flow has the JVM's sockets read");
        assertEquals(TimeUnit.MILLISECONDS.toNanos(250), cor.nextWait(), "nothing waits for a reading: a whole tick");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean gated = false;
        for (int port = 40001; !gated && System.nanoTime() < deadline; port++) {
            new Wire("10.3.0.1", port, "10.3.0.2", 80).send(true, Frame.SYN, 0, t0 + MS);
            synchronized (cor) {
                cor.round.run();
                // this machine may have stalled past the gate since the last reading: then it read again
                gated = cor.ownRefreshed() == read;
                read = cor.ownRefreshed();
            }
            if (gated) {
                long wait = cor.nextWait();
                long gate = cor.readingGate(); // 100 ms, more where a reading costs more than 10 ms
                assertTrue(wait > 0 && wait <= Math.min(gate, TimeUnit.MILLISECONDS.toNanos(250)),
                        "a new flow waits " + wait / 1e6 + " ms for the next reading, allowed " + gate / 1e6 + " ms after the last");
            }
        }
        assertTrue(gated, "no round came soon enough after a reading");
        // it waits the rounds out until the reading comes, then a tick again
        while (cor.ownRefreshed() == read) {
            assertTrue(System.nanoTime() < deadline, "the reading never came");
            java.util.concurrent.locks.LockSupport.parkNanos(cor.nextWait());
            synchronized (cor) {
                cor.round.run();
            }
        }
        assertEquals(TimeUnit.MILLISECONDS.toNanos(250), cor.nextWait(), "after the reading, a whole tick");
    }

    /**
     * A failed connect's SYN is found among the newest 1,024 SYNs the capture saw, whatever came
     * before them: the ring that keeps them wraps over its slots (here three times), and one
     * older than the newest 1,024 is gone.
     */
    @Test
    void aFailedConnectsSynIsFoundAmongTheNewest1024() throws Exception {
        long s = System.nanoTime() - TimeUnit.SECONDS.toNanos(2);
        long p = cor.epoch(s);
        int[] port = {20000};
        long[] at = {p};
        Runnable others = () -> { // one SYN of another flow, 1 µs after the last
            at[0] += 1_000;
            int n = port[0]++;
            try {
                new Wire("10.9." + (n >> 8 & 0xff) + "." + (n & 0xff), 40000 + n % 20000, "10.9.0.1", 80)
                        .send(true, Frame.SYN, 0, at[0]);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        for (int i = 0; i < 1500; i++) {
            others.run();
        }
        AppCall gone = refusedConnect(82, at[0] += 1_000_000, s + (at[0] - p));
        for (int i = 0; i < 1024; i++) {
            others.run();
        }
        AppCall kept = refusedConnect(81, at[0] += 1_000_000, s + (at[0] - p));
        for (int i = 0; i < 1023; i++) {
            others.run();
        }
        cor.call(gone);
        cor.call(kept);
        cor.finish();
        String status = cor.status();
        assertTrue(status.contains(" connect 10.0.0.2:81 on orders-1: CONNECT_REFUSED"), status);
        assertFalse(status.contains(" connect 10.0.0.2:82 on orders-1: CONNECT_REFUSED"),
                "a SYN older than the newest 1,024 was still found:\n" + status);
    }

    /** A connect to 10.0.0.2:{@code port} whose SYN (at {@code p} on the packets' clock) a reset answered; its call from {@code s}. */
    private AppCall refusedConnect(int port, long p, long s) throws Exception {
        Wire w = new Wire("10.0.0.1", 30000 + port, "10.0.0.2", port);
        w.send(true, Frame.SYN, 0, p);
        w.send(false, Frame.RST | Frame.ACK, 0, p + 100_000);
        AppCall connect = new AppCall(AppCall.CONNECT, null, s - 100_000, s + 200_000,
                "java.net.ConnectException: Connection refused");
        connect.thread = "orders-1";
        connect.remoteAddress = "10.0.0.2";
        connect.remotePort = port;
        return connect;
    }
}
