package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections the app opened before the capture (pooled keep-alive connections to its upstream)
 * are named by their first read or write during the capture, with the same 4-tuple as the packets.
 */
class ExistingConnectionsIT {
    @TempDir
    Path tmp;

    @Test
    void keepAliveConnectionsOpenedBeforeTheCapture() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                // the pools keep an idle connection 5 s (HttpURLConnection) or 30 s (HttpClient on newer JDKs):
                // longer here, since a start on a loaded machine may take longer than that
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port(), "-Dhttp.keepAlive.time.server=600",
                        "-Djdk.httpclient.keepalive.timeout=600")) {
            // Both HTTP clients of the shop open their pooled connection to the upstream now.
            for (String path : new String[] {"/orders?item=warm", "/stock?item=warm"}) {
                assertTrue(Harness.get(app.port, path)[1].startsWith("HTTP/1.1 200"));
            }
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "--jfr-threshold", "0ms",
                    "tcp port " + upstream.port()).expect(0);
            for (String path : new String[] {"/orders?item=again", "/stock?item=again"}) {
                assertTrue(Harness.get(app.port, path)[1].startsWith("HTTP/1.1 200"));
            }
            Harness.cli("stop", app.pid()).expect(0);

            Set<String> packets = Evidence.pcapFlows(out.resolve("trace.pcapng"));
            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            Set<String> upstreamFlows = new TreeSet<>(Evidence.jfrFlows(events));
            upstreamFlows.removeIf(f -> !f.contains(":" + upstream.port()));
            assertFalse(packets.isEmpty());
            assertEquals(packets, upstreamFlows);
            String syns = Evidence.tshark("-r", out.resolve("trace.pcapng").toString(), "-Y", "tcp.flags.syn == 1",
                    "-T", "fields", "-e", "frame.number");
            assertTrue(syns.isBlank(), "the pooled connections were not reused; the test proves nothing: " + syns);
            for (String f : upstreamFlows) {
                Set<String> types = Evidence.typesFor(events, f);
                assertTrue(types.contains("SocketRead") && types.contains("SocketWrite"), f + ": " + types);
                assertFalse(types.contains("SocketConnect"), f + " was connected before the capture: " + types);
            }
        }
    }
}
