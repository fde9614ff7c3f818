package io.wiretrace.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Resolves a {@code <target>}: a pid, or a substring of the main class or jar that matches exactly one JVM. */
final class Targets {
    private Targets() {
    }

    static List<VirtualMachineDescriptor> jvms() {
        long self = ProcessHandle.current().pid();
        return VirtualMachine.list().stream()
                .filter(d -> !d.id().equals(String.valueOf(self)))
                .collect(Collectors.toList());
    }

    static String resolve(String target) {
        if (target.matches("\\d+")) {
            long pid = Long.parseLong(target);
            if (ProcessHandle.of(pid).isEmpty()) {
                throw new Wiretrace.Failure(Wiretrace.USAGE, "no process with pid " + pid
                        + "; `wiretrace list` shows the JVMs on this host");
            }
            if (pid == ProcessHandle.current().pid()) {
                throw new Wiretrace.Failure(Wiretrace.USAGE, "pid " + pid + " is wiretrace itself");
            }
            boolean listed = jvms().stream().anyMatch(d -> d.id().equals(target));
            if (!listed && !looksLikeJvm(pid)) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "process " + pid + " is not a Java VM"
                        + " (or runs as another user); `wiretrace list` shows the JVMs on this host");
            }
            return target;
        }
        List<VirtualMachineDescriptor> matches = jvms().stream()
                .filter(d -> d.displayName().contains(target))
                .collect(Collectors.toList());
        if (matches.isEmpty()) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "no JVM matches '" + target
                    + "'; `wiretrace list` shows the JVMs on this host");
        }
        if (matches.size() > 1) {
            StringBuilder sb = new StringBuilder("'" + target + "' matches " + matches.size()
                    + " JVMs; name one by pid:");
            for (VirtualMachineDescriptor d : matches) {
                sb.append("\n  ").append(d.id()).append("  ").append(d.displayName());
            }
            throw new Wiretrace.Failure(Wiretrace.USAGE, sb.toString());
        }
        return matches.get(0).id();
    }

    /** A JVM started with -XX:-UsePerfData is not listed, but it maps libjvm.so. */
    private static boolean looksLikeJvm(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/maps")).contains("libjvm.so");
        } catch (Exception e) {
            return false;
        }
    }

    /** This host's name, for file names: from the kernel, no name lookup; only [A-Za-z0-9.-]. */
    static String host() {
        String h = null;
        try {
            h = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (java.io.IOException | RuntimeException e) {
            h = System.getenv("HOSTNAME");
        }
        h = h == null ? "" : h.replaceAll("[^A-Za-z0-9.-]", "_");
        return h.isEmpty() ? "localhost" : h;
    }
}
