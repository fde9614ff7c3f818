package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = "Stops the capture in a JVM: removes the instrumentation, closes the capture, writes the"
                + " files and prints their paths. For a JVM of another user or in a container, it also moves the"
                + " files from the target's staging directory to the one start was given.")
final class StopCommand extends TargetCommand {
    @Option(names = "--session", paramLabel = "ID",
            description = "Stop only the capture with this session id (start prints it); another one is left running.")
    String session;

    @Override
    Reply answer(String pid) {
        Properties p = AgentClient.published(pid);
        if (p == null) {
            return handOverEnded(pid); // loads nothing
        }
        return stop(Staging.of(pid), session, p);
    }

    /**
     * Stops the capture (only session {@code session} if that is not null) whose agent published
     * {@code published}, without loading the agent where a request file can be put; for a
     * separate target it then moves the files to the operator's directory, naming them there.
     */
    static Reply stop(Staging staging, String session, Properties published) {
        String running = published.getProperty(Commands.SESSION_PROPERTY);
        if (running == null && published.getProperty(Commands.STATE_PROPERTY, "idle").equals("idle")) {
            return handOverEnded(staging.pid); // loads nothing
        }
        Optional<Handover.Record> record = running == null ? Optional.empty() : Handover.find(staging.pid, running);
        // the stop goes through a request file where this CLI may put one: the agent is not loaded again
        String dir = published.getProperty(Commands.DIR_PROPERTY);
        Path requests = record.map(rec -> rec.staged).orElse(staging.separate || dir == null ? null : Path.of(dir));
        Reply r = AgentClient.requestStop(staging, requests, session);
        String note = AgentClient.skewNote(staging.pid, published);
        if (r != null && note != null) {
            r = new Reply(r.code, note + "\n" + r.text);
        }
        if (r == null) {
            Map<String, String> options = new HashMap<>();
            if (session != null) {
                options.put(Commands.SESSION, session);
            }
            r = AgentClient.send(staging, Commands.STOP, options, true);
        }
        if (r == null) {
            return handOverEnded(staging.pid);
        }
        if (r.code != Wiretrace.OK || running == null) {
            return r;
        }
        String tcpdump = Outside.finish(staging, running);
        Reply stopped = tcpdump == null || tcpdump.isEmpty() ? r
                : new Reply(r.code, r.text + "\n[the capture outside the JVM]\n" + tcpdump);
        return record.map(rec -> {
            String text = rec.rewrite(stopped.text);
            String moved = Handover.deliver(rec);
            return new Reply(stopped.code, text.replaceAll("(?s)\nfiles:\n.*?(?=\nstopped in|$)", "") + "\nfiles:\n" + moved);
        }).orElse(stopped);
    }

    /** No capture runs: hands over what an ended one (stopped by its deadline, say) left staged. */
    private static Reply handOverEnded(String pid) {
        List<Handover.Record> left = Handover.of(pid);
        if (left.isEmpty()) {
            return new Reply(Wiretrace.FAILED, "no capture is running");
        }
        StringBuilder out = new StringBuilder("no capture is running; the files of the ended session");
        Staging staging = Staging.of(pid);
        for (Handover.Record rec : left) {
            out.append(' ').append(rec.session).append(" are now in ").append(rec.dest).append(":\n")
                    .append(Handover.deliver(rec)).append('\n');
            String tcpdump = Outside.finish(staging, rec.session);
            if (tcpdump != null && !tcpdump.isEmpty()) {
                out.append("[the capture outside the JVM]\n").append(tcpdump).append('\n');
            }
        }
        return new Reply(Wiretrace.OK, out.toString().trim());
    }
}
