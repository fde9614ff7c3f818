package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An app that ships its own old Byte Buddy and JNA runs unchanged while the agent captures. */
class LegacyDepsIT {
    @TempDir
    Path tmp;

    @Test
    void appKeepsItsOwnByteBuddyAndJna() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = new Harness.App(List.of(Harness.currentJava(), "-jar", Harness.LEGACY_JAR.toString(),
                        "legacy", "--upstream", "http://127.0.0.1:" + upstream.port()))) {
            String before = body(Harness.get(app.port, "/legacy")[1]);
            assertTrue(before.contains("bytebuddy=1.10.22") && before.contains("jna.version=4.5.2"), before);

            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(),
                    "tcp port " + app.port + " or tcp port " + upstream.port()).expect(0);
            String during = body(Harness.get(app.port, "/legacy")[1]);
            String[] order = Harness.get(app.port, "/orders?item=x");
            assertTrue(order[1].startsWith("HTTP/1.1 200"), order[1]);
            Harness.cli("stop", app.pid()).expect(0);
            String after = body(Harness.get(app.port, "/legacy")[1]);

            // Same versions from the same jar, and the old libraries still work (toString, getpid).
            assertEquals(before, during);
            assertEquals(before, after);
            assertTrue(before.contains("tostring=legacy-bb") && before.contains("pid=" + app.pid()), before);
            assertTrue(before.contains("bytebuddy.source=" + Harness.LEGACY_JAR.toUri().toString().replace("file:///", "file:/")),
                    before);

            Set<String> packets = Evidence.pcapFlows(out.resolve("trace.pcapng"));
            assertTrue(packets.contains(Evidence.flow("127.0.0.1", Integer.parseInt(order[0]), "127.0.0.1", app.port)),
                    packets.toString());
            assertEquals(packets, Evidence.jfrFlows(Evidence.events(out.resolve("recording.jfr"))));
            assertTrue(app.stderr.toString().isBlank(), "the app printed: " + app.stderr);
        }
    }

    private static String body(String response) {
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
}
