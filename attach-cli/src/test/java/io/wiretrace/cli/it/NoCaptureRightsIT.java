package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The most common failure on a real host: the app runs as a user without CAP_NET_RAW. The start
 * fails with one line that says why and what to do, and leaves the app and its disk as they were.
 */
class NoCaptureRightsIT {
    @TempDir
    Path tmp;

    /** setpriv execs in place, so the pid we hold is the JVM's. */
    private List<String> asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", Harness.currentJava(),
                "-Djava.io.tmpdir=" + tmp));
        cmd.addAll(List.of(command));
        return cmd;
    }

    @Test
    void startWithoutCaptureRightsSaysWhy() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        // The build tree may sit where nobody cannot read (e.g. under /root): use copies.
        Path shop = Files.copy(Harness.SHOP_JAR, tmp.resolve("sample-shop.jar"));
        Path cliJar = Files.copy(Harness.CLI_JAR, tmp.resolve("wiretrace.jar"));
        for (Path jar : new Path[] {shop, cliJar}) {
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        }
        try (Harness.App app = new Harness.App(asNobody("-jar", shop.toString(), "upstream"))) {
            Path out = tmp.resolve("out");
            Process cli = new ProcessBuilder(asNobody("-jar", cliJar.toString(), "start", app.pid(),
                    "-w", out.toString())).start();
            String err = new String(cli.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cli.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, cli.exitValue(), err);
            assertEquals(1, err.lines().filter(l -> !l.isBlank()).count(), err);
            assertTrue(err.contains("cannot open interface any") && err.contains("CAP_NET_RAW"), err);
            assertFalse(Files.exists(out), "a failed start left its output directory");
            String health = Harness.get(app.port, "/health")[1];
            assertTrue(health.startsWith("HTTP/1.1 200"), health);
        }
    }
}
