package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Durations;
import io.wiretrace.analysis.protocol.StartOptions;
import io.wiretrace.analysis.protocol.Reply;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "watch", mixinStandardHelpOptions = true, separator = " ",
        description = "Attaches to a running JVM and watches it until a trigger fires: the capture runs inside the"
                + " target as a bounded ring of packets and recording, and returns at once (you may log out). When a"
                + " trigger fires, the capture goes on for --after, then the agent writes a bundle, as collect's, into the"
                + " output directory: the ring's packets and recording around the firing, and a report that opens on"
                + " the call that fired it. Then it watches on, after a cooldown, up to --max-bundles bundles, until"
                + " `wiretrace stop` or --for.",
        footer = {"", "Triggers (give --trigger once for each; any one fires):",
            "  slow>2s                 a call (connect, read, write, HTTP exchange, query, TLS, DNS) took longer",
            "  verdict=PEER_RESET      a slow or failed call got this verdict (any verdict of the report)",
            "  status>=500             an HTTP exchange was answered so (also status>499, status=503)",
            "  retrans>50/s            TCP retransmissions in the capture, over the last second",
            "  resets>10/s             TCP resets (RST) in the capture, over the last second",
            "  qualifiers for the call triggers, after commas: kind=read (connect, read, write, http, query, tls,"
                    + " dns), peer=10.0.0.5:5432, path=/api/*",
            "", "The ring keeps --keep of packets and recording, in at most --disk (a fifth for the recording, at least"
                    + " 25 MB; -C sets the size of its files and -W their number). A bundle holds whole files of the"
                    + " ring, so a little more than --before. Bundles are never deleted; after --max-bundles, firings are"
                    + " counted in `wiretrace status` only. The report is made inside the app when its heap has room"
                    + " (128 MiB and the bundle's capture files free), else the bundle says to run"
                    + " `wiretrace analyze` on it.",
            "", "Examples:",
            "  wiretrace watch my-app.jar --trigger 'slow>2s,peer=10.0.0.5:5432'",
            "  wiretrace watch 4242 --trigger verdict=PEER_RESET --trigger 'status>=500,path=/api/*' --after 30s",
            "  wiretrace watch 4242 --trigger 'retrans>50/s' --keep 30m --disk 1GB --for 72h port 443"})
final class WatchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<target>",
            description = "A pid, or a substring of the main class or jar that matches exactly one JVM.")
    String target;

    @Parameters(index = "1..*", paramLabel = "filter",
            description = "A BPF capture filter as tcpdump takes it, e.g. `tcp port 443 and host 10.0.0.5`.")
    List<String> filter = List.of();

    @Option(names = "--trigger", paramLabel = "CONDITION", required = true,
            description = "What cuts a bundle (see below); repeat for several.")
    List<String> triggers = new ArrayList<>();

    @Option(names = "--after", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long the capture goes on after a firing before the bundle is cut (default: ${DEFAULT-VALUE}).")
    String after;

    @Option(names = "--before", paramLabel = "DURATION",
            description = "How much from before the firing a bundle holds (default: all that the ring holds).")
    String before;

    @Option(names = "--keep", paramLabel = "DURATION", defaultValue = "10m",
            description = "How long the ring keeps packets and recording (default: ${DEFAULT-VALUE}); --disk may keep less.")
    String keep;

    @Option(names = "--disk", paramLabel = "SIZE", defaultValue = "200MB",
            description = "The most the ring's capture files and recording take on disk together (default:"
                    + " ${DEFAULT-VALUE}; at least 50MB). Bundles come on top: at most --max-bundles of them.")
    String disk;

    @Option(names = "--cooldown", paramLabel = "DURATION", defaultValue = "1m",
            description = "After a bundle, firings are counted but cut none for this long (default: ${DEFAULT-VALUE}).")
    String cooldown;

    @Option(names = "--max-bundles", paramLabel = "N", defaultValue = "5",
            description = "Bundles to write at most (default: ${DEFAULT-VALUE}); none is ever deleted.")
    int maxBundles;

    @Option(names = "--for", paramLabel = "DURATION", defaultValue = "24h",
            description = "The watch stops by itself after this long (default: ${DEFAULT-VALUE}), as `wiretrace stop` would.")
    String lasting;

    @Mixin
    CaptureOptions capture;

    @Override
    public Integer call() {
        Map<String, String> options = options(Paths.get("."));
        Duration d = Durations.parse(lasting);
        if (d.isZero() || d.isNegative()) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "--for takes a duration above 0, not " + lasting);
        }
        String pid = Targets.resolve(target);
        Path out = capture.dir != null ? capture.dir : Path.of("wiretrace-watch-" + pid + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        options = options(out);
        options.put("deadline", lasting);
        Reply r = StartCommand.start(Staging.of(pid), options, capture.outside(pid),
                System.currentTimeMillis() + d.toMillis());
        if (r.code == Wiretrace.OK) {
            r = new Reply(r.code, r.text + "\nwatching: " + String.join(", ", triggers) + "; bundles are written into the"
                    + " output directory. `wiretrace status " + pid + "` shows the firings and bundles, `wiretrace stop "
                    + pid + "` ends the watch (a window still open is cut first).");
        }
        return Output.print(r, pid, spec.commandLine().getOut());
    }

    /** The agent's options for a watch writing into {@code out}; a usage error for any that is wrong. */
    Map<String, String> options(Path out) {
        capture.validate();
        Map<String, String> o = capture.agentOptions(out, filter);
        o.put("trigger", String.join(StartOptions.TRIGGER_SEPARATOR, triggers));
        o.put("after", after);
        if (before != null) {
            o.put("before", before);
        }
        o.put("keep", keep);
        o.put("disk", disk);
        o.put("cooldown", cooldown);
        o.put("max-bundles", String.valueOf(maxBundles));
        try {
            StartOptions.parse(o);
        } catch (IllegalArgumentException e) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, e.getMessage());
        }
        return o;
    }
}
