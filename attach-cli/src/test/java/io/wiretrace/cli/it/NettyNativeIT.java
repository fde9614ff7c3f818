package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Netty's native epoll transport, 4.1 and 4.2 from Maven Central, on JDK 17 and 25: a server that accepts and a
 * client that connects through JNI, not the JDK's sockets, give the same connections, HTTP
 * exchanges, packet comments and verdicts as the JDK's sockets do, none of them "seen in packets
 * only". The app (NettyApp) answers {@code /proxy} after asking a slow upstream (this test JVM,
 * 400 ms) through a Netty client on the same event loop.
 */
class NettyNativeIT {
    @TempDir
    Path tmp;

    /**
     * {@code attach}: Netty is loaded and running when the capture starts (its classes are
     * retransformed); {@code launch}: the agent starts with the JVM (-javaagent) and Netty's
     * classes are instrumented as they load.
     */
    @ParameterizedTest(name = "Netty {0} on JDK {1}, {2}")
    @CsvSource({"4.1, 17, attach", "4.2, 17, attach", "4.2, 25, attach", "4.1, 17, launch"})
    void epollServerAndClientAreFollowedLikeJdkSockets(String netty, int jdk, String when) throws Exception {
        HttpServer upstream = slowServer("/upstream", 400);
        int upstreamPort = upstream.getAddress().getPort();
        String java = jdk == 25 ? Harness.java(System.getProperty("wiretrace.jdk25")) : Harness.currentJava();
        Path out = tmp.resolve("out");
        List<String> command = new ArrayList<>(List.of(java));
        if (when.equals("launch")) {
            command.add("-javaagent:" + Harness.AGENT_JAR + "=start,i=lo,w=" + out + ",slow=200ms,jfr-threshold=0ms,filter=tcp");
        }
        command.addAll(List.of("-cp", classPath(netty), NettyApp.class.getName(), "epoll", String.valueOf(upstreamPort)));
        try (Harness.App app = new Harness.App(command)) {
            assertTrue(app.ready.contains(" netty=" + netty + "."), app.ready);
            String pid = app.pid();
            if (when.equals("attach")) {
                cli("start", pid, "-i", "lo", "-w", out.toString(), "--slow", "200ms", "--jfr-threshold", "0ms",
                        "tcp port " + app.port + " or tcp port " + upstreamPort);
            }
            String[] reply = Harness.get(app.port, "/proxy?secret=x");
            assertTrue(reply[1].startsWith("HTTP/1.1 200"), reply[1]);
            assertTrue(reply[1].contains("upstream said ok"), reply[1]);
            String status = Harness.awaitStatus(pid, "GET /upstream");
            assertFalse(status.contains("(seen in packets only)"), status);
            cli("stop", pid);

            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            String seen = events.stream().filter(e -> e.getEventType().getName().startsWith("wiretrace.")
                    && !e.getEventType().getName().equals("wiretrace.CaptureStatistics"))
                    .map(RecordedEvent::toString).collect(Collectors.joining("\n"));
            assertFalse(seen.contains("secret"), "a query reached the recording:\n" + seen);

            RecordedEvent accept = one(events, "wiretrace.SocketAccept", e -> e.getInt("localPort") == app.port, seen);
            RecordedEvent connect = one(events, "wiretrace.SocketConnect", e -> e.getInt("remotePort") == upstreamPort, seen);
            assertTrue(named(events, "wiretrace.SocketRead", e -> e.getLong("connectionId") == accept.getLong("connectionId"))
                    .size() >= 1, "no read of the accepted connection:\n" + seen);
            assertTrue(named(events, "wiretrace.SocketClose", e -> e.getLong("connectionId") == connect.getLong("connectionId"))
                    .size() == 1, "the upstream connection's close:\n" + seen);

            RecordedEvent in = one(events, "wiretrace.HttpExchange", e -> e.getString("direction").equals("incoming"), seen);
            assertEquals("GET", in.getString("method"), seen);
            assertEquals("/proxy?…", in.getString("path"), seen);
            assertEquals(200, in.getInt("status"), seen);
            assertEquals(accept.getLong("connectionId"), in.getLong("connectionId"), seen);
            assertEquals(Integer.parseInt(reply[0]), in.getInt("remotePort"), "the client's port:\n" + seen);
            RecordedEvent outgoing = one(events, "wiretrace.HttpExchange", e -> e.getString("direction").equals("outgoing"), seen);
            assertEquals("/upstream", outgoing.getString("path"), seen);
            assertEquals(200, outgoing.getInt("status"), seen);
            assertEquals(connect.getLong("connectionId"), outgoing.getLong("connectionId"), seen);
            // the upstream's 400 ms, less the moments between the request leaving and its write returning
            assertTrue(outgoing.getLong("firstByte") - outgoing.getLong("requestSent") >= 300_000_000L, seen);

            RecordedEvent upstreamCall = one(events, "wiretrace.SlowCall",
                    e -> "GET /upstream".equals(e.getString("request")), seen);
            assertEquals("SERVER_THINK", upstreamCall.getString("verdict"), seen);
            assertFalse(upstreamCall.getBoolean("packetsOnly"), seen);
            assertEquals(connect.getLong("connectionId"), upstreamCall.getLong("connectionId"), seen);
            // the request's own call, not its wait to be read (see Accuracy.ownCall)
            RecordedEvent proxyCall = one(events, "wiretrace.SlowCall", e -> "GET /proxy?…".equals(e.getString("request"))
                    && Accuracy.ownCall(e), seen);
            assertFalse(proxyCall.getBoolean("packetsOnly"), seen);
            // the event loop that read the request made the upstream call: its verdict, with the call named
            assertEquals("SERVER_THINK", proxyCall.getString("verdict"), seen);
            assertTrue(proxyCall.getString("evidence").contains("GET /upstream"), seen);

            // The packets of the incoming connection name it and the request from the first the
            // capture read after the app began reading it. A handshake and a request that came in
            // before the accept go out unnamed, and those read between the accept and the app's
            // read name the connection and its thread only, as with the JDK's sockets; never
            // anything else (the protocol without its request was a race, now closed).
            // (a verdict's own comment, as on the request of a late read, is left out: tshark joins a
            // packet's comments with commas)
            List<String> comments = Evidence.tshark("-n", "-r", out.resolve("trace.pcapng").toString(), "-Y",
                    "tcp.port == " + in.getInt("remotePort"), "-T", "fields", "-e", "frame.comment").lines()
                    .map(c -> Arrays.stream(c.split(",")).filter(x -> !x.startsWith("verdict "))
                            .collect(Collectors.joining(",")))
                    .toList();
            String accepted = "conn " + in.getLong("connectionId") + " · [^·]+"; // and a thread's name
            List<String> named = comments.stream().dropWhile(c -> c.isEmpty() || c.matches(accepted)).toList();
            assertFalse(named.isEmpty(), "no packet names the incoming connection:\n" + String.join("\n", comments));
            assertTrue(named.stream().allMatch(c -> c.startsWith("conn " + in.getLong("connectionId") + " · ")
                    && c.contains("GET /proxy?…")), String.join("\n", comments));
            Harness.assertServes(app.port);
        } finally {
            upstream.stop(0);
        }
    }

