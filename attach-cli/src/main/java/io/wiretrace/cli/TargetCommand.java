package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Reply;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** A command that only names its target: status, stop. */
abstract class TargetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<target>", description = "A pid, or a substring of the main class or jar.")
    String target;

    abstract Reply answer(String pid);

    @Override
    public Integer call() {
        String pid = Targets.resolve(target);
        return Output.print(answer(pid), pid, spec.commandLine().getOut());
    }
}
