package io.wiretrace.agent.control;

import io.wiretrace.agent.app.Conn;
import io.wiretrace.agent.app.HttpExchanges;
import io.wiretrace.agent.app.Instrumenter;
import io.wiretrace.agent.app.Sockets;
import io.wiretrace.agent.app.Tracer;
import io.wiretrace.agent.capture.Capture;
import io.wiretrace.agent.correlate.Correlator;
import io.wiretrace.agent.events.CaptureStatisticsEvent;
import io.wiretrace.agent.inapp.History;
import io.wiretrace.analysis.files.OwnDirectory;
import io.wiretrace.analysis.pcap.SavefileWriter;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.StartOptions;
import io.wiretrace.analysis.redact.JfrScrub;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import jdk.jfr.Configuration;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/** One capture: the libpcap thread, the socket advice and the JFR recording, started and stopped together. */
final class Session {
    /** The recording's settings, a resource beside the core (wiretrace-inf/ in the agent jar). */
    static final String SETTINGS = "/io/wiretrace/agent/wiretrace.jfc";

    final Instant startedAt = Instant.now();
    /** {@link #startedAt} as the status prints it, formatted once. */
    private final String since = startedAt.toString();
    final Path dir;
    private Capture capture;
    private Runnable statistics;
    private Tracer tracer;
    /** Tells the tracer of each recording's start and stop in the JVM (see {@link Tracer#readThresholds}). */
    private FlightRecorderListener recordings;
    private Correlator correlator;
    private History inApp;
    private String inAppOff = "in-app verdicts: off (no recording)";
    private Instrumenter instrumenter;
    /** For the JFR nap at stop ({@link JfrNap}). */
    private Instrumentation inst;
    private Recording recording;
    /** The JFR repository made private for the recording, its mode given back at stop; null: not touched. */
    private JfrRepository repository;
    private Thread shutdownHook;
    private String warnings = "";
    /** Why this session captures no packets (see {@link Capture.CaptureException#unavailable}), or null. */
    private String packetsOff;
    /** The watch's triggers over this capture, or null: not a watch. */
    private Watch watch;

    private Session(Path dir) {
        this.dir = dir;
    }

