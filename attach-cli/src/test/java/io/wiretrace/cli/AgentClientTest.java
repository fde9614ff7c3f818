package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientTest {
    @Test
    void oldAgentCopiesGoOnceNoJvmHoldsThem(@TempDir Path dir) throws Exception {
        Path current = Files.createFile(dir.resolve("wiretrace-agent-current.jar"));
        Path held = Files.createFile(dir.resolve("wiretrace-agent-held.jar"));
        Path stale = Files.createFile(dir.resolve("wiretrace-agent-stale.jar"));
        Path fresh = Files.createFile(dir.resolve("wiretrace-agent-fresh.jar"));
        Path other = Files.createFile(dir.resolve("reply-x.txt"));
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(11));
        for (Path p : new Path[] {held, stale, other}) {
            Files.setLastModifiedTime(p, old);
        }
        try (FileChannel open = FileChannel.open(held)) {
            AgentClient.pruneUnused(dir, current, dir);
            assertTrue(Files.exists(current), "the current copy was deleted");
            assertTrue(Files.exists(held), "a copy a process holds open was deleted");
            assertFalse(Files.exists(stale), "an unused old copy was kept");
            assertTrue(Files.exists(fresh), "a copy another CLI just extracted was deleted");
            assertTrue(Files.exists(other), "a file that is not an agent copy was deleted");
        }
    }
}
