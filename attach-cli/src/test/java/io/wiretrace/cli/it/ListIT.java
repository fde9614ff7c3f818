package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListIT {
    @TempDir
    Path tmp;

    @Test
    void listsJvmsWithVersionAndState() throws Exception {
        // a name that only this JVM's command line holds: other builds may run shops on this machine
        Path jar = Harness.uniqueShopJar(tmp);
        String name = Harness.uniqueName(jar);
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), jar, upstream.port())) {
            // status and stop in a JVM where wiretrace never ran answer without loading the agent
            assertTrue(Harness.cli("status", app.pid()).expect(0).out.contains("has not run in this JVM"));
            Harness.cli("stop", app.pid()).expect(1).oneLineError("no capture is running");
            assertFalse(Harness.jcmd(app.pid(), "GC.class_histogram", "-all").contains("io.wiretrace.agent.Agent"),
                    "the agent was loaded");

            String line = row(Harness.cli("list").expect(0).out, app.pid());
            assertTrue(line.contains(System.getProperty("java.version")) && line.contains("sample-shop.jar"), line);

            Path out = tmp.resolve("out");
            Harness.cli("start", name, "-i", "lo", "-w", out.toString()).expect(0);
            try {
                line = row(Harness.cli("list").expect(0).out, app.pid());
                assertTrue(line.contains("capturing " + out), line);
            } finally {
                Harness.cli("stop", name).expect(0);
            }
            line = row(Harness.cli("list").expect(0).out, app.pid());
            assertTrue(line.contains("idle"), line);
            assertTrue(Harness.jcmd(app.pid(), "GC.class_histogram", "-all").contains("io.wiretrace.agent.Agent"),
                    "the check above cannot see the agent");
        }
    }

    private static String row(String listing, String pid) {
        return listing.lines().filter(l -> l.startsWith(pid + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("pid " + pid + " not listed:\n" + listing));
    }
}
