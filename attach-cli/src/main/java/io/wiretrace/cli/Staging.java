package io.wiretrace.cli;

import io.wiretrace.analysis.files.OwnDirectory;
import io.wiretrace.analysis.files.PrivateFile;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Set;

/**
 * Where the CLI puts what a target JVM must read (the agent jar, long arguments) and where its
 * capture writes until {@code stop} hands the files over: a directory both can reach, named as
 * this process opens it ({@link #dir}) and as the target names it ({@link #remoteDir}).
 *
 * <p>A target of this user in this mount namespace uses the CLI's private folder, and writes its
 * output straight where the operator asked. Any other target is <em>separate</em>: a JVM of
 * another user (root operating an app user's JVM) or in other mount namespaces (a container, a
 * service with a private /tmp). Its files go into {@code /tmp/wiretrace-<user>-staging} as the
 * target sees /tmp (through {@code /proc/<pid>/root}): this user's, mode 0711 (nobody can list
 * it, nobody else can write it). The agent jar there is 0644, an arguments file is 0400 and
 * owned by the target's user, and a capture's output directory in it belongs to the target's
 * user (0700), from where the CLI copies the files into the operator's own directory.
 */
final class Staging {
    private static final Set<PosixFilePermission> SHARED = PosixFilePermissions.fromString("rwx--x--x");

    final String pid;
    final int targetUid;
    final int targetGid;
    /** Whether the target's files travel through {@link #dir} and are handed over at stop. */
    final boolean separate;
    /** Why the target is separate ("runs as uid 1000", "has its own mount namespace"), or "". */
    final String why;
    final Path dir;
    final String remoteDir;

    private Staging(String pid, int targetUid, int targetGid, String why, Path dir, String remoteDir) {
        this.pid = pid;
        this.targetUid = targetUid;
        this.targetGid = targetGid;
        this.why = why;
        this.separate = !why.isEmpty();
        this.dir = dir;
        this.remoteDir = remoteDir;
    }

    static Staging of(String pid) {
        // Targets.resolve has checked the process: a JVM, and this user's unless this user is root
        Proc target = Proc.read(Long.parseLong(pid));
        if (target == null) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "process " + pid + " is gone");
        }
        boolean otherUser = target.uid != Proc.self().uid;
        boolean otherMounts = !sameNamespace(pid, "mnt");
        if (!otherUser && !otherMounts) {
            Path dir = AgentClient.privateDir();
            return new Staging(pid, target.uid, target.gid, "", dir, dir.toString());
        }
        String why = otherUser ? "runs as uid " + target.uid : "has its own mount namespace (a container, or a private /tmp)";
        Path tmp = otherMounts ? Paths.get("/proc", pid, "root", "tmp") : Paths.get("/tmp");
        String name = "wiretrace-" + System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_") + "-staging";
        Path dir = tmp.resolve(name);
        try {
            String base = sharedDirProblem(tmp);
            if (base != null) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot place files for " + pid + " in its /tmp (" + tmp
                        + "): it " + base);
            }
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(SHARED));
            } catch (FileAlreadyExistsException exists) {
                // checked below
            }
            String wrong = OwnDirectory.problem(dir, true);
            if (wrong != null) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "refusing to use " + dir + ": it " + wrong
                        + ", which another user can have put there; remove it");
            }
            view(dir).setPermissions(SHARED);
        } catch (IOException e) {
            String ro = String.valueOf(e.getMessage()).contains("Read-only") ? " (its /tmp is read-only; give the"
                    + " container a writable /tmp, e.g. an emptyDir volume)" : "";
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot place files for " + pid + " in " + dir + ": " + e.getMessage() + ro);
        }
        return new Staging(pid, target.uid, target.gid, why, dir, "/tmp/" + name);
    }

    /** The path the target uses for {@code local}, a file in {@link #dir}. */
    String remote(Path local) {
        return remoteDir + "/" + dir.relativize(local);
    }

    /** A file of {@code text} that the target's user alone can read (0400), created in one step. */
    Path privateFile(Path f, String text) throws IOException {
        try (OutputStream o = PrivateFile.create(f)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        handOver(f, PosixFilePermissions.fromString("r--------"));
        return f;
    }

    /** A new directory in {@link #dir} for a capture's output, the target user's (0700). */
    Path outputDir(String session) throws IOException {
        Path d = dir.resolve("session-" + session);
        Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        handOver(d, PosixFilePermissions.fromString("rwx------"));
        return d;
    }

    /** Gives {@code f} to the target's user, with {@code mode}, without following a link. */
    void handOver(Path f, Set<PosixFilePermission> mode) throws IOException {
        PosixFileAttributeView v = view(f);
        if (separate) {
            UserPrincipalLookupService users = f.getFileSystem().getUserPrincipalLookupService();
            UserPrincipal owner = users.lookupPrincipalByName(String.valueOf(targetUid));
            v.setOwner(owner);
            v.setGroup(users.lookupPrincipalByGroupName(String.valueOf(targetGid)));
        }
        v.setPermissions(mode);
    }

    static PosixFileAttributeView view(Path p) {
        return Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * What makes {@code tmp} unfit for files of ours, or null: it must be a directory (not a
     * link) of root's or ours, and if others may write it, sticky (so that nobody else can
     * rename or replace what we create there).
     */
    private static String sharedDirProblem(Path tmp) throws IOException {
        PosixFileAttributes a = Files.readAttributes(tmp, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink() || !a.isDirectory()) {
            return a.isSymbolicLink() ? "is a symbolic link" : "is not a directory";
        }
        int owner = (Integer) Files.getAttribute(tmp, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != 0 && owner != Proc.self().uid) {
            return "belongs to uid " + owner;
        }
        int mode = (Integer) Files.getAttribute(tmp, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        boolean othersWrite = (mode & 0022) != 0;
        boolean sticky = (mode & 01000) != 0;
        return othersWrite && !sticky ? "can be written by others and is not sticky (mode "
                + Integer.toOctalString(mode & 07777) + ")" : null;
    }

    /** Whether {@code pid} shares this process's namespace of {@code kind} ("mnt", "net"); true when it cannot be told. */
    static boolean sameNamespace(String pid, String kind) {
        try {
            return Files.readSymbolicLink(Paths.get("/proc/self/ns", kind))
                    .equals(Files.readSymbolicLink(Paths.get("/proc", pid, "ns", kind)));
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }
}
