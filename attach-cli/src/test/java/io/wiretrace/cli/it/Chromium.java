package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Chromium (src/scripts/install-test-deps.sh installs it), with nothing that
 * reaches for the network: it only opens the file it is given.
 */
final class Chromium {
    static final String BINARY = "/usr/bin/chromium";

    private Chromium() {
    }

    /** The page's DOM after it rendered. */
    static String dumpDom(Path html, Path profile) throws Exception {
        return run(profile, "--dump-dom", html.toUri().toString());
    }

    static void screenshot(Path html, Path png, Path profile) throws Exception {
        Files.createDirectories(png.toAbsolutePath().getParent());
        run(profile, "--window-size=1280,2000", "--screenshot=" + png.toAbsolutePath(), html.toUri().toString());
        assertTrue(Files.isRegularFile(png), "no screenshot at " + png);
    }

    private static String run(Path profile, String... args) throws Exception {
        assertTrue(Files.isExecutable(Path.of(BINARY)), BINARY + " is missing: run src/scripts/install-test-deps.sh");
        Files.createDirectories(profile);
        List<String> cmd = new ArrayList<>(List.of(BINARY, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile.toAbsolutePath()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                return new byte[0];
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish: " + cmd);
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        return out;
    }
}