    /** Starts a capture; {@code onExit} stops it if the JVM exits first (a shutdown hook). */
    static Session start(StartOptions o, Instrumentation inst, Consumer<Session> onExit) throws Exception {
        Path dir = Paths.get(o.dir != null ? o.dir : defaultDir()).toAbsolutePath();
        SavefileWriter files = new SavefileWriter(dir, o.name, o.pcapng ? SavefileWriter.Format.PCAPNG
                : SavefileWriter.Format.PCAP, o.rotateBytes, o.ring, o.rotateSeconds, "wiretrace");
        if (o.watch()) {
            Watch.ring(files, o);
        }
        boolean created = createPrivateDir(dir);

        Session s = new Session(dir);
        try {
            s.capture = new Capture(o.interfaces, o.snaplen, o.bufferKiB, o.filter, files, o.packets);
        } catch (Capture.CaptureException | RuntimeException e) {
            for (Path f : files.files()) {
                Files.deleteIfExists(f);
            }
            if (!(e instanceof Capture.CaptureException && ((Capture.CaptureException) e).unavailable)) {
                if (created) {
                    Files.deleteIfExists(dir);
                }
                throw e;
            }
            // Degraded, not dead: nothing else of the session needs packets. No capture file is
            // written (an empty one would read as "no traffic"); the recording says why.
            s.packetsOff = e.getMessage();
        }
        try {
            Sockets.init();
            long slow = o.watch() ? Watch.slowNanos(o) : o.slow.toNanos();
            s.correlator = new Correlator(slow, s.capture != null);
            if (s.capture != null) {
                s.correlator.rehearse(); // before the first packet: the JIT then compiles every branch in
                s.capture.sink = s.correlator;
                s.correlator.files = files;
                // The kernel fills the capture's buffer from the moment the handle opened: what
                // follows (the recording, the retransformation) takes a second or more, in which
                // a busy host's packets would overflow it.
                s.capture.start();
            }
            s.tracer = new Tracer(s.correlator);
            if (FlightRecorder.isAvailable()) {
                Tracer t = s.tracer;
                s.recordings = new FlightRecorderListener() {
                    @Override
                    public void recordingStateChanged(jdk.jfr.Recording r) {
                        t.recordingsChanged();
                    }
                };
                FlightRecorder.addListener(s.recordings);
                String requested = String.join(",", o.interfaces);
                s.statistics = s.capture != null ? s.capture::emitStatistics
                        : () -> emitPacketsOff(requested, s.packetsOff, o.exchangeThreshold.toNanos());
                HttpExchanges.takeUnrecorded(true); // a count left from an earlier session is not this one's
                HttpExchanges.takeUnrecorded(false);
                if (s.capture != null) {
                    s.capture.exchangeThresholdNanos = o.exchangeThreshold.toNanos();
                    s.capture.incomingUnrecorded = () -> HttpExchanges.takeUnrecorded(true);
                    s.capture.outgoingUnrecorded = () -> HttpExchanges.takeUnrecorded(false);
                }
                FlightRecorder.addPeriodicEvent(CaptureStatisticsEvent.class, s.statistics);
            }
            s.recording = startRecording(o, s, dir.resolve(StartOptions.RECORDING));
            if (s.recording != null) {
                s.inApp = History.start(inAppSettings(), why -> s.inAppOff = why);
                s.correlator.inApp = s.inApp;
            }
            if (s.capture == null && s.statistics != null) {
                s.statistics.run(); // the recording says so from its start, however short it is
            }
            s.tracer.readThresholds(); // before the advice runs: ours and any other running recording's
            if (o.watch()) {
                s.watch = new Watch(o, dir, s.correlator, s.capture != null ? files : null, s.recording, slow);
                s.correlator.watcher = s.watch;
                s.correlator.statusAtLeast = Watch.statusAtLeast(o);
            }
            s.inst = inst;
            s.instrumenter = Instrumenter.install(inst);
            if (!s.instrumenter.failures.isEmpty()) {
                throw new IllegalStateException("instrumentation failed: " + s.instrumenter.failures);
            }
            s.correlator.start();
            if (s.watch != null) {
                s.watch.start();
            }
            HttpExchanges.recordFromNanos = o.exchangeThreshold.toNanos();
            HttpExchanges.sink = s.correlator;
            BootstrapInstaller.hooks(s.tracer);
            s.shutdownHook = new Thread(() -> {
                if (s.capture != null) {
                    s.capture.hurry(); // the app is exiting: a stop under way (or this one) does not hold it back
                }
                onExit.accept(s);
            }, "wiretrace-shutdown");
            Runtime.getRuntime().addShutdownHook(s.shutdownHook);
            setState((s.watch != null ? "watching " : "capturing ") + dir + (s.capture == null ? " (packets off)" : "")
                    + (s.watch != null ? " for " + o.triggers : ""));
            return s;
        } catch (Throwable t) {
            s.stop();
            throw t;
        }
    }

    String describeStart() {
        return (capture == null ? "packets: off — " + packetsOff : "capturing on " + describeCapture()) + "\n"
                + "instrumented: " + String.join(", ", instrumenter.instrumented) + "\n"
                + "output: " + dir + (capture == null ? " (recording.jfr only)" : "")
                + warnings;
    }

    /** The wiretrace.CaptureStatistics of a session without packets: why, every period. */
    private static void emitPacketsOff(String interfaces, String why, long exchangeThreshold) {
        CaptureStatisticsEvent e = new CaptureStatisticsEvent();
        e.captureInterface = interfaces;
        e.packetsOff = why;
        e.exchangeThreshold = exchangeThreshold;
        e.incomingUnrecorded = HttpExchanges.takeUnrecorded(true);
        e.outgoingUnrecorded = HttpExchanges.takeUnrecorded(false);
        e.commit();
    }

    /** What {@link #describeCapture} says, made once: the status prints it every second. */
    private String captureDescribed;

    private String describeCapture() {
        String d = captureDescribed;
        if (d == null) {
            d = describe(capture);
            captureDescribed = d;
        }
        return d;
    }

