package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/2 streams as exchanges both ways, in real servers and clients: samples/field's H2App, with
 * Undertow's h2 servers over TLS (ALPN) and in the clear (h2c), called through the JDK HttpClient
 * and OkHttp. Connections are opened once the capture runs (a first, fast call), so their header
 * tables are read from their start; the slow call is a later stream.
 */
class H2IT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(strings = {"17", "25"})
    void streamsOverTlsBothWays(String jdk) throws Exception {
        Run run = run(jdk, List.of("/call/fast", "/call/slow", "/post/upload"), 6);
        List<RecordedEvent> events = run.events;
        String seen = run.seen;
        int h2Port = run.h2;
        for (String direction : List.of("outgoing", "incoming")) {
            for (String path : List.of("/fast", "/slow")) {
                List<RecordedEvent> x = exchanges(events, direction, path, h2Port);
                assertEquals(1, x.size(), direction + " " + path + ":\n" + seen);
                assertEquals(200, x.get(0).getInt("status"), seen);
                assertTrue(x.get(0).getInt("streamId") > 0, seen);
            }
        }
        RecordedEvent out = slowCall(events, "GET /slow", "outgoing", h2Port, seen);
        assertEquals("SERVER_THINK", out.getString("verdict"), seen);
        assertTrue(out.getString("evidence").contains("the server sent nothing at all for"), seen);
        RecordedEvent served = slowCall(events, "GET /slow", "incoming", h2Port, seen);
        assertEquals("UNKNOWN", served.getString("verdict"), seen);
        assertTrue(served.getString("evidence").contains("began its response"), seen);
        RecordedEvent front = slowCall(events, "GET /call/slow", "incoming", run.port, seen);
        assertEquals("SERVER_THINK", front.getString("verdict"), seen);
        assertTrue(front.getString("evidence").contains("http call GET /slow to 127.0.0.1:" + h2Port), seen);

        // a body that waited for the server to read it: the client for the server's window, the server for its own
        RecordedEvent upload = slowCall(events, "POST /upload", "outgoing", h2Port, seen);
        assertEquals("RECEIVER_STALLED", upload.getString("verdict"), seen);
        assertTrue(upload.getString("evidence").contains("for the server's HTTP/2 flow-control window"), seen);
        RecordedEvent unread = slowCall(events, "POST /upload", "incoming", h2Port, seen);
        assertEquals("RECEIVER_STALLED", unread.getString("verdict"), seen);
        assertTrue(unread.getString("evidence").contains("for the app's own HTTP/2 flow-control window: the app did not read"),
                seen);

        Map<String, Object> report = CollectIT.json(run.files.resolve("report.json"));
        assertTrue(CollectIT.list(report, "slowCalls").stream()
                .anyMatch(c -> "GET /slow".equals(((Map<?, ?>) c).get("request"))), report.toString());
        String comments = Evidence.tshark("-r", run.files.resolve("trace.pcapng").toString(), "-Y", "frame.comment",
                "-T", "fields", "-e", "frame.comment");
        assertTrue(comments.contains("GET /slow (h2 stream"), comments);
    }

    /**
     * h2c: OkHttp by prior knowledge (its second stream is the slow one), and the JDK HttpClient
     * by an HTTP/1.1 upgrade, whose request is stream 1 of its new connection. Undertow answers the
     * upgrade with its 101 at once, so the server was not silent after that request: its verdict
     * is UNKNOWN, and says why. And h2 through an SSLSocket: OkHttp over TLS.
     */
    @Test
    void inTheClearByPriorKnowledgeAndByUpgradeAndThroughAnSslSocket() throws Exception {
        Run run = run("17", List.of("/prior/fast", "/prior/slow", "/upgrade/slow", "/okhttps/fast", "/okhttps/slow",
                "/early/fast"), 7);
        List<RecordedEvent> events = run.events;
        String seen = run.seen;
        int h2c = run.h2c;
        List<RecordedEvent> out = exchanges(events, "outgoing", "/slow", h2c);
        assertEquals(2, out.size(), seen);
        assertTrue(out.stream().allMatch(e -> e.getInt("status") == 200 && e.getInt("streamId") > 0), seen);
        assertTrue(out.stream().anyMatch(e -> e.getInt("streamId") == 1), "the upgrade's request is stream 1:\n" + seen);
        assertEquals(2, exchanges(events, "incoming", "/slow", h2c).size(), seen);
        assertEquals(1, exchanges(events, "incoming", "/fast", h2c).size(), "the early connection's stream is not read:\n" + seen);
        assertEquals(1, exchanges(events, "outgoing", "/fast", h2c).size(), seen);
        // the connection opened before the capture: marked at both ends, not read
        List<RecordedEvent> unread = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.TcpConnection"))
                .filter(e -> "h2 (not read: opened before the capture)".equals(e.getString("application")))
                .collect(Collectors.toList());
        assertEquals(2, unread.size(), events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.TcpConnection"))
                .map(RecordedEvent::toString).collect(Collectors.joining("\n")));

        List<RecordedEvent> slow = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                .filter(e -> "GET /slow".equals(e.getString("request")) && e.getInt("remotePort") == h2c)
                .collect(Collectors.toList());
        assertEquals(2, slow.size(), seen);
        assertEquals(List.of("SERVER_THINK", "UNKNOWN"), slow.stream().map(e -> e.getString("verdict")).sorted()
                .collect(Collectors.toList()), seen);
        assertTrue(slow.stream().anyMatch(e -> e.getString("evidence").contains("may be another stream's")), seen);

        for (String path : List.of("/fast", "/slow")) {
            List<RecordedEvent> tls = exchanges(events, "outgoing", path, run.h2);
            assertEquals(1, tls.size(), "OkHttp over TLS " + path + ":\n" + seen);
            assertTrue(tls.get(0).getInt("streamId") > 0 && tls.get(0).getInt("status") == 200, seen);
        }
        assertEquals("SERVER_THINK", slowCall(events, "GET /slow", "outgoing", run.h2, seen).getString("verdict"), seen);
    }

    /** What one run of H2App under collect left: its ports, the bundle's files and recording. */
    private static final class Run {
        int port;
        int h2;
        int h2c;
        Path files;
        List<RecordedEvent> events;
        String seen;
    }

    /** Runs H2App on this JDK under collect, asks for the paths in turn, waits for that many slow calls explained. */
    private Run run(String jdk, List<String> paths, int slowCalls) throws Exception {
        Path keystore = Harness.keystore(tmp);
        String java = jdk.equals("25") ? Harness.java(System.getProperty("wiretrace.jdk25")) : Harness.currentJava();
        try (Harness.App app = new Harness.App(List.of(java, "-cp", HandOffIT.classPath(), "io.wiretrace.field.H2App",
                keystore.toString(), "changeit"))) {
            Run run = new Run();
            run.port = app.port;
            run.h2 = Integer.parseInt(app.ready.replaceAll(".* h2=(\\d+).*", "$1"));
            run.h2c = Integer.parseInt(app.ready.replaceAll(".* h2c=(\\d+).*", "$1"));
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                    "tcp port " + app.port + " or tcp port " + run.h2 + " or tcp port " + run.h2c);
            collect.awaitOutput("collecting from " + app.pid());
            for (String path : paths) {
                String[] reply = Harness.get(app.port, path);
                assertTrue(reply[1].startsWith("HTTP/1.1 200") && reply[1].contains("said HTTP/2.0"), reply[1]);
            }
            Harness.awaitExplained(app.pid(), slowCalls);
            run.files = CollectIT.interruptAndUnpack(collect, tmp.resolve("unpacked"));
            run.events = Evidence.events(run.files.resolve("recording.jfr"));
            run.seen = run.events.stream().filter(e -> e.getEventType().getName().matches("wiretrace.(HttpExchange|SlowCall)"))
                    .map(RecordedEvent::toString).collect(Collectors.joining("\n"));
            return run;
        }
    }

    private static List<RecordedEvent> exchanges(List<RecordedEvent> events, String direction, String path, int port) {
        return events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                .filter(e -> direction.equals(e.getString("direction")) && path.equals(e.getString("path")))
                .filter(e -> (direction.equals("outgoing") ? e.getInt("remotePort") : e.getInt("localPort")) == port)
                .collect(Collectors.toList());
    }

    /** The one slow call of the request made (outgoing: to {@code port}) or served (incoming: on {@code port}) by the app. */
    private static RecordedEvent slowCall(List<RecordedEvent> events, String request, String direction, int port, String seen) {
        List<RecordedEvent> found = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                .filter(e -> request.equals(e.getString("request")))
                .filter(e -> (direction.equals("outgoing") ? e.getInt("remotePort") : e.getInt("localPort")) == port)
                .collect(Collectors.toList());
        assertEquals(1, found.size(), "one slow call " + direction + " " + request + " expected:\n" + seen);
        return found.get(0);
    }
}
