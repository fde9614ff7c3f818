package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Build;
import io.wiretrace.analysis.protocol.Reply;
import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the capture in a JVM: state, output files, packets, bytes, drops, connections.")
final class StatusCommand extends TargetCommand {
    @Override
    String agentCommand() {
        return "status";
    }

    @Override
    Reply neverStarted() {
        return new Reply(Wiretrace.OK, "state: idle (wiretrace has not run in this JVM)");
    }

    @Override
    Reply answered(Reply reply) {
        return new Reply(reply.code, reply.text + "\ncli: wiretrace " + Build.id());
    }
}