    /** The capture's interfaces, filter and files: what it was started with, the same until it stops. */
    private static String describe(Capture capture) {
        SavefileWriter f = capture.files;
        return String.join(", ", capture.interfaces)
                + (capture.filter.isEmpty() ? "" : " (filter: " + capture.filter + ")")
                + ", snaplen " + capture.snaplen + ", buffer " + capture.bufferKiB + " KiB, "
                + f.format.name().toLowerCase(Locale.ROOT)
                + (f.rotateBytes > 0 ? ", rotating at " + f.rotateBytes / 1_000_000 + " MB" : "")
                + (f.rotateSeconds > 0 ? ", rotating every " + f.rotateSeconds + " s" : "")
                + (f.ring > 0 ? (f.rotateBytes > 0 ? ", ring of " : ", at most ") + f.ring + " files" : "")
                + (capture.outside != null ? "; packets from a capture outside the JVM (through " + capture.outside + ")" : "");
    }

    /**
     * The status, with the capture's counters {@code st} read once for it and for {@link #progress}
     * (libpcap's through JNA: the status thread runs interpreted for a long time).
     */
    String status(Capture.Stats st) {
        long secs = Duration.between(startedAt, Instant.now()).getSeconds();
        if (capture == null) {
            return "state: capturing without packets since " + since + " (" + secs + "s)\n"
                    + "packets: off — " + packetsOff + "\n"
                    + NO_PACKETS_VERDICTS + "\n"
                    + "output: " + dir + " (recording.jfr only)\n"
                    + connections() + "\n"
                    + correlator.status() + "\n"
                    + (inApp != null ? inApp.status() : inAppOff)
                    + (watch != null ? "\n" + watch.status() : "");
        }
        String halted = capture.halted();
        return "state: " + (halted == null ? "capturing" : "capture " + halted + "; socket events still recorded")
                + " since " + since + " (" + secs + "s) on " + describeCapture() + "\n"
                + "output: " + dir + "\n"
                + "current file: " + capture.files.current() + " (" + capture.files.files().size() + " so far)\n"
                + st.lines() + "\n"
                + connections() + "\n"
                + correlator.status() + "\n"
                + (inApp != null ? inApp.status() : inAppOff)
                + (watch != null ? "\n" + watch.status() : "");
    }

    /** Ends the connections whose sockets the app dropped unclosed and the GC collected. */
    void expunge() {
        if (tracer != null) {
            tracer.expunge();
        }
    }

    /** Looks at the recordings' thresholds for socket reads and writes again (see {@link Tracer#readThresholds}). */
    void readThresholds() {
        if (tracer != null) {
            tracer.readThresholds();
        }
    }

    /** The capture's counters, or null for a session without packets. */
    Capture.Stats stats() {
        return capture == null ? null : capture.stats();
    }

    /**
     * One line for collect's progress: {@code key=value} pairs (seconds, packets, bytes, drops,
     * connections, slow calls, and the capture's state).
     */
    String progress() {
        return progress(stats());
    }

    String progress(Capture.Stats st) {
        if (capture == null) {
            return "seconds=" + Duration.between(startedAt, Instant.now()).getSeconds() + " packets=off"
                    + " connections=" + (tracer.connects.sum() + tracer.accepts.sum())
                    + " slow=" + correlator.explainedCount() + " state=capturing";
        }
        String halted = capture.halted();
        return "seconds=" + Duration.between(startedAt, Instant.now()).getSeconds()
                + " packets=" + st.captured + " bytes=" + st.bytes
                + " drops=" + (st.kernelDropped + st.ifDropped + st.agentDropped)
                + " connections=" + (tracer.connects.sum() + tracer.accepts.sum())
                + " slow=" + correlator.explainedCount()
                + " state=" + (halted == null ? "capturing" : "halted");
    }

    private String connections() {
        Throwable err = tracer.firstError.get();
        return "connections: " + tracer.connects.sum() + " connected, " + tracer.accepts.sum() + " accepted, "
                + tracer.failedConnects.sum() + " failed connects, " + tracer.open() + " open, "
                + tracer.closes.sum() + " closed"
                + (tracer.dropped.sum() > 0 ? ", " + tracer.dropped.sum() + " dropped unclosed (collected by the GC)" : "") + "\n"
                + "socket calls: " + tracer.reads.sum() + " reads, " + tracer.writes.sum() + " writes"
                + (tracer.unrecorded.sum() > 0 ? " (" + tracer.unrecorded.sum() + " not in recording.jfr: virtual"
                        + " threads in a read or write on a connection another was in)" : "")
                + (tracer.untracked.sum() > 0 ? "\nsocket calls not tracked (more than " + Conn.MAX_TRACKED
                        + " connections open at once): " + tracer.untracked.sum() : "")
                + (tracer.errors.sum() > 0 ? "\nagent errors: " + tracer.errors.sum() + " (first: " + err + ")" : "");
    }

