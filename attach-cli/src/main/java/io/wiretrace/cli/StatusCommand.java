package io.wiretrace.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the capture in a JVM: state, output files, packets, bytes, drops, connections.")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<target>", description = "A pid, or a substring of the main class or jar.")
    String target;

    @Override
    public Integer call() {
        String pid = Targets.resolve(target);
        return Output.print(AgentClient.send(pid, "status", Map.of()), pid, spec.commandLine().getOut());
    }
}
