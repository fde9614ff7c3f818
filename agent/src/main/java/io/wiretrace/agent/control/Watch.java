package io.wiretrace.agent.control;

import io.wiretrace.agent.capture.Capture;
import io.wiretrace.agent.capture.Ticker;
import io.wiretrace.agent.correlate.Correlator;
import io.wiretrace.agent.events.TriggerEvent;
import io.wiretrace.analysis.files.BundleName;
import io.wiretrace.analysis.files.PrivateFile;
import io.wiretrace.analysis.pcap.SavefileWriter;
import io.wiretrace.analysis.protocol.Build;
import io.wiretrace.analysis.protocol.Durations;
import io.wiretrace.analysis.protocol.StartOptions;
import io.wiretrace.analysis.protocol.Trigger;
import io.wiretrace.analysis.redact.JfrScrub;
import io.wiretrace.analysis.report.Report;
import io.wiretrace.analysis.verdict.Call;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * A watch: triggers over a running capture. When one fires, the capture goes on for --after;
 * then its own thread cuts a bundle, as collect makes one, from the ring's capture files and the
 * recording (the report opening on the call that fired), and waits out the cooldown. Calls come
 * from the correlator's thread, rates are read on the watch's thread; neither waits on the other
 * but for the few fields under this object's lock.
 */
final class Watch implements Correlator.Watcher {
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long RATE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The heap a report inside the app needs free, besides about its capture files' size. */
    static final long REPORT_HEADROOM = 128L << 20;
    /**
     * The triggers are armed this long after the start: the app's first seconds under the new
     * instrumentation are slowed by the JIT compiling the retransformed classes again (and the
     * safepoints of the retransformation), which would fire a trigger on wiretrace's own doing.
     * A call that began before is not looked at.
     */
    static final long ARM_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final StartOptions o;
    private final Path dir;
    private final Correlator correlator;
    /** The ring's files, or null: a watch without packets. */
    private final SavefileWriter files;
    private final Recording recording;
    private final long slowNanos;
    private final long[] fired;
    /** Whether a trigger counts a rate: else the watch's thread reads no counter. */
    private final boolean rates;
    private final Thread thread;
    /** The thread's wait between rounds, made at its start; see {@link Ticker}. */
    private volatile Ticker ticks;
    private volatile boolean stopping;
    /** The JVM is exiting: a bundle cut now gets no report (the exit would wait for it). */
    private volatile boolean exiting;
    /** When the triggers are armed: ns since the epoch (for calls), and System.nanoTime (for rates). */
    private final long armedAt;
    private final long armedNano;
    private long beforeArmed; // calls that would have fired before (the correlator's thread alone)

    // under this object's lock
    private Firing open;
    private boolean cutting;
    private long cooldownUntil;
    private int firings;
    private final List<String> bundles = new ArrayList<>();
    private int written;
    private long inWindow;
    private long inCooldown;
    private long pastMax;
    private String lastFailure;

    // the watch thread's
    private final long[][] samples = new long[16][]; // {nanoTime, retransmissions, resets}
    private int sampleCount;

    /** One firing that cuts a bundle. */
    static final class Firing {
        final Trigger trigger;
        final int number;
        final String what;
        final Instant at = Instant.now();
        final long windowEnd;
        /** The span the bundle must hold at least, ns since the epoch. */
        final long from;
        final String bundle;
        final Map<String, Object> details = new LinkedHashMap<>();
        final List<String> more = new ArrayList<>();

        Firing(Trigger trigger, int number, String what, long from, long afterNanos, String bundle) {
            this.trigger = trigger;
            this.number = number;
            this.what = what;
            this.from = from;
            this.windowEnd = System.nanoTime() + afterNanos;
            this.bundle = bundle;
        }
    }

    Watch(StartOptions o, Path dir, Correlator correlator, SavefileWriter files, Recording recording, long slowNanos) {
        this(o, dir, correlator, files, recording, slowNanos, ARM_NANOS);
    }

