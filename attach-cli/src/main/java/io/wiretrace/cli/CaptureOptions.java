package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Durations;
import io.wiretrace.analysis.protocol.StartOptions;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The capture's options, as start and collect take them (tcpdump's letters where it has one). */
final class CaptureOptions {
    @Option(names = "-i", paramLabel = "IFACE",
            description = "Interface to capture on: a name, `any`, or a number from `wiretrace interfaces`"
                    + " (default: any). Repeat -i to capture on several; each gets its interface block in the pcapng.")
    List<String> ifaces = List.of();

    @Option(names = "-s", paramLabel = "N", defaultValue = "0",
            description = "Snapshot length in bytes; 0 means the maximum (262144), as in tcpdump.")
    int snaplen;

    @Option(names = "-B", paramLabel = "KiB",
            description = "Kernel capture buffer per interface, in KiB as tcpdump's -B (default: 32768, i.e. 32 MiB;"
                    + " libpcap's own default of 2 MiB loses packets while the JVM pauses); at most 2097151,"
                    + " as libpcap counts the buffer's bytes in an int.")
    Integer bufferKiB;

    @Option(names = "-C", paramLabel = "MB",
            description = "Start a new file when the current one is larger than MB × 1,000,000 bytes (tcpdump's unit).")
    Integer rotateMb;

    @Option(names = "-W", paramLabel = "N",
            description = "With -C: keep a ring of N files, overwriting the oldest. With -G: stop after N files.")
    Integer ring;

    @Option(names = "-G", paramLabel = "SEC",
            description = "Start a new file every SEC seconds; the file name goes through strftime.")
    Integer rotateSeconds;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Capture file name inside the output directory (default: trace.pcapng, or trace.pcap;"
                    + " with -G: trace-%%Y%%m%%d-%%H%%M%%S.pcapng). With -G, strftime conversions (%%Y %%m %%d %%H %%M %%S ...)"
                    + " are expanded at each rotation, as tcpdump does with its -w name. Not the name of another file"
                    + " the directory holds (recording.jfr, report.html, report.json, report-error.txt, environment.txt).")
    String name;

    @Option(names = "-w", paramLabel = "PATH",
            description = "Output directory, created with mode 0700 (default for start:"
                    + " wiretrace-<pid>-<yyyyMMdd-HHmmss> in the current directory; for collect: one named like the"
                    + " bundle, removed once the bundle is written).")
    Path dir;

    @Option(names = "--packets", paramLabel = "FROM", defaultValue = "auto",
            description = "Who captures the packets: `app` (libpcap inside the target JVM), `outside` (tcpdump,"
                    + " started by wiretrace in the target's network namespace, streams them into the agent; for a"
                    + " target that may not capture, when wiretrace runs as root), or `auto` (default: `app` when"
                    + " the target has CAP_NET_RAW, else `outside` when wiretrace may capture and tcpdump is there;"
                    + " otherwise the capture runs without packets and says why).")
    String packets;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "pcapng",
            description = "Capture file format: pcapng (default; one interface block per -i) or pcap"
                    + " (classic, nanosecond timestamps, one interface).")
    String format;

    @Option(names = "--slow", paramLabel = "DURATION", defaultValue = "200ms",
            description = "A connect, read, write, HTTP exchange, TLS handshake or name lookup that takes at least"
                    + " this long, or fails, gets a verdict from its packets (wiretrace.SlowCall in recording.jfr,"
                    + " a comment on its packets in the pcapng); default: ${DEFAULT-VALUE}; at least 1ms (below it"
                    + " nearly every socket call would be handed over, an allocation on the app's thread each)."
                    + " Failed connects to one peer past 10 a second are counted on those explained (\"N more like it\").")
    String slow;

    @Option(names = "--jfr-threshold", paramLabel = "DURATION", defaultValue = StartOptions.DEFAULT_JFR_THRESHOLD,
            description = "Record socket reads and writes in recording.jfr only when they take at least this"
                    + " long (default: ${DEFAULT-VALUE}, as the JDK's own jdk.SocketRead in its profile settings;"
                    + " 0ms records every call, at about 1 us of the app's time a call under load)."
                    + " Connects, accepts, closes, database queries and name lookups are always recorded; HTTP exchanges"
                    + " unless --exchange-threshold.")
    String jfrThreshold;

    @Option(names = "--exchange-threshold", paramLabel = "DURATION", defaultValue = StartOptions.DEFAULT_EXCHANGE_THRESHOLD,
            description = "Record HTTP exchanges in recording.jfr only when they take at least this long (default:"
                    + " ${DEFAULT-VALUE}; 0ms records every one), and also, whatever they took, each connection's first"
                    + " three, those that failed, got no answer or a server error (5xx), streams, and the calls"
                    + " made for a request that had by then run this long (its waterfall). Every exchange recorded costs"
                    + " the app's thread about 1.4 us under load, and at 0ms a busy app's exchanges fill the recording,"
                    + " which then reaches back only minutes. The shorter ones are counted, not recorded: the report's"
                    + " timeline and request counts hold them and it says what it left out; slow or failed exchanges"
                    + " are judged as always.")
    String exchangeThreshold;

    /** Fails with a usage error on options that do not fit together (the agent's own checks, run here first). */
    void validate() {
        if (!List.of("auto", "app", "outside").contains(packets)) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "--packets takes auto, app or outside, not '" + packets + "'");
        }
        for (String i : ifaces) {
            if (i.isBlank() || i.contains(",")) {
                throw new Wiretrace.Failure(Wiretrace.USAGE, "-i takes one interface name or number, not '" + i + "'");
            }
        }
        try {
            StartOptions.parse(agentOptions(Paths.get("."), List.of()));
        } catch (IllegalArgumentException e) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, e.getMessage());
        }
    }

    /** The agent's start arguments, the capture written to {@code out}. */
    Map<String, String> agentOptions(Path out, List<String> filter) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("w", out.toAbsolutePath().normalize().toString());
        options.put("i", ifaces.isEmpty() ? "any" : String.join(",", ifaces));
        options.put("s", String.valueOf(snaplen));
        options.put("format", format);
        put(options, "B", bufferKiB);
        put(options, "C", rotateMb);
        put(options, "W", ring);
        put(options, "G", rotateSeconds);
        if (name != null) {
            options.put("name", name);
        }
        options.put("slow", slow);
        options.put("jfr-threshold", jfrThreshold);
        if (!Durations.parse(exchangeThreshold).equals(Durations.parse(StartOptions.DEFAULT_EXCHANGE_THRESHOLD))) {
            options.put("exchange-threshold", exchangeThreshold); // only when given: an agent before it knows no such key
        }
        if (!filter.isEmpty()) {
            options.put("filter", String.join(" ", filter));
        }
        return options;
    }

    /** Whether the packets of the target {@code pid} come from a capture outside it (see {@link Outside}). */
    boolean outside(String pid) {
        if (packets.equals("auto")) {
            return Outside.whyNotInside(pid) != null && Outside.mayCapture("self") && Outside.tcpdump() != null;
        }
        return packets.equals("outside");
    }

    private static void put(Map<String, String> options, String key, Integer value) {
        if (value != null) {
            options.put(key, String.valueOf(value));
        }
    }
}
