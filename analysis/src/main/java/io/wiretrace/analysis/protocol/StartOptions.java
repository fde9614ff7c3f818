package io.wiretrace.analysis.protocol;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
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
            "i", "s", "B", "w", "C", "W", "G", "name", "format", "slow", "jfr-threshold", "filter", "deadline", "packets")));
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
    public final Duration jfrThreshold;
    public final String filter;
    /** When the capture stops by itself, from its start; null: never. */
    /**
     * Where the packets come from when not from libpcap in this JVM: a directory (as the target
     * names it) holding a FIFO per interface, {@code 0}, {@code 1} ..., each carrying classic pcap
     * from a capture process outside; null for the capture inside.
     */
    public final String packets;
    public final Duration deadline;

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
        jfrThreshold = Durations.parse(v.getOrDefault("jfr-threshold", "0ms"));
        filter = v.getOrDefault("filter", "").trim();
        deadline = v.containsKey("deadline") ? Durations.parse(v.get("deadline")) : null;
        packets = v.get("packets");
        if (packets != null && !packets.startsWith("/")) {
            throw new IllegalArgumentException("packets takes an absolute directory, not '" + packets + "'");
        }
        if (deadline != null && (deadline.isZero() || deadline.isNegative())) {
            throw new IllegalArgumentException("deadline must be positive, not " + v.get("deadline"));
        }
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
