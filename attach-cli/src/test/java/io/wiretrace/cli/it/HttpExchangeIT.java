package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/1.x exchanges from the bytes on the sockets: the shop's incoming requests, and its calls
 * to the upstream through HttpClient (/orders) and HttpURLConnection (/stock), each tied to its
 * connection, with the query redacted and the timings in order.
 */
class HttpExchangeIT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "target on {0}")
    @ValueSource(strings = {"current", "jdk11"})
    void exchangesOnBothSidesOfTheApp(String jdk) throws Exception {
        String java = jdk.equals("jdk11") ? Harness.java(System.getProperty("wiretrace.jdk11")) : Harness.currentJava();
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(java, upstream.port())) {
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "tcp port " + app.port).expect(0);
            String[] orders = Harness.get(app.port, "/orders?item=secret-token");
            String[] stock = Harness.get(app.port, "/stock?item=secret-token");
            String[] missing = Harness.get(app.port, "/missing");
            assertTrue(orders[1].startsWith("HTTP/1.1 200") && stock[1].startsWith("HTTP/1.1 200"), orders[1] + stock[1]);
            Harness.cli("stop", app.pid()).expect(0);

            List<RecordedEvent> all = RecordingFile.readAllEvents(out.resolve("recording.jfr"));
            List<RecordedEvent> http = all.stream()
                    .filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                    .collect(Collectors.toList());
            String seen = http.stream().map(e -> e.getString("direction") + " " + e.getString("method") + " "
                    + e.getString("path") + " " + e.getInt("status") + " :" + e.getInt("remotePort"))
                    .collect(Collectors.joining("\n"));
            assertFalse(seen.contains("secret"), "a query reached the events:\n" + seen);

            RecordedEvent in = one(http, "incoming", "/orders?…", 200, seen);
            assertEquals(Integer.parseInt(orders[0]), in.getInt("remotePort"), "the client's port");
            assertEquals(accepted(all, Integer.parseInt(orders[0])), in.getLong("connectionId"),
                    "the exchange names the connection the accept event named");
            assertTrue(in.getString("requestThread").startsWith("shop-http"), in.getString("requestThread"));
            one(http, "incoming", "/stock?…", 200, seen);
            one(http, "incoming", "/missing", 404, seen);

            // the shop's calls to the upstream: one through HttpClient, one through HttpURLConnection
            List<RecordedEvent> outgoing = http.stream()
                    .filter(e -> e.getString("direction").equals("outgoing") && e.getString("path").equals("/inventory?…")
                            && e.getInt("remotePort") == upstream.port() && e.getInt("status") == 200)
                    .collect(Collectors.toList());
            assertEquals(2, outgoing.size(), seen);
            for (RecordedEvent e : http) {
                long d = e.getDuration().toNanos();
                long sent = e.getDuration("requestSent").toNanos();
                long first = e.getDuration("firstByte").toNanos();
                long last = e.getDuration("lastByte").toNanos();
                assertTrue(0 <= sent && sent <= first && first <= last && last <= d,
                        "timings out of order: " + sent + " " + first + " " + last + " " + d + " in\n" + e);
                assertTrue(e.getLong("requestBytes") > 0 && e.getLong("responseBytes") > 0, e.toString());
            }
            // the incoming /orders waited for its outgoing call: it lasted longer than that call
            assertTrue(in.getDuration().compareTo(outgoing.get(0).getDuration()) > 0
                    || in.getDuration().compareTo(outgoing.get(1).getDuration()) > 0, seen);
            assertTrue(Duration.ZERO.compareTo(in.getDuration()) < 0);
        }
    }

    private static RecordedEvent one(List<RecordedEvent> http, String direction, String path, int status, String seen) {
        List<RecordedEvent> m = http.stream().filter(e -> e.getString("direction").equals(direction)
                && e.getString("method").equals("GET") && e.getString("path").equals(path)
                && e.getInt("status") == status).collect(Collectors.toList());
        assertEquals(1, m.size(), direction + " GET " + path + " " + status + " in:\n" + seen);
        return m.get(0);
    }

    private static long accepted(List<RecordedEvent> all, int clientPort) {
        return all.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SocketAccept")
                && e.getInt("remotePort") == clientPort).findFirst().orElseThrow().getLong("connectionId");
    }

    /**
     * --exchange-threshold keeps the quick exchanges out of the recording, and the slow ones in:
     * the shop's /orders waits 300 ms for its upstream, /health answers at once. A connection's
     * first three are recorded whatever they took, so that it says what it carried: of eight
     * quick ones on one keep-alive connection, five are counted instead, and the report of the
     * recording says so. The default threshold (10 ms) does the same.
     */
    @ParameterizedTest
    @ValueSource(strings = {"100ms", "default"})
    void aThresholdKeepsTheQuickExchangesOut(String threshold) throws Exception {
        try (Server upstream = new Upstream(300).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port())) {
            Path out = tmp.resolve("threshold");
            List<String> start = new java.util.ArrayList<>(List.of("start", app.pid(), "-i", "lo", "-w", out.toString()));
            if (!threshold.equals("default")) {
                start.addAll(List.of("--exchange-threshold", threshold));
            }
            start.add("tcp port " + app.port);
            Harness.cli(start.toArray(new String[0])).expect(0);
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 8; i++) {
                java.net.http.HttpResponse<Void> r = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + app.port + "/health")).build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding());
                assertEquals(200, r.statusCode());
            }
            assertTrue(Harness.get(app.port, "/orders?item=a")[1].startsWith("HTTP/1.1 200"));
            Harness.cli("stop", app.pid()).expect(0);

            List<RecordedEvent> all = RecordingFile.readAllEvents(out.resolve("recording.jfr"));
            List<RecordedEvent> http = all.stream()
                    .filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                    .collect(Collectors.toList());
            String seen = http.stream().map(e -> e.getString("direction") + " " + e.getString("path") + " "
                    + e.getDuration().toMillis() + " ms on " + e.getLong("connectionId")).collect(Collectors.joining("\n"));
            // the quick ones past their connection's third are counted, not recorded: in the
            // statistics, and on their connections
            List<RecordedEvent> quick = http.stream().filter(e -> e.getString("path").equals("/health"))
                    .collect(Collectors.toList());
            long connections = quick.stream().mapToLong(e -> e.getLong("connectionId")).distinct().count();
            long counted = all.stream().filter(e -> e.getEventType().getName().equals("wiretrace.CaptureStatistics"))
                    .mapToLong(e -> e.getLong("incomingUnrecorded")).sum();
            assertEquals(8 - quick.size(), counted, "incoming exchanges counted as left out:\n" + seen);
            assertEquals(1, connections, "the client kept its connection:\n" + seen);
            assertEquals(3, quick.size(), "a connection's first three recorded:\n" + seen);
            long begun = all.stream().filter(e -> e.getEventType().getName().equals("wiretrace.TcpConnection")
                    && e.getString("role").equals("server")).mapToLong(e -> e.getInt("exchanges")).sum();
            assertEquals(9, begun, "requests begun on the app's server connections");
            assertTrue(http.stream().anyMatch(e -> e.getString("direction").equals("incoming")
                    && e.getString("path").equals("/orders?…")), seen);
            assertTrue(http.stream().anyMatch(e -> e.getString("direction").equals("outgoing")
                    && e.getString("path").startsWith("/inventory")), seen);
            long from = threshold.equals("default") ? 10 : 100;
            assertTrue(http.stream().filter(e -> !e.getString("path").equals("/health"))
                    .allMatch(e -> e.getDuration().toMillis() >= from), seen);

            String said = Harness.cli("analyze", out.toString(), "-o", tmp.resolve("report").toString()).expect(0).out;
            assertTrue(said.contains("requests: the recording holds the HTTP exchanges of at least " + from + ".0 ms"), said);
            assertTrue(said.contains("include the 5 left out"), said);
        }
    }
}
