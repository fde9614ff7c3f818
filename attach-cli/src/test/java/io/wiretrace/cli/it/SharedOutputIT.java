package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `collect -o` a directory that everyone shares (mode 1777, as /tmp), run by root, attacked by a
 * real unprivileged user ({@code nobody}) who knows the names collect will use (host, pid, time
 * to the second) and plants symbolic links there first, pointing at a file of root's: collect
 * refuses the names, says so, keeps the capture, and writes nothing through the links; the same
 * for `analyze`, whose default report directory is a name in the current directory.
 */
class SharedOutputIT {
    /** How many seconds' names are planted: collect must pick its name within them. */
    private static final int WINDOW_SECONDS = 40;

    @TempDir
    Path shared;
    /** Root's own: not writable by nobody. */
    @TempDir
    Path rootOnly;
    private Path precious;

    @BeforeEach
    void setUp() throws Exception {
        run(List.of("chmod", "1777", shared.toString()));
        precious = Files.writeString(rootOnly.resolve("precious"), "root's own\n");
        Files.setPosixFilePermissions(precious, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    /** As nobody: a link to the precious file at each of {@code names}. */
    private void plantAsNobody(List<Path> names) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "sh", "-c", "for n in \"$@\"; do ln -s \"$0\" \"$n\" || exit 1; done", precious.toString()));
        names.forEach(n -> cmd.add(n.toString()));
        run(cmd);
    }

    /** The names collect gives a bundle from now on for {@link #WINDOW_SECONDS} seconds, as `collect` makes them. */
    private static List<String> bundleNames(String pid) throws Exception {
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim().replaceAll("[^A-Za-z0-9.-]", "_");
        LocalDateTime now = LocalDateTime.now().withNano(0);
        List<String> names = new ArrayList<>();
        for (int s = -1; s < WINDOW_SECONDS; s++) {
            names.add("wiretrace-" + host + "-" + pid + "-"
                    + now.plusSeconds(s).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".zip");
        }
        return names;
    }

    private void preciousUntouched() throws Exception {
        assertEquals("root's own\n", Files.readString(precious));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(precious)));
        try (var files = Files.list(rootOnly)) {
            assertEquals(List.of(precious), files.toList(), "files appeared beside the links' target");
        }
    }

    /**
     * Collects into the shared directory with links planted at {@code planted} of each name;
     * checks that it refused the bundle, kept the capture directory, and left the links as
     * they were; returns the capture directory.
     */
    private Path collectRefused(Harness.App app, boolean atBundle, boolean atTemporary) throws Exception {
        List<String> names = bundleNames(app.pid());
        List<Path> links = new ArrayList<>();
        for (String n : names) {
            if (atBundle) {
                links.add(shared.resolve(n));
            }
            if (atTemporary) {
                links.add(shared.resolve("." + n + ".tmp"));
            }
        }
        plantAsNobody(links);

        Harness.Result r = Harness.cli("collect", app.pid(), "-d", "2s", "-i", "lo", "-o", shared.toString(),
                "tcp port " + app.port).expect(1);
        assertTrue(r.err.contains("cannot write the bundle " + shared) && r.err.contains("neither written through nor replaced")
                && r.err.contains("the files are in " + shared), r.err);
        preciousUntouched();

        Set<String> left = new TreeSet<>();
        Path capture = null;
        try (var files = Files.list(shared)) {
            for (Path f : files.toList()) {
                if (Files.isSymbolicLink(f)) {
                    assertEquals(precious, Files.readSymbolicLink(f), "a planted link was changed");
                    links.remove(f);
                } else if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS) && capture == null) {
                    capture = f;
                } else {
                    left.add(f.getFileName().toString());
                }
            }
        }
        assertEquals(List.of(), links, "planted links were removed or replaced");
        assertEquals(Set.of(), left, "collect left files in the shared directory");
        assertTrue(capture != null && names.contains(capture.getFileName() + ".zip"),
                "collect named its bundle outside the planted window: " + capture + "\n" + r);
        assertTrue(r.err.contains(capture.toString()), r.err);
        assertTrue(Files.size(capture.resolve("trace.pcapng")) > 0 && Files.size(capture.resolve("environment.txt")) > 0,
                "the capture was not kept");
        return capture;
    }

    @Test
    void linksAtTheBundleAndItsTemporaryNameAreRefused() throws Exception {
        try (Harness.App app = Harness.idle()) {
            collectRefused(app, true, true);
        }
    }

    @Test
    void aLinkAtTheTemporaryNameAloneIsRefused() throws Exception {
        try (Harness.App app = Harness.idle()) {
            Path capture = collectRefused(app, false, true);

            // analyze in the shared directory: its default report directory <name>-report is a link of nobody's
            Path report = shared.resolve("trace-report");
            plantAsNobody(List.of(report));
            Files.delete(precious);
            Files.createDirectory(precious); // a directory of root's for the link to name
            Process p = new ProcessBuilder(Harness.currentJava(), "-jar", Harness.CLI_JAR.toString(), "analyze",
                    capture.resolve("trace.pcapng").toString()).directory(shared.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(Harness.DEADLINE.toSeconds(), TimeUnit.SECONDS), "analyze did not finish");
            assertEquals(1, p.exitValue(), err);
            assertTrue(err.contains("refusing to write the report into " + report) && err.contains("symbolic link"), err);
            try (var files = Files.list(precious)) {
                assertEquals(List.of(), files.toList(), "analyze wrote through the link");
            }
        }
    }
}
