package io.wiretrace.cli;

import com.sun.tools.attach.VirtualMachine;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"Lists the JVMs on this host that wiretrace can attach to: pid, main class or jar,"
                + " Java version and wiretrace state.",
            "An entry whose process is not a JVM of the user its perfdata file names (any user can put one"
                + " in /tmp/hsperfdata_<user>/ with any pid) is shown as (not a JVM of <user>: <reason>) and is"
                + " never attached to: attaching sends SIGQUIT, which kills a process that is not a JVM."})
final class ListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-8s %-8s %-30s %s%n", "PID", "JAVA", "WIRETRACE", "MAIN");
        for (Targets.Jvm jvm : Targets.jvms()) {
            String version = "?";
            String state = "(" + jvm.refusal + ")";
            if (jvm.refusal == null) {
                try {
                    VirtualMachine vm = VirtualMachine.attach(jvm.descriptor);
                    try {
                        version = vm.getSystemProperties().getProperty("java.version", "?");
                        String published = AgentClient.state(vm);
                        state = published != null ? published : "-";
                    } finally {
                        vm.detach();
                    }
                } catch (Exception e) {
                    state = "(cannot attach)";
                }
            }
            out.printf("%-8s %-8s %-30s %s%n", jvm.descriptor.id(), version, state, jvm.name());
        }
        out.flush();
        return Wiretrace.OK;
    }
}