    Watch(StartOptions o, Path dir, Correlator correlator, SavefileWriter files, Recording recording, long slowNanos,
            long armNanos) {
        this.armedAt = epochNow() + armNanos;
        this.armedNano = System.nanoTime() + armNanos;
        this.o = o;
        this.dir = dir;
        this.correlator = correlator;
        this.files = files;
        this.recording = recording;
        this.slowNanos = slowNanos;
        this.fired = new long[o.triggers.size()];
        this.rates = o.triggers.stream().anyMatch(t -> !t.onCalls());
        this.thread = Capture.daemon("wiretrace-watch", this::loop);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    void start() {
        ticks = new Ticker();
        thread.start();
    }

    /** Ends the watch thread's current or next wait now. */
    private void wake() {
        Ticker t = ticks;
        if (t != null) {
            t.wake();
        }
        LockSupport.unpark(thread); // also a wait inside a cut
    }

    /** The ring's part of the disk: the capture files' bounds, set before the capture opens them. */
    static void ring(SavefileWriter files, StartOptions o) {
        files.retain(o.ringBytes(), o.keep.toNanos(), o.rotateBytes > 0 ? o.ring : 0);
    }

    /** The least status a trigger looks for (the exchanges handed over however fast), or MAX_VALUE. */
    static int statusAtLeast(StartOptions o) {
        int least = Integer.MAX_VALUE;
        for (Trigger t : o.triggers) {
            if (t.kind == Trigger.Kind.STATUS) {
                least = Math.min(least, t.statusAtLeast);
            }
        }
        return least;
    }

    /** The slow-call threshold that lets every slow trigger see its calls. */
    static long slowNanos(StartOptions o) {
        long slow = o.slow.toNanos();
        for (Trigger t : o.triggers) {
            if (t.kind == Trigger.Kind.SLOW) {
                slow = Math.min(slow, Math.max(StartOptions.MIN_SLOW.toNanos(), t.nanos));
            }
        }
        return slow;
    }

    // ---- the correlator's thread

    @Override
    public void call(Call c, String kind, String verdict, long s, long e, long connectionId, String remoteAddress,
            int remotePort, String evidence) {
        try {
            for (int i = 0; i < fired.length; i++) {
                Trigger t = o.triggers.get(i);
                if (t.onCalls() && t.fires(kind, verdict, e - s, c.status, remoteAddress, remotePort, c.request)) {
                    if (s < armedAt) {
                        beforeArmed++;
                        return;
                    }
                    String what = kind + (c.request != null ? " " + c.request : "")
                            + (connectionId >= 0 ? " on connection " + connectionId : "")
                            + (remoteAddress != null && !remoteAddress.isEmpty() ? " with " + peer(remoteAddress, remotePort) : "")
                            + (c.thread != null && !c.thread.isEmpty() ? " on thread " + c.thread : "")
                            + " took " + String.format(Locale.ROOT, "%,.1f ms", (e - s) / 1e6)
                            + (c.status > 0 ? ", status " + c.status : "")
                            + (verdict != null ? " (" + verdict + ")" : "");
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("connectionId", connectionId >= 0 ? connectionId : null);
                    d.put("callStart", TimeUnit.NANOSECONDS.toMillis(s));
                    d.put("callDurationNanos", e - s);
                    d.put("verdict", verdict);
                    d.put("thread", c.thread);
                    d.put("peer", remoteAddress == null || remoteAddress.isEmpty() ? null : peer(remoteAddress, remotePort));
                    d.put("request", c.request);
                    d.put("status", c.status > 0 ? c.status : null);
                    d.put("evidence", evidence);
                    fire(i, what, s, d, connectionId, remoteAddress, remotePort, verdict);
                    return; // one call fires one trigger: the first that matches
                }
            }
        } catch (RuntimeException ex) {
            failed("a call's trigger check: " + ex);
        }
    }

    private static String peer(String address, int port) {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
    }

    /** Counts a firing, and opens a window for a bundle when none is open, cooling down or past the maximum. */
    private void fire(int i, String what, long fromNanos, Map<String, Object> details, long connectionId,
            String remoteAddress, int remotePort, String verdict) {
        Trigger t = o.triggers.get(i);
        String outcome;
        String bundle = null;
        long n;
        synchronized (this) {
            n = ++fired[i];
            firings++;
            if (open != null) {
                inWindow++;
                outcome = "window";
                bundle = open.bundle;
                if (open.more.size() < 20) {
                    open.more.add(t.spec + ": " + what);
                }
            } else if (written + (cutting ? 1 : 0) >= o.maxBundles) {
                pastMax++;
                outcome = "max-bundles";
            } else if (cutting || System.nanoTime() < cooldownUntil) {
                inCooldown++;
                outcome = "cooldown";
            } else {
                long before = o.before != null ? o.before.toNanos() : Long.MAX_VALUE / 4;
                bundle = BundleName.of(ProcessHandle.current().pid(), LocalDateTime.now()) + "-" + (written + 1);
                open = new Firing(t, firings, what, Math.min(fromNanos, epochNow()) - before, o.after.toNanos(), bundle);
                open.details.putAll(details);
                if (files != null) {
                    files.pin(open.from);
                }
                outcome = "bundle";
            }
        }
        TriggerEvent ev = new TriggerEvent();
        if (ev.shouldCommit()) {
            ev.set(connectionId, "", 0, remoteAddress == null ? "" : remoteAddress, remotePort);
            ev.trigger = t.spec;
            ev.what = what;
            ev.verdict = verdict;
            ev.firing = n;
            ev.outcome = outcome;
            ev.bundle = bundle;
            ev.commit();
        }
        if ("bundle".equals(outcome)) {
            wake();
        }
    }

    private static long epochNow() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    // ---- the watch's thread

    private void loop() {
        Ticker t = ticks;
        long lastExpire = System.nanoTime();
        try {
            while (!stopping) {
                t.await(TICK_NANOS);
                try {
                    rates();
                    Firing due = due(false);
                    if (due != null) {
                        cut(due);
                    }
                    long now = System.nanoTime();
                    if (files != null && now - lastExpire >= TimeUnit.SECONDS.toNanos(5)) {
                        lastExpire = now;
                        files.expire(epochNow());
                    }
                } catch (Throwable e) {
                    failed(String.valueOf(e));
                }
            }
        } finally {
            t.close();
        }
    }

    /** The open window if it has ended (or {@code now}), taken for cutting; else null. */
    private synchronized Firing due(boolean now) {
        if (open == null || (!now && System.nanoTime() < open.windowEnd)) {
            return null;
        }
        Firing f = open;
        open = null;
        cutting = true;
        return f;
    }

    /** The rate triggers, over the last second of the capture's counts. */
    private void rates() {
        long now = System.nanoTime();
        if (!rates || now < armedNano) {
            return;
        }
        long[] s = {now, correlator.retransmissionsSeen(), correlator.resetsSeen()};
        samples[sampleCount++ % samples.length] = s;
        long[] old = null;
        for (long[] x : samples) {
            if (x != null && now - x[0] >= RATE_WINDOW_NANOS && (old == null || x[0] > old[0])) {
                old = x;
            }
        }
        if (old == null) {
            return;
        }
        double secs = (now - old[0]) / 1e9;
        for (int i = 0; i < fired.length; i++) {
            Trigger t = o.triggers.get(i);
            if (t.kind != Trigger.Kind.RETRANS && t.kind != Trigger.Kind.RESETS) {
                continue;
            }
            int k = t.kind == Trigger.Kind.RETRANS ? 1 : 2;
            long count = s[k] - old[k];
            double rate = count / secs;
            if (rate > t.perSecond) {
                String what = String.format(Locale.ROOT, "%,d TCP %s in the last %.1f s of the capture (%,.0f a second,"
                        + " over %s)", count, k == 1 ? "retransmissions" : "resets", secs, rate, t.spec);
                Map<String, Object> d = new LinkedHashMap<>();
                fire(i, what, epochNow() - (now - old[0]), d, -1, null, 0, null);
                // the rate is measured anew from here: one burst fires once
                java.util.Arrays.fill(samples, null);
                sampleCount = 0;
                return;
            }
        }
    }

    /**
     * Cuts the firing's bundle: the ring's files from its start on (hard links: the ring may let
     * them go meanwhile), the recording so far (masked), an environment.txt and the report, zipped
     * under a temporary name and renamed when whole. A failure is noted in the status; the
     * directory it was made in is removed either way.
     */
    private void cut(Firing f) {
        Path stage = dir.resolve(".cut-" + f.number);
        String outcome;
        try {
            outcome = bundle(f, stage);
        } catch (Throwable t) {
            outcome = null;
            failed("bundle " + f.bundle + ": " + t);
        } finally {
            deleteTree(stage);
        }
        synchronized (this) {
            cutting = false;
            cooldownUntil = System.nanoTime() + o.cooldown.toNanos();
            if (outcome != null) {
                written++;
                bundles.add(outcome);
            }
        }
    }

    private String bundle(Firing f, Path stage) throws IOException {
        Files.createDirectory(stage, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        List<SavefileWriter.Kept> linked;
        long packetBytes = 0;
        List<Path> captures = new ArrayList<>();
        try {
            linked = files != null ? files.cut(stage, f.from) : List.of();
        } finally {
            if (files != null) {
                files.pin(Long.MAX_VALUE);
            }
        }
        for (SavefileWriter.Kept k : linked) {
            captures.add(k.path);
            packetBytes += k.bytes;
        }
        long free = Files.getFileStore(dir).getUsableSpace();
        long need = packetBytes + (recording != null ? recording.getMaxSize() : 0);
        if (free < need) {
            throw new IOException("the disk of " + dir + " has " + free / 1_000_000 + " MB free, the bundle may need "
                    + need / 1_000_000 + " MB");
        }
        Path jfr = stage.resolve(StartOptions.RECORDING);
        String jfrNote = "";
        if (recording != null && recording.getState() == RecordingState.RUNNING) {
            try {
                recording.dump(jfr);
                Session.chmod(jfr, "rw-------");
                JfrScrub.scrub(jfr);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(jfr);
                jfrNote = "recording.jfr: not in the bundle (" + e + ")\n";
            }
        }
        boolean haveJfr = Files.isRegularFile(jfr, LinkOption.NOFOLLOW_LINKS);
        Map<String, Object> trigger = new LinkedHashMap<>();
        trigger.put("spec", f.trigger.spec);
        trigger.put("what", f.what);
        trigger.put("firedAt", f.at.toString());
        trigger.putAll(f.details);
        trigger.put("after", Durations.format(o.after));
        trigger.put("bundle", f.bundle + ".zip");
        StringBuilder env = new StringBuilder("[watch]\n")
                .append("trigger: ").append(f.trigger.spec).append('\n')
                .append("fired at: ").append(f.at).append(" (firing ").append(f.number).append(" of this watch)\n")
                .append("what fired it: ").append(f.what).append('\n');
        if (f.details.get("evidence") != null) {
            env.append("evidence: ").append(f.details.get("evidence")).append('\n');
        }
        for (String m : f.more) {
            env.append("also fired in the window: ").append(m).append('\n');
        }
        env.append("window: the capture went on ").append(Durations.format(o.after)).append(" after it; the bundle holds ")
                .append(o.before != null ? Durations.format(o.before) + " before it" : "all the ring held")
                .append(" (whole files of the ring: ").append(captures.size()).append(", ")
                .append(packetBytes / 1_000_000).append(" MB)\n")
                .append("options: triggers ").append(o.triggers).append(", keep ").append(Durations.format(o.keep))
                .append(", disk ").append(o.diskBytes / 1_000_000).append(" MB, cooldown ")
                .append(Durations.format(o.cooldown)).append(", max bundles ").append(o.maxBundles).append('\n')
                .append(jfrNote)
                .append("\n[the JVM]\n")
                .append("pid: ").append(ProcessHandle.current().pid()).append('\n')
                .append("java: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append('\n')
                .append("agent: wiretrace ").append(Build.id()).append('\n');
        PrivateFile.write(stage.resolve("environment.txt"), env.toString());
        Runtime rt = Runtime.getRuntime();
        long headroom = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (exiting) {
            PrivateFile.write(stage.resolve("report-error.txt"), "the report was not made inside the app: the JVM was"
                    + " exiting when this bundle was cut; run `wiretrace analyze " + f.bundle + ".zip` for it\n");
        } else if (headroom < REPORT_HEADROOM + packetBytes) {
            PrivateFile.write(stage.resolve("report-error.txt"), "the report was not made inside the app: its heap had "
                    + headroom / (1 << 20) + " MiB free, and making it may take " + (REPORT_HEADROOM + packetBytes)
                    / (1 << 20) + " MiB; run `wiretrace analyze " + f.bundle + ".zip` for it\n");
        } else {
            try {
                Map<String, Object> doc = Report.build(captures, haveJfr ? jfr : null, slowNanos, Build.version());
                Report.focus(doc, trigger);
                Report.write(doc, stage);
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                PrivateFile.write(stage.resolve("report-error.txt"), "the report could not be made: " + e + "\n");
            }
        }
        Path zip = dir.resolve(f.bundle + ".zip");
        long size = zip(stage, zip, f.bundle);
        return zip + " (" + size + " bytes, " + f.trigger.spec + " at " + f.at + ")";
    }

    /** Zips the directory's files under {@code folder}, into a temporary file renamed to {@code zip} when whole. */
    static long zip(Path stage, Path zip, String folder) throws IOException {
        Path tmp = zip.resolveSibling("." + zip.getFileName() + ".tmp");
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(stage)) {
            list.forEach(entries::add);
        }
        entries.sort(null);
        try (ZipOutputStream z = new ZipOutputStream(PrivateFile.create(tmp))) {
            for (Path p : entries) {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                ZipEntry e = new ZipEntry(folder + "/" + p.getFileName());
                e.setLastModifiedTime(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
                z.putNextEntry(e);
                Files.copy(p, z);
                z.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (Files.exists(zip, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(tmp);
            throw new java.nio.file.FileAlreadyExistsException(zip.toString(), null, "exists already: not replaced");
        }
        Files.move(tmp, zip, StandardCopyOption.ATOMIC_MOVE);
        return Files.size(zip);
    }

    private static void deleteTree(Path stage) {
        try {
            if (!Files.isDirectory(stage, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try (DirectoryStream<Path> list = Files.newDirectoryStream(stage)) {
                for (Path p : list) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(stage);
        } catch (IOException | RuntimeException e) {
            // a leftover hidden directory; the status of the next cut says if it keeps failing
        }
    }

    private synchronized void failed(String why) {
        lastFailure = Instant.now() + " " + why;
    }

    /**
     * Ends the watch: a window still open is cut now (the firing is not lost to the stop), and a
     * cut under way is waited for. Runs before the capture and the recording stop.
     */
    void stop(boolean exiting) {
        stopping = true;
        this.exiting = exiting;
        wake();
        try {
            // the JVM's exit waits on this: a cut under way gets a few seconds, not its report's time
            thread.join(exiting ? TimeUnit.SECONDS.toMillis(5) : TimeUnit.MINUTES.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Firing f = due(true);
        if (f != null) {
            cut(f);
        }
    }

    /** The watch's lines of the status. */
    synchronized String status() {
        StringBuilder b = new StringBuilder("watch: ");
        for (int i = 0; i < fired.length; i++) {
            b.append(i == 0 ? "" : ", ").append(o.triggers.get(i).spec).append(" (fired ").append(fired[i]).append(')');
        }
        b.append("; the capture goes on ").append(Durations.format(o.after)).append(" after a firing, then a bundle;")
                .append(" cooldown ").append(Durations.format(o.cooldown)).append(", at most ").append(o.maxBundles)
                .append(" bundles\n");
        if (open != null) {
            b.append("window open: ").append(open.trigger.spec).append(" fired at ").append(open.at).append(" (")
                    .append(open.what).append("); its bundle is cut in ")
                    .append(Math.max(0, (open.windowEnd - System.nanoTime()) / 1_000_000_000L)).append(" s\n");
        } else if (cutting) {
            b.append("cutting a bundle\n");
        } else if (System.nanoTime() < cooldownUntil) {
            b.append("cooling down for ").append((cooldownUntil - System.nanoTime()) / 1_000_000_000L).append(" s\n");
        }
        long arming = (armedNano - System.nanoTime()) / 1_000_000_000L;
        if (arming >= 0) {
            b.append("the triggers are armed in ").append(arming + 1).append(" s (the JIT's work after the start is not the app's)\n");
        }
        if (beforeArmed > 0) {
            b.append("calls that matched before the triggers were armed (during the start's JIT work), not fired on: ")
                    .append(beforeArmed).append('\n');
        }
        if (inWindow + inCooldown + pastMax > 0) {
            b.append("firings without a bundle of their own: ").append(inWindow).append(" in a window, ")
                    .append(inCooldown).append(" cooling down, ").append(pastMax).append(" past --max-bundles\n");
        }
        b.append("bundles: ").append(written).append(" of ").append(o.maxBundles);
        for (String s : bundles) {
            b.append("\n  ").append(s);
        }
        b.append('\n').append("ring: ").append(files != null ? files.ring() : "no capture files (packets off)");
        if (recording != null) {
            b.append("; recording: the last ").append(Durations.format(o.keep)).append(", at most ")
                    .append(recording.getMaxSize() / 1_000_000).append(" MB");
        }
        if (lastFailure != null) {
            b.append("\nwatch failure: ").append(lastFailure);
        }
        return b.toString();
    }

    /** The bundles written so far, for stop's list of files. */
    synchronized int written() {
        return written;
    }
}
