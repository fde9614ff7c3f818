package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's private folder in a shared temp directory, attacked by a real unprivileged user
 * ({@code nobody}) who gets there first: a folder of theirs with a planted "agent jar" of the
 * expected name, or a symbolic link, makes root's CLI refuse, load nothing and follow nothing; a
 * folder of root's left writable to others has its planted jar replaced before the load. And an
 * output directory that another user owns, or that others can write, is refused.
 */
class PrivateDirIT {
    @TempDir
    static Path shared;
    /** What the attacker plants: an agent jar of theirs (the test probe), readable to them. */
    private static Path planted;

    @BeforeAll
    static void setUp() throws Exception {
        sticky(shared); // like /tmp
        planted = Files.copy(Harness.PROBE_JAR, shared.resolve("planted.jar"));
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** Mode 1777, as /tmp has: everyone may create entries, and remove only their own. */
    private static void sticky(Path dir) throws Exception {
        Process p = new ProcessBuilder("chmod", "1777", dir.toString()).redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
    }

    /** The CLI with {@code tmp} as its temp directory. */
    private static Harness.Result cli(Path tmp, String... args) throws Exception {
        return Harness.cli(List.of("-Djava.io.tmpdir=" + tmp), Harness.CLI_JAR, args);
    }

    /** As the unprivileged user. */
    private static void asNobody(String... cmd) throws Exception {
        List<String> full = new java.util.ArrayList<>(List.of("setpriv", "--reuid", "nobody", "--regid", "nogroup",
                "--clear-groups"));
        full.addAll(List.of(cmd));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", full) + ": " + out);
    }

    /** The name under which the CLI keeps its copy of the agent jar: public knowledge. */
    private static String jarName() throws Exception {
        byte[] jar = Files.readAllBytes(Harness.AGENT_JAR);
        return "wiretrace-agent-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jar))
                .substring(0, 16) + ".jar";
    }

    private static void nothingLoaded(Harness.App app) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(app.pid());
        try {
            Properties p = vm.getAgentProperties();
            assertNull(p.getProperty("wiretrace.build"), "an agent ran in the target");
            assertNull(p.getProperty("wiretrace.state"), "an agent ran in the target");
        } finally {
            vm.detach();
        }
        assertEquals(List.of(), Harness.agentThreads(app.pid()));
    }

    @Test
    void aFolderOfAnotherUserIsRefused() throws Exception {
        try (Harness.App app = Harness.idle()) {
            Path tmp = Files.createDirectory(shared.resolve("planted"));
            sticky(tmp);
            Path dir = tmp.resolve("wiretrace-root");
            asNobody("mkdir", "-m", "0755", dir.toString());
            asNobody("cp", planted.toString(), dir.resolve(jarName()).toString());

            Harness.Result r = cli(tmp, "start", app.pid(), "-i", "lo", "-w", shared.resolve("out1").toString()).expect(1);
            assertTrue(r.err.contains("refusing to use " + dir) && r.err.contains("owned by nobody"), r.err);
            nothingLoaded(app);
            assertTrue(Files.notExists(shared.resolve("out1")));
            assertEquals(-1L, Files.mismatch(planted, dir.resolve(jarName())), "the planted file was touched");
        }
    }

    @Test
    void aSymbolicLinkIsNotFollowed() throws Exception {
        try (Harness.App app = Harness.idle()) {
            Path tmp = Files.createDirectory(shared.resolve("linked"));
            sticky(tmp);
            Path rootsOwn = Files.createDirectory(shared.resolve("roots-own"));
            Path dir = tmp.resolve("wiretrace-root");
            asNobody("ln", "-s", rootsOwn.toString(), dir.toString());

            Harness.Result r = cli(tmp, "interfaces", app.pid()).expect(1);
            assertTrue(r.err.contains("refusing to use " + dir) && r.err.contains("symbolic link"), r.err);
            nothingLoaded(app);
            try (var files = Files.list(rootsOwn)) {
                assertEquals(0, files.count(), "the CLI wrote through the link");
            }
        }
    }

    @Test
    void aPlantedJarInOurOwnLooseFolderIsReplacedBeforeTheLoad() throws Exception {
        try (Harness.App app = Harness.idle()) {
            Path tmp = Files.createDirectory(shared.resolve("loose"));
            Path dir = Files.createDirectory(tmp.resolve("wiretrace-root"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            asNobody("cp", planted.toString(), dir.resolve(jarName()).toString());

            cli(tmp, "start", app.pid(), "-i", "lo", "-w", shared.resolve("out3").toString()).expect(0);
            try {
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
                assertEquals(-1L, Files.mismatch(dir.resolve(jarName()), Harness.AGENT_JAR), "the planted jar is still there");
                assertTrue(Harness.agentThreads(app.pid()).contains("wiretrace-correlate"), "wiretrace's own agent runs");
            } finally {
                cli(tmp, "stop", app.pid()).expect(0);
            }
        }
    }

    @Test
    void anOutputDirectoryOthersCanWriteIsRefused() throws Exception {
        try (Harness.App app = Harness.idle()) {
            Path theirs = shared.resolve("theirs");
            asNobody("mkdir", "-m", "0755", theirs.toString());
            Harness.Result r = Harness.cli("start", app.pid(), "-i", "lo", "-w", theirs.toString()).expect(1);
            assertTrue(r.err.contains("refusing the output directory " + theirs) && r.err.contains("owned by nobody"), r.err);
            Path open = Files.createDirectory(shared.resolve("open"));
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
            r = Harness.cli("start", app.pid(), "-i", "lo", "-w", open.toString()).expect(1);
            assertTrue(r.err.contains("can be written by others"), r.err);
            for (Path dir : List.of(theirs, open)) {
                try (var files = Files.list(dir)) {
                    assertEquals(0, files.count(), "files written into " + dir);
                }
            }
            Harness.cli("status", app.pid()).expect(0); // and no capture runs
            assertTrue(Harness.cli("status", app.pid()).out.contains("state: idle"));
        }
    }
}
