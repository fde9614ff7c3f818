package io.wiretrace.cli;

import io.wiretrace.agent.core.Durations;
import io.wiretrace.agent.core.Reply;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "start", mixinStandardHelpOptions = true, separator = " ",
        description = "Attaches to a running JVM, starts capturing its traffic and recording its socket calls,"
                + " and returns at once. The capture runs inside the target until `wiretrace stop`.",
        footer = {"", "Examples:",
            "  wiretrace start 4242 tcp port 443",
            "  wiretrace start my-app.jar -i eth0 -w /var/tmp/incident host 10.0.0.5"})
final class StartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<target>",
            description = "A pid, or a substring of the main class or jar that matches exactly one JVM.")
    String target;

    @Parameters(index = "1..*", paramLabel = "filter",
            description = "A BPF capture filter as tcpdump takes it, e.g. `tcp port 443 and host 10.0.0.5`.")
    List<String> filter = List.of();

    @Option(names = "-i", paramLabel = "IFACE", defaultValue = "any",
            description = "Interface to capture on (default: ${DEFAULT-VALUE}).")
    String iface;

    @Option(names = "-s", paramLabel = "N", defaultValue = "0",
            description = "Snapshot length in bytes; 0 means the maximum (262144), as in tcpdump.")
    int snaplen;

    @Option(names = "-w", paramLabel = "PATH",
            description = "Output directory, created with mode 0700 (default: wiretrace-<pid>-<yyyyMMdd-HHmmss>"
                    + " in the current directory).")
    Path dir;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "pcapng",
            description = "Capture file format: pcapng (default).")
    String format;

    @Option(names = "--slow", paramLabel = "DURATION", defaultValue = "200ms",
            description = "Slow-call threshold (default: ${DEFAULT-VALUE}).")
    String slow;

    @Option(names = "--jfr-threshold", paramLabel = "DURATION", defaultValue = "0ms",
            description = "Record socket reads and writes in recording.jfr only when they take at least this"
                    + " long (default: ${DEFAULT-VALUE}, every call). Connects, accepts and closes are always recorded.")
    String jfrThreshold;

    @Override
    public Integer call() {
        if (snaplen < 0) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "-s takes a length of 0 or more, not " + snaplen);
        }
        if (!format.equals("pcapng")) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "--format " + format + " is not supported yet (use pcapng)");
        }
        for (String d : new String[] {slow, jfrThreshold}) {
            try {
                Durations.parse(d);
            } catch (IllegalArgumentException e) {
                throw new Wiretrace.Failure(Wiretrace.USAGE, e.getMessage());
            }
        }
        String pid = Targets.resolve(target);
        Path out = dir != null ? dir : Path.of("wiretrace-" + pid + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Map<String, String> options = new LinkedHashMap<>();
        options.put("w", out.toAbsolutePath().normalize().toString());
        options.put("i", iface);
        options.put("s", String.valueOf(snaplen));
        options.put("format", format);
        options.put("slow", slow);
        options.put("jfr-threshold", jfrThreshold);
        if (!filter.isEmpty()) {
            options.put("filter", String.join(" ", filter));
        }
        return Output.print(AgentClient.send(pid, "start", options), pid, spec.commandLine().getOut());
    }
}
