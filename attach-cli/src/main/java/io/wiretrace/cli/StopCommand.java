package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Reply;
import picocli.CommandLine.Command;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = "Stops the capture in a JVM: removes the instrumentation, closes the capture, writes the"
                + " files and prints their paths.")
final class StopCommand extends TargetCommand {
    @Override
    String agentCommand() {
        return "stop";
    }

    @Override
    Reply neverStarted() {
        return new Reply(Wiretrace.FAILED, "no capture is running");
    }
}
