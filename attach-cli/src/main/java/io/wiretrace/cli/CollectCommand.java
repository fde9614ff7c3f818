package io.wiretrace.cli;

import io.wiretrace.analysis.files.BundleName;
import io.wiretrace.analysis.files.PrivateFile;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Durations;
import io.wiretrace.analysis.protocol.Reply;
import io.wiretrace.analysis.redact.JfrScrub;
import io.wiretrace.analysis.redact.Terminal;
import io.wiretrace.analysis.report.Report;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "collect", mixinStandardHelpOptions = true, separator = " ",
        description = "Everything for an incident in one file: attaches, captures for the duration (or until"
                + " Ctrl+C) while showing its progress, stops, and writes one zip bundle with the capture,"
                + " recording.jfr, report.html, report.json and environment.txt. Prints the bundle's path.",
        footer = {"", "The capture in the target always ends: should this command be killed, the agent stops by"
                + " itself " + CollectCommand.GRACE_SECONDS + " s after the duration.",
            "", "Examples:",
            "  wiretrace collect my-app.jar                  (60 s, every interface)",
            "  wiretrace collect 4242 -d 5m --slow 500ms tcp port 443"})
final class CollectCommand implements Callable<Integer> {
    /** How long after -d the agent stops by itself if this command could not stop it. */
    static final int GRACE_SECONDS = 10;
    static final Duration MAX_DURATION = Duration.ofHours(24);

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<target>",
            description = "A pid, or a substring of the main class or jar that matches exactly one JVM.")
    String target;

    @Parameters(index = "1..*", paramLabel = "filter",
            description = "A BPF capture filter as tcpdump takes it, e.g. `tcp port 443 and host 10.0.0.5`.")
    List<String> filter = List.of();

    @Option(names = {"-d", "--duration"}, paramLabel = "DURATION", defaultValue = "60s",
            description = "How long to collect (default: ${DEFAULT-VALUE}; at most 24h); Ctrl+C or a plain kill"
                    + " stops earlier, and the bundle is still made.")
    String duration;

    @Option(names = "-o", paramLabel = "DIR", defaultValue = ".",
            description = "Where to write the bundle (default: the current directory).")
    Path outDir;

    @Option(names = "--keep-dir",
            description = "Keep the directory the bundle was made from (it is removed once the bundle is written,"
                    + " unless -w named it).")
    boolean keepDir;

    @Mixin
    CaptureOptions capture;

    /** What ended the waiting early ("Ctrl+C", "SIGTERM"), or null. */
    private volatile String interrupted;

    @Override
    public Integer call() throws IOException {
        Duration d;
        try {
            d = Durations.parse(duration);
        } catch (IllegalArgumentException e) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, e.getMessage());
        }
        if (d.isZero() || d.isNegative() || d.compareTo(MAX_DURATION) > 0) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "-d takes a duration above 0 and at most 24h, not " + duration);
        }
        capture.validate();
        long slowNanos = Durations.parse(capture.slow).toNanos();
        String pid = Targets.resolve(target);
        PrintWriter out = spec.commandLine().getOut();
        String name = BundleName.of(Long.parseLong(pid), LocalDateTime.now());
        Path base = outDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(base)) {
            throw new Wiretrace.Failure(Wiretrace.USAGE, "-o " + outDir + ": no such directory");
        }
        Path dir = capture.dir != null ? capture.dir.toAbsolutePath().normalize() : base.resolve(name);
        Path bundle = base.resolve(name + ".zip");
        Map<String, String> options = capture.agentOptions(dir, filter);
        options.put("deadline", (d.getSeconds() + GRACE_SECONDS) + "s");

        Instant began = Instant.now();
        Staging staging = Staging.of(pid);
        long until = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(d.getSeconds() + GRACE_SECONDS);
        Output.print(StartCommand.start(staging, options, capture.outside(pid), until), pid,
                new PrintWriter(OutputStream.nullOutputStream()));
        String session = options.get(Commands.SESSION);
        boolean tty = System.console() != null;
        Thread main = Thread.currentThread();
        boolean ctrlC = Signals.onInterrupt(signal -> {
            interrupted = signal.equals("INT") ? "Ctrl+C" : "SIG" + signal;
            main.interrupt();
        });
        out.println("collecting from " + pid + " for " + Durations.format(d) + " into " + bundle
                + (ctrlC ? " (Ctrl+C stops earlier)" : " (Ctrl+C is ignored here: kill " + ProcessHandle.current().pid()
                + " stops earlier)"));
        out.flush();
        String ended = progress(pid, session, began, d, tty, out);
        Signals.reset();
        // a signal that came during an attach left the flag set: files written next would fail
        // (an interrupted thread closes the channels it writes to)
        Thread.interrupted();

        String stopped;
        try {
            Properties published = AgentClient.published(pid);
            Reply r = published == null ? new Reply(Wiretrace.FAILED, "the agent is gone")
                    : StopCommand.stop(staging, session, published);
            stopped = r.code == Wiretrace.OK ? r.text : "stop: " + r.text;
        } catch (Wiretrace.Failure e) {
            stopped = "stop failed: " + e.getMessage();
        }
        out.println((tty ? "\n" : "") + ended + "; making the bundle");
        out.flush();

        // the agent masked its dump; a recording the JVM wrote as it exited was not
        Path jfr = dir.resolve("recording.jfr");
        if (Files.isRegularFile(jfr, LinkOption.NOFOLLOW_LINKS)) {
            try {
                JfrScrub.scrub(jfr);
            } catch (IOException e) {
                Files.delete(jfr);
                spec.commandLine().getErr().println("wiretrace: " + jfr + " removed: its secrets could not be masked ("
                        + e.getMessage() + ")");
            }
        }
        String env = Environment.describe(pid, "wiretrace " + String.join(" ",
                spec.commandLine().getParseResult().originalArgs()), "[collect]\nstarted: " + began + "\nended: "
                + Instant.now() + " (" + ended + ")\n\n[the agent at stop]\n" + stopped);
        PrivateFile.write(dir.resolve("environment.txt"), env);
        List<Path> captures = Report.captures(dir);
        Map<String, Object> doc = null;
        String reportError = null;
        try {
            doc = Report.build(captures, Files.isRegularFile(jfr) ? jfr : null, slowNanos, Wiretrace.version());
            Report.write(doc, dir);
        } catch (IOException | RuntimeException e) {
            reportError = "the report could not be made: " + e;
            PrivateFile.write(dir.resolve("report-error.txt"), reportError + "\n");
        }
        try {
            zip(dir, bundle, name);
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot write the bundle " + bundle + " (" + e
                    + "); the files are in " + dir);
        }
        if (capture.dir == null && !keepDir) {
            AnalyzeCommand.deleteTree(dir);
        }
        if (doc != null) {
            AnalyzeCommand.summary(doc, out);
        }
        if (reportError != null) {
            spec.commandLine().getErr().println("wiretrace: " + reportError);
        }
        out.println(bundle);
        out.flush();
        return reportError == null ? Wiretrace.OK : Wiretrace.FAILED;
    }

    /** Shows the progress until the duration is up, Ctrl+C, or the capture ended; says which. */
    private String progress(String pid, String session, Instant began, Duration d, boolean tty, PrintWriter out) {
        Instant end = began.plus(d);
        Instant lastLine = Instant.EPOCH;
        while (true) {
            Map<String, String> p;
            try {
                // what the agent publishes every second: no agent load per line
                Properties published = AgentClient.published(pid);
                if (published == null || !session.equals(published.getProperty(Commands.SESSION_PROPERTY))) {
                    return "the capture ended in the target";
                }
                p = parse(published.getProperty(Commands.PROGRESS_PROPERTY, ""));
            } catch (Wiretrace.Failure e) {
                if (interrupted != null) { // the signal broke the attach's file reads
                    return "stopped by " + interrupted + " after " + Duration.between(began, Instant.now()).getSeconds()
                            + " s";
                }
                return "the target went away (" + e.getMessage() + ")";
            }
            Instant now = Instant.now();
            String line = Terminal.line(line(p, Duration.between(began, now)));
            if (tty) {
                out.print("\r" + line + "   ");
                out.flush();
            } else if (Duration.between(lastLine, now).getSeconds() >= 5) {
                out.println(line);
                out.flush();
                lastLine = now;
            }
            if (interrupted != null) {
                return "stopped by " + interrupted + " after " + Duration.between(began, now).getSeconds() + " s";
            }
            if ("halted".equals(p.get("state"))) {
                return "the capture halted in the target (see environment.txt)";
            }
            long left = Duration.between(now, end).toMillis();
            if (left <= 0) {
                return "collected for " + Durations.format(d);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(Math.min(left, 1000));
            } catch (InterruptedException e) {
                // a signal: the next round says so
            }
        }
    }

    static String line(Map<String, String> p, Duration elapsed) {
        if ("off".equals(p.get("packets"))) { // the agent captures none (no CAP_NET_RAW, no libpcap)
            return String.format(Locale.ROOT, "%4ds  packets off  %s connections  %s slow calls (app timings only)",
                    elapsed.getSeconds(), p.getOrDefault("connections", "?"), p.getOrDefault("slow", "?"));
        }
        return String.format(Locale.ROOT, "%4ds  %,d packets  %.1f MB  %s drops  %s connections  %s slow calls",
                elapsed.getSeconds(), num(p.get("packets")), num(p.get("bytes")) / 1e6, p.getOrDefault("drops", "?"),
                p.getOrDefault("connections", "?"), p.getOrDefault("slow", "?"));
    }

    private static long num(String s) {
        try {
            return Long.parseLong(s);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    static Map<String, String> parse(String text) {
        Map<String, String> m = new HashMap<>();
        for (String kv : text.trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    /**
     * The directory's files into {@code bundle} (mode 0600), under one folder named like it. The
     * bundle and its temporary file {@code .<bundle>.tmp} are new files: -o may be a directory that
     * others share and the names are predictable, so whatever has either name already (a link
     * planted there) is refused, never written through or replaced.
     */
    static void zip(Path dir, Path bundle, String folder) throws IOException {
        if (Files.exists(bundle, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(bundle.toString(), null, "exists already (another user of "
                    + bundle.getParent() + " can have put it there): neither written through nor replaced");
        }
        Path tmp = bundle.resolveSibling("." + bundle.getFileName() + ".tmp");
        write(dir, tmp, folder);
        try {
            // rename(2): checked above, and a link put there since is replaced, never followed
            Files.move(tmp, bundle);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Creates {@code tmp} and zips into it the regular files of {@code dir} that its owner (the
     * target's user, who wrote the capture) or this process's user wrote: links, FIFOs, devices,
     * directories, files of other users or with other names (hard links) are not bundled (nor
     * opened) but named at the end of the bundle's environment.txt.
     */
    private static void write(Path dir, Path tmp, String folder) throws IOException {
        Set<Integer> owners = Set.copyOf(List.of((Integer) Files.getAttribute(dir, "unix:uid"), PrivateFile.uid()));
        Path environment = dir.resolve("environment.txt");
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
            list.forEach(files::add);
        }
        files.remove(environment);
        Collections.sort(files);
        files.add(environment); // last, to name what was not bundled
        List<String> skipped = new ArrayList<>();
        OutputStream o = PrivateFile.create(tmp);
        try (ZipOutputStream z = new ZipOutputStream(o)) {
            for (Path f : files) {
                InputStream in = PrivateFiles.openOwned(f, owners, skipped);
                boolean note = f == environment && !skipped.isEmpty();
                if (in == null && !note) {
                    continue;
                }
                ZipEntry e = new ZipEntry(folder + "/" + f.getFileName());
                if (in != null) {
                    e.setLastModifiedTime(Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS));
                }
                z.putNextEntry(e);
                if (in != null) {
                    try (in) {
                        in.transferTo(z);
                    }
                }
                if (note) {
                    z.write(("\n[not bundled]\n" + String.join("\n", skipped) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                z.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