    /** An HTTP server of this test JVM on 127.0.0.1 that answers {@code path} with "ok" after {@code ms}. */
    static HttpServer slowServer(String path, int ms) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(path, x -> {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x.sendResponseHeaders(200, 3);
            x.getResponseBody().write("ok\n".getBytes());
            x.close();
        });
        server.start();
        return server;
    }

    private static void cli(String... args) throws Exception {
        Harness.Result r = Harness.cli(args);
        assertEquals(0, r.code, "wiretrace " + String.join(" ", args) + ": " + r);
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String type,
            java.util.function.Predicate<RecordedEvent> p) {
        return events.stream().filter(e -> e.getEventType().getName().equals(type)).filter(p).collect(Collectors.toList());
    }

    private static RecordedEvent one(List<RecordedEvent> events, String type, java.util.function.Predicate<RecordedEvent> p,
            String seen) {
        List<RecordedEvent> found = named(events, type, p);
        assertEquals(1, found.size(), type + ", one expected:\n" + seen);
        return found.get(0);
    }

    /**
     * The test classes and one Netty: 4.1, the test class path's; 4.2, the jars the build put in
     * wiretrace.netty42. With the agent's classes on it too, the agent would fail to load.
     */
    static String classPath(String netty) throws Exception {
        List<String> cp = new ArrayList<>();
        cp.add(Paths.get(NettyApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        if (netty.equals("4.2")) {
            try (Stream<Path> jars = Files.list(Paths.get(System.getProperty("wiretrace.netty42")))) {
                jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> cp.add(p.toString()));
            } catch (IOException e) {
                throw new AssertionError("Netty 4.2's jars are not where the build puts them", e);
            }
            return String.join(":", cp);
        }
        for (URL u : Collections.list(ClassLoader.getSystemClassLoader().getResources("META-INF/MANIFEST.MF"))) {
            String s = u.toString();
            if (s.startsWith("jar:file:") && s.contains("/io/netty/")) {
                cp.add(Paths.get(new URL(s.substring(4, s.indexOf("!/"))).toURI()).toString());
            }
        }
        return String.join(":", cp);
    }
}
