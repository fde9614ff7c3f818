package io.wiretrace.cli;

import io.wiretrace.analysis.files.OwnDirectory;
import io.wiretrace.analysis.offline.Offline;
import io.wiretrace.analysis.pcap.CaptureFile;
import io.wiretrace.analysis.protocol.Durations;
import io.wiretrace.analysis.report.Report;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "analyze", mixinStandardHelpOptions = true, separator = " ",
        description = "Makes the report (report.html, report.json) from files, offline, on any machine: a bundle"
                + " that collect wrote, a directory that start/stop wrote, or a capture file alone. With the"
                + " recording, the report shows the verdicts the agent reached live; from a capture alone, the"
                + " verdicts its packets support (slow or failed connects, slow request/response exchanges).",
        footer = {"", "Examples:",
            "  wiretrace analyze wiretrace-web1-4242-20261126-101500.zip",
            "  wiretrace analyze wiretrace-4242-20261126-101500/",
            "  wiretrace analyze trace.pcapng --slow 500ms -o /tmp/report",
            "  wiretrace analyze trace.pcapng --jfr recording.jfr",
            "", "Limits (a file from elsewhere gets no more):",
            "  bundle: " + Bundle.MAX_FILES + " files, " + (Bundle.MAX_FILE_BYTES >> 30) + " GiB each, "
                    + (Bundle.MAX_BYTES >> 30) + " GiB in all; no '..' or absolute names",
            "  pcap record: " + CaptureFile.MAX_RECORD + " bytes (or the file's snaplen); pcapng block: "
                    + (CaptureFile.MAX_BLOCK >> 20) + " MiB",
            "  comments: " + Offline.MAX_COMMENT_CHARS + " characters a packet; connections listed: "
                    + Report.MAX_CONNECTIONS + ", the rest counted"})
final class AnalyzeCommand implements Callable<Integer> {
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<bundle|directory|capture>",
            description = "A bundle (.zip from collect), a directory with trace*.pcapng and recording.jfr, or one"
                    + " pcapng or pcap file.")
    Path input;

    @Option(names = "--jfr", paramLabel = "FILE", description = "The recording to use with a capture file.")
    Path jfr;

    @Option(names = "-o", paramLabel = "DIR",
            description = "Where to write report.html and report.json (default: the input directory; for a bundle"
                    + " or a file, <name>-report beside it in the current directory).")
    Path out;

    @Option(names = "--slow", paramLabel = "DURATION", defaultValue = "200ms",
            description = "From packets alone: a connect or exchange at least this long gets a verdict"
                    + " (default: ${DEFAULT-VALUE}).")
    String slow;

    @Override
    public Integer call() throws IOException {
        long slowNanos;
        try {
            slowNanos = Durations.parse(slow).toNanos();
        } catch (IllegalArgumentException e) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, e.getMessage());
        }
        if (!Files.exists(input)) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, input + ": no such file or directory");
        }
        if (jfr != null && !Files.isRegularFile(jfr)) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, jfr + ": no such file");
        }
        Path unpacked = null;
        try {
            Path dir;
            List<Path> captures;
            Path recording = jfr;
            String name = input.getFileName().toString();
            if (Files.isDirectory(input)) {
                dir = input;
            } else if (name.endsWith(".zip")) {
                unpacked = Files.createTempDirectory("wiretrace-analyze", PRIVATE_DIRECTORY);
                Bundle.unpack(input, unpacked);
                dir = unpacked;
            } else {
                dir = null;
            }
            if (dir != null) {
                captures = Report.captures(dir);
                if (recording == null && Files.isRegularFile(dir.resolve("recording.jfr"))) {
                    recording = dir.resolve("recording.jfr");
                }
            } else {
                captures = List.of(input);
            }
            if (captures.isEmpty() && recording == null) { // a recording alone: packets were off in the target
                throw new Wiretrace.Failure(Wiretrace.FAILED, input + " holds no capture file (*.pcapng, *.pcap)");
            }
            Map<String, Object> doc;
            try {
                doc = Report.build(captures, recording, slowNanos, Wiretrace.version());
            } catch (IOException | RuntimeException e) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot read " + input + ": " + e.getMessage(), e);
            }
            Path target = out != null ? out : Files.isDirectory(input) ? input
                    : ownReportDirectory(Path.of(name.replaceFirst("\\.(zip|pcapng|pcap)$", "") + "-report"));
            List<Path> written = Report.write(doc, target);
            summary(doc, spec.commandLine().getOut());
            for (Path p : written) {
                spec.commandLine().getOut().println(p.toAbsolutePath().normalize());
            }
            return Wiretrace.OK;
        } finally {
            if (unpacked != null) {
                deleteTree(unpacked);
            }
        }
    }

    /**
     * The default report directory, {@code <name>-report} in the current directory, which may be
     * one that others share: made 0700 now, or, from an earlier run, a directory of this user's
     * (not a link, not someone else's planted in its place).
     */
    private static Path ownReportDirectory(Path dir) throws IOException {
        try {
            return Files.createDirectory(dir, PRIVATE_DIRECTORY);
        } catch (FileAlreadyExistsException e) {
            String wrong = OwnDirectory.problem(dir, true);
            if (wrong != null) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "refusing to write the report into "
                        + dir.toAbsolutePath() + ": it " + wrong + "; name another directory with -o");
            }
            return dir;
        }
    }

    /** The verdict table, for the terminal. */
    @SuppressWarnings("unchecked")
    static void summary(Map<String, Object> doc, PrintWriter out) {
        List<Map<String, Object>> verdicts = (List<Map<String, Object>>) doc.get("verdicts");
        Map<String, Object> capture = (Map<String, Object>) doc.get("capture");
        out.println((capture.get("packets") == null ? "no capture file"
                : capture.get("packets") + " packets, " + capture.get("conversations") + " TCP conversations") + "; "
                + "verdicts " + ("recording".equals(((Map<String, Object>) doc.get("source")).get("verdicts"))
                ? "from the recording (live)" : "from the packets alone"));
        if (capture.get("packetsOff") != null) {
            out.println("packets: off in the target — " + capture.get("packetsOff")
                    + "; the verdicts rest on the app's timings alone");
        }
        if (capture.get("exchangeThreshold") != null) {
            out.println("requests: " + capture.get("exchangeThreshold"));
        }
        Map<String, Object> reach = (Map<String, Object>) capture.get("recordingReach");
        if (reach != null) {
            out.println("recording: from " + reach.get("from") + " only, " + reach.get("secondsNotCovered")
                    + " s after the first packet (its size limit); the " + reach.get("callsFromPackets")
                    + " slow or failed calls before it are judged from the packets alone");
        }
        if (verdicts.isEmpty()) {
            out.println("no slow or failed call");
        }
        for (Map<String, Object> v : verdicts) {
            out.println(String.format(Locale.ROOT, "  %-19s %5d calls %10.1f ms lost   worst: #%s", v.get("verdict"),
                    ((Number) v.get("calls")).longValue(), ((Number) v.get("timeLostMs")).doubleValue(), v.get("worstCall")));
        }
        out.flush();
    }

    /** Deletes {@code dir} and what it holds; a link in it is removed, never followed. */
    static void deleteTree(Path dir) {
        PrivateFiles.deleteTree(dir);
    }
}
