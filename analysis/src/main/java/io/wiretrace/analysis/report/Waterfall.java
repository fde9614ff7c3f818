package io.wiretrace.analysis.report;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A slow incoming request and the calls made on its behalf, on one time axis. The agent knows
 * which calls were made for a request by its context; the recording does not keep that, so the
 * report matches them in three ways, and says which: by {@code thread} (the request's own thread,
 * in its time), by {@code evidence} (the call the request's verdict names: "… (connection 7) that
 * worker-2 made for it"), by {@code time} (an outgoing call in the request's time on a thread
 * that served no other request then: a guess). GC pauses are the JVM's ({@code jvm}).
 */
final class Waterfall {
    static final int MAX_WATERFALLS = 40;
    static final int MAX_SPANS = 200;
    /** A slow call's start is known to the millisecond: the slack when one call lies within another. */
    static final long MARGIN = 2_000_000L;
    private static final Pattern NAMED = Pattern.compile("\\(connection (\\d+)\\)(?: that (.+?) made for it)?: ");

    private Waterfall() {
    }

    /**
     * Marks the slow calls that are incoming requests ({@code incoming}) and those nested in one by
     * thread or by evidence ({@code nestedIn}, the request's id, and {@code nestedBy}): the summary
     * counts their time once, as part of the request's.
     */
    static void nest(List<Map<String, Object>> calls, Set<Long> served) {
        Map<Long, List<Map<String, Object>>> byThread = new HashMap<>();
        Map<Long, List<Map<String, Object>>> byNamed = new HashMap<>();
        for (Map<String, Object> c : calls) {
            if (!isRequest(c, served)) {
                continue;
            }
            c.put("incoming", true);
            long thread = num(c.get("threadId"));
            if (thread > 0) {
                byThread.computeIfAbsent(thread, k -> new ArrayList<>()).add(c);
            }
            Matcher m = NAMED.matcher(String.valueOf(c.get("evidence")));
            if (m.find()) {
                byNamed.computeIfAbsent(Long.parseLong(m.group(1)), k -> new ArrayList<>()).add(c);
            }
        }
        for (Map<String, Object> x : calls) {
            if (Boolean.TRUE.equals(x.get("incoming"))) {
                continue;
            }
            Map<String, Object> in = null;
            String by = null;
            for (Map<String, Object> r : byThread.getOrDefault(num(x.get("threadId")), List.of())) {
                if (within(x, r) && (in == null || duration(r) > duration(in))) {
                    in = r;
                    by = "thread";
                }
            }
            for (Map<String, Object> r : byNamed.getOrDefault(num(x.get("connectionId")), List.of())) {
                if (in == null && within(x, r) && names(r, x)) {
                    in = r;
                    by = "evidence";
                }
            }
            if (in != null) {
                x.put("nestedIn", in.get("id"));
                x.put("nestedBy", by);
            }
        }
    }

    /** The waterfalls of the longest slow requests, each in its request's map as {@code waterfall}. */
    static void build(List<Map<String, Object>> calls, Recording rec) throws IOException {
        List<Map<String, Object>> requests = calls.stream().filter(c -> Boolean.TRUE.equals(c.get("incoming")))
                .sorted(Comparator.comparingLong(c -> -duration(c))).limit(MAX_WATERFALLS).collect(Collectors.toList());
        if (requests.isEmpty()) {
            return;
        }
        List<long[]> windows = new ArrayList<>();
        for (Map<String, Object> r : requests) {
            windows.add(new long[] {start(r) - MARGIN, end(r) + MARGIN});
        }
        List<Recording.Span> spans = rec.spans(windows, 5 * MAX_SPANS);
        for (Map<String, Object> r : requests) {
            r.put("waterfall", waterfall(r, calls, spans));
        }
    }

