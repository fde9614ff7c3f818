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
     * the shop's /orders waits 300 ms for its upstream, /missing answers at once. The quick ones
     * are counted instead, and the report of the recording says so.
     */
    @Test
    void aThresholdKeepsTheQuickExchangesOut() throws Exception {
        try (Server upstream = new Upstream(300).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port())) {
            Path out = tmp.resolve("threshold");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "--exchange-threshold", "100ms",
                    "tcp port " + app.port).expect(0);
            for (int i = 0; i < 3; i++) {
                assertTrue(Harness.get(app.port, "/missing")[1].startsWith("HTTP/1.1 404"));
            }
            assertTrue(Harness.get(app.port, "/orders?item=a")[1].startsWith("HTTP/1.1 200"));
            Harness.cli("stop", app.pid()).expect(0);

            List<RecordedEvent> all = RecordingFile.readAllEvents(out.resolve("recording.jfr"));
            List<RecordedEvent> http = all.stream()
                    .filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                    .collect(Collectors.toList());
            // the three quick ones are counted, not recorded: in the statistics, and on their connections
            long counted = all.stream().filter(e -> e.getEventType().getName().equals("wiretrace.CaptureStatistics"))
                    .mapToLong(e -> e.getLong("incomingUnrecorded")).sum();
            assertEquals(3, counted, "incoming exchanges counted as left out");
            long begun = all.stream().filter(e -> e.getEventType().getName().equals("wiretrace.TcpConnection")
                    && e.getString("role").equals("server")).mapToLong(e -> e.getInt("exchanges")).sum();
            assertEquals(4, begun, "requests begun on the app's server connections");
            String seen = http.stream().map(e -> e.getString("direction") + " " + e.getString("path") + " "
                    + e.getDuration().toMillis() + " ms").collect(Collectors.joining("\n"));
            assertTrue(http.stream().noneMatch(e -> e.getString("path").equals("/missing")), seen);
            assertTrue(http.stream().anyMatch(e -> e.getString("direction").equals("incoming")
                    && e.getString("path").equals("/orders?…")), seen);
            assertTrue(http.stream().anyMatch(e -> e.getString("direction").equals("outgoing")
                    && e.getString("path").startsWith("/inventory")), seen);
            assertTrue(http.stream().allMatch(e -> e.getDuration().toMillis() >= 100), seen);

            String said = Harness.cli("analyze", out.toString(), "-o", tmp.resolve("report").toString()).expect(0).out;
            assertTrue(said.contains("requests: the recording holds only the HTTP exchanges of at least 100.0 ms"), said);
            assertTrue(said.contains("include the 3 shorter ones"), said);
        }
    }
}