    static final String NO_PACKETS_VERDICTS = "verdicts rest on the app's timings alone: a cause is named only where"
            + " those show it (a slow lookup or TLS handshake, the slow calls a request's thread waited on);"
            + " the others are UNKNOWN, with the times the app measured";

    /** Undoes everything start did, in reverse; safe on a partly started session. */
    String stop() {
        StringBuilder out = new StringBuilder();
        if (watch != null) {
            try {
                // a window still open is cut now, while the capture and the recording run
                watch.stop(shutdownHook != null && Thread.currentThread() == shutdownHook);
            } catch (Throwable t) {
                out.append("warning: ending the watch failed: ").append(t).append('\n');
            }
        }
        try {
            BootstrapInstaller.hooks(null);
        } catch (RuntimeException e) {
            out.append("warning: ").append(e.getMessage()).append('\n');
        }
        HttpExchanges.sink = null;
        HttpExchanges.recordFromNanos = 0;
        if (recordings != null) {
            FlightRecorder.removeListener(recordings);
        }
        if (instrumenter != null) {
            try {
                instrumenter.reset();
            } catch (Throwable t) {
                out.append("warning: removing the instrumentation failed: ").append(t).append('\n');
            }
        }
        if (statistics != null) {
            FlightRecorder.removePeriodicEvent(statistics);
            // without packets, the reason once more; with them, only exchanges left out since the
            // last period's event (the events come every second, as tools reading them expect)
            if (recording != null && (capture == null || HttpExchanges.unrecordedPending())) {
                statistics.run();
            }
        }
        String halted = capture != null ? capture.halted() : null;
        Capture.Stats stats = capture != null ? capture.stop() : null;
        if (correlator != null) {
            try {
                correlator.finish(); // its events go into the recording: before it stops
            } catch (Throwable t) {
                out.append("warning: explaining the last slow calls failed: ").append(t).append('\n');
            }
        }
        if (inApp != null) {
            inApp.close();
        }
        Path jfr = dir.resolve(StartOptions.RECORDING);
        if (recording != null) {
            try {
                if (recording.getState() == RecordingState.RUNNING) {
                    // stop() swallows a failed write of the destination (a full disk, say);
                    // dump() reports it. The destination stays set until now for the JVM's exit.
                    recording.setDestination(null);
                    recording.stop();
                    refuseLink(jfr); // dump() opens the file by name: not through a link put there since
                    recording.dump(jfr);
                }
                chmod(jfr, "rw-------");
                scrub(jfr, out);
            } catch (Throwable t) {
                out.append("warning: writing ").append(jfr).append(" failed: ").append(t).append('\n');
            } finally {
                recording.close();
            }
            if (shutdownHook == null || Thread.currentThread() != shutdownHook) {
                String nap = JfrNap.install(inst); // the JDK's JFR thread, left alone, would spin from now on
                if (nap != null) {
                    out.append("note: JFR's periodic thread (JDK ").append(Runtime.version().feature())
                            .append(") wakes every 10 ms from now on, as the JDK does after a recording: ").append(nap)
                            .append('\n');
                }
            }
        }
        if (repository != null) {
            try {
                repository.restore();
            } catch (IOException | RuntimeException e) {
                out.append("warning: cannot give the JFR repository ").append(repository.dir())
                        .append(" its mode back: ").append(e).append('\n');
            }
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
        }
        setState("idle");
        if (packetsOff != null) {
            out.append("packets: off — ").append(packetsOff).append('\n');
        }
        if (halted != null) {
            out.append("capture ").append(halted).append('\n');
        }
        if (stats != null) {
            out.append(stats.lines()).append('\n');
        }
        if (tracer != null) {
            out.append(connections()).append('\n');
        }
        if (correlator != null) {
            out.append(correlator.status()).append('\n');
        }
        if (watch != null) {
            out.append(watch.status()).append('\n');
        }
        out.append("files:\n");
        List<Path> all = new ArrayList<>(capture != null ? capture.files.files() : List.of());
        all.add(jfr);
        for (Path f : all) {
            if (Files.exists(f)) {
                out.append("  ").append(f).append(" (").append(size(f)).append(" bytes)\n");
            }
        }
        return out.toString().trim();
    }

