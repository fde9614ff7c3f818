package io.wiretrace.cli;

import picocli.CommandLine.Command;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = {"Stops the capture in a JVM: removes the instrumentation, closes the capture and",
            "writes the files, then prints their paths."})
final class StopCommand extends TargetCommand {
    @Override
    String agentCommand() {
        return "stop";
    }
}
