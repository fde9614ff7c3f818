package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Reply;
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

    /** The answer when wiretrace never ran in the target (the agent is then not loaded at all). */
    abstract Reply neverStarted();

    /** The answer as printed; status adds the CLI's build to the agent's. */
    Reply answered(Reply reply) {
        return reply;
    }

    @Override
    public Integer call() {
        String pid = Targets.resolve(target);
        Reply reply = AgentClient.send(pid, agentCommand(), Map.of(), true);
        return Output.print(answered(reply != null ? reply : neverStarted()), pid, spec.commandLine().getOut());
    }
}
