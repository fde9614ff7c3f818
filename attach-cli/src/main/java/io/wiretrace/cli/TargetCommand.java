package io.wiretrace.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** A command that only names its target and passes one agent command: status, stop. */
abstract class TargetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<target>", description = "A pid, or a substring of the main class or jar.")
    String target;

    abstract String agentCommand();

    @Override
    public Integer call() {
        String pid = Targets.resolve(target);
        return Output.print(AgentClient.send(pid, agentCommand(), Map.of()), pid, spec.commandLine().getOut());
    }
}
