package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/2 streams as exchanges both ways, in a real server and client: samples/field's H2App, an
 * Undertow h2 server over TLS (ALPN) called through the JDK HttpClient on one kept connection. The
 * connection is opened once the capture runs (the first, fast call), so its header tables are
 * read from their start; the slow call is its second stream.
 */
class H2IT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(strings = {"17", "25"})
    void streamsOverTlsBothWays(String jdk) throws Exception {
        Path keystore = tmp.resolve("h2.p12");
        Process keytool = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "h2", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-ext",
                "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String made = new String(keytool.getInputStream().readAllBytes());
        assertEquals(0, keytool.waitFor(), made);
        String java = jdk.equals("25") ? Harness.java(System.getProperty("wiretrace.jdk25")) : Harness.currentJava();
        try (Harness.App app = new Harness.App(List.of(java, "-cp", HandOffIT.classPath(), "io.wiretrace.field.H2App",
                keystore.toString(), "changeit"))) {
            int h2Port = Integer.parseInt(app.ready.replaceAll(".* h2=(\\d+).*", "$1"));
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                    "tcp port " + app.port + " or tcp port " + h2Port);
            collect.awaitOutput("collecting from " + app.pid());
            assertTrue(Harness.get(app.port, "/call/fast")[1].contains("HTTP_2 said HTTP/2.0 /fast"));
            assertTrue(Harness.get(app.port, "/call/slow")[1].contains("HTTP_2 said HTTP/2.0 /slow"));
            // the h2 call out, the h2 request served, and the HTTP/1.1 request that waited on them (and
            // the handshakes of the new connection, if a busy machine made them slow)
            Pattern explained = Pattern.compile("slow or failed calls: (\\d+) explained");
            assertTrue(Harness.await(Harness.DEADLINE, () -> {
                Matcher m = explained.matcher(Harness.cli("status", app.pid()).out);
                return m.find() && Integer.parseInt(m.group(1)) >= 3;
            }), "three slow calls explained");
            Path files = CollectIT.interruptAndUnpack(collect, tmp.resolve("unpacked"));
            List<RecordedEvent> events = Evidence.events(files.resolve("recording.jfr"));
            String seen = events.stream().filter(e -> e.getEventType().getName().matches("wiretrace.(HttpExchange|SlowCall)"))
                    .map(RecordedEvent::toString).collect(Collectors.joining("\n"));

            for (String direction : List.of("outgoing", "incoming")) {
                for (String path : List.of("/fast", "/slow")) {
                    List<RecordedEvent> x = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                            .filter(e -> direction.equals(e.getString("direction")) && path.equals(e.getString("path")))
                            .collect(Collectors.toList());
                    assertEquals(1, x.size(), direction + " " + path + ":\n" + seen);
                    assertEquals(200, x.get(0).getInt("status"), seen);
                    assertTrue(x.get(0).getInt("streamId") > 0, seen);
                    assertEquals(h2Port, direction.equals("outgoing") ? x.get(0).getInt("remotePort") : x.get(0).getInt("localPort"));
                }
            }
            RecordedEvent out = slowCall(events, "GET /slow", "outgoing", h2Port, seen);
            assertEquals("SERVER_THINK", out.getString("verdict"), seen);
            assertTrue(out.getString("evidence").contains("the server sent nothing at all for"), seen);
            RecordedEvent served = slowCall(events, "GET /slow", "incoming", h2Port, seen);
            assertEquals("UNKNOWN", served.getString("verdict"), seen);
            assertTrue(served.getString("evidence").contains("began its response"), seen);
            RecordedEvent front = slowCall(events, "GET /call/slow", "incoming", app.port, seen);
            assertEquals("SERVER_THINK", front.getString("verdict"), seen);
            assertTrue(front.getString("evidence").contains("http call GET /slow to 127.0.0.1:" + h2Port), seen);

            Map<String, Object> report = CollectIT.json(files.resolve("report.json"));
            assertTrue(CollectIT.list(report, "slowCalls").stream()
                    .anyMatch(c -> "GET /slow".equals(((Map<?, ?>) c).get("request"))), report.toString());
            String comments = Evidence.tshark("-r", files.resolve("trace.pcapng").toString(), "-Y", "frame.comment",
                    "-T", "fields", "-e", "frame.comment");
            assertTrue(comments.contains("GET /slow (h2 stream"), comments);
            assertFalse(comments.contains("changeit"));
        }
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
