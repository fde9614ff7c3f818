package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.bootstrap.Dispatcher;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.lang.ref.WeakReference;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the hooks do with the sockets the advice hands them, without a JVM to attach to. */
class TracerTest {
    @Test
    void oneAddressLookupPerConnectionNotPerCall() throws Exception {
        Tracer t = new Tracer(null);
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            t.exit(Dispatcher.ACCEPT, server, 1, 0, null, accepted);
            for (int i = 0; i < 100; i++) {
                t.io(Dispatcher.READ, accepted, t.enter(Dispatcher.READ, accepted), 10, null, null, 0);
                t.io(Dispatcher.WRITE, client, t.enter(Dispatcher.WRITE, client), 10, null, null, 0);
            }
            assertEquals(2, t.lookups.sum(), "address look-ups");
            assertEquals(200, t.reads.sum() + t.writes.sum());
            assertEquals(2, t.open());
            t.enter(Dispatcher.CLOSE, accepted);
            t.enter(Dispatcher.CLOSE, client);
            assertEquals(0, t.open());
            assertEquals(2, t.closes.sum());
            assertEquals(0, t.errors.sum());
        }
    }

    /**
     * A channel opened before start and idle since is first seen at its close, when its addresses
     * are gone already (the channel is marked closed before implCloseSelectableChannel, where the
     * advice runs): a normal close, not an agent error.
     */
    @Test
    void aChannelOpenedBeforeStartClosesWithoutAnError() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            Tracer t = new Tracer(null); // started after the channels were opened
            client.close();
            assertEquals(0L, t.enter(Dispatcher.CLOSE, client));
            assertEquals(0, t.errors.sum(), "agent errors: " + t.firstError.get());
            t.enter(Dispatcher.CLOSE, accepted); // still open: its close is counted
            assertEquals(1, t.closes.sum());
            assertEquals(0, t.errors.sum(), "agent errors: " + t.firstError.get());
        }
    }

    @Test
    void aServedStreamsWriteThatBlockedIsACallOfItsOwnNamedByTheStream() throws Exception {
        HttpExchangeEndsTest.Calls calls = new HttpExchangeEndsTest.Calls(200_000_000L);
        HttpExchanges.sink = calls;
        Tracer t = new Tracer(calls);
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            t.exit(Dispatcher.ACCEPT, server, 1, 0, null, accepted);
            byte[] request = HttpExchangeEndsTest.ascii("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
            t.io(Dispatcher.READ, accepted, t.enter(Dispatcher.READ, accepted), request.length, null, request, 0);
            byte[] slowWrite = HttpExchangeEndsTest.ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 2; i++) {
                long start = t.enterWrite(Dispatcher.WRITE, accepted, slowWrite, 0, slowWrite.length);
                t.io(Dispatcher.WRITE, accepted, start - 300_000_000L, slowWrite.length, null, slowWrite, 0);
                slowWrite = HttpExchangeEndsTest.ascii("9\r\ndata: 1\n\n\r\n");
            }
            // the headers' too: they were offered, so the stream's first byte was, before the write blocked
            assertEquals(2, calls.list.size(), "each write that blocked is a call of its own");
            for (AppCall w : calls.list) {
                assertEquals(AppCall.WRITE, w.kind);
                assertEquals("GET /events", w.request);
            }
            t.enter(Dispatcher.CLOSE, accepted);
            assertEquals(2, calls.list.size(), "the stream itself, whose first byte came at once, is not slow");
            assertEquals(0, t.errors.sum());
        } finally {
            HttpExchanges.sink = null;
        }
    }

    @Test
    void unixDomainChannelsAreLeftAloneAfterOneLook(@TempDir Path tmp) throws Exception {
        // JDK 16+; the tests are built for 11 like the agent, hence reflection.
        Assumptions.assumeTrue(Runtime.version().feature() >= 16, "no UNIX domain channels before JDK 16");
        ProtocolFamily unix = StandardProtocolFamily.valueOf("UNIX");
        SocketAddress path = (SocketAddress) Class.forName("java.net.UnixDomainSocketAddress")
                .getMethod("of", Path.class).invoke(null, tmp.resolve("s"));
        Tracer t = new Tracer(null);
        try (ServerSocketChannel server = ((ServerSocketChannel) ServerSocketChannel.class
                        .getMethod("open", ProtocolFamily.class).invoke(null, unix)).bind(path);
                SocketChannel client = (SocketChannel) SocketChannel.class
                        .getMethod("open", ProtocolFamily.class).invoke(null, unix)) {
            client.connect(path);
            for (int i = 0; i < 100; i++) {
                t.io(Dispatcher.READ, client, t.enter(Dispatcher.READ, client), 10, null, null, 0);
            }
            assertEquals(1, t.lookups.sum(), "address look-ups");
            assertEquals(0, t.reads.sum());
            t.enter(Dispatcher.CLOSE, client);
            assertEquals(0, t.closes.sum());
            assertEquals(0, t.errors.sum());
        }
    }

    /**
     * A connection whose socket the app dropped without closing it (its Cleaner closes the file
     * descriptor, unseen by the advice) leaves the registry once the GC collected the socket, and
     * ends as a close would: the tracer kept neither the socket alive nor the connection.
     */
    @Test
    void aConnectionWhoseSocketTheGcCollectedEndsAsAClose() throws Exception {
        HttpExchangeEndsTest.Calls calls = new HttpExchangeEndsTest.Calls(200_000_000L);
        Tracer t = new Tracer(calls);
        WeakReference<Object> dropped = openAndDrop(t);
        assertEquals(2, t.open());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.dropped.sum() < 2 && System.nanoTime() < end) {
            System.gc();
            t.expunge();
        }
        assertNull(dropped.get(), "the tracer kept the socket alive");
        assertEquals(2, t.dropped.sum(), "connections ended as dropped");
        assertEquals(0, t.open());
        assertEquals(0, t.closes.sum(), "the app closed none");
        assertEquals(2, calls.opened.size());
        for (Conn c : calls.opened) {
            assertTrue(c.closedNanos != 0, c + " not ended");
        }
        t.expunge();
        assertEquals(2, t.dropped.sum(), "each ends once");
        assertEquals(0, t.errors.sum());
    }

    /** Opens a connection that the tracer sees used from both ends, then closes its channels unseen and drops them. */
    private static WeakReference<Object> openAndDrop(Tracer t) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            t.exit(Dispatcher.ACCEPT, server, 1, 0, null, accepted);
            t.io(Dispatcher.WRITE, client, t.enter(Dispatcher.WRITE, client), 10, null, null, 0);
            t.io(Dispatcher.READ, accepted, t.enter(Dispatcher.READ, accepted), 10, null, null, 0);
            client.close(); // as the Cleaner would: no advice sees it
            accepted.close();
            return new WeakReference<>(client);
        }
    }

    /**
     * Fast reads skip their event's end and checks only while no recording could keep them: a read
     * as slow as the threshold is recorded, and once another recording asks for every read (its
     * start makes the tracer check every call until it looks again), so are the fast ones, in both.
     */
    @Test
    void fastCallsSkipTheirEventOnlyWhileNoRecordingCouldKeepIt(@TempDir Path tmp) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept();
                jdk.jfr.Recording ours = new jdk.jfr.Recording()) {
            ours.enable("wiretrace.SocketRead").withThreshold(java.time.Duration.ofMillis(10));
            ours.enable("wiretrace.SocketWrite").withThreshold(java.time.Duration.ofMillis(10));
            ours.start();
            Tracer t = new Tracer(null);
            t.readThresholds();
            assertEquals(5_000_000L, t.skipEventBelow(), "half of the lowest threshold");
            t.exit(Dispatcher.ACCEPT, server, 1, 0, null, accepted);
            for (int i = 0; i < 100; i++) {
                t.io(Dispatcher.READ, accepted, t.enter(Dispatcher.READ, accepted), 10, null, null, 0);
            }
            long token = t.enter(Dispatcher.READ, accepted);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(15);
            while (System.nanoTime() - until < 0) { // a read that takes 15 ms
                java.util.concurrent.locks.LockSupport.parkNanos(until - System.nanoTime());
            }
            t.io(Dispatcher.READ, accepted, token, 77, null, null, 0);

            try (jdk.jfr.Recording every = new jdk.jfr.Recording()) {
                every.enable(io.wiretrace.agent.events.SocketReadEvent.class).withThreshold(java.time.Duration.ZERO);
                t.recordingsChanged(); // what the session's listener does at its start
                assertEquals(0L, t.skipEventBelow());
                every.start();
                t.readThresholds();
                assertEquals(0L, t.skipEventBelow(), "another recording asks for every read");
                for (int i = 0; i < 100; i++) {
                    t.io(Dispatcher.READ, accepted, t.enter(Dispatcher.READ, accepted), 33, null, null, 0);
                }
                every.stop();
            }
            t.readThresholds();
            assertEquals(5_000_000L, t.skipEventBelow(), "that recording stopped");
            ours.stop();
            Path file = tmp.resolve("ours.jfr");
            ours.dump(file);
            int slow = 0;
            int fastWhileEvery = 0;
            for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
                if (e.getEventType().getName().equals("wiretrace.SocketRead")) {
                    long bytes = e.getLong("bytesRead");
                    slow += bytes == 77 ? 1 : 0;
                    fastWhileEvery += bytes == 33 ? 1 : 0;
                }
            }
            assertEquals(1, slow, "the slow read");
            assertEquals(100, fastWhileEvery, "JFR applies the lowest threshold to every recording");
            assertEquals(0, t.errors.sum());
        }
    }
}
