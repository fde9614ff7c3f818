package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each mistake a user can make gets one clear line, the right exit code, and leaves the target
 * as it was: still serving, no capture running, no wiretrace thread in it.
 */
class BadInputIT {
    private static Server upstream;
    private static Harness.App app;
    /** The target's jar, at a path of this run only: see nameThatMatchesSeveral. */
    private static Path jar;

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream(0).server(0).start();
        jar = Harness.uniqueShopJar(shared);
        app = Harness.shop(Harness.currentJava(), jar, upstream.port());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @AfterEach
    void targetUnaffected() throws Exception {
        Harness.assertServes(app.port);
        assertTrue(Harness.cli("status", app.pid()).expect(0).out.contains("state: idle"));
        assertEquals(List.of(), Harness.agentThreads(app.pid()), "agent threads are running");
    }

    @Test
    void unknownPid() throws Exception {
        long pid = 4_000_000;
        while (ProcessHandle.of(pid).isPresent()) {
            pid++;
        }
        Harness.cli("start", String.valueOf(pid)).expect(2).oneLineError("no process with pid " + pid);
    }

    @Test
    void pidThatIsNotAJvm() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "300").start();
        try {
            Harness.cli("start", String.valueOf(sleep.pid())).expect(1).oneLineError("is not a Java VM");
        } finally {
            sleep.destroy();
            sleep.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void nameThatMatchesNothing() throws Exception {
        Harness.cli("start", "no-such-app-" + System.nanoTime()).expect(2).oneLineError("no JVM matches");
    }

    @Test
    void nameThatMatchesSeveral() throws Exception {
        // both started from this run's copy of the jar: no JVM of another build on this machine matches
        try (Harness.App second = Harness.shop(Harness.currentJava(), jar, upstream.port())) {
            Harness.Result r = Harness.cli("start", Harness.uniqueName(jar)).expect(2);
            assertTrue(r.err.contains("matches 2 JVMs"), r.err);
            assertTrue(r.err.contains(app.pid()) && r.err.contains(second.pid()), r.err);
        }
    }

    @Test
    void malformedFilter() throws Exception {
        Path out = tmp.resolve("out");
        Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "tcp", "port")
                .expect(2).oneLineError("invalid filter 'tcp port'");
        assertFalse(Files.exists(out), "a failed start left its output directory");
    }

    @Test
    void unknownInterface() throws Exception {
        Harness.cli("start", app.pid(), "-i", "nosuch0", "-w", tmp.resolve("out").toString())
                .expect(2).oneLineError("no capture interface named 'nosuch0'");
    }

    @Test
    void outputDirectoryThatCannotBeWritten() throws Exception {
        Path file = Files.createFile(tmp.resolve("a-file"));
        Harness.cli("start", app.pid(), "-i", "lo", "-w", file.resolve("out").toString())
                .expect(1).oneLineError("cannot write to output directory");
    }

    @Test
    void stopWithNothingRunning() throws Exception {
        Harness.cli("stop", app.pid()).expect(1).oneLineError("no capture is running");
    }

    @Test
    void secondStartChangesNothing() throws Exception {
        Path out = tmp.resolve("first");
        Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString()).expect(0);
        try {
            Harness.cli("start", app.pid(), "-i", "lo", "-w", tmp.resolve("second").toString())
                    .expect(1).oneLineError("a capture is already running");
            assertFalse(Files.exists(tmp.resolve("second")));
            assertTrue(Harness.cli("status", app.pid()).expect(0).out.contains(out.toString()));
        } finally {
            Harness.cli("stop", app.pid()).expect(0);
        }
    }

    @Test
    void badOptionValue() throws Exception {
        Harness.cli("start", app.pid(), "-s", "lots").expect(2);
        Harness.cli("start", app.pid(), "--slow", "soon").expect(2).oneLineError("is not a duration");
    }
}
