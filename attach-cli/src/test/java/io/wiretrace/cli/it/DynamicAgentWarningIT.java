package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JDK 21+ prints a warning into the app's output for every agent loaded dynamically. A collect
 * loads the agent once: its progress, the status and the stop read and write what the agent
 * publishes, and a request file, instead of loading it again.
 */
class DynamicAgentWarningIT {
    private static final String WARNING = "WARNING: A Java agent has been loaded dynamically";

    @TempDir
    Path tmp;

    @Test
    void aTenSecondCollectOnJdk25WarnsOnce() throws Exception {
        String java = Harness.java(System.getProperty("wiretrace.jdk25"));
        try (Harness.App app = new Harness.App(List.of(java, "-jar", Harness.SHOP_JAR.toString(), "all"))) {
            Path bundles = Files.createDirectory(tmp.resolve("bundles"));
            Harness.Result r = Harness.cli("collect", app.pid(), "-d", "10s", "-i", "lo", "-o", bundles.toString()).expect(0);
            Harness.cli("status", app.pid()).expect(0);
            Harness.cli("stop", app.pid()).expect(1); // nothing runs: answered without a load
            Harness.assertServes(app.port);
            long warnings = app.stderr.toString().lines().filter(l -> l.startsWith(WARNING)).count();
            assertEquals(1, warnings, "dynamic-agent warnings in the app's output:\n" + app.stderr + "\ncollect:\n" + r);
            assertTrue(r.out.contains(".zip"), r.out);
        }
    }
}
