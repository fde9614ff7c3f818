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
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Talks to the agent in a target JVM through the Attach API: loads the embedded agent jar with
 * one command and reads the agent's reply from the JVM's agent properties, where the agent also
 * publishes its state and, while it captures, its status. No network port and no reply file is
 * involved; what the target must read is placed by {@link Staging}.
 */
final class AgentClient {
    /** The attach protocol limits an argument to 1024 bytes; longer ones travel in a file. */
    private static final int MAX_INLINE_ARGS = 900;
    /** How long a stop may take in the agent (the last verdicts, the recording's dump). */
    private static final int STOP_WAIT_SECONDS = 120;
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
        return send(Staging.of(pid), command, options, onlyIfLoaded);
    }

    static Reply send(Staging staging, String command, Map<String, String> options, boolean onlyIfLoaded) {
        String pid = staging.pid;
        String token = UUID.randomUUID().toString();
        Path argsFile = null;
        Map<String, String> values = new LinkedHashMap<>(options);
        values.put(Commands.REPLY, token);
        values.put(Commands.BUILD, Build.id());
        String args = new Args(command, values).format();
        try {
            if (args.length() > MAX_INLINE_ARGS) {
                argsFile = staging.privateFile(staging.dir.resolve("args-" + UUID.randomUUID() + ".txt"), args);
                args = "@" + staging.remote(argsFile);
            }
            VirtualMachine vm = attach(pid);
            String answer;
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
                    note = skewNote(pid, build);
                }
                vm.loadAgent(staging.remote(agentJar(staging)), args);
                answer = published(vm, Commands.REPLY_PROPERTY + token);
                if (answer == null && Commands.STOP.equals(command)) {
                    answer = awaitReply(vm, token); // the agent stops on a thread of its own, then answers
                }
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
            if (answer == null) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "the agent in " + pid + " gave no answer"
                        + (note != null ? " this build can read (" + note + ")" : "") + "; look at the target's standard error");
            }
            Reply reply = Reply.parse(answer);
            return note == null ? reply
                    : new Reply(olderAnswered ? Wiretrace.FAILED : reply.code, note + "\n" + reply.text);
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "talking to " + pid + " failed: " + e.getMessage());
        } finally {
            deleteQuietly(argsFile);
        }
    }

    /**
     * What the agent in {@code pid} published, read without loading anything: its build, state,
     * session, status and progress, or null when wiretrace never ran there.
     */
    static Properties published(String pid, String... more) {
        VirtualMachine vm = attach(pid);
        try {
            Properties p = new Properties();
            Properties agent = properties(vm, true);
            Properties system = properties(vm, false); // a JDK without agent properties: system ones
            List<String> keys = new ArrayList<>(List.of(Commands.STATE_PROPERTY, Commands.BUILD_PROPERTY,
                    Commands.SESSION_PROPERTY, Commands.STATUS_PROPERTY, Commands.PROGRESS_PROPERTY, Commands.DIR_PROPERTY,
                    Commands.PUBLISHED_PROPERTY));
            keys.addAll(List.of(more));
            for (String key : keys) {
                String v = agent.getProperty(key, system.getProperty(key));
                if (v != null) {
                    p.setProperty(key, v);
                }
            }
            return p.isEmpty() ? null : p;
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot read the state of " + pid + ": " + e.getMessage());
        } finally {
            try {
                vm.detach();
            } catch (IOException ignored) {
                // the JVM went away
            }
        }
    }

    /**
     * What the agent published, waiting (1.5 s at most: it publishes every second) for a
     * publication made after {@code sinceMillis} while a capture runs: a status never older than
     * the command.
     */
    static Properties publishedSince(String pid, long sinceMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        while (true) {
            Properties p = published(pid);
            String at = p == null ? null : p.getProperty(Commands.PUBLISHED_PROPERTY);
            if (at == null || p.getProperty(Commands.SESSION_PROPERTY) == null || Long.parseLong(at) >= sinceMillis
                    || System.nanoTime() > end) {
                return p;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return p;
            }
        }
    }

    /** The words that say an answer comes from an agent of another build, or null. */
    static String skewNote(String pid, Properties published) {
        return skewNote(pid, published.getProperty(Commands.BUILD_PROPERTY));
    }

    private static String skewNote(String pid, String build) {
        return Build.id().equals(build) ? null : "note: this answer comes from the wiretrace agent of "
                + (build == null ? "an older build" : "build " + build) + " in " + pid + "; this wiretrace is build " + Build.id();
    }

    /**
     * Asks the running agent to stop with a request file in its output directory, so that the
     * agent is not loaded a second time, and waits for its answer. The directory is the one this
     * CLI knows ({@code dir}: the staged one for a separate target, the published one for a JVM
     * of this user); null when there is none to use (the caller then loads the agent).
     */
    static Reply requestStop(Staging staging, Path dir, String session) {
        if (dir == null) {
            return null;
        }
        String token = UUID.randomUUID().toString();
        Map<String, String> values = new LinkedHashMap<>();
        values.put(Commands.REPLY, token);
        values.put(Commands.BUILD, Build.id());
        if (session != null) {
            values.put(Commands.SESSION, session);
        }
        Path request = dir.resolve(Commands.STOP_FILE);
        // Written whole under a name of its own, then renamed: the agent looks for the request five
        // times a second, and once read one that was still empty ("no command given").
        Path written = dir.resolve(Commands.STOP_FILE + "." + token + ".new");
        try {
            staging.privateFile(written, new Args(Commands.STOP, values).format());
            Files.move(written, request, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING); // a request nobody took: ours replaces it
        } catch (IOException e) {
            deleteQuietly(written);
            return null;
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_WAIT_SECONDS);
        try {
            while (System.nanoTime() < end) {
                Properties p = published(staging.pid, Commands.REPLY_PROPERTY + token);
                String answer = p == null ? null : p.getProperty(Commands.REPLY_PROPERTY + token);
                if (answer != null) {
                    return Reply.parse(answer);
                }
                boolean unread = Files.exists(request, LinkOption.NOFOLLOW_LINKS);
                if (p == null || unread && (p.getProperty(Commands.SESSION_PROPERTY) == null || stale(p))) {
                    break; // the capture ended otherwise, or nobody looks at the request: load the agent
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            deleteQuietly(request);
        }
        return null;
    }

    /** The reply published under {@code token} within {@link #STOP_WAIT_SECONDS}, or null. */
    private static String awaitReply(VirtualMachine vm, String token) throws IOException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_WAIT_SECONDS);
        String answer = null;
        while (answer == null && System.nanoTime() < end) {
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            answer = published(vm, Commands.REPLY_PROPERTY + token);
        }
        return answer;
    }

    /** Whether the agent's publications stopped (its status thread is gone): none for five seconds. */
    private static boolean stale(Properties p) {
        String at = p.getProperty(Commands.PUBLISHED_PROPERTY);
        return at == null || System.currentTimeMillis() - Long.parseLong(at) > TimeUnit.SECONDS.toMillis(5);
    }

    /** The agent's state as it publishes it, or null. */
    static String state(VirtualMachine vm) throws IOException {
        return published(vm, Commands.STATE_PROPERTY);
    }

    /** What the agent published under {@code key}: an agent property, else (a JDK without them) a system property. */
    private static String published(VirtualMachine vm, String key) throws IOException {
        String value = properties(vm, true).getProperty(key);
        return value != null ? value : properties(vm, false).getProperty(key);
    }

    /**
     * The target's agent (or system) properties. The JDK makes them from a snapshot of the keys,
     * so a key removed meanwhile (the agent removes its session's when a capture stops) fails the
     * read with a NullPointerException in the target: read again, a few times.
     */
    static Properties properties(VirtualMachine vm, boolean agent) throws IOException {
        for (int attempt = 1;; attempt++) {
            try {
                return agent ? vm.getAgentProperties() : vm.getSystemProperties();
            } catch (IOException e) {
                if (attempt == 5) {
                    throw e;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(20L * attempt);
                } catch (InterruptedException i) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static VirtualMachine attach(String pid) {
        try {
            try {
                return VirtualMachine.attach(pid);
            } catch (IOException e) {
                if (!removeStaleSocket(pid)) {
                    throw e;
                }
                return VirtualMachine.attach(pid); // the JVM is asked to open its own socket
            }
        } catch (AttachNotSupportedException | IOException e) {
            if (readOnlyTmp(pid)) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot attach to " + pid + ": its /tmp is read-only, and the"
                        + " JVM opens its attach socket there; give it a writable /tmp (in Kubernetes an emptyDir volume"
                        + " at /tmp) (" + e.getMessage() + ")");
            }
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot attach to " + pid + ": " + e.getMessage()
                    + " (it must be a HotSpot JVM of Java 11+ running as the same user, or wiretrace must run as root,"
                    + " and not started with -XX:+DisableAttachMechanism)");
        }
    }

    /**
     * Removes an attach socket that an earlier process with the same pid left in the target's
     * /tmp (a JVM killed before it could remove its own): the JDK's attach finds it, connects, and
     * fails with "Connection refused". Only a socket, not followed if a link, and only one older
     * than the process, which therefore cannot be its JVM's. Returns whether one was removed.
     */
    static boolean removeStaleSocket(String pid) {
        try {
            Proc proc = Proc.read(Long.parseLong(pid));
            Instant started = ProcessHandle.of(Long.parseLong(pid)).flatMap(h -> h.info().startInstant())
                    .orElse(null);
            if (proc == null || started == null) {
                return false;
            }
            Path socket = Paths.get("/proc", pid, "root", "tmp", ".java_pid" + proc.nsPid);
            BasicFileAttributes a = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            // a second of slack: the start time is known to the clock tick, the boot time to the second
            if (!a.isOther() || a.lastModifiedTime().toInstant().plusSeconds(1).isAfter(started)) {
                return false;
            }
            Files.delete(socket);
            System.err.println("wiretrace: removed " + socket + ", an attach socket from " + a.lastModifiedTime()
                    + ", before process " + pid + " started (" + started + "): an earlier process with its pid left it");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether the /tmp that {@code pid} sees is on a read-only mount. */
    static boolean readOnlyTmp(String pid) {
        try {
            return Files.getFileStore(Paths.get("/proc", pid, "root", "tmp")).isReadOnly();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String hintFor(Exception e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("EnableDynamicAgentLoading") || m.contains("dynamic")
                ? " (the target was started with -XX:-EnableDynamicAgentLoading)" : "";
    }

    /**
     * The embedded agent jar, copied into the staging folder (0600 in the private folder, 0644
     * where a separate target must read it), and checked against the embedded bytes right before
     * every load (a copy that differs is written anew). It stays there: a JVM that loaded the
     * agent keeps reading classes from it.
     */
    static synchronized Path agentJar(Staging staging) throws IOException {
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
        Path dir = staging.dir;
        Path target = dir.resolve("wiretrace-agent-" + embeddedHash.substring(0, 16) + ".jar");
        if (!isOurs(target)) {
            Path tmp = Files.createTempFile(dir, "agent", ".tmp");
            Files.write(tmp, embedded, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            Staging.view(tmp).setPermissions(PosixFilePermissions.fromString(staging.separate ? "rw-r--r--" : "rw-------"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            if (!isOurs(target)) {
                throw new IOException(target + " does not hold the agent jar just written to it");
            }
        }
        // Marks the copy in use, so that another version's CLI does not prune it before it loads.
        FileTime now = FileTime.fromMillis(System.currentTimeMillis());
        Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(now, null, null);
        if (!pruned) {
            pruneUnused(dir, target, staging.separate ? Paths.get(staging.remoteDir) : dir);
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
     * Deletes copies of other agent versions that no process holds open any more (as {@code dir}
     * or as {@code seenAs}, the directory's name inside a container) and that no CLI has used for
     * ten minutes (a CLI of that version may be about to load its copy).
     */
    static void pruneUnused(Path dir, Path keep, Path seenAs) {
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
                boolean open = inUse.contains(copy.toAbsolutePath()) || inUse.contains(seenAs.resolve(copy.getFileName()));
                if (!open && Files.getLastModifiedTime(copy, LinkOption.NOFOLLOW_LINKS).toMillis() < recent) {
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
