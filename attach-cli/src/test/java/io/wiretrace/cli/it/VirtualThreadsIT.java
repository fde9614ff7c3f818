package io.wiretrace.cli.it;

import static io.wiretrace.cli.it.Evidence.flow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket calls made from virtual threads (JDK 21+) are seen like any other. */
class VirtualThreadsIT {
    @TempDir
    Path tmp;

    @Test
    void callsFromVirtualThreadsAreRecorded() throws Exception {
        String java = Harness.java(System.getProperty("wiretrace.jdk25"));
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(java, upstream.port(), "-Dsample.virtualThreads=true")) {
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(),
                    "tcp port " + app.port + " or tcp port " + upstream.port()).expect(0);
            String[] stock = Harness.get(app.port, "/stock?item=v"); // HttpURLConnection: java.net.Socket
            assertTrue(stock[1].startsWith("HTTP/1.1 200"), stock[1]);
            Harness.cli("stop", app.pid()).expect(0);

            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            assertEquals(Evidence.pcapFlows(out.resolve("trace.pcapng")), Evidence.jfrFlows(events));
            // The upstream call ran on the request's virtual thread: unnamed, unlike pool threads.
            List<RecordedEvent> upstreamReads = events.stream()
                    .filter(e -> Evidence.type(e).equals("SocketRead") && e.getInt("remotePort") == upstream.port())
                    .toList();
            assertFalse(upstreamReads.isEmpty(), "no read from the upstream recorded");
            assertTrue(upstreamReads.stream().anyMatch(e -> e.getThread() != null && e.getThread().getJavaName().isEmpty()),
                    "no read recorded from a virtual thread: "
                            + upstreamReads.stream().map(e -> String.valueOf(e.getThread().getJavaName())).toList());
            Set<String> accepted = Evidence.typesFor(events, flow("127.0.0.1", Integer.parseInt(stock[0]), "127.0.0.1", app.port));
            assertTrue(accepted.contains("SocketAccept") && accepted.contains("SocketWrite"), accepted.toString());
        }
    }
}
