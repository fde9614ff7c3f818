package io.wiretrace.analysis.report;

import io.wiretrace.analysis.files.PrivateFile;
import io.wiretrace.analysis.offline.Offline;
import io.wiretrace.analysis.verdict.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The report of one capture: the verdicts ranked by the time they cost, each slow call with the
 * packets and socket calls of its connection around it (a ladder), and the connections. Built
 * from files only, the same way after {@code collect}, in {@code analyze} and in the agent for a
 * bundle that a trigger cut ({@link #focus}): the verdicts are the ones the agent reached live
 * (wiretrace.SlowCall in the recording), or, from a capture alone, the ones its packets support.
 * The document is plain maps and lists, as report.json holds it; {@link #write} writes it.
 */
public final class Report {
    /** Slow calls that get a ladder diagram; the rest are listed without. */
    static final int MAX_LADDERS = 40;
    static final int MAX_LADDER_PACKETS = 120;
    public static final int MAX_CONNECTIONS = 2_000;
    /** How much later than the capture's first packet a recording may begin and still count as reaching it. */
    static final long REACH_MARGIN_NANOS = 5_000_000_000L;
    /** How far apart a call in the packets and one in the recording may lie and be one call (the clocks' join, with room). */
    private static final long SAME_CALL_NANOS = 1_000_000_000L;
    /** How far a slow call's start may lie from the start of the call that fired a trigger and be that call. */
    static final long FIRED_SLACK_NANOS = 50_000_000L;
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private Report() {
    }

    /** The capture files of a directory in the order they were written, and its recording (or null). */
    public static List<Path> captures(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return Files.isRegularFile(p) && (n.contains(".pcapng") || n.contains(".pcap"));
            }).sorted(Comparator.comparing((Path p) -> modified(p)).thenComparing(Path::toString))
                    .collect(Collectors.toList());
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * @param captures the capture files, oldest first
     * @param recording recording.jfr, or null
     * @param slowNanos the threshold for verdicts from packets alone
     */
    public static Map<String, Object> build(List<Path> captures, Path recording, long slowNanos, String version)
            throws IOException {
        Recording rec = recording != null ? Recording.read(recording) : null;
        Offline packets = Offline.analyze(captures, slowNanos);
        boolean live = rec != null && rec.wiretrace;
        String packetsOff = rec != null ? rec.packetsOff : null;

        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("wiretrace", version);
        doc.put("generated", Instant.now().toString());
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("captures", captures.stream().map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        source.put("recording", recording != null ? recording.getFileName().toString() : null);
        source.put("verdicts", live ? "recording" : "packets");
        String explained = live
                ? "the verdicts the agent reached live, from the app's socket calls and the packets (wiretrace.SlowCall)"
                : "from the packets alone: slow or failed connects and request/response exchanges slower than "
                        + ms(slowNanos) + " ms; the app's own timings (APP_READ_LATE) need the recording";
        if (live && packetsOff != null) {
            explained = "the verdicts the agent reached live from the app's timings alone, as packets were off in the"
                    + " target: a cause is named only where those timings show it (a slow lookup or TLS handshake, the"
                    + " slow calls a request's thread waited on); the others are UNKNOWN (wiretrace.SlowCall)";
        }
        source.put("verdictsExplained", explained);
        doc.put("source", source);
        Path first = captures.isEmpty() ? recording : captures.get(0);
        Path env = first == null ? null : first.resolveSibling("environment.txt");
        if (env != null && Files.isRegularFile(env)) {
            doc.put("environment", environment(env));
        }

        Map<String, Object> capture = new LinkedHashMap<>();
        // without a capture file, no count: "0 packets" would read as a quiet network
        boolean none = captures.isEmpty();
        capture.put("packetsOff", packetsOff);
        capture.put("first", packets.first == 0 ? null : Instant.ofEpochSecond(0, packets.first).toString());
        capture.put("last", packets.last == 0 ? null : Instant.ofEpochSecond(0, packets.last).toString());
        capture.put("packets", none ? null : packets.packets);
        capture.put("tcpPackets", none ? null : packets.tcpPackets);
        capture.put("bytes", none ? null : packets.bytes);
        capture.put("conversations", none ? null : packets.conversations().size() + packets.conversationsDropped);
        if (packets.commentsCut > 0) {
            capture.put("commentsCut", packets.commentsCut + " packets had more than " + Offline.MAX_COMMENT_CHARS
                    + " characters of comments; only that much of each was read");
        }
        if (rec != null && rec.exchangeThreshold > 0) {
            capture.put("exchangeThreshold", rec.unrecorded < 0
                    ? "the recording holds only the HTTP exchanges of at least " + ms(rec.exchangeThreshold)
                            + " ms (--exchange-threshold): the request counts, the timeline's requests and the waterfalls"
                            + " show those; slow or failed exchanges were judged as always"
                    : "the recording holds the HTTP exchanges of at least " + ms(rec.exchangeThreshold)
                            + " ms (--exchange-threshold) and, from agents since 2026-12-07, some shorter ones: each"
                            + " connection's first three, server errors, streams, and the calls made for a request that had"
                            + " run " + ms(rec.exchangeThreshold) + " ms. The timeline's requests and the connections'"
                            + " request counts include the " + rec.unrecorded + " left out, which the agent counted; the"
                            + " request samples and the waterfalls show only those recorded (a slow request's calls that"
                            + " ended in its first " + ms(rec.exchangeThreshold) + " ms in less time are not in its"
                            + " waterfall); slow or failed exchanges were judged as always");
        }
        if (rec != null && rec.captured >= 0) {
            capture.put("packetsCapturedInTarget", rec.captured);
            capture.put("dropped", rec.dropped);
        }
        doc.put("capture", capture);
        doc.put("slowThresholdMs", live && rec.slowNanos > 0 ? ms(rec.slowNanos) : ms(slowNanos));

        List<Map<String, Object>> calls = live ? rec.slowCalls : fromPackets(packets);
        if (live) {
            InAppAfter.explain(rec.file, calls); // UNKNOWN calls the agent could not look into live (JDK 11)
            if (!none) {
                capture.put("recordingReach", beforeRecording(rec, packets, calls));
            }
        }
        calls.sort(Comparator.comparingLong((Map<String, Object> c) -> (long) c.get("start")));
        for (int i = 0; i < calls.size(); i++) {
            calls.get(i).put("id", i + 1);
        }
        Waterfall.nest(calls, live ? rec.served : Set.of());
        doc.put("timeline", Timeline.of(calls, live ? rec : null, none ? null : packets));
        doc.put("verdicts", ranked(calls));
        ladders(calls, captures, rec);
        if (live) {
            Waterfall.build(calls, rec);
        }
        doc.put("slowCalls", calls);
        streams(doc, rec);
        boolean table = live && rec.hasConnections();
        List<Map<String, Object>> connections = table ? rec.connections() : conversations(packets);
        doc.put("connections", connections);
        long all = table ? rec.connectionCount : packets.conversations().size() + packets.conversationsDropped;
        doc.put("connectionsLeftOut", all - connections.size());
        return doc;
    }

    /**
     * Writes report.json and report.html into {@code dir}, created 0700 if need be, each a
     * {@link PrivateFile} (mode 0600, never written through a link).
     *
     * @return the files written: report.html, then report.json
     */
    public static List<Path> write(Map<String, Object> doc, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PRIVATE_DIRECTORY);
        }
        Path json = dir.resolve("report.json");
        Path html = dir.resolve("report.html");
        PrivateFile.write(json, Json.write(doc));
        PrivateFile.write(html, Html.write(doc));
        return List.of(html, json);
    }

    /**
     * Focuses a report ({@code doc}, from {@link #build}) on the call that made a trigger cut its
     * bundle: {@code trigger} in the document, with {@code callId}, the id of the slow call that
     * fired, marked {@code fired} and shown first in report.html; or null, when that call is not
     * among the slow calls. It is the slow call on the trigger's connection that began within
     * 50 ms of {@code callStart}, the nearest (by start and duration); without {@code callStart},
     * the one on that connection that ended last at or before {@code firedAt}. The ids, the order
     * of {@code slowCalls} and the verdicts stay as they are.
     *
     * @param trigger {@code spec}, {@code what}, {@code firedAt} (ISO-8601), and, each possibly
     *     null: {@code connectionId} (Long), {@code callStart} (Long, epoch ms),
     *     {@code callDurationNanos} (Long), {@code verdict}, {@code thread}, {@code peer}
     *     ("addr:port"), {@code request}, {@code status} (Integer), {@code after}, {@code bundle}
     */
    public static void focus(Map<String, Object> doc, Map<String, Object> trigger) {
        for (String key : List.of("spec", "what", "firedAt")) {
            Objects.requireNonNull(trigger.get(key), "the trigger's " + key);
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> calls = (List<Map<String, Object>>) doc.getOrDefault("slowCalls", List.of());
        for (Map<String, Object> c : calls) {
            c.remove("fired"); // focused once more: one call fired
        }
        Map<String, Object> fired = fired(calls, trigger);
        Map<String, Object> t = new LinkedHashMap<>(trigger);
        t.put("callId", fired != null ? fired.get("id") : null);
        if (fired != null) {
            fired.put("fired", true);
        }
        doc.put("trigger", t);
    }

    /** The slow call that fired {@code trigger} (see {@link #focus}), or null. */
    private static Map<String, Object> fired(List<Map<String, Object>> calls, Map<String, Object> trigger) {
        Number connection = (Number) trigger.get("connectionId");
        Number callStart = (Number) trigger.get("callStart");
        Number duration = (Number) trigger.get("callDurationNanos");
        if (connection == null) {
            return null;
        }
        long firedAt;
        try {
            firedAt = Recording.nanos(Instant.parse(trigger.get("firedAt").toString()));
        } catch (DateTimeParseException e) {
            firedAt = Long.MIN_VALUE; // no call ended before it
        }
        Map<String, Object> best = null;
        long bestDistance = Long.MAX_VALUE;
        for (Map<String, Object> c : calls) {
            Number id = (Number) c.get("connectionId");
            if (id == null || id.longValue() != connection.longValue()) {
                continue;
            }
            long start = ((Number) c.get("start")).longValue();
            long took = ((Number) c.get("durationNanos")).longValue();
            long distance;
            if (callStart != null) {
                distance = Math.abs(start - callStart.longValue() * 1_000_000L);
                if (distance > FIRED_SLACK_NANOS) {
                    continue;
                }
                distance += duration != null ? Math.abs(took - duration.longValue()) : 0;
            } else if (start + took <= firedAt) {
                distance = firedAt - (start + took);
            } else {
                continue;
            }
            if (distance < bestDistance) {
                best = c;
                bestDistance = distance;
            }
        }
        return best;
    }

    /**
     * The responses that streamed, apart from the slow calls: a stream is judged by its first byte
     * (a slow one is among the slow calls), so its duration is never time lost.
     */
    private static void streams(Map<String, Object> doc, Recording rec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", rec != null ? rec.streamCount : 0);
        m.put("listed", rec != null ? rec.streams : List.of());
        m.put("note", "judged by the time to their first byte, never counted as time lost; a stream whose first"
                + " byte was slow is also a slow call");
        doc.put("streams", m);
    }

    /** The header's facts from collect's environment.txt: the target, its JVM, the host, the command. */
    static Map<String, Object> environment(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("[target JVM ")) {
                m.put("pid", line.substring(12, line.length() - 1));
            }
            int colon = line.indexOf(": ");
            if (colon > 0) {
                String key = line.substring(0, colon);
                if (List.of("command", "java.version", "java.vm.name", "host", "os").contains(key)) {
                    m.putIfAbsent(key, line.substring(colon + 2));
                }
            }
        }
        return m;
    }

    /**
     * Per verdict: how many calls, and the time they took, most first. A call nested in a slow
     * request ({@code nestedIn}, by thread or by evidence) is counted, but its time is the request's
     * and counted there once.
     */
    static List<Map<String, Object>> ranked(List<Map<String, Object>> calls) {
        Map<String, long[]> by = new TreeMap<>();
        Map<String, Map<String, Object>> worst = new HashMap<>();
        for (Map<String, Object> c : calls) {
            String v = (String) c.get("verdict");
            long[] a = by.computeIfAbsent(v, k -> new long[4]);
            a[0]++;
            if (c.get("nestedIn") != null) {
                a[3]++;
            } else {
                a[1] += (long) c.get("durationNanos");
                a[2] += (long) c.get("explainedNanos");
            }
            Map<String, Object> w = worst.get(v);
            if (w == null || (long) w.get("durationNanos") < (long) c.get("durationNanos")) {
                worst.put(v, c);
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        by.forEach((v, a) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("verdict", v);
            m.put("calls", a[0]);
            m.put("nestedCalls", a[3]);
            m.put("timeLostMs", ms(a[1]));
            m.put("explainedMs", ms(a[2]));
            m.put("worstCall", worst.get(v).get("id"));
            Verdict named = Verdict.named(v); // a recording of another version may name one this build lacks
            m.put("meaning", (named != null ? named : Verdict.UNKNOWN).meaning());
            out.add(m);
        });
        out.sort(Comparator.comparingDouble((Map<String, Object> m) -> -(double) m.get("timeLostMs")));
        return out;
    }

    /**
     * A capture that begins well before its recording: the recording reached its size limit (-C ×
     * -W, else 250 MB; under load a few minutes) and dropped its oldest chunks, and the live
     * verdicts of that time with them. The calls the packets show as slow or failed before the
     * recording begins are added to {@code calls}, marked {@code beforeRecording}, judged as
     * {@code analyze} judges a capture without a recording, and what happened is returned for the
     * report to say; null when the recording reaches back to the capture's start. A call the
     * recording has (its verdict came after the recording's start) is not added twice.
     */
    static Map<String, Object> beforeRecording(Recording rec, Offline packets, List<Map<String, Object>> calls) {
        if (packets.first == 0 || rec.reach == Long.MAX_VALUE || rec.reach - packets.first <= REACH_MARGIN_NANOS) {
            return null;
        }
        List<Map<String, Object>> live = new ArrayList<>(calls);
        int added = 0;
        for (Map<String, Object> c : fromPackets(packets)) {
            if ((long) c.get("start") >= rec.reach || live.stream().anyMatch(l -> same(l, c))) {
                continue;
            }
            c.put("beforeRecording", true);
            calls.add(c);
            added++;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("from", Instant.ofEpochSecond(0, rec.reach).toString());
        m.put("captureFrom", Instant.ofEpochSecond(0, packets.first).toString());
        m.put("secondsNotCovered", (rec.reach - packets.first) / 1_000_000_000L);
        m.put("callsFromPackets", added);
        m.put("note", "recording.jfr begins " + (rec.reach - packets.first) / 1_000_000_000L + " s after the capture's"
                + " first packet: it reached its size limit (-C × -W, else 250 MB) and dropped its oldest part, with the"
                + " verdicts the agent reached then. The slow or failed calls before it (" + added + ") are judged from"
                + " the packets alone, as analyze judges a capture without a recording (the agent's own verdicts of"
                + " that time are still comments on their evidence packets in the capture file); give -C and -W for a"
                + " longer recording");
        return m;
    }

    /** Whether a call from the packets is one the recording has: the same two ports, at overlapping times. */
    private static boolean same(Map<String, Object> live, Map<String, Object> p) {
        long ls = (long) live.get("start");
        long ps = (long) p.get("start");
        int a = ((Number) live.get("localPort")).intValue();
        int b = ((Number) live.get("remotePort")).intValue();
        int x = ((Number) p.get("localPort")).intValue();
        int y = ((Number) p.get("remotePort")).intValue();
        return ((a == x && b == y) || (a == y && b == x))
                && ps <= ls + (long) live.get("durationNanos") + SAME_CALL_NANOS
                && ls <= ps + (long) p.get("durationNanos") + SAME_CALL_NANOS;
    }

    private static List<Map<String, Object>> fromPackets(Offline o) {
        List<Map<String, Object>> calls = new ArrayList<>();
        for (Offline.Finding f : o.findings()) {
            Offline.Conversation c = f.conversation;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", 0);
            m.put("time", Instant.ofEpochSecond(0, f.start).toString());
            m.put("start", f.start);
            m.put("call", f.call);
            m.put("request", f.request);
            m.put("thread", c.thread);
            m.put("connectionId", c.connectionId);
            m.put("localAddress", c.clientAddress);
            m.put("localPort", c.clientPort);
            m.put("remoteAddress", c.serverAddress);
            m.put("remotePort", c.serverPort);
            m.put("durationNanos", f.duration);
            m.put("durationMs", ms(f.duration));
            m.put("verdict", f.verdict.name());
            m.put("explainedNanos", f.explained);
            m.put("explainedMs", ms(f.explained));
            m.put("evidence", f.evidence);
            m.put("failure", f.failure);
            m.put("retransmissions", f.retransmissions);
            List<Long> frames = new ArrayList<>();
            for (long t : f.frames) {
                frames.add(t);
            }
            m.put("evidenceFrames", frames);
            calls.add(m);
        }
        return calls;
    }

    private static List<Map<String, Object>> conversations(Offline o) {
        List<Offline.Conversation> cs = new ArrayList<>(o.conversations());
        // the ones with something to show first, then the longest
        cs.sort(Comparator.comparingInt((Offline.Conversation c) -> -(c.findings + c.retransmissionsFromClient
                + c.retransmissionsFromServer + c.resets)).thenComparingLong(c -> c.first - c.last));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Offline.Conversation c : cs.subList(0, Math.min(cs.size(), MAX_CONNECTIONS))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("connectionId", c.connectionId);
            m.put("role", "client");
            m.put("localAddress", c.clientAddress);
            m.put("localPort", c.clientPort);
            m.put("remoteAddress", c.serverAddress);
            m.put("remotePort", c.serverPort);
            m.put("application", c.application);
            m.put("thread", c.thread);
            m.put("start", Instant.ofEpochSecond(0, c.first).toString());
            m.put("durationMs", ms(c.last - c.first));
            m.put("handshakeRttMs", c.handshakeRtt >= 0 ? ms(c.handshakeRtt) : null);
            m.put("rttAvgMs", c.rttSamples > 0 ? ms(c.rttAvg) : null);
            m.put("rttMaxMs", c.rttSamples > 0 ? ms(c.rttMax) : null);
            m.put("retransmissions", c.retransmissionsFromClient + c.retransmissionsFromServer);
            m.put("zeroWindows", c.zeroWindows);
            m.put("resets", c.resets);
            m.put("packetsOut", c.packetsFromClient);
            m.put("packetsIn", c.packetsFromServer);
            m.put("bytesOut", c.bytesFromClient);
            m.put("bytesIn", c.bytesFromServer);
            m.put("ended", c.ended);
            m.put("requests", c.requestCount);
            m.put("requestSamples", new ArrayList<>(c.requests));
            m.put("slowCalls", c.findings);
            out.add(m);
        }
        return out;
    }

    /** The packets (and, from the recording, the socket calls) around the slowest calls. */
    private static void ladders(List<Map<String, Object>> calls, List<Path> captures, Recording rec)
            throws IOException {
        List<Map<String, Object>> chosen = calls.stream()
                .sorted(Comparator.comparingLong((Map<String, Object> c) -> -(long) c.get("durationNanos")))
                .limit(MAX_LADDERS).collect(Collectors.toList());
        if (chosen.isEmpty()) {
            return;
        }
        List<Offline.Window> windows = new ArrayList<>();
        for (Map<String, Object> c : chosen) {
            long s = (long) c.get("start");
            long d = (long) c.get("durationNanos");
            long pad = pad(d);
            windows.add(new Offline.Window(str(c.get("localAddress")), (int) c.get("localPort"),
                    str(c.get("remoteAddress")), (int) c.get("remotePort"), s - pad, s + d + pad, MAX_LADDER_PACKETS));
        }
        Offline.packets(captures, windows);
        Map<Long, List<Recording.SocketCall>> socketCalls = rec != null ? rec.socketCalls(chosen) : Map.of();
        for (int i = 0; i < chosen.size(); i++) {
            Map<String, Object> c = chosen.get(i);
            Offline.Window w = windows.get(i);
            exactStart(c, socketCalls.getOrDefault(((Number) c.get("connectionId")).longValue(), List.of()));
            @SuppressWarnings("unchecked")
            List<Long> evidence = (List<Long>) c.get("evidenceFrames");
            Map<String, Object> ladder = new LinkedHashMap<>();
            long s = (long) c.get("start");
            long d = (long) c.get("durationNanos");
            long pad = pad(d);
            ladder.put("from", s - pad);
            ladder.put("to", s + d + pad);
            List<Map<String, Object>> ps = new ArrayList<>();
            for (Offline.Packet p : w.packets) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("t", p.nanos);
                m.put("dir", p.outgoing ? "out" : "in");
                m.put("flags", flags(p.flags));
                m.put("seq", p.seq);
                m.put("ack", p.ack);
                m.put("len", p.length);
                m.put("win", p.window);
                m.put("analysis", p.analysis.isEmpty() ? null : p.analysis);
                m.put("comment", p.comment);
                m.put("evidence", evidence.contains(p.nanos));
                ps.add(m);
            }
            ladder.put("packets", ps);
            ladder.put("morePackets", w.more);
            List<Map<String, Object>> sc = new ArrayList<>();
            long id = ((Number) c.get("connectionId")).longValue();
            for (Recording.SocketCall x : socketCalls.getOrDefault(id, List.of())) {
                if (x.end >= s - pad && x.start <= s + d + pad) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("kind", x.kind);
                    m.put("thread", x.thread);
                    m.put("start", x.start);
                    m.put("end", x.end);
                    m.put("detail", x.detail);
                    sc.add(m);
                }
            }
            ladder.put("calls", sc);
            c.put("ladder", ladder);
        }
    }

    /**
     * The recording gives a slow call's start in milliseconds; the socket call or exchange it is
     * (same thread, same kind, within that millisecond) gives it to the nanosecond.
     */
    private static void exactStart(Map<String, Object> c, List<Recording.SocketCall> calls) {
        long s = (long) c.get("start");
        long d = (long) c.get("durationNanos");
        for (Recording.SocketCall x : calls) {
            if (x.kind.equals(c.get("call")) && x.thread != null && x.thread.equals(c.get("thread"))
                    && x.start >= s && x.start < s + 1_000_000L && Math.abs(x.end - x.start - d) < 1_000_000L) {
                c.put("start", x.start);
                c.put("time", Instant.ofEpochSecond(0, x.start).toString());
                return;
            }
        }
    }

    /** How much a ladder shows before and after its call. */
    private static long pad(long duration) {
        return Math.max(5_000_000L, duration / 10);
    }

    static String flags(int f) {
        StringBuilder b = new StringBuilder();
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int i = 0; i < names.length; i++) {
            if ((f & (1 << i)) != 0) {
                b.append(b.length() == 0 ? "" : ",").append(names[i]);
            }
        }
        return b.toString();
    }

    /** Milliseconds, to the microsecond. */
    static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1000.0;
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }
}
