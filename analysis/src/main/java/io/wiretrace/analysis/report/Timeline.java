package io.wiretrace.analysis.report;

import io.wiretrace.analysis.offline.Offline;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole capture in time buckets, to see when an incident happened before reading a table:
 * the requests served, the slow calls by verdict (counted where they began), TCP retransmissions
 * (from the packets) and GC pauses (from the JDK's events). A bucket is a second, or longer for a
 * long capture, so that there are at most {@link #MAX_BUCKETS}.
 */
final class Timeline {
    static final int MAX_BUCKETS = 300;
    private static final long[] STEPS = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
            43200, 86400};

    private Timeline() {
    }

    /**
     * @param rec the agent's recording, or null: then no requests and no GC pauses
     * @param packets the capture, or null (none): then no retransmissions
     */
    static Map<String, Object> of(List<Map<String, Object>> calls, Recording rec, Offline packets) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        List<Long> seconds = new ArrayList<>();
        for (Map<String, Object> c : calls) {
            seconds.add(second((long) c.get("start")));
        }
        if (rec != null) {
            seconds.addAll(rec.perSecond.keySet());
        }
        if (packets != null && packets.packets > 0) {
            seconds.add(second(packets.first));
            seconds.add(second(packets.last));
        }
        for (long s : seconds) {
            first = Math.min(first, s);
            last = Math.max(last, s);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        boolean phases = rec != null && rec.perSecond.values().stream().anyMatch(s -> s[Recording.GC_PAUSES] > 0);
        m.put("gcFrom", rec == null ? null : phases ? "jdk.GCPhasePause" : "jdk.GarbageCollection");
        if (seconds.isEmpty()) {
            m.put("bucketSeconds", 1);
            m.put("buckets", List.of());
            return m;
        }
        long step = step(first, last);
        long from = Math.floorDiv(first, step) * step;
        int n = (int) ((last - from) / step + 1);
        long[] requests = new long[n];
        long[] pauses = new long[n];
        long[] pauseNanos = new long[n];
        long[] retransmissions = new long[n];
        long[] slow = new long[n];
        Map<String, long[]> verdicts = new TreeMap<>();
        for (Map<String, Object> c : calls) {
            int i = (int) ((second((long) c.get("start")) - from) / step);
            slow[i]++;
            verdicts.computeIfAbsent((String) c.get("verdict"), k -> new long[n])[i]++;
        }
        if (rec != null) {
            rec.perSecond.forEach((s, a) -> {
                int i = (int) ((s - from) / step);
                requests[i] += a[Recording.REQUESTS];
                pauses[i] += a[phases ? Recording.GC_PAUSES : Recording.COLLECTIONS];
                pauseNanos[i] += a[phases ? Recording.GC_PAUSE_NANOS : Recording.COLLECTION_PAUSE_NANOS];
            });
        }
        if (packets != null) {
            packets.retransmissionsBySecond.forEach((s, k) -> retransmissions[(int) ((s - from) / step)] += k);
        }
        m.put("bucketSeconds", step);
        m.put("from", Instant.ofEpochSecond(from).toString());
        m.put("to", Instant.ofEpochSecond(from + n * step).toString());
        List<Map<String, Object>> buckets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("time", Instant.ofEpochSecond(from + i * step).toString());
            b.put("requests", rec != null ? requests[i] : null);
            b.put("slowCalls", slow[i]);
            Map<String, Object> v = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : verdicts.entrySet()) {
                if (e.getValue()[i] > 0) {
                    v.put(e.getKey(), e.getValue()[i]);
                }
            }
            b.put("verdicts", v);
            b.put("retransmissions", packets != null ? retransmissions[i] : null);
            b.put("gcPauses", rec != null ? pauses[i] : null);
            b.put("gcPauseMs", rec != null ? Report.ms(pauseNanos[i]) : null);
            buckets.add(b);
        }
        m.put("buckets", buckets);
        return m;
    }

    /** The shortest bucket, in seconds, that covers [first, last] in at most MAX_BUCKETS. */
    static long step(long first, long last) {
        for (long s : STEPS) {
            if (last / s - first / s < MAX_BUCKETS) {
                return s;
            }
        }
        long s = 86400;
        while (last / s - first / s >= MAX_BUCKETS) {
            s += 86400;
        }
        return s;
    }

    private static long second(long nanos) {
        return Math.floorDiv(nanos, 1_000_000_000L);
    }
}
