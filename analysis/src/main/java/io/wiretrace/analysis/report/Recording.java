package io.wiretrace.analysis.report;

import io.wiretrace.analysis.redact.Terminal;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import jdk.jfr.EventType;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * What the report takes from recording.jfr: the live verdicts, the connections, the socket calls.
 * A long recording may hold millions of connections: the table keeps the longest
 * {@link Report#MAX_CONNECTIONS} as it reads and counts the others, and what it shows of a
 * connection's thread and requests is gathered, in a second reading, for those and for the slow
 * calls' connections only.
 */
final class Recording {
    private static final int MAX_SAMPLES = 20;
    private static final int MAX_CALLS_PER_CONNECTION = 400;
    private static final int MAX_STREAMS = 500;

    /** A socket call or exchange on a connection, for a ladder; times in ns since the epoch. */
    static final class SocketCall {
        final String kind;
        final String thread;
        final long start;
        final long end;
        final String detail;

        SocketCall(String kind, String thread, long start, long end, String detail) {
            this.kind = kind;
            this.thread = thread;
            this.start = start;
            this.end = end;
            this.detail = detail;
        }
    }

    /** A timed event near a slow request, for its waterfall; times in ns since the epoch. */
    static final class Span {
        /** request (an incoming exchange), http (an outgoing one), query, lock, gc. */
        final String kind;
        /** The Java thread id; -1 for the JVM's own (a GC pause). */
        final long threadId;
        final String thread;
        final long start;
        final long end;
        final long connectionId;
        final String label;

        Span(String kind, long threadId, String thread, long start, long end, long connectionId, String label) {
            this.kind = kind;
            this.threadId = threadId;
            this.thread = thread;
            this.start = start;
            this.end = end;
            this.connectionId = connectionId;
            this.label = label;
        }
    }

    /** Per second of the recording: what the timeline shows of it. */
    static final int REQUESTS = 0;
    static final int GC_PAUSES = 1;
    static final int GC_PAUSE_NANOS = 2;
    static final int COLLECTIONS = 3;
    static final int COLLECTION_PAUSE_NANOS = 4;

    final Path file;
    /** Whether the recording holds wiretrace's events (the agent wrote it). */
    boolean wiretrace;
    final List<Map<String, Object>> slowCalls = new ArrayList<>();
    /** The longest connections (wiretrace.TcpConnection) so far, the shortest at the head; and how many in all. */
    private final PriorityQueue<Row> connections = new PriorityQueue<>(
            Comparator.comparingLong((Row r) -> r.lifetime).thenComparingLong(r -> -r.seq));
    long connectionCount;
    /** The exchanges that streamed (wiretrace.HttpExchange.streamed), the first MAX_STREAMS; and how many in all. */
    final List<Map<String, Object>> streams = new ArrayList<>();
    int streamCount;
    private final Map<Long, String> threads = new HashMap<>();
    private final Map<Long, Long> opened = new HashMap<>();
    private final Map<Long, List<String>> requests = new HashMap<>();
    private final Map<Long, Integer> requestCounts = new HashMap<>();
    private final Map<String, long[]> statistics = new HashMap<>();
    long captured = -1;
    long dropped;
    /** Why the agent captured no packets (wiretrace.CaptureStatistics.packetsOff), or null. */
    String packetsOff;
    /** The least time an HTTP exchange took to be recorded (--exchange-threshold), ns; 0: every one. */
    long exchangeThreshold;
    /** The exchanges shorter than that, counted by the agent but not recorded; -1: an agent that did not count them. */
    long unrecorded = -1;
    long slowNanos;
    /** Counts per epoch second (REQUESTS, GC_PAUSES …), for the timeline. */
    final Map<Long, long[]> perSecond = new TreeMap<>();
    /** The connections that served requests (an incoming wiretrace.HttpExchange). */
    final Set<Long> served = new HashSet<>();
    /**
     * Where the recording begins: the earliest end of any of its events, ns since the epoch (an
     * event ends in the chunk it is in; its start may lie in an older one); Long.MAX_VALUE if none.
     * A recording at its size limit drops its oldest chunks, and this moves with them.
     */
    long reach = Long.MAX_VALUE;

    /** A row of the connection table and what ranks it: the longest first, then the first recorded. */
    private static final class Row {
        final long lifetime;
        final long seq;
        final Map<String, Object> columns;
        /** HTTP exchanges begun on the connection, recorded or not (wiretrace.TcpConnection.exchanges; 0 before it had them). */
        final int exchanges;

        Row(long lifetime, long seq, Map<String, Object> columns, int exchanges) {
            this.lifetime = lifetime;
            this.seq = seq;
            this.columns = columns;
            this.exchanges = exchanges;
        }
    }

    private Recording(Path file) {
        this.file = file;
    }

    static Recording read(Path file) throws IOException {
        Recording r = new Recording(file);
        try (RecordingFile in = new RecordingFile(file)) {
            for (EventType t : in.readEventTypes()) {
                r.wiretrace |= t.getName().startsWith("wiretrace.");
            }
            while (in.hasMoreEvents()) {
                r.event(in.readEvent());
            }
        } catch (RuntimeException | InternalError e) {
            throw corrupt(file, e);
        }
        r.connectionDetails();
        if (!r.statistics.isEmpty()) {
            r.captured = 0;
            for (long[] s : r.statistics.values()) {
                r.captured += s[0];
                r.dropped += s[1];
            }
        }
        return r;
    }

    private void event(RecordedEvent e) {
        reach = Math.min(reach, nanos(e.getEndTime()));
        switch (e.getEventType().getName()) {
            case "wiretrace.SlowCall":
                slowCalls.add(slowCall(e));
                break;
            case "wiretrace.TcpConnection":
                connection(e);
                break;
            case "jdk.GCPhasePause":
                second(e, GC_PAUSES, 1);
                second(e, GC_PAUSE_NANOS, e.getDuration().toNanos());
                break;
            case "jdk.GarbageCollection":
                second(e, COLLECTIONS, 1);
                second(e, COLLECTION_PAUSE_NANOS, e.getDuration("sumOfPauses").toNanos());
                break;
            case "wiretrace.HttpExchange":
                if ("incoming".equals(e.getString("direction"))) {
                    second(e, REQUESTS, 1);
                }
                stream(e);
                break;
            case "wiretrace.CaptureStatistics": {
                if (e.hasField("exchangeThreshold")) {
                    exchangeThreshold = Math.max(exchangeThreshold, e.getDuration("exchangeThreshold").toNanos());
                }
                if (e.hasField("incomingUnrecorded")) { // those that ended within the second before the event
                    long in = e.getLong("incomingUnrecorded");
                    if (in > 0) {
                        second(e, REQUESTS, in);
                    }
                    unrecorded = Math.max(unrecorded, 0) + in + e.getLong("outgoingUnrecorded");
                }
                String off = e.hasField("packetsOff") ? e.getString("packetsOff") : null;
                if (off != null) {
                    packetsOff = off;
                    break;
                }
                long[] s = statistics.computeIfAbsent(String.valueOf(e.getString("captureInterface")), k -> new long[2]);
                s[0] = Math.max(s[0], e.getLong("packetsCaptured"));
                s[1] = Math.max(s[1], e.getLong("packetsDroppedByKernel") + e.getLong("packetsDroppedByInterface")
                        + e.getLong("packetsDroppedByWiretrace"));
                break;
            }
            default:
                break;
        }
    }

    /** A connection's row, kept while it is among the longest. */
    private void connection(RecordedEvent e) {
        long lifetime = e.getLong("lifetime");
        long seq = connectionCount++;
        if (connections.size() == Report.MAX_CONNECTIONS) {
            if (connections.peek().lifetime >= lifetime) {
                return;
            }
            connections.poll();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connectionId", e.getLong("connectionId"));
        m.put("role", e.getString("role"));
        m.put("localAddress", e.getString("localAddress"));
        m.put("localPort", e.getInt("localPort"));
        m.put("remoteAddress", e.getString("remoteAddress"));
        m.put("remotePort", e.getInt("remotePort"));
        m.put("application", e.getString("application"));
        m.put("thread", null);
        m.put("start", null);
        m.put("durationMs", Report.ms(lifetime));
        m.put("handshakeRttMs", e.getLong("handshakeRtt") > 0 ? Report.ms(e.getLong("handshakeRtt")) : null);
        int samples = e.getInt("rttSamples");
        m.put("rttAvgMs", samples > 0 ? Report.ms(e.getLong("rttAvg")) : null);
        m.put("rttMaxMs", samples > 0 ? Report.ms(e.getLong("rttMax")) : null);
        m.put("retransmissions", e.getInt("retransmissionsOut") + e.getInt("retransmissionsIn"));
        m.put("zeroWindows", e.getInt("zeroWindowsOut") + e.getInt("zeroWindowsIn"));
        m.put("resets", e.getInt("resetsOut") + e.getInt("resetsIn"));
        m.put("packetsOut", e.getLong("packetsOut"));
        m.put("packetsIn", e.getLong("packetsIn"));
        m.put("bytesOut", e.getLong("bytesOut"));
        m.put("bytesIn", e.getLong("bytesIn"));
        m.put("ended", e.getString("ended"));
        connections.add(new Row(lifetime, seq, m, e.hasField("exchanges") ? e.getInt("exchanges") : 0));
    }

    /**
     * A second reading, for the connections in the table and those of the slow calls only: who
     * opened each and when, its requests, and whether it served any.
     */
    private void connectionDetails() throws IOException {
        Set<Long> ids = new HashSet<>();
        for (Row r : connections) {
            ids.add((Long) r.columns.get("connectionId"));
        }
        for (Map<String, Object> c : slowCalls) {
            ids.add(((Number) c.get("connectionId")).longValue());
        }
        if (ids.isEmpty()) {
            return;
        }
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                String name = e.getEventType().getName();
                if (!name.equals("wiretrace.HttpExchange") && !name.equals("wiretrace.SocketConnect")
                        && !name.equals("wiretrace.SocketAccept")) {
                    continue;
                }
                long id = e.getLong("connectionId");
                if (!ids.contains(id)) {
                    continue;
                }
                if (!name.equals("wiretrace.HttpExchange")) {
                    threads.putIfAbsent(id, thread(e));
                    opened.putIfAbsent(id, nanos(e.getStartTime()));
                    continue;
                }
                if ("incoming".equals(e.getString("direction"))) {
                    served.add(id);
                }
                int n = requestCounts.merge(id, 1, Integer::sum);
                if (n <= MAX_SAMPLES) {
                    requests.computeIfAbsent(id, k -> new ArrayList<>())
                            .add(e.getString("method") + " " + e.getString("path") + " → " + e.getInt("status"));
                }
            }
        } catch (RuntimeException | InternalError e) {
            throw corrupt(file, e);
        }
    }

    private void second(RecordedEvent e, int what, long n) {
        perSecond.computeIfAbsent(e.getStartTime().getEpochSecond(), k -> new long[5])[what] += n;
    }

    /** An exchange that streamed: listed apart, with its duration, its first byte and its longest gap. */
    private void stream(RecordedEvent e) {
        if (!e.hasField("streamed") || !e.getBoolean("streamed")) {
            return;
        }
        if (++streamCount > MAX_STREAMS) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        long start = nanos(e.getStartTime());
        m.put("time", Instant.ofEpochSecond(0, start).toString());
        m.put("direction", e.getString("direction"));
        m.put("request", e.getString("method") + " " + e.getString("path"));
        m.put("status", e.getInt("status"));
        m.put("kind", e.getString("streamKind"));
        m.put("thread", e.getString("requestThread"));
        connection(m, e);
        m.put("durationMs", Report.ms(nanos(e.getEndTime()) - start));
        m.put("firstByteMs", Report.ms(e.getLong("firstByte")));
        m.put("longestGapMs", Report.ms(e.getLong("longestGap")));
        m.put("responseBytes", e.getLong("responseBytes"));
        streams.add(m);
    }

    /** The connection an event is about: its id and its two ends. */
    private static void connection(Map<String, Object> m, RecordedEvent e) {
        m.put("connectionId", e.getLong("connectionId"));
        m.put("localAddress", e.getString("localAddress"));
        m.put("localPort", e.getInt("localPort"));
        m.put("remoteAddress", e.getString("remoteAddress"));
        m.put("remotePort", e.getInt("remotePort"));
    }

    private static Map<String, Object> slowCall(RecordedEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        long start = e.getLong("callStart") * 1_000_000L;
        long dur = e.getLong("callDuration");
        m.put("id", 0);
        m.put("time", Instant.ofEpochSecond(0, start).toString());
        m.put("start", start);
        m.put("call", e.getString("call"));
        m.put("request", e.getString("request"));
        m.put("thread", e.getString("callThread"));
        m.put("threadId", e.hasField("callThreadId") ? e.getLong("callThreadId") : 0L);
        m.put("ownThread", e.hasField("ownThread") && e.getBoolean("ownThread"));
        connection(m, e);
        m.put("durationNanos", dur);
        m.put("durationMs", Report.ms(dur));
        m.put("verdict", e.getString("verdict"));
        long explained = e.getLong("explained");
        m.put("explainedNanos", explained);
        m.put("explainedMs", Report.ms(explained));
        m.put("evidence", e.getString("evidence"));
        m.put("failure", e.getString("failure"));
        m.put("retransmissions", e.getInt("retransmissions"));
        List<Long> frames = new ArrayList<>();
        String f = e.getString("evidenceFrames");
        if (f != null && !f.isEmpty()) {
            Arrays.stream(f.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(Long::parseLong)
                    .forEach(frames::add);
        }
        m.put("evidenceFrames", frames);
        if (e.hasField("packetsOnly") && e.getBoolean("packetsOnly")) {
            m.put("seenInPacketsOnly", true); // a socket of the JVM's that no instrumented call made
        }
        return m;
    }

    /** Whether the recording holds any connection (wiretrace.TcpConnection). */
    boolean hasConnections() {
        return connectionCount > 0;
    }

    /**
     * The connection table: one row per end of the app's connections, the longest first, at most
     * {@link Report#MAX_CONNECTIONS}; {@link #connectionCount} counts them all.
     */
    List<Map<String, Object>> connections() {
        Map<Long, Integer> slow = new HashMap<>();
        for (Map<String, Object> c : slowCalls) {
            slow.merge(((Number) c.get("connectionId")).longValue(), 1, Integer::sum);
        }
        List<Row> rows = new ArrayList<>(connections);
        rows.sort(Comparator.comparingLong((Row r) -> -r.lifetime).thenComparingLong(r -> r.seq));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>(r.columns);
            long id = (Long) m.get("connectionId");
            m.put("thread", threads.get(id));
            Long at = opened.get(id);
            m.put("start", at != null ? Instant.ofEpochSecond(0, at).toString() : null);
            // the exchanges recorded, or all begun on it where the agent counted them (--exchange-threshold)
            m.put("requests", Math.max(requestCounts.getOrDefault(id, 0), r.exchanges));
            m.put("requestSamples", requests.getOrDefault(id, List.of()));
            m.put("slowCalls", slow.getOrDefault(id, 0));
            out.add(m);
        }
        return out;
    }

    /** A second reading: the socket calls and exchanges on the connections of the given slow calls. */
    Map<Long, List<SocketCall>> socketCalls(List<Map<String, Object>> calls) throws IOException {
        Set<Long> ids = new HashSet<>();
        for (Map<String, Object> c : calls) {
            ids.add(((Number) c.get("connectionId")).longValue());
        }
        Map<Long, List<SocketCall>> out = new HashMap<>();
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                String name = e.getEventType().getName();
                if (!name.startsWith("wiretrace.") || !e.hasField("connectionId")) {
                    continue;
                }
                long id = e.getLong("connectionId");
                if (!ids.contains(id)) {
                    continue;
                }
                String kind;
                String detail;
                switch (name) {
                    case "wiretrace.SocketRead":
                        kind = "read";
                        detail = e.getLong("bytesRead") + " bytes" + (e.getBoolean("endOfStream") ? ", end of stream" : "");
                        break;
                    case "wiretrace.SocketWrite":
                        kind = "write";
                        detail = e.getLong("bytesWritten") + " bytes";
                        break;
                    case "wiretrace.SocketConnect":
                        kind = "connect";
                        detail = e.getString("failure") != null ? e.getString("failure") : "";
                        break;
                    case "wiretrace.HttpExchange":
                        kind = "http";
                        detail = e.getString("method") + " " + e.getString("path") + " → " + e.getInt("status");
                        break;
                    case "wiretrace.DatabaseQuery":
                        kind = "query";
                        detail = e.getString("system") + " " + e.getString("statement") + " → "
                                + (e.getString("error") != null ? "error " + e.getString("error")
                                        : e.getLong("rows") >= 0 ? e.getLong("rows") + " rows" : "done");
                        break;
                    case "wiretrace.TlsHandshake":
                        kind = "tls";
                        detail = String.valueOf(e.getString("protocol"));
                        break;
                    default:
                        continue;
                }
                long start = nanos(e.getStartTime());
                long end = nanos(e.getEndTime());
                String thread = thread(e);
                if (kind.equals("tls")) { // committed later, by the agent's thread: the handshake's own times
                    start = e.getLong("handshakeStart") * 1_000_000L;
                    end = start + e.getLong("handshakeDuration");
                    thread = e.getString("handshakeThread");
                }
                List<SocketCall> l = out.computeIfAbsent(id, k -> new ArrayList<>());
                if (l.size() < MAX_CALLS_PER_CONNECTION) {
                    l.add(new SocketCall(kind, thread, start, end, detail));
                }
            }
        } catch (RuntimeException | InternalError e) {
            throw corrupt(file, e);
        }
        return out;
    }

    /**
     * A third reading: the exchanges, queries, lock waits and GC pauses that overlap one of the
     * windows ({from, to} in ns since the epoch), at most {@code max} per window.
     */
    List<Span> spans(List<long[]> windows, int max) throws IOException {
        List<Span> out = new ArrayList<>();
        if (windows.isEmpty()) {
            return out;
        }
        int[] taken = new int[windows.size()];
        boolean phases = perSecond.values().stream().anyMatch(s -> s[GC_PAUSES] > 0);
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                Span x = span(e, phases);
                if (x == null) {
                    continue;
                }
                boolean keep = false;
                for (int i = 0; i < windows.size(); i++) {
                    if (x.end >= windows.get(i)[0] && x.start <= windows.get(i)[1] && taken[i] < max) {
                        taken[i]++;
                        keep = true;
                    }
                }
                if (keep) {
                    out.add(x);
                }
            }
        } catch (RuntimeException | InternalError e) {
            throw corrupt(file, e);
        }
        return out;
    }

    private static Span span(RecordedEvent e, boolean phases) {
        String name = e.getEventType().getName();
        RecordedThread t = e.getThread();
        long tid = t == null ? -1 : t.getJavaThreadId();
        long start = nanos(e.getStartTime());
        long end = nanos(e.getEndTime());
        switch (name) {
            case "wiretrace.HttpExchange": {
                boolean in = "incoming".equals(e.getString("direction"));
                return new Span(in ? "request" : "http", tid, named(e.getString("requestThread"), t), start, end,
                        e.getLong("connectionId"), e.getString("method") + " " + e.getString("path") + " → " + e.getInt("status"));
            }
            case "wiretrace.DatabaseQuery":
                return new Span("query", tid, named(e.getString("requestThread"), t), start, end, e.getLong("connectionId"),
                        e.getString("system") + " " + e.getString("statement"));
            case "jdk.JavaMonitorEnter":
                return new Span("lock", tid, named(null, t), start, end, -1, ("monitor " + type(e, "monitorClass")).trim());
            case "jdk.ThreadPark":
                return new Span("lock", tid, named(null, t), start, end, -1, ("park " + type(e, "parkedClass")).trim());
            case "jdk.GCPhasePause":
                return phases ? new Span("gc", -1, null, start, end, -1, String.valueOf(e.getString("name"))) : null;
            case "jdk.GarbageCollection": // without phase events: the collection, its pauses summed in the label
                return phases ? null : new Span("gc", -1, null, start, end, -1, "GC " + e.getString("name") + " ("
                        + e.getString("cause") + "), pauses " + Report.ms(e.getDuration("sumOfPauses").toNanos()) + " ms");
            default:
                return null;
        }
    }

    private static String named(String thread, RecordedThread t) {
        return thread != null && !thread.isEmpty() ? thread : t == null ? null : t.getJavaName();
    }

    private static String type(RecordedEvent e, String field) {
        if (!e.hasField(field) || e.getClass(field) == null) {
            return "";
        }
        return e.getClass(field).getName();
    }

    private static String thread(RecordedEvent e) {
        RecordedThread t = e.getThread();
        return t == null ? null : t.getJavaName();
    }

    /**
     * A recording that the JDK's parser, or the report reading its fields, cannot make sense of (a
     * cut or damaged file, an event without a field it should have; the parser throws InternalError
     * for a damaged constant pool): an IOException that says so.
     */
    static IOException corrupt(Path file, Throwable e) {
        return new IOException(file.getFileName() + " is damaged or not a recording of wiretrace's events ("
                + e.getClass().getSimpleName() + ": " + Terminal.line(e.getMessage()) + ")", e); // it may quote the file
    }

    static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
