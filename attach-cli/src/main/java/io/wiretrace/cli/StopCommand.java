package io.wiretrace.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = {"Stops the capture in a JVM: removes the instrumentation, closes the capture and",
            "writes the files, then prints their paths."})
final class StopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<target>", description = "A pid, or a substring of the main class or jar.")
    String target;

    @Override
    public Integer call() {
        String pid = Targets.resolve(target);
        return Output.print(AgentClient.send(pid, "stop", Map.of()), pid, spec.commandLine().getOut());
    }
}