    private static Map<String, Object> waterfall(Map<String, Object> r, List<Map<String, Object>> calls,
            List<Recording.Span> spans) {
        long s = start(r);
        long e = end(r);
        long conn = num(r.get("connectionId"));
        for (Recording.Span x : spans) { // its own exchange gives its times to the nanosecond
            if (x.kind.equals("request") && x.connectionId == conn && x.start >= s - MARGIN && x.start < s + MARGIN
                    && Math.abs(x.end - x.start - duration(r)) < MARGIN) {
                s = x.start;
                e = x.end;
            }
        }
        long from = s - MARGIN;
        long to = e + MARGIN;
        Matcher named = NAMED.matcher(String.valueOf(r.get("evidence")));
        long namedConn = named.find() ? Long.parseLong(named.group(1)) : -2;
        List<Map<String, Object>> children = new ArrayList<>();
        Set<Recording.Span> used = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map<String, Object> x : calls) {
            if (x == r || Boolean.TRUE.equals(x.get("incoming")) || start(x) < from || end(x) > to) {
                continue;
            }
            String how = x.get("nestedIn") != null ? (r.get("id").equals(x.get("nestedIn")) ? (String) x.get("nestedBy") : null)
                    : otherRequestsThread(num(x.get("threadId")), (String) x.get("thread"), start(x), end(x), conn, spans)
                            ? null : "time";
            Recording.Span same = sameCall(x, spans);
            if (same != null) {
                used.add(same); // the event of a call shown here, or of one that belongs to another request
            }
            if (how == null) {
                continue;
            }
            String label = x.get("call") + (x.get("request") != null ? " " + x.get("request") : " " + x.get("remoteAddress")
                    + ":" + x.get("remotePort"));
            if (same != null) {
                children.add(span(same.kind, same.start - s, same.end - same.start, x.get("verdict"), same.label, how,
                        x.get("thread"), x.get("id")));
            } else {
                children.add(span((String) x.get("call"), start(x) - s, duration(x), x.get("verdict"), label, how,
                        x.get("thread"), x.get("id")));
            }
        }
        long thread = num(r.get("threadId"));
        String threadName = (String) r.get("thread");
        for (Recording.Span x : spans) {
            if (used.contains(x) || x.end < from || x.start > to) {
                continue;
            }
            boolean mine = x.threadId == thread && thread > 0
                    || threadName != null && !threadName.isEmpty() && threadName.equals(x.thread);
            String how = null;
            if (x.kind.equals("gc")) {
                how = "jvm";
            } else if (x.kind.equals("lock")) {
                how = mine ? "thread" : null;
            } else if (x.kind.equals("http") || x.kind.equals("query")) {
                if (x.start < from || x.end > to) {
                    continue;
                }
                how = mine ? "thread" : x.connectionId == namedConn ? "evidence"
                        : otherRequestsThread(x.threadId, x.thread, x.start, x.end, conn, spans) ? null : "time";
            }
            if (how != null) {
                long a = Math.max(x.start, from); // a lock wait or a pause may begin before the request
                long b = Math.min(x.end, to);
                children.add(span(x.kind, a - s, b - a, null, x.label, how, x.thread, null));
            }
        }
        children.sort(Comparator.comparingDouble((Map<String, Object> m) -> (double) m.get("startMs")));
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(span("request", 0, e - s, r.get("verdict"), r.get("request"), "self", r.get("thread"), r.get("id")));
        out.addAll(children.subList(0, Math.min(children.size(), MAX_SPANS)));
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("start", s);
        w.put("time", Instant.ofEpochSecond(0, s).toString());
        w.put("spans", out);
        w.put("moreSpans", Math.max(0, children.size() - MAX_SPANS));
        return w;
    }

    /** Whether the thread served another incoming request while the call ran: its call was not for this one. */
    private static boolean otherRequestsThread(long threadId, String thread, long start, long end, long conn,
            List<Recording.Span> spans) {
        for (Recording.Span q : spans) {
            if (q.kind.equals("request") && q.connectionId != conn && q.start <= end && q.end >= start
                    && (threadId > 0 && q.threadId == threadId
                            || thread != null && !thread.isEmpty() && thread.equals(q.thread))) {
                return true;
            }
        }
        return false;
    }

    /** The exchange or query event that a slow http or query call is, to the nanosecond. */
    private static Recording.Span sameCall(Map<String, Object> x, List<Recording.Span> spans) {
        for (Recording.Span q : spans) {
            if (q.kind.equals(x.get("call")) && q.connectionId == num(x.get("connectionId"))
                    && Math.abs(q.start - start(x)) < MARGIN && Math.abs(q.end - q.start - duration(x)) < MARGIN) {
                return q;
            }
        }
        return null;
    }

    private static Map<String, Object> span(String kind, long offset, long duration, Object verdict, Object label,
            String matched, Object thread, Object call) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind);
        m.put("startMs", Report.ms(offset));
        m.put("durationMs", Report.ms(duration));
        m.put("verdict", verdict);
        m.put("label", label);
        m.put("matched", matched);
        m.put("thread", thread);
        m.put("call", call);
        return m;
    }

    private static boolean isRequest(Map<String, Object> c, Set<Long> served) {
        return "http".equals(c.get("call")) && served.contains(num(c.get("connectionId")))
                && !Boolean.TRUE.equals(c.get("seenInPacketsOnly"));
    }

    /** Whether the request's evidence names the call: its connection, and the thread that made it if another. */
    private static boolean names(Map<String, Object> r, Map<String, Object> x) {
        Matcher m = NAMED.matcher(String.valueOf(r.get("evidence")));
        return m.find() && Long.parseLong(m.group(1)) == num(x.get("connectionId"))
                && (m.group(2) == null || m.group(2).equals(x.get("thread")));
    }

    private static boolean within(Map<String, Object> x, Map<String, Object> r) {
        return start(x) >= start(r) - MARGIN && end(x) <= end(r) + MARGIN;
    }

    private static long num(Object o) {
        return o instanceof Number ? ((Number) o).longValue() : -1;
    }

    private static long start(Map<String, Object> c) {
        return num(c.get("start"));
    }

    private static long duration(Map<String, Object> c) {
        return num(c.get("durationNanos"));
    }

    private static long end(Map<String, Object> c) {
        return start(c) + duration(c);
    }
}
