package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "start", mixinStandardHelpOptions = true, separator = " ",
        description = "Attaches to a running JVM, starts capturing its traffic and recording its socket calls,"
                + " and returns at once. The capture runs inside the target until `wiretrace stop`.",
        footer = {"", "Rotation works as in tcpdump: with -C, files after the first are named trace.pcapng1, 2, ...;"
                + " with -C and -W they form a ring trace.pcapng0 .. N-1, so the capture keeps at most -W times -C MB;"
                + " with -G, the name goes through strftime (default trace-%%Y%%m%%d-%%H%%M%%S.pcapng), and -W ends the"
                + " capture after that many files.",
            "", "Examples:",
            "  wiretrace start 4242 tcp port 443",
            "  wiretrace start my-app.jar -i eth0 -w /var/tmp/incident host 10.0.0.5",
            "  wiretrace start my-app.jar -i any -C 2 -W 5 port 8080       (a ring of 5 files of 2 MB)"})
final class StartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<target>",
            description = "A pid, or a substring of the main class or jar that matches exactly one JVM.")
    String target;

    @Parameters(index = "1..*", paramLabel = "filter",
            description = "A BPF capture filter as tcpdump takes it, e.g. `tcp port 443 and host 10.0.0.5`.")
    List<String> filter = List.of();

    @Mixin
    CaptureOptions capture;

    @Override
    public Integer call() {
        capture.validate();
        String pid = Targets.resolve(target);
        Path out = capture.dir != null ? capture.dir : Path.of("wiretrace-" + pid + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return Output.print(start(Staging.of(pid), capture.agentOptions(out, filter), capture.outside(pid), 0),
                pid, spec.commandLine().getOut());
    }

    /**
     * Starts a capture with a new session id. A separate target (see {@link Staging}) writes
     * into its staging directory, and the reply names the operator's directory, where stop puts
     * the files; a start that fails leaves nothing behind.
     */
    static Reply start(Staging staging, Map<String, String> options, boolean outside, long untilMillis) {
        String session = UUID.randomUUID().toString().substring(0, 8);
        options.put(Commands.SESSION, session);
        Outside packets = outside ? Outside.start(staging, session, options, untilMillis) : null;
        try {
            Reply r = start(staging, session, options);
            if (packets != null && r.code != Wiretrace.OK) {
                packets.abort();
            }
            if (r.code != Wiretrace.OK) {
                return r;
            }
            String why = Outside.whyNotInside(staging.pid);
            if (packets == null) {
                boolean couldHave = why != null && Outside.mayCapture("self") && Outside.tcpdump() == null;
                return !couldHave ? r : new Reply(r.code, r.text + "\nnote: wiretrace could capture for this JVM from"
                        + " outside it with tcpdump, which is not installed here (apt-get install tcpdump)");
            }
            return new Reply(r.code, r.text + "\npackets: captured outside the JVM by " + packets.tcpdump
                    + " in its network namespace, watched by pid " + packets.producers.get(0).pid() + " (the target "
                    + (why != null ? why : "could capture itself; --packets outside was asked") + ")");
        } catch (RuntimeException e) {
            if (packets != null) {
                packets.abort();
            }
            throw e;
        }
    }

    private static Reply start(Staging staging, String session, Map<String, String> options) {
        if (!staging.separate) {
            return AgentClient.send(staging, Commands.START, options, false);
        }
        Path dest = Path.of(options.get("w"));
        boolean existed = Files.exists(dest, LinkOption.NOFOLLOW_LINKS);
        Handover.prepare(dest);
        Path staged;
        try {
            staged = staging.outputDir(session);
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot create the staging directory for " + staging.pid
                    + " in " + staging.dir + ": " + e.getMessage());
        }
        options.put("w", staging.remote(staged));
        Handover.save(staging, session, staged, dest);
        Handover.Record r = Handover.find(staging.pid, session).orElseThrow();
        Reply reply;
        try {
            reply = AgentClient.send(staging, Commands.START, options, false);
        } catch (RuntimeException e) {
            undo(r, existed);
            throw e;
        }
        if (reply.code != Wiretrace.OK) {
            undo(r, existed);
            return new Reply(reply.code, r.rewrite(reply.text));
        }
        return new Reply(reply.code, r.rewrite(reply.text) + "\nthe target " + staging.why + ": it writes into "
                + staged + (staged.toString().equals(r.remote) ? "" : " (" + r.remote + " as it sees it)")
                + ", and `wiretrace stop` moves the files to " + dest);
    }

    private static void undo(Handover.Record r, boolean destExisted) {
        Handover.forget(r);
        try {
            Files.deleteIfExists(r.staged);
            if (!destExisted) {
                Files.deleteIfExists(r.dest);
            }
        } catch (IOException ignored) {
            // not empty: the agent left something; the operator sees it
        }
    }
}
