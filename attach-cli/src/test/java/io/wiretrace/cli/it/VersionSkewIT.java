package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds of wiretrace against one JVM: the JVM keeps the agent it loaded first, whatever jar
 * a later CLI names, so a CLI of another build must say so — never silently drive the older agent.
 * The second build here is this build's jar with another commit in its identity (the CLI's and
 * the embedded agent's), as a checkout of another commit would make it.
 */
class VersionSkewIT {
    private static final String BUILD_PROPERTIES = "io/wiretrace/analysis/protocol/build.properties";
    private static final String OTHER_COMMIT = "0ther0b0i1d0";

    @Test
    void aCliNeverDrivesAnAgentOfAnotherBuildSilently(@TempDir Path tmp) throws Exception {
        Path other = tmp.resolve("wiretrace-other.jar");
        rebuild(Harness.CLI_JAR, other);
        String thisBuild = Harness.cli("--version").expect(0).out.trim().replace("wiretrace ", "");
        String otherBuild = Harness.cli(other, "--version").expect(0).out.trim().replace("wiretrace ", "");
        assertNotEquals(thisBuild, otherBuild);
        assertTrue(otherBuild.contains(OTHER_COMMIT), otherBuild);

        try (Harness.App app = Harness.idle()) {
            String pid = app.pid();
            // the other build's agent is the first in this JVM
            Harness.cli(other, "start", pid, "-i", "lo", "-w", tmp.resolve("a").toString()).expect(0);
            String status = Harness.cli(other, "status", pid).expect(0).out;
            assertTrue(status.contains("agent: wiretrace " + otherBuild) && status.contains("cli: wiretrace " + otherBuild),
                    status);

            // this build's CLI: status and stop answer, saying whose answer it is
            Harness.Result st = Harness.cli("status", pid).expect(0);
            assertTrue(st.out.contains("build " + otherBuild) && st.out.contains("agent: wiretrace " + otherBuild)
                    && st.out.contains("cli: wiretrace " + thisBuild), st.out);
            // start refuses, naming both builds and what to do
            Harness.Result start = Harness.cli("start", pid, "-i", "lo", "-w", tmp.resolve("b").toString()).expect(1);
            assertTrue(start.err.contains(otherBuild) && start.err.contains(thisBuild)
                    && start.err.contains("restart the app"), start.err);
            assertTrue(Files.notExists(tmp.resolve("b")), "nothing was started");
            Harness.Result stop = Harness.cli("stop", pid).expect(0);
            assertTrue(stop.out.contains("build " + otherBuild), stop.out);
            // and once stopped, still: the JVM keeps the other build's agent
            Harness.cli("start", pid, "-i", "lo", "-w", tmp.resolve("c").toString()).expect(1);
            Harness.cli("interfaces", pid).expect(1);

            // the agent checks too (two CLIs racing into a fresh JVM see nothing loaded yet)
            String reply = loadDirectly(pid, Harness.AGENT_JAR, "start,build=" + thisBuild + ",i=lo,w="
                    + tmp.resolve("d"), tmp);
            assertTrue(reply.startsWith("1\n") && reply.contains(otherBuild) && reply.contains(thisBuild), reply);
            // an option the agent does not know is an error, not ignored
            String unknown = loadDirectly(pid, Harness.AGENT_JAR, "status,colour=blue", tmp);
            assertTrue(unknown.startsWith("2\n") && unknown.contains("colour"), unknown);
            assertTrue(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false), "the app lives on");
        }
    }

    /** Loads {@code jar} into {@code pid} with {@code args} and a reply token, and returns the reply it published. */
    private static String loadDirectly(String pid, Path jar, String args, Path tmp) throws Exception {
        String token = "direct-" + System.nanoTime();
        VirtualMachine vm = VirtualMachine.attach(pid);
        try {
            vm.loadAgent(jar.toString(), args + ",reply=" + token);
            return String.valueOf(vm.getAgentProperties().getProperty("wiretrace.reply." + token));
        } finally {
            vm.detach();
        }
    }

    /** A copy of the CLI jar, and of the agent jar it embeds, whose build identity names another commit. */
    private static void rebuild(Path from, Path to) throws IOException {
        try (OutputStream out = Files.newOutputStream(to)) {
            out.write(rewrite(Files.readAllBytes(from)));
        }
    }

    private static byte[] rewrite(byte[] jar) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(jar));
                ZipOutputStream out = new ZipOutputStream(bytes)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] data = in.readAllBytes();
                if (e.getName().endsWith(BUILD_PROPERTIES)) {
                    data = otherCommit(data);
                } else if (e.getName().equals("wiretrace-agent.jar")) {
                    data = rewrite(data);
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(data);
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] otherCommit(byte[] data) throws IOException {
        Properties p = new Properties();
        try (InputStream in = new java.io.ByteArrayInputStream(data)) {
            p.load(in);
        }
        assertEquals(false, p.getProperty("commit", "").isEmpty(), "build.properties without a commit");
        p.setProperty("commit", OTHER_COMMIT);
        p.setProperty("dirty", "false");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(out, null);
        return out.toByteArray();
    }
}
