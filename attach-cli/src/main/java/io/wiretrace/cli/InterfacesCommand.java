package io.wiretrace.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "interfaces", mixinStandardHelpOptions = true,
        description = "Lists the capture interfaces as the target JVM sees them, numbered as in `tcpdump -D`;"
                + " `start -i` takes a name or a number from this list. Loads the agent into the target"
                + " (it starts nothing there).")
final class InterfacesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<target>", description = "A pid, or a substring of the main class or jar.")
    String target;

    @Override
    public Integer call() {
        String pid = Targets.resolve(target);
        return Output.print(AgentClient.send(pid, "interfaces", Map.of()), pid, spec.commandLine().getOut());
    }
}
