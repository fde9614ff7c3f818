package io.wiretrace.analysis.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * How a bundle is named, by {@code collect} in the CLI and by a watch in the agent alike:
 * {@code wiretrace-<host>-<pid>-<yyyyMMdd-HHmmss>}.
 */
public final class BundleName {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private BundleName() {
    }

    /** The name of a bundle of the JVM {@code pid} on this host, made at {@code at}. */
    public static String of(long pid, LocalDateTime at) {
        return "wiretrace-" + host() + "-" + pid + "-" + at.format(TIME);
    }

    /** This host's name, for file names: from the kernel, no name lookup; only [A-Za-z0-9.-]. */
    public static String host() {
        String h;
        try {
            h = new String(Files.readAllBytes(Paths.get("/proc/sys/kernel/hostname")), StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            h = System.getenv("HOSTNAME");
        }
        h = h == null ? "" : h.replaceAll("[^A-Za-z0-9.-]", "_");
        return h.isEmpty() ? "localhost" : h;
    }
}
