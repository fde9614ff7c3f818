package io.wiretrace.analysis.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The options of the agent's {@code start}, read and checked in one place: the CLI checks what
 * it is about to send (a usage error before anything is attached), the agent what it was sent
 * (also with {@code -javaagent:…=start,…}). Keys are tcpdump's letters where tcpdump has the
 * option; values are as the agent grammar ({@link Args}) carries them.
 */
public final class StartOptions {
    /** The keys {@code start} takes. */
    public static final Set<String> KEYS = Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(
            "i", "s", "B", "w", "C", "W", "G", "name", "format", "slow", "jfr-threshold", "exchange-threshold", "filter",
            "deadline", "packets", "trigger", "after", "before", "cooldown", "max-bundles", "keep", "disk")));
    public static final int DEFAULT_BUFFER_KIB = 32 << 10;
    /** libpcap takes the buffer's size in bytes as a C int: at most 2 GiB less 1 KiB. */
    public static final int MAX_BUFFER_KIB = Integer.MAX_VALUE / 1024;
    /** The recording's file name in the output directory. */
    public static final String RECORDING = "recording.jfr";
    /** The files the output directory holds besides the capture's: --name may not be one of them. */
    public static final Set<String> OTHER_FILES = Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(
            RECORDING, "report.html", "report.json", "report-error.txt", "environment.txt", Commands.STOP_FILE)));
    /**
     * The least --slow: under it nearly every socket call is slow, and each slow call is a record
     * the app's thread allocates and hands over.
     */
    public static final Duration MIN_SLOW = Duration.ofMillis(1);

    public final List<String> interfaces;
    /** The snapshot length; 0: the maximum. */
    public final int snaplen;
    public final int bufferKiB;
    /** The output directory as given, or null: the default. */
    public final String dir;
    /** {@code -C} in bytes (0: off), {@code -W} (0: off), {@code -G} in seconds (0: off). */
    public final long rotateBytes;
    public final int ring;
    public final int rotateSeconds;
    public final boolean pcapng;
    /** The capture file's name (strftime conversions with {@code -G}). */
    public final String name;
    public final Duration slow;
    /**
     * Socket reads and writes shorter than this are not recorded in the JFR. Every call's event
     * cost the app about 1 µs under load (four a request in bench/load, 2 % of its CPU) and filled
     * the bounded recording with calls nobody looks at; the JDK's own jdk.SocketRead has 10 ms in
     * its profile settings.
     */
    public final Duration jfrThreshold;
    public static final String DEFAULT_JFR_THRESHOLD = "10ms";
    /**
     * The least time an HTTP exchange takes to be recorded as a {@code wiretrace.HttpExchange}
     * ({@link #DEFAULT_EXCHANGE_THRESHOLD}; zero: every one), but for those the agent keeps
     * anyway: a connection's first, server errors, failures, streams, and the calls made for a request
     * that had run that long. Under load those events are most of the recording and about 1.4 µs
     * each on the app's thread; the agent counts the ones it leaves out.
     */
    public final Duration exchangeThreshold;
    /** Since 2026-12-07; 0 before, which recorded two events a request and filled 250 MB in minutes. */
    public static final String DEFAULT_EXCHANGE_THRESHOLD = "10ms";
    public final String filter;
    /** When the capture stops by itself, from its start; null: never. */
    /**
     * Where the packets come from when not from libpcap in this JVM: a directory (as the target
     * names it) holding a FIFO per interface, {@code 0}, {@code 1} ..., each carrying classic pcap
     * from a capture process outside; null for the capture inside.
     */
    public final String packets;
    public final Duration deadline;

    /** watch's triggers; empty for a capture that is not a watch. */
    public final List<Trigger> triggers;
    /** watch: how long the capture goes on after a trigger fired before the bundle is cut. */
    public final Duration after;
    /** watch: how much from before the firing a bundle holds; null: all that the ring holds. */
    public final Duration before;
    /** watch: after a bundle, how long firings are counted but cut no bundle. */
    public final Duration cooldown;
    public final int maxBundles;
    /** watch: how long the ring keeps packets and recording. */
    public final Duration keep;
    /** watch: the most the ring's capture files and recording take on disk, together. */
    public final long diskBytes;

    public static final Duration DEFAULT_AFTER = Duration.ofSeconds(10);
    public static final Duration DEFAULT_COOLDOWN = Duration.ofMinutes(1);
    public static final Duration DEFAULT_KEEP = Duration.ofMinutes(10);
    public static final int DEFAULT_MAX_BUNDLES = 5;
    public static final long DEFAULT_DISK_BYTES = 200_000_000L;
    /** The least --disk: the recording's part alone is two of JFR's chunks. */
    public static final long MIN_DISK_BYTES = 50_000_000L;
    /** Triggers travel as one value, separated so. */
    public static final String TRIGGER_SEPARATOR = ";";

    private StartOptions(Map<String, String> v) {
        String format = v.getOrDefault("format", "pcapng");
        if (!format.equals("pcapng") && !format.equals("pcap")) {
            throw new IllegalArgumentException("--format takes pcapng or pcap, not '" + format + "'");
        }
        pcapng = format.equals("pcapng");
        interfaces = Arrays.asList(v.getOrDefault("i", "any").split(",", -1));
        for (String i : interfaces) {
            if (i.trim().isEmpty()) {
                throw new IllegalArgumentException("-i takes an interface name or number, not '" + v.get("i") + "'");
            }
        }
        if (!pcapng && interfaces.size() > 1) {
            throw new IllegalArgumentException("--format pcap holds one interface; use pcapng for several -i");
        }
        snaplen = number(v, "s", "-s", 0, 0, Integer.MAX_VALUE);
        bufferKiB = number(v, "B", "-B", DEFAULT_BUFFER_KIB, 1, MAX_BUFFER_KIB);
        rotateBytes = number(v, "C", "-C", 0, 1, Integer.MAX_VALUE) * 1_000_000L;
        ring = number(v, "W", "-W", 0, 1, Integer.MAX_VALUE);
        rotateSeconds = number(v, "G", "-G", 0, 1, Integer.MAX_VALUE);
        if (ring > 0 && rotateBytes == 0 && rotateSeconds == 0) {
            throw new IllegalArgumentException("-W limits the files of -C or -G rotation; give -C or -G too");
        }
        String ext = pcapng ? ".pcapng" : ".pcap";
        name = v.getOrDefault("name", rotateSeconds > 0 ? "trace-%Y%m%d-%H%M%S" + ext : "trace" + ext);
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("--name takes a file name (no directory), not '" + name + "'");
        }
        if (OTHER_FILES.contains(name)) {
            throw new IllegalArgumentException("--name " + name + " is a file the output directory holds besides the"
                    + " capture (" + String.join(", ", OTHER_FILES) + "); name the capture otherwise");
        }
        dir = v.get("w");
        if (dir != null && dir.trim().isEmpty()) {
            throw new IllegalArgumentException("-w takes a directory, not ''");
        }
        slow = Durations.parse(v.getOrDefault("slow", "200ms"));
        if (slow.compareTo(MIN_SLOW) < 0) {
            throw new IllegalArgumentException("--slow takes at least 1ms, not " + v.get("slow")
                    + " (below it nearly every socket call would be handed over as slow)");
        }
        jfrThreshold = Durations.parse(v.getOrDefault("jfr-threshold", DEFAULT_JFR_THRESHOLD));
        exchangeThreshold = Durations.parse(v.getOrDefault("exchange-threshold", DEFAULT_EXCHANGE_THRESHOLD));
        filter = v.getOrDefault("filter", "").trim();
        deadline = v.containsKey("deadline") ? Durations.parse(v.get("deadline")) : null;
        packets = v.get("packets");
        if (packets != null && !packets.startsWith("/")) {
            throw new IllegalArgumentException("packets takes an absolute directory, not '" + packets + "'");
        }
        if (deadline != null && (deadline.isZero() || deadline.isNegative())) {
            throw new IllegalArgumentException("deadline must be positive, not " + v.get("deadline"));
        }
        List<Trigger> t = new ArrayList<>();
        String specs = v.getOrDefault("trigger", "");
        for (String spec : specs.split(TRIGGER_SEPARATOR, -1)) {
            if (!spec.trim().isEmpty()) {
                t.add(Trigger.parse(spec));
            }
        }
        triggers = Collections.unmodifiableList(t);
        after = positive(v, "after", DEFAULT_AFTER, true);
        before = v.containsKey("before") ? positive(v, "before", null, false) : null;
        cooldown = positive(v, "cooldown", DEFAULT_COOLDOWN, true);
        keep = positive(v, "keep", DEFAULT_KEEP, false);
        maxBundles = number(v, "max-bundles", "--max-bundles", DEFAULT_MAX_BUNDLES, 1, 1000);
        diskBytes = v.containsKey("disk") ? bytes(v.get("disk")) : DEFAULT_DISK_BYTES;
        if (triggers.isEmpty()) {
            for (String k : Arrays.asList("after", "before", "cooldown", "max-bundles", "keep", "disk")) {
                if (v.containsKey(k)) {
                    throw new IllegalArgumentException("--" + k + " is an option of watch, which needs a --trigger");
                }
            }
            return;
        }
        if (rotateSeconds > 0) {
            throw new IllegalArgumentException("watch keeps a ring by --keep and --disk (and -C, -W); -G is not for it");
        }
        if (!pcapng) {
            throw new IllegalArgumentException("watch writes pcapng (its packets carry the comments its report"
                    + " names); --format pcap is not for it");
        }
        if (diskBytes < MIN_DISK_BYTES) {
            throw new IllegalArgumentException("--disk takes at least " + MIN_DISK_BYTES / 1_000_000 + "MB (the"
                    + " recording's part alone is two of JFR's chunks), not " + v.get("disk"));
        }
        if (after.compareTo(keep) >= 0) {
            throw new IllegalArgumentException("--after (" + Durations.format(after) + ") must be shorter than --keep ("
                    + Durations.format(keep) + "): the ring must still hold the firing when the bundle is cut");
        }
        if (before != null && before.compareTo(keep) > 0) {
            throw new IllegalArgumentException("--before (" + Durations.format(before) + ") can be at most --keep ("
                    + Durations.format(keep) + "): the ring holds no more");
        }
        if (rotateBytes > 0 && rotateBytes * 2 > ringBytes()) {
            throw new IllegalArgumentException("-C " + rotateBytes / 1_000_000 + " leaves the ring fewer than two files"
                    + " in the capture's part of --disk (" + ringBytes() / 1_000_000 + " MB)");
        }
    }

    /** Whether this is a watch: a capture with triggers. */
    public boolean watch() {
        return !triggers.isEmpty();
    }

    /** watch: the recording's part of {@link #diskBytes}: a fifth, at least 25 MB. */
    public long recordingBytes() {
        return Math.max(25_000_000L, diskBytes / 5);
    }

    /** watch: the capture files' part of {@link #diskBytes}, and of -C × -W when they are given. */
    public long ringBytes() {
        long b = diskBytes - recordingBytes();
        return rotateBytes > 0 && ring > 0 ? Math.min(b, rotateBytes * ring) : b;
    }

    /** A size as {@code --disk} takes it: a number and B, KB, MB or GB (powers of 1,000, as tcpdump's -C). */
    public static long bytes(String text) {
        String s = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        int i = 0;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            i++;
        }
        String unit = s.substring(i).trim();
        long scale = unit.isEmpty() || unit.equals("B") ? 1 : unit.startsWith("K") ? 1_000L : unit.startsWith("M")
                ? 1_000_000L : unit.startsWith("G") ? 1_000_000_000L : -1;
        if (i == 0 || scale < 0 || unit.length() > 2 || (unit.length() == 2 && !unit.endsWith("B"))) {
            throw new IllegalArgumentException("--disk takes a size such as 200MB or 2GB, not '" + text + "'");
        }
        try {
            double n = Double.parseDouble(s.substring(0, i)) * scale;
            if (n > 1e15) {
                throw new IllegalArgumentException("--disk " + text + " is more than any disk");
            }
            return (long) n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--disk takes a size such as 200MB or 2GB, not '" + text + "'");
        }
    }

    private static Duration positive(Map<String, String> v, String key, Duration otherwise, boolean zeroAllowed) {
        if (!v.containsKey(key)) {
            return otherwise;
        }
        Duration d = Durations.parse(v.get(key));
        if (d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw new IllegalArgumentException("--" + key + " takes a duration" + (zeroAllowed ? "" : " above 0")
                    + ", not " + v.get(key));
        }
        return d;
    }

    /** The options in {@code values}; throws IllegalArgumentException, with a message for the user, on any that is wrong. */
    public static StartOptions parse(Map<String, String> values) {
        return new StartOptions(values);
    }

    private static int number(Map<String, String> v, String key, String option, int otherwise, int min, int max) {
        String s = v.get(key);
        if (s == null) {
            return otherwise;
        }
        try {
            long n = Long.parseLong(s.trim());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " takes a whole number from " + min + " to " + max + ", not '" + s + "'");
    }
}
