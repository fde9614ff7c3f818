package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server and client whose sockets the agent does not instrument (Netty 4.2's io_uring transport, whose I/O
 * is submitted to the kernel in a ring, not made in socket calls): its slow exchange must still get
 * the packets' verdict, live, marked "seen in packets only", in status,
 * the recording and the report; a slow exchange of another process in the same capture must not.
 */
class PacketsOnlyIT {
    @TempDir
    static Path tmp;

    @Test
    void nettyIoUringServerSlowExchangeIsNotMissed() throws Exception {
        HttpServer other = NettyNativeIT.slowServer("/other", 500); // this test JVM's, not the target's
        HttpServer upstream = NettyNativeIT.slowServer("/upstream", 400); // the target's client calls it
        int upstreamPort = upstream.getAddress().getPort();
        ServerSocketChannel full = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 1);
        int fullPort = ((InetSocketAddress) full.getLocalAddress()).getPort();
        List<SocketChannel> fillers = new ArrayList<>();
        int closedPort; // a port nothing listens on
        try (ServerSocketChannel gone = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            closedPort = ((InetSocketAddress) gone.getLocalAddress()).getPort();
        }
        for (int i = 0; i < 3; i++) { // never accepted: the queue is full, and later SYNs go unanswered
            SocketChannel f = SocketChannel.open();
            f.configureBlocking(false);
            f.connect(full.getLocalAddress());
            fillers.add(f);
        }
        try (Harness.App app = new Harness.App(List.of(Harness.currentJava(), "-cp", NettyNativeIT.classPath("4.2"),
                NettyApp.class.getName(), "io_uring", String.valueOf(upstreamPort)))) {
            assertTrue(app.ready.contains("transport=io_uring"), app.ready);
            int otherPort = other.getAddress().getPort();
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                    "tcp port " + app.port + " or tcp port " + otherPort + " or tcp port " + upstreamPort + " or tcp port "
                    + fullPort + " or tcp port " + closedPort);
            collect.awaitOutput("collecting from " + app.pid());
            assertTrue(Harness.get(otherPort, "/other")[1].startsWith("HTTP/1.1 200"));
            String[] slow = Harness.get(app.port, "/slow?secret=x");
            assertTrue(slow[1].startsWith("HTTP/1.1 200"), slow[1]);
            // client connections of the target's that live 0.4 s each, one right after the other: the
            // second opens and closes between two once-a-second readings of the JVM's sockets, and is
            // found by the reading its first packets ask for
            for (int i = 0; i < 2; i++) {
                String[] proxied = Harness.get(app.port, "/proxy");
                assertTrue(proxied[1].contains("upstream said ok"), proxied[1]);
            }
            // a connect that gets no answer: the listener's queue is full (this test JVM's own
            // connects fill it, and stay unanswered too), and the app gives up after 1.5 s
            String[] failed = Harness.get(app.port, "/proxy?port=" + fullPort + "&timeout=1500");
            assertTrue(failed[1].contains("upstream failed"), failed[1]);
            // a connect refused: its socket is gone before any reading could show it as the JVM's;
            // the ring's report of the failure is instrumented
            String[] refused = Harness.get(app.port, "/proxy?port=" + closedPort);
            assertTrue(refused[1].contains("upstream failed"), refused[1]);
            String status = Harness.awaitStatus(app.pid(), "8 explained (CONNECT_REFUSED 1, CONNECT_TIMEOUT 1, SERVER_THINK 6)");
            assertFalse(status.contains("secret"), status);
            assertFalse(status.contains(":" + otherPort + ":"), "another process's exchange got a verdict:\n" + status);
            assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(collect.process.pid())).start().waitFor());
            String out = collect.finish(0);
            Path bundle = Paths.get(out.strip().lines().reduce((a, b) -> b).orElseThrow());
            Path files = tmp.resolve("unpacked");
            CollectIT.unzip(bundle, files);

            List<RecordedEvent> calls = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(files.resolve("recording.jfr"))) {
                if (e.getEventType().getName().equals("wiretrace.SlowCall")) {
                    calls.add(e);
                }
            }
            String seen = calls.stream().map(RecordedEvent::toString).collect(Collectors.joining("\n"));
            assertEquals(8, calls.size(), "eight slow or failed calls, the target's:\n" + seen);
            List<RecordedEvent> connects = calls.stream().filter(c -> c.getString("call").equals("connect"))
                    .collect(Collectors.toList());
            assertEquals(2, connects.size(), "the target's connects, each once, not this JVM's:\n" + seen);
            RecordedEvent timeout = connects.stream().filter(c -> c.getInt("remotePort") == fullPort).findFirst().orElseThrow();
            assertEquals("CONNECT_TIMEOUT", timeout.getString("verdict"), seen);
            RecordedEvent refusal = connects.stream().filter(c -> c.getInt("remotePort") == closedPort).findFirst().orElseThrow();
            assertEquals("CONNECT_REFUSED", refusal.getString("verdict"), seen);
            assertFalse(refusal.getBoolean("packetsOnly"), seen);
            assertTrue(refusal.getString("failure").contains("ECONNREFUSED"), seen);
            List<RecordedEvent> exchanges = calls.stream().filter(c -> !c.getString("call").equals("connect"))
                    .collect(Collectors.toList());
            assertTrue(exchanges.stream().allMatch(c -> c.getBoolean("packetsOnly") && c.getString("verdict").equals("SERVER_THINK")),
                    seen);
            // the query is never recorded
            RecordedEvent e = calls.stream().filter(c -> "GET /slow?…".equals(c.getString("request"))).findFirst().orElseThrow();
            assertEquals(app.port, e.getInt("localPort"), seen);
            assertTrue(e.getLong("callDuration") >= 500_000_000L, seen);
            List<RecordedEvent> client = calls.stream().filter(c -> "GET /upstream".equals(c.getString("request")))
                    .collect(Collectors.toList());
            assertEquals(2, client.size(), "a client connection's call is missed:\n" + seen);
            assertTrue(client.stream().allMatch(c -> c.getInt("remotePort") == upstreamPort), "the target is the client:\n" + seen);
            assertEquals(2, calls.stream().filter(c -> "GET /proxy".equals(c.getString("request"))).count(), seen);

            Map<String, Object> report = CollectIT.json(files.resolve("report.json"));
            List<Object> slowCalls = CollectIT.list(report, "slowCalls");
            assertEquals(8, slowCalls.size(), slowCalls.toString());
            for (Object o : slowCalls) {
                Map<?, ?> call = (Map<?, ?>) o;
                if (call.get("verdict").equals("SERVER_THINK")) {
                    assertEquals(Boolean.TRUE, call.get("seenInPacketsOnly"), call.toString());
                    assertTrue(((String) call.get("evidence")).startsWith("seen in packets only"), call.toString());
                }
            }
            String html = Files.readString(files.resolve("report.html"));
            assertTrue(html.contains("seen in packets only"), "report.html does not mark it");
            assertFalse(html.contains("No slow or failed call"), "report.html says no slow call");
        } finally {
            other.stop(0);
            upstream.stop(0);
            for (SocketChannel f : fillers) {
                f.close();
            }
            full.close();
        }
    }
}
