package io.wiretrace.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
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
        return Output.print(AgentClient.send(pid, "start", capture.agentOptions(out, filter)), pid,
                spec.commandLine().getOut());
    }
}
