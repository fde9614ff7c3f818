package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wiretrace's events also land in a recording the app runs itself. */
class AppRecordingIT {
    @TempDir
    Path tmp;

    @Test
    void eventsAppearInTheAppsOwnRecording() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port(),
                        "-XX:StartFlightRecording:name=app,settings=default")) {
            Harness.cli("start", app.pid(), "-i", "lo", "-w", tmp.resolve("out").toString(), "tcp port " + app.port).expect(0);
            String[] r = Harness.get(app.port, "/stock?item=own");
            assertTrue(r[1].startsWith("HTTP/1.1 200"), r[1]);
            Harness.cli("stop", app.pid()).expect(0);

            Path dump = tmp.resolve("app.jfr");
            Process jcmd = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    app.pid(), "JFR.dump", "name=app", "filename=" + dump).redirectErrorStream(true).start();
            String said = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(jcmd.waitFor(60, TimeUnit.SECONDS) && jcmd.exitValue() == 0, said);

            Set<String> types = new TreeSet<>();
            Evidence.events(dump).forEach(e -> types.add(Evidence.type(e)));
            // Lifecycle events always; reads and writes only above the default 20 ms threshold.
            assertTrue(types.containsAll(Set.of("SocketAccept", "SocketConnect", "SocketClose")), types.toString());
            String client = Evidence.flow("127.0.0.1", Integer.parseInt(r[0]), "127.0.0.1", app.port);
            assertEquals(1, Evidence.events(dump).stream()
                    .filter(e -> Evidence.type(e).equals("SocketAccept") && Evidence.flow(e).equals(client)).count());
        }
    }
}
