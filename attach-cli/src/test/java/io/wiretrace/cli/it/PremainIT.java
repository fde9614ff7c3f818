package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -javaagent with the same argument string starts a capture at launch; the CLI stops it. */
class PremainIT {
    @TempDir
    Path tmp;

    @Test
    void captureFromLaunch() throws Exception {
        Path out = tmp.resolve("out");
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = new Harness.App(List.of(Harness.currentJava(),
                        "-javaagent:" + Harness.AGENT_JAR + "=start,i=lo,w=" + out + ",filter=tcp port " + upstream.port(),
                        "-jar", Harness.SHOP_JAR.toString(), "shop", "--upstream", "http://127.0.0.1:" + upstream.port()))) {
            assertTrue(Harness.get(app.port, "/orders?item=p")[1].startsWith("HTTP/1.1 200"));
            assertTrue(Harness.cli("status", app.pid()).expect(0).out.contains("state: capturing"));
            Harness.cli("stop", app.pid()).expect(0);
            Harness.assertServes(app.port);

            java.util.Set<String> packets = Evidence.pcapFlows(out.resolve("trace.pcapng"));
            assertTrue(!packets.isEmpty() && packets.stream().allMatch(f -> f.contains(":" + upstream.port())), packets.toString());
            // The filter limits the packets, not the socket events: compare the upstream's flows.
            java.util.Set<String> upstreamFlows = new java.util.TreeSet<>(Evidence.jfrFlows(Evidence.events(out.resolve("recording.jfr"))));
            upstreamFlows.removeIf(f -> !f.contains(":" + upstream.port()));
            assertEquals(packets, upstreamFlows);
            assertTrue(app.stderr.toString().contains("wiretrace: capturing on lo"), app.stderr.toString());
        }
    }
}
