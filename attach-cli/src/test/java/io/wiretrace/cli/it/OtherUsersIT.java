package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a real unprivileged user ({@code nobody}) can do to root's CLI through the JVM list, which
 * comes from perfdata files in /tmp that anyone can create: a file planted for a root process that
 * is no JVM must not make root's CLI signal it (attaching sends SIGQUIT, which kills it). And the
 * CLI run as nobody says plainly that it cannot attach to root's JVM, before trying.
 */
class OtherUsersIT {
    /** SIGQUIT is signal 3: bit 2 of the masks in /proc/<pid>/status. */
    private static final long SIGQUIT = 1L << 2;

    @TempDir
    Path tmp;

    @BeforeEach
    void readableToNobody() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** setpriv execs in place, so a process started this way has the pid of the command. */
    private static List<String> asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
        cmd.addAll(List.of(command));
        return cmd;
    }

    /**
     * Root's CLI in a mount namespace of its own, where {@code dir} is /tmp/hsperfdata_nobody: an
     * entry planted in the real one would be attached to by any other wiretrace or jcmd run on this
     * machine meanwhile, which would kill the victim of this test whatever this build does.
     */
    private static Harness.Result cliSeeing(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "sh", "-c",
                "mount --bind \"$0\" /tmp/hsperfdata_nobody && exec \"$@\"",
                dir.toString(), Harness.currentJava(), "-jar", Harness.CLI_JAR.toString()));
        cmd.addAll(List.of(args));
        return Harness.run(cmd);
    }

    @Test
    void aPerfDataFilePlantedForARootProcessGetsItNoSignal() throws Exception {
        // The attacker's JVM, started from a jar whose path only this run has: its perfdata file is
        // what gets copied, and its name (with the marker) is the name the planted entry shows.
        Path jar = Harness.uniqueShopJar(tmp);
        Files.setPosixFilePermissions(jar.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path theirDir = open.resolve("hsperfdata_nobody");
        // A child of a JVM inherits SIGQUIT blocked (it would die only later): perl unblocks it first.
        Process victim = new ProcessBuilder("perl", "-e", "use POSIX; sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGQUIT));"
                + " $SIG{QUIT} = 'DEFAULT'; exec 'sleep', '600'").start();
        try {
            Path comm = Path.of("/proc", String.valueOf(victim.pid()), "comm");
            assertTrue(Harness.await(Harness.DEADLINE, () -> Files.readString(comm).trim().equals("sleep")), "no sleep");
            for (String mask : List.of("SigBlk", "SigIgn", "SigCgt")) {
                assertEquals(0, signalMask(victim.pid(), mask) & SIGQUIT, mask + ": the victim must die of SIGQUIT");
            }
            Path planted = theirDir.resolve(String.valueOf(victim.pid()));
            try (Harness.App theirs = new Harness.App(asNobody(Harness.currentJava(), "-jar", jar.toString(), "upstream"))) {
                Path perf = Path.of("/tmp/hsperfdata_nobody", theirs.pid());
                assertTrue(Harness.await(Harness.DEADLINE, () -> Files.isRegularFile(perf)), "no perfdata file at " + perf);
                // An empty file is not listed (the JDK parses it): a real one, copied under the victim's pid.
                Harness.run(asNobody("mkdir", "-m", "0755", theirDir.toString())).expect(0);
                Harness.run(asNobody("cp", perf.toString(), planted.toString())).expect(0);
            } // the attacker's JVM ends: the planted entry is the only one whose name holds the marker

            String listing = cliSeeing(theirDir, "list").expect(0).out;
            assertTrue(victim.isAlive(), "list killed the process the planted file names");
            String row = listing.lines().filter(l -> l.startsWith(victim.pid() + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("the planted entry is not listed:\n" + listing));
            assertTrue(row.contains("(not a JVM of nobody: it runs as root; see /tmp/hsperfdata_nobody/" + victim.pid()), row);

            Path out = tmp.resolve("out");
            cliSeeing(theirDir, "start", Harness.uniqueName(jar), "-i", "lo", "-w", out.toString()).expect(1)
                    .oneLineError("process " + victim.pid() + " is listed as one but is not a JVM of nobody");
            assertTrue(victim.isAlive(), "start by name killed the process the planted file names");

            cliSeeing(theirDir, "start", String.valueOf(victim.pid()), "-i", "lo", "-w", out.toString()).expect(1)
                    .oneLineError("process " + victim.pid() + " is not a Java VM: it does not catch SIGQUIT");
            assertTrue(victim.isAlive(), "start by pid killed the process");
            assertFalse(Files.exists(out), "a refused start left its output directory");
        } finally {
            victim.destroy();
            victim.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void anotherUsersPidIsRefusedWhenNotRoot() throws Exception {
        // The build tree may sit where nobody cannot read (e.g. under /root): a copy of the CLI.
        Path cli = Files.copy(Harness.CLI_JAR, tmp.resolve("wiretrace.jar"));
        Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rw-r--r--"));
        Path cliTmp = Files.createDirectory(tmp.resolve("cli-tmp"));
        Files.setPosixFilePermissions(cliTmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (Harness.App app = Harness.idle()) {
            Path out = cliTmp.resolve("out");
            Harness.run(asNobody(Harness.currentJava(), "-Djava.io.tmpdir=" + cliTmp, "-jar", cli.toString(),
                    "start", app.pid(), "-i", "lo", "-w", out.toString()))
                    .expect(1).oneLineError("process " + app.pid() + " runs as root and wiretrace as nobody");
            assertFalse(Files.exists(out), "a refused start left its output directory");
            VirtualMachine vm = VirtualMachine.attach(app.pid());
            try {
                Properties p = vm.getAgentProperties();
                assertNull(p.getProperty("wiretrace.build"), "an agent ran in the target");
            } finally {
                vm.detach();
            }
        }
    }

    private static long signalMask(long pid, String name) throws Exception {
        return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                .filter(l -> l.startsWith(name + ":"))
                .map(l -> Long.parseUnsignedLong(l.substring(name.length() + 1).trim(), 16))
                .findFirst().orElseThrow();
    }
}
