package io.wiretrace.cli;

import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the capture in a JVM: state, output files, packets, bytes, drops, connections.")
final class StatusCommand extends TargetCommand {
    @Override
    String agentCommand() {
        return "status";
    }
}