    /**
     * Masks the secrets that an app's own recording put into the chunks the dump copied (its
     * properties, environment and command line); a file that cannot be read for them is removed.
     */
    private static void scrub(Path jfr, StringBuilder out) throws IOException {
        refuseLink(jfr);
        try {
            JfrScrub.scrub(jfr);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(jfr);
            out.append("warning: ").append(jfr).append(" removed: its secrets could not be masked (").append(e)
                    .append(")\n");
        }
    }

    /**
     * Sets a file's mode without following a link: a link at {@code p} is refused (the open behind
     * it uses O_NOFOLLOW, so one put there after the check fails too).
     */
    static void chmod(Path p, String mode) throws IOException {
        refuseLink(p);
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            throw new IOException("cannot set the mode of " + p + ": no POSIX file attributes here");
        }
        view.setPermissions(PosixFilePermissions.fromString(mode));
    }

    private static void refuseLink(Path p) throws IOException {
        if (Files.isSymbolicLink(p)) {
            throw new IOException(p + " is a symbolic link now; refusing to write through it");
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return -1;
        }
    }

    /** The recording's size when -C and -W do not bound the capture. */
    static final long MAX_RECORDING_BYTES = 250_000_000L;
    /** The smallest size -C × -W sets: two of JFR's chunks (it rotates at about 12 MB). */
    static final long MIN_RECORDING_BYTES = 25_000_000L;
    static final Duration MAX_RECORDING_AGE = Duration.ofHours(24);
    /** JFR's largest chunk by default (it starts a new one then): a watch keeps room for one in its part of --disk. */
    static final long JFR_CHUNK_BYTES = 12_000_000L;

    /**
     * Bounds the recording's chunks in the JFR repository (in the target's temp directory) and in
     * recording.jfr: -C × -W bytes when both are given (at least {@link #MIN_RECORDING_BYTES}), else
     * {@link #MAX_RECORDING_BYTES}; -G × -W seconds when both are given, else a day. The oldest
     * chunks go first, as the capture's oldest files do.
     */
    static void limits(Recording r, StartOptions o) {
        if (o.watch()) { // the recording's part of --disk, and --keep with the window after a firing
            // JFR drops old chunks when one ends: the chunk being written comes on top of the size
            r.setMaxSize(o.recordingBytes() - JFR_CHUNK_BYTES);
            r.setMaxAge(o.keep.plus(o.after).plusMinutes(1));
            return;
        }
        r.setMaxSize(o.rotateBytes > 0 && o.ring > 0 ? Math.max(MIN_RECORDING_BYTES, o.rotateBytes * o.ring)
                : MAX_RECORDING_BYTES);
        r.setMaxAge(o.rotateSeconds > 0 && o.ring > 0 ? Duration.ofSeconds((long) o.rotateSeconds * o.ring)
                : MAX_RECORDING_AGE);
    }

    private static Recording startRecording(StartOptions o, Session s, Path file) throws IOException {
        Duration threshold = o.jfrThreshold;
        if (!FlightRecorder.isAvailable()) {
            s.warnings += "\nwarning: JFR is not available in this JVM; no recording.jfr will be written";
            return null;
        }
        Recording r = newRecording(s);
        r.setName("wiretrace");
        r.enable("wiretrace.SocketRead").withThreshold(threshold);
        r.enable("wiretrace.SocketWrite").withThreshold(threshold);
        // --exchange-threshold is applied by the agent (HttpExchanges.recorded), which keeps some
        // shorter ones too (a connection's first, errors, the calls of a request that runs long)
        r.enable("wiretrace.HttpExchange").withThreshold(Duration.ZERO);
        r.enable("wiretrace.DatabaseQuery").withThreshold(Duration.ZERO);
        r.enable("wiretrace.DnsLookup").withThreshold(Duration.ZERO);
        r.setToDisk(true);
        limits(r, o);
        // JFR writes the destination at stop(), and by itself if the JVM exits first (its own
        // shutdown hook may close the recording before ours could dump it). Created 0600 first,
        // since JFR truncates an existing file rather than creating it anew.
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        r.setDestination(file);
        r.setDumpOnExit(true);
        // The JVM keeps a recording's chunks in its repository, by default a directory in /tmp
        // that others can read: ours are private like the other output files, from the first one.
        try {
            s.repository = JfrRepository.claim();
        } catch (IOException | RuntimeException e) {
            s.warnings += "\nwarning: cannot make the JFR repository " + System.getProperty("jdk.jfr.repository")
                    + " private: " + e;
        }
        r.start();
        return r;
    }

    private static Map<String, String> settings() throws IOException, ParseException {
        try (InputStream in = Session.class.getResourceAsStream(SETTINGS)) {
            if (in == null) {
                throw new IOException("not found");
            }
            return Configuration.create(new InputStreamReader(in, StandardCharsets.UTF_8)).getSettings();
        }
    }

    /** wiretrace.jfc's settings, for the in-app history's stream; none if it cannot be read (newRecording warned). */
    private static Map<String, String> inAppSettings() {
        try {
            return settings();
        } catch (IOException | ParseException | RuntimeException e) {
            return Map.of();
        }
    }

    /**
     * A recording with the settings of wiretrace.jfc: wiretrace's events and the JDK's that show
     * why a socket call stalled. Should the file be unreadable, wiretrace's events alone.
     */
    private static Recording newRecording(Session s) {
        try {
            return new Recording(settings());
        } catch (IOException | ParseException | RuntimeException e) {
            s.warnings += "\nwarning: cannot read the JFR settings " + SETTINGS + " (" + e
                    + "); recording wiretrace's events only";
        }
        Recording r = new Recording();
        r.enable("wiretrace.SocketConnect").withStackTrace();
        r.enable("wiretrace.SocketAccept").withoutStackTrace();
        r.enable("wiretrace.SocketClose").withoutStackTrace();
        r.enable("wiretrace.SocketRead").withoutStackTrace();
        r.enable("wiretrace.SocketWrite").withoutStackTrace();
        r.enable("wiretrace.CaptureStatistics").withPeriod(Duration.ofSeconds(1));
        r.enable("wiretrace.HttpExchange").withoutStackTrace();
        r.enable("wiretrace.DatabaseQuery").withoutStackTrace();
        r.enable("wiretrace.SlowCall").withoutStackTrace();
        r.enable("wiretrace.DnsLookup").withoutStackTrace();
        r.enable("wiretrace.TcpConnection").withoutStackTrace();
        r.enable("wiretrace.TlsHandshake").withoutStackTrace();
        return r;
    }

    /**
     * Publishes the state as the agent property {@code wiretrace.state}, which the CLI reads
     * without loading the agent ({@code list}, and {@code status}/{@code stop} in a JVM where
     * wiretrace never ran).
     */
    private static void setState(String state) {
        AgentProperties.publish(Commands.STATE_PROPERTY, state);
    }

    /**
     * Creates the output directory (0700), or checks the one that exists: it must be a directory,
     * not a link, of this process's user, and writable by nobody else, since whoever can write it
     * can read the capture or put a link where a file of ours will be written. Returns whether it
     * was created (so a failed start can remove it again).
     */
    private static boolean createPrivateDir(Path dir) {
        try {
            boolean created = false;
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                created = true;
            }
            String wrong = OwnDirectory.problem(dir, false);
            if (wrong != null) {
                throw new IllegalStateException("refusing the output directory " + dir + ": it " + wrong
                        + "; whoever can write it could read the capture or swap its files. Name a new directory with -w");
            }
            Path probe = Files.createTempFile(dir, ".probe", "");
            Files.delete(probe);
            return created;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot write to output directory " + dir + ": " + e.getMessage());
        }
    }

    private static String defaultDir() {
        return "wiretrace-" + ProcessHandle.current().pid() + "-"
                + new SimpleDateFormat("yyyyMMdd-HHmmss").format(new Date());
    }
}
