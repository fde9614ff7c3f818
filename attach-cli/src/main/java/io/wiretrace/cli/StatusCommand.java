package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Build;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import java.util.Properties;
import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the capture in a JVM: session, state, output files, packets, bytes, drops, connections."
                + " It reads what the agent publishes every second, and loads nothing into the JVM.")
final class StatusCommand extends TargetCommand {
    @Override
    Reply answer(String pid) {
        Properties p = AgentClient.publishedSince(pid, System.currentTimeMillis());
        if (p == null) {
            return new Reply(Wiretrace.OK, "state: idle (wiretrace has not run in this JVM)\ncli: wiretrace " + Build.id());
        }
        String skew = AgentClient.skewNote(pid, p);
        String note = skew == null ? "" : skew + "\n";
        String status = p.getProperty(Commands.STATUS_PROPERTY);
        if (status == null) { // an agent that publishes only its state
            status = "state: " + p.getProperty(Commands.STATE_PROPERTY, "idle (no capture running)");
        }
        StringBuilder text = new StringBuilder(note).append(status);
        for (Handover.Record r : Handover.of(pid)) {
            if (!r.session.equals(p.getProperty(Commands.SESSION_PROPERTY))) {
                text.append("\nfiles of the ended session ").append(r.session).append(" wait in ").append(r.staged)
                        .append("; `wiretrace stop ").append(pid).append("` moves them to ").append(r.dest);
            } else {
                text = new StringBuilder(r.rewrite(text.toString())).append("\nthe files are written into ")
                        .append(r.staged).append(" until `wiretrace stop` moves them to ").append(r.dest);
            }
        }
        return new Reply(Wiretrace.OK, text + "\ncli: wiretrace " + Build.id());
    }
}
