package io.wiretrace.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.wiretrace.analysis.redact.Secrets;
import io.wiretrace.analysis.redact.Terminal;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Resolves a {@code <target>}: a pid, or a substring of the main class or jar that matches exactly
 * one JVM. Nothing is attached to before the process is checked: see {@link Proc}.
 */
final class Targets {
    private static final Path TMP = Path.of("/tmp");

    private Targets() {
    }

    /** A JVM that VirtualMachine.list() found, and why it must not be attached to (null when it may be). */
    static final class Jvm {
        final VirtualMachineDescriptor descriptor;
        final String refusal;

        Jvm(VirtualMachineDescriptor descriptor, String refusal) {
            this.descriptor = descriptor;
            this.refusal = Terminal.line(refusal); // it may name a file in /tmp
        }

        /**
         * Its main class or jar and arguments, as its perfdata file says (any user can write one),
         * their secrets redacted.
         */
        String name() {
            return Terminal.line(Secrets.redact(descriptor.displayName()));
        }
    }

    static List<Jvm> jvms() {
        String self = String.valueOf(ProcessHandle.current().pid());
        return VirtualMachine.list().stream()
                .filter(d -> !d.id().equals(self))
                .map(d -> new Jvm(d, refusal(d)))
                .collect(Collectors.toList());
    }

    /**
     * Why a listed entry is not attached to, or null. VirtualMachine.list() trusts perfdata files,
     * and any user can create /tmp/hsperfdata_<any name>/<any pid>: the process must be a JVM that
     * runs as the owner of each perfdata file (and its directory) that names its pid.
     */
    private static String refusal(VirtualMachineDescriptor d) {
        long pid = Long.parseLong(d.id()); // the attach provider on Linux lists pids only
        Proc p = Proc.read(pid);
        List<Path> files = perfData(pid, p != null ? p.nsPid : pid);
        String claimed = files.isEmpty() ? "?" : owner(files.get(0));
        if (p == null) {
            return "not a JVM of " + claimed + ": no process " + pid + " (a perfdata file left behind)";
        }
        for (Path file : files) {
            for (Path path : List.of(file, file.getParent())) {
                if (uid(path) != p.uid) {
                    return "not a JVM of " + owner(path) + ": it runs as " + p.user() + "; see " + file;
                }
            }
        }
        String notAJvm = p.notAJvm();
        return notAJvm == null ? null : "not a JVM of " + claimed + ": " + notAJvm;
    }

    /**
     * The perfdata files VirtualMachine.list() may have found {@code pid} by (as sun.jvmstat looks):
     * /tmp/hsperfdata_<user>/<pid>, and for a process with a /tmp of its own (a container),
     * hsperfdata_<user>/<pid, or its pid in its namespace> in that /tmp, through /proc/<pid>/root.
     */
    private static List<Path> perfData(long pid, long nsPid) {
        List<Path> files = new ArrayList<>();
        addNamed(files, TMP, pid);
        Path own = Path.of("/proc", String.valueOf(pid), "root", "tmp");
        try {
            if (Files.isDirectory(own) && !Files.isSameFile(own, TMP)) {
                addNamed(files, own, pid);
                addNamed(files, own, nsPid);
            }
        } catch (IOException e) {
            // not ours to look into, or it ended: /tmp alone
        }
        return files;
    }

    /** Adds each {@code <tmp>/hsperfdata_<anyone>/<pid>} that exists, as a file or anything else. */
    private static void addNamed(List<Path> files, Path tmp, long pid) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "hsperfdata_*")) {
            for (Path dir : dirs) {
                Path file = dir.resolve(String.valueOf(pid));
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !files.contains(file)) {
                    files.add(file);
                }
            }
        } catch (IOException e) {
            // nothing more to check there
        }
    }

    private static int uid(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return -1; // gone meanwhile: no owner to trust
        }
    }

    private static String owner(Path path) {
        try {
            return Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException e) {
            return "?";
        }
    }

    static String resolve(String target) {
        if (target.matches("\\d+")) {
            return checkedPid(target);
        }
        List<Jvm> named = jvms().stream()
                .filter(j -> j.descriptor.displayName().contains(target))
                .collect(Collectors.toList());
        List<Jvm> matches = named.stream().filter(j -> j.refusal == null).collect(Collectors.toList());
        if (matches.isEmpty() && !named.isEmpty()) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "'" + target + "' matches no JVM that wiretrace may attach to: "
                    + named.stream().map(j -> "process " + j.descriptor.id() + " is listed as one but is " + j.refusal)
                            .collect(Collectors.joining("; "))
                    + "; nothing was attached to");
        }
        if (matches.isEmpty()) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "no JVM matches '" + target
                    + "'; `wiretrace list` shows the JVMs on this host");
        }
        if (matches.size() > 1) {
            StringBuilder sb = new StringBuilder("'" + target + "' matches " + matches.size()
                    + " JVMs; name one by pid:");
            for (Jvm j : matches) {
                sb.append("\n  ").append(j.descriptor.id()).append("  ").append(j.name());
            }
            throw new Wiretrace.Failure(Wiretrace.USAGE, sb.toString());
        }
        return checkedPid(matches.get(0).descriptor.id()); // the same checks as a pid given by number: the user too
    }

    /**
     * A pid the user named: it must be a JVM that this user may attach to. Its perfdata file is
     * not consulted: the user named the process, and a JVM started with -XX:-UsePerfData has none.
     */
    private static String checkedPid(String target) {
        long pid;
        try {
            pid = Long.parseLong(target);
        } catch (NumberFormatException e) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "no process with pid " + target
                    + " (too large for a pid); `wiretrace list` shows the JVMs on this host");
        }
        Proc p = Proc.read(pid);
        if (p == null) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "no process with pid " + pid
                    + "; `wiretrace list` shows the JVMs on this host");
        }
        if (pid == ProcessHandle.current().pid()) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "pid " + pid + " is wiretrace itself");
        }
        Proc self = Proc.self();
        if (self.uid != 0 && p.uid != self.uid) {
            // The target's attach listener accepts only its own user and root.
            throw new Wiretrace.Failure(Wiretrace.FAILED, "process " + pid + " runs as " + p.user() + " and wiretrace as "
                    + self.user() + "; a JVM can be attached to only by its own user or root: run wiretrace as "
                    + (p.uid == 0 ? "root" : p.user() + " or as root"));
        }
        String notAJvm = p.notAJvm();
        if (notAJvm != null) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "process " + pid + " is not a Java VM: " + notAJvm
                    + "; nothing was sent to it. `wiretrace list` shows the JVMs on this host");
        }
        return target;
    }
}
