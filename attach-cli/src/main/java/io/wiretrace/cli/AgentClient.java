package io.wiretrace.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import io.wiretrace.analysis.files.OwnDirectory;
import io.wiretrace.analysis.protocol.Args;
import io.wiretrace.analysis.protocol.Build;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Talks to the agent in a target JVM through the Attach API: loads the embedded agent jar with
 * one command and reads the agent's reply from a private file. No network port is involved.
 */
final class AgentClient {
    /** The attach protocol limits an argument to 1024 bytes; longer ones travel in a file. */
    private static final int MAX_INLINE_ARGS = 900;
    private static byte[] embedded;
    private static String embeddedHash;
    private static boolean pruned;

    private AgentClient() {
    }

    static Reply send(String pid, String command, Map<String, String> options) {
        return send(pid, command, options, false);
    }

    /**
     * Sends one command to the agent in {@code pid}. With {@code onlyIfLoaded}, a JVM where
     * wiretrace never ran is left alone and the result is null: asking for a status must not
     * load the agent into it.
     */
    static Reply send(String pid, String command, Map<String, String> options, boolean onlyIfLoaded) {
        Path dir = privateDir();
        Path reply = dir.resolve("reply-" + UUID.randomUUID() + ".txt");
        Path argsFile = null;
        Map<String, String> values = new LinkedHashMap<>(options);
        values.put(Commands.REPLY, reply.toString());
        values.put(Commands.BUILD, Build.id());
        String args = new Args(command, values).format();
        try {
            if (args.length() > MAX_INLINE_ARGS) {
                argsFile = dir.resolve("args-" + UUID.randomUUID() + ".txt");
                Files.writeString(argsFile, args);
                args = "@" + argsFile;
            }
            VirtualMachine vm = attach(pid);
            String note = null;
            boolean olderAnswered = false;
            try {
                String state = published(vm, Commands.STATE_PROPERTY);
                String build = published(vm, Commands.BUILD_PROPERTY);
                if (onlyIfLoaded && state == null && build == null) {
                    return null;
                }
                if ((state != null || build != null) && !Build.id().equals(build)) {
                    // The JVM answers with the agent it loaded first, whichever jar is named now.
                    if (!Commands.readsOrEnds(command)) {
                        throw new Wiretrace.Failure(Wiretrace.FAILED, Commands.skew(pid, build, Build.id()));
                    }
                    note = "note: this answer comes from the wiretrace agent of " + (build == null
                            ? "an older build" : "build " + build) + " in " + pid + "; this wiretrace is build " + Build.id();
                }
                vm.loadAgent(agentJar().toString(), args);
                if (published(vm, Commands.BUILD_PROPERTY) == null) {
                    // Agents since build identities publish theirs on every command: an older one answered.
                    note = "warning: the wiretrace agent that answered in " + pid + " is of an older build, loaded"
                            + " earlier (a JVM keeps the agent it loaded first); this wiretrace is build " + Build.id()
                            + ". Its answer follows; restart the app to use this build";
                    olderAnswered = !Commands.readsOrEnds(command);
                }
            } catch (AgentLoadException | AgentInitializationException e) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "the agent could not be loaded into " + pid + ": "
                        + e.getMessage() + hintFor(e));
            } finally {
                vm.detach();
            }
            if (!Files.exists(reply)) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "the agent in " + pid
                        + " gave no answer; look at the target's standard error");
            }
            Reply answer = Reply.parse(Files.readString(reply, StandardCharsets.UTF_8));
            return note == null ? answer
                    : new Reply(olderAnswered ? Wiretrace.FAILED : answer.code, note + "\n" + answer.text);
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "talking to " + pid + " failed: " + e.getMessage());
        } finally {
            deleteQuietly(reply);
            deleteQuietly(argsFile);
        }
    }

    /** The agent's state as it publishes it, or null. */
    static String state(VirtualMachine vm) throws IOException {
        return published(vm, Commands.STATE_PROPERTY);
    }

    /** What the agent published under {@code key}: an agent property, else (a JDK without them) a system property. */
    private static String published(VirtualMachine vm, String key) throws IOException {
        String value = vm.getAgentProperties().getProperty(key);
        return value != null ? value : vm.getSystemProperties().getProperty(key);
    }

    static VirtualMachine attach(String pid) {
        try {
            return VirtualMachine.attach(pid);
        } catch (AttachNotSupportedException | IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot attach to " + pid + ": " + e.getMessage()
                    + " (it must be a HotSpot JVM of Java 11+ running as the same user, without"
                    + " -XX:+DisableAttachMechanism)");
        }
    }

    private static String hintFor(Exception e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("EnableDynamicAgentLoading") || m.contains("dynamic")
                ? " (the target was started with -XX:-EnableDynamicAgentLoading)" : "";
    }

    /**
     * The embedded agent jar, copied into the private folder, and checked against the embedded
     * bytes right before every load (a copy that differs is written anew). It stays there: a JVM
     * that loaded the agent keeps reading classes from it.
     */
    static synchronized Path agentJar() throws IOException {
        if (embedded == null) {
            try (InputStream in = AgentClient.class.getResourceAsStream("/wiretrace-agent.jar")) {
                if (in == null) {
                    throw new IOException("wiretrace-agent.jar is missing from the wiretrace jar (a broken build?)");
                }
                byte[] jar = in.readAllBytes();
                embedded = jar;
                embeddedHash = sha256(jar);
            }
        }
        Path dir = privateDir();
        Path target = dir.resolve("wiretrace-agent-" + embeddedHash.substring(0, 16) + ".jar");
        if (!isOurs(target)) {
            Path tmp = Files.createTempFile(dir, "agent", ".tmp");
            Files.write(tmp, embedded);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            if (!isOurs(target)) {
                throw new IOException(target + " does not hold the agent jar just written to it");
            }
        }
        // Marks the copy in use, so that another version's CLI does not prune it before it loads.
        Files.setLastModifiedTime(target, FileTime.fromMillis(System.currentTimeMillis()));
        if (!pruned) {
            pruneUnused(dir, target);
            pruned = true;
        }
        return target;
    }

    /** Whether {@code file} is a regular file (not a link) with exactly the embedded agent jar's bytes. */
    private static boolean isOurs(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) != embedded.length) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return sha256(in.readAllBytes()).equals(embeddedHash);
        }
    }

    /**
     * Deletes copies of other agent versions that no process holds open any more and that no
     * CLI has used for ten minutes (a CLI of that version may be about to load its copy).
     */
    static void pruneUnused(Path dir, Path keep) {
        long recent = System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(10);
        try (DirectoryStream<Path> copies = Files.newDirectoryStream(dir, "wiretrace-agent-*.jar")) {
            Set<Path> inUse = null;
            for (Path copy : copies) {
                if (copy.equals(keep)) {
                    continue;
                }
                if (inUse == null) {
                    inUse = openFiles();
                }
                if (!inUse.contains(copy.toAbsolutePath()) && Files.getLastModifiedTime(copy).toMillis() < recent) {
                    Files.deleteIfExists(copy);
                }
            }
        } catch (IOException | RuntimeException e) {
            // keeping an old copy is harmless
        }
    }

    /** Every file some process of ours has open, from /proc/<pid>/fd. */
    private static Set<Path> openFiles() throws IOException {
        Set<Path> open = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Paths.get("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            open.add(Files.readSymbolicLink(fd));
                        } catch (IOException ignored) {
                            // the fd closed meanwhile
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended, or is not ours
                }
            }
        }
        return open;
    }

    /**
     * {@code $TMPDIR/wiretrace-<user>}, ours alone. It is created in one step with mode 0700; one
     * that exists already is used only if it is a directory, not a link, and owned by this user
     * (its mode is then made 0700 again; what it holds is checked before use). Anything else in
     * its place, made by another user of a shared temp directory, is refused, never followed.
     */
    static Path privateDir() {
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "wiretrace-" + System.getProperty("user.name"));
        try {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException exists) {
                // checked below
            }
            String wrong = OwnDirectory.problem(dir, true); // ours: its mode is ours to set right below
            if (wrong != null) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "refusing to use " + dir + ": it " + wrong
                        + ", which another user of " + dir.getParent() + " can have put there; remove it, or set"
                        + " another temp directory with java -Djava.io.tmpdir=DIR -jar wiretrace.jar");
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return dir;
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot create " + dir + ": " + e.getMessage());
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a leftover file in our private folder is harmless
            }
        }
    }
}
