package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pids come round again: a JVM killed before it removed its attach socket leaves
 * /tmp/.java_pid<pid> behind, and the JDK's attach to a later JVM with that pid connects to it
 * and fails ("Connection refused"). wiretrace removes such a socket, older than the process, and
 * attaches.
 */
class StaleAttachSocketIT {
    @TempDir
    Path tmp;

    @Test
    void anAttachSocketOlderThanTheProcessIsRemovedAndTheAttachWorks() throws Exception {
        Path socket = null;
        try (Harness.App app = Harness.idle()) {
            socket = Paths.get("/tmp", ".java_pid" + app.pid());
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the JVM opened its attach socket already");
            try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                s.bind(UnixDomainSocketAddress.of(socket)); // closed, the socket file stays: nobody listens
            }
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------")); // as a JVM makes it
            Files.setLastModifiedTime(socket, FileTime.from(Instant.now().minus(Duration.ofHours(1))));

            Path out = tmp.resolve("out");
            Harness.Result started = Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "tcp port 1").expect(0);
            assertTrue(started.err.contains("removed " + Paths.get("/proc", app.pid(), "root", "tmp", ".java_pid" + app.pid())),
                    started.err);
            Harness.cli("stop", app.pid()).expect(0);
            // the JVM's own socket now, made after it started
            assertTrue(Files.getLastModifiedTime(socket).toInstant().isAfter(Instant.now().minus(Duration.ofMinutes(10))));
        } finally {
            if (socket != null) {
                Files.deleteIfExists(socket); // the app has ended: a socket left now is the planted one
            }
        }
    }
}
