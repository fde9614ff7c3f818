package io.wiretrace.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Lists the JVMs on this host that wiretrace can attach to: pid, main class or jar,"
                + " Java version and wiretrace state.")
final class ListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-8s %-8s %-30s %s%n", "PID", "JAVA", "WIRETRACE", "MAIN");
        for (VirtualMachineDescriptor d : Targets.jvms()) {
            String version = "?";
            String state = "?";
            try {
                VirtualMachine vm = VirtualMachine.attach(d);
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
            out.printf("%-8s %-8s %-30s %s%n", d.id(), version, state, d.displayName());
        }
        out.flush();
        return Wiretrace.OK;
    }
}
