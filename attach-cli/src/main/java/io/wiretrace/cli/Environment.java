package io.wiretrace.cli;

import com.sun.tools.attach.VirtualMachine;
import io.wiretrace.analysis.files.BundleName;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.redact.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * environment.txt: the target JVM (version, flags and command line, secrets redacted), the OS,
 * the interfaces as the target sees them, the command that collected, and wiretrace's version.
 * Whatever came from the target goes through {@link Secrets}.
 */
final class Environment {
    private Environment() {
    }

    static String describe(String pid, String command, String extra) {
        StringBuilder b = new StringBuilder();
        b.append("wiretrace: ").append(Wiretrace.version()).append('\n');
        b.append("command: ").append(Secrets.redact(command)).append('\n');
        b.append("\n[target JVM ").append(pid).append("]\n");
        try {
            VirtualMachine vm = AgentClient.attach(pid);
            try {
                Properties sys = AgentClient.properties(vm, false);
                Properties agent = AgentClient.properties(vm, true);
                for (String k : new String[] {"java.version", "java.vendor", "java.vm.name", "java.vm.version",
                    "java.home", "java.class.path", "user.name", "user.dir", "file.encoding"}) {
                    b.append(k).append(": ").append(Secrets.value(k, sys.getProperty(k, "?"))).append('\n');
                }
                b.append("command line: ").append(Secrets.redact(agent.getProperty("sun.java.command", "?"))).append('\n');
                b.append("JVM arguments: ").append(Secrets.redact(agent.getProperty("sun.jvm.args", "?"))).append('\n');
                b.append("JVM flags: ").append(Secrets.redact(flags(vm))).append('\n');
            } finally {
                vm.detach();
            }
        } catch (IOException | RuntimeException e) {
            b.append("not available: ").append(e.getMessage()).append('\n');
        }
        b.append("\n[OS]\n");
        b.append("os: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(' ').append(System.getProperty("os.arch")).append('\n');
        b.append("distribution: ").append(osRelease()).append('\n');
        b.append("host: ").append(BundleName.host()).append('\n');
        b.append("processors: ").append(Runtime.getRuntime().availableProcessors()).append('\n');
        b.append("\n[interfaces, as the target sees them]\n");
        try {
            // published by the agent at start: asking for them would load it once more
            Properties p = AgentClient.published(pid, Commands.INTERFACES_PROPERTY);
            String list = p == null ? null : p.getProperty(Commands.INTERFACES_PROPERTY);
            b.append(list != null ? list : "not published by the agent").append('\n');
        } catch (RuntimeException e) {
            b.append("not available: ").append(e.getMessage()).append('\n');
        }
        if (extra != null && !extra.isEmpty()) {
            b.append('\n').append(extra.endsWith("\n") ? extra : extra + "\n");
        }
        return b.toString();
    }

    /**
     * The flags that differ from their defaults, ergonomic ones included (the collector, the heap
     * size), as {@code jcmd <pid> VM.flags} prints them: the attach API's jcmd call, which the
     * jar's manifest exports to us (Add-Exports: jdk.attach/sun.tools.attach).
     */
    private static String flags(VirtualMachine vm) {
        try {
            Object in = vm.getClass().getMethod("executeJCmd", String.class).invoke(vm, "VM.flags");
            try (java.io.InputStream s = (java.io.InputStream) in) {
                String text = new String(s.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
                return text.replaceFirst("^\\d+:\\s*", "").replace('\n', ' ');
            }
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            return "not available (" + e + ")";
        }
    }

    private static String osRelease() {
        try {
            for (String l : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (l.startsWith("PRETTY_NAME=")) {
                    return l.substring(12).replace("\"", "");
                }
            }
        } catch (IOException | RuntimeException e) {
            // below
        }
        return "?";
    }
}
