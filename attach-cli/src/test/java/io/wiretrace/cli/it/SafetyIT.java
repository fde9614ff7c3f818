package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent never breaks its host, and loses nothing when the host goes away. */
class SafetyIT {
    @TempDir
    Path tmp;

    @Test
    void failingHooksNeverReachTheApp() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port())) {
            Harness.cli("start", app.pid(), "-i", "lo", "-w", tmp.resolve("out").toString(), "tcp port 1").expect(0);
            Harness.probe(app.pid(), "throwing");
            for (String path : new String[] {"/orders?item=t", "/stock?item=t", "/health"}) {
                String r = Harness.get(app.port, path)[1];
                assertTrue(r.startsWith("HTTP/1.1 200"), path + ": " + r);
            }
            assertTrue(Harness.probe(app.pid(), "read") > 0, "the throwing hooks were never called");
            Harness.cli("stop", app.pid()).expect(0);
            Harness.assertServes(app.port);
            assertTrue(app.stderr.toString().lines().noneMatch(l -> l.contains("failing on purpose")), app.stderr.toString());
        }
    }

    @Test
    void appExitWhileCapturingKeepsTheFiles() throws Exception {
        Path out = tmp.resolve("out");
        try (Server upstream = new Upstream(0).server(0).start()) {
            Harness.App app = Harness.shop(Harness.currentJava(), upstream.port());
            String[] r;
            try {
                Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "tcp port " + app.port).expect(0);
                r = Harness.get(app.port, "/orders?item=bye");
                assertTrue(r[1].startsWith("HTTP/1.1 200"), r[1]);
                app.process.destroy(); // SIGTERM: the JVM runs its shutdown hooks
                assertTrue(app.process.waitFor(30, TimeUnit.SECONDS), "the app did not exit");
            } finally {
                app.close();
            }
            String client = Evidence.flow("127.0.0.1", Integer.parseInt(r[0]), "127.0.0.1", app.port);
            assertTrue(Evidence.pcapFlows(out.resolve("trace.pcapng")).contains(client));
            assertTrue(Files.exists(out.resolve("recording.jfr")), "no recording.jfr after exit");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(out.resolve("recording.jfr"))));
            assertEquals(1, Evidence.events(out.resolve("recording.jfr")).stream()
                    .filter(e -> Evidence.type(e).equals("SocketAccept") && Evidence.flow(e).equals(client)).count());
        }
    }
}
