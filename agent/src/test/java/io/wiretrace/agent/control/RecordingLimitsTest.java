package io.wiretrace.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiretrace.analysis.protocol.StartOptions;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;

/** The recording's size and age budget, and the JFR repository's mode around it. */
class RecordingLimitsTest {
    private static Recording limited(Map<String, String> options) {
        Recording r = new Recording();
        Session.limits(r, StartOptions.parse(options));
        return r;
    }

    @Test
    void withoutRotationTheDefaults() {
        try (Recording r = limited(Map.of())) {
            assertEquals(250_000_000L, r.getMaxSize());
            assertEquals(Duration.ofHours(24), r.getMaxAge());
        }
    }

    @Test
    void rotationBoundsTheRecordingAsTheCapture() {
        try (Recording r = limited(Map.of("C", "100", "W", "5", "G", "60"))) {
            assertEquals(500_000_000L, r.getMaxSize(), "-C × -W");
            assertEquals(Duration.ofMinutes(5), r.getMaxAge(), "-G × -W");
        }
        try (Recording r = limited(Map.of("C", "1", "W", "2"))) {
            assertEquals(25_000_000L, r.getMaxSize(), "at least two of JFR's chunks");
            assertEquals(Duration.ofHours(24), r.getMaxAge());
        }
    }

    @Test
    void aWatchKeepsItsPartOfTheDiskWithRoomForTheChunkBeingWritten() {
        try (Recording r = limited(Map.of("trigger", "slow>1s", "disk", "500MB", "keep", "30m", "after", "20s"))) {
            assertEquals(100_000_000L - Session.JFR_CHUNK_BYTES, r.getMaxSize(), "a fifth of --disk, less a chunk");
            assertEquals(Duration.ofMinutes(31).plusSeconds(20), r.getMaxAge(), "--keep and --after, and a minute");
        }
        try (Recording r = limited(Map.of("trigger", "slow>1s", "disk", "50MB"))) {
            assertEquals(25_000_000L - Session.JFR_CHUNK_BYTES, r.getMaxSize(), "at least 25 MB, less a chunk");
        }
    }

    @Test
    void theRepositoryIsPrivateWhileClaimedAndGetsItsModeBack() throws Exception {
        JfrRepository repository = JfrRepository.claim();
        Path dir = Path.of(System.getProperty("jdk.jfr.repository"));
        assertEquals(dir, repository.dir());
        repository.restore();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // as the JVM makes it

        JfrRepository claimed = JfrRepository.claim();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
        claimed.restore();
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
    }
}
