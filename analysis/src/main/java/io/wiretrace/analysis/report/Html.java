package io.wiretrace.analysis.report;

import io.wiretrace.analysis.verdict.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * report.html: one file, styles and diagrams inline, no script and nothing fetched, so it opens
 * anywhere. The trigger that cut the bundle, if one did; the verdicts ranked by time lost, each
 * slow call with its ladder diagram, the connections.
 */
final class Html {
    private static final int W = 820;
    private static final int LOCAL_X = 300;
    private static final int REMOTE_X = 700;
    private static final int ROW = 18;
    private static final int TOP = 46;
    private static final int GAP = 36;

    private Html() {
    }

    @SuppressWarnings("unchecked")
    static String write(Map<String, Object> doc) {
        StringBuilder b = new StringBuilder(64 * 1024);
        Map<String, Object> source = (Map<String, Object>) doc.get("source");
        Map<String, Object> capture = (Map<String, Object>) doc.get("capture");
        List<Map<String, Object>> verdicts = (List<Map<String, Object>>) doc.get("verdicts");
        List<Map<String, Object>> calls = (List<Map<String, Object>>) doc.get("slowCalls");
        List<Map<String, Object>> conns = (List<Map<String, Object>>) doc.get("connections");
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>wiretrace report</title>\n")
                .append("<style>\n").append(CSS).append("</style></head><body>\n");
        b.append("<h1>wiretrace report</h1>\n");
        Map<String, Object> trigger = (Map<String, Object>) doc.get("trigger");
        if (trigger != null) {
            trigger(b, trigger);
        }
        b.append("<p class=\"meta\">");
        Map<String, Object> env = (Map<String, Object>) doc.get("environment");
        if (env != null) {
            b.append("Target: pid ").append(esc(env.get("pid"))).append(" on ").append(esc(env.get("host")))
                    .append(" (").append(esc(env.get("os"))).append("), ").append(esc(env.get("java.vm.name")))
                    .append(' ').append(esc(env.get("java.version"))).append(" · ").append(esc(env.get("command")))
                    .append("<br>");
        }
        if (capture.get("packetsOff") != null) {
            b.append("<strong id=\"packets-off\">Packets: off in the target — ").append(esc(capture.get("packetsOff")))
                    .append(". The verdicts rest on the app's timings alone.</strong><br>");
        }
        if (capture.get("packets") == null) {
            b.append("No capture file");
        } else {
            b.append("Capture ").append(esc(capture.get("first"))).append(" – ").append(esc(capture.get("last")))
                    .append(" · ").append(capture.get("packets")).append(" packets (").append(capture.get("tcpPackets"))
                    .append(" TCP), ").append(capture.get("conversations")).append(" TCP conversations");
        }
        if (capture.containsKey("dropped")) {
            b.append(" · dropped in the target: ").append(capture.get("dropped"));
        }
        if (capture.get("commentsCut") != null) {
            b.append("<br>Comments: ").append(esc(capture.get("commentsCut")));
        }
        if (capture.get("exchangeThreshold") != null) {
            b.append("<br><strong id=\"exchange-threshold\">Requests: ").append(esc(capture.get("exchangeThreshold")))
                    .append(".</strong>");
        }
        Map<String, Object> reach = (Map<String, Object>) capture.get("recordingReach");
        if (reach != null) {
            b.append("<br><strong id=\"recording-reach\">Recording: from ").append(esc(reach.get("from"))).append(" only — ")
                    .append(esc(reach.get("note"))).append(".</strong>");
        }
        b.append("<br>Files: ").append(esc(String.join(", ", (List<String>) source.get("captures"))));
        if (source.get("recording") != null) {
            b.append(", ").append(esc(source.get("recording")));
        }
        b.append("<br>Verdicts: ").append(esc(source.get("verdictsExplained"))).append(" · slow means at least ")
                .append(doc.get("slowThresholdMs")).append(" ms or failed · wiretrace ").append(esc(doc.get("wiretrace")))
                .append("</p>\n");

        timeline(b, (Map<String, Object>) doc.get("timeline"));

        b.append("<h2>Verdicts, by time lost</h2>\n");
        if (verdicts.isEmpty()) {
            b.append("<p id=\"verdicts\" class=\"none\">No slow or failed call.</p>\n");
        } else {
            b.append("<table id=\"verdicts\" class=\"verdicts\"><thead><tr><th>Verdict</th><th>Calls</th>")
                    .append("<th>Time lost (ms)</th><th>Explained (ms)</th><th>Worst call</th><th>What it means</th>")
                    .append("</tr></thead><tbody>\n");
            for (Map<String, Object> v : verdicts) {
                b.append("<tr><td class=\"v ").append(esc(v.get("verdict"))).append("\">").append(esc(v.get("verdict")))
                        .append("</td><td class=\"n\">").append(v.get("calls"))
                        .append(((Number) v.getOrDefault("nestedCalls", 0L)).longValue() > 0
                                ? " (" + v.get("nestedCalls") + " nested)" : "").append("</td><td class=\"n\">")
                        .append(fmt(v.get("timeLostMs"))).append("</td><td class=\"n\">").append(fmt(v.get("explainedMs")))
                        .append("</td><td><a href=\"#call-").append(v.get("worstCall")).append("\">#")
                        .append(v.get("worstCall")).append("</a></td><td>").append(esc(v.get("meaning")))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table>\n<p class=\"meta\">Time lost counts nested time once: a call made on behalf of a"
                    + " slow request (on its thread, or named in its evidence) is counted among the calls, and its time as"
                    + " part of the request's.</p>\n");
        }

        b.append("<h2>Slow calls</h2>\n");
        List<Map<String, Object>> byCost = new ArrayList<>(calls);
        // the call that fired the trigger first, then the longest
        byCost.sort(Comparator.comparing((Map<String, Object> c) -> !Boolean.TRUE.equals(c.get("fired")))
                .thenComparingLong(c -> -(long) c.get("durationNanos")));
        for (Map<String, Object> c : byCost) {
            call(b, c);
        }

        streams(b, (Map<String, Object>) doc.get("streams"));

        b.append("<h2>Connections</h2>\n<table id=\"connections\" class=\"connections\"><thead><tr>")
                .append("<th>Conn</th><th>Role</th><th>Local</th><th>Remote</th><th>App</th><th>Thread</th>")
                .append("<th>Duration (ms)</th><th>Handshake RTT (ms)</th><th>RTT avg / max (ms)</th>")
                .append("<th>Retrans.</th><th>Bytes out / in</th><th>Requests</th><th>Slow calls</th>")
                .append("</tr></thead><tbody>\n");
        for (Map<String, Object> c : conns) {
            b.append("<tr><td class=\"n\">").append(id(c.get("connectionId"))).append("</td><td>").append(esc(c.get("role")))
                    .append("</td><td>").append(esc(c.get("localAddress") + ":" + c.get("localPort")))
                    .append("</td><td>").append(esc(c.get("remoteAddress") + ":" + c.get("remotePort")))
                    .append("</td><td>").append(esc(c.get("application"))).append("</td><td>").append(esc(c.get("thread")))
                    .append("</td><td class=\"n\">").append(fmt(c.get("durationMs")))
                    .append("</td><td class=\"n\">").append(fmt(c.get("handshakeRttMs")))
                    .append("</td><td class=\"n\">").append(fmt(c.get("rttAvgMs"))).append(" / ").append(fmt(c.get("rttMaxMs")))
                    .append("</td><td class=\"n").append(((Number) c.get("retransmissions")).intValue() > 0 ? " bad" : "")
                    .append("\">").append(c.get("retransmissions"))
                    .append("</td><td class=\"n\">").append(c.get("bytesOut")).append(" / ").append(c.get("bytesIn"))
                    .append("</td><td title=\"").append(esc(String.join("\n", (List<String>) c.get("requestSamples"))))
                    .append("\" class=\"n\">").append(c.get("requests")).append("</td><td class=\"n\">")
                    .append(c.get("slowCalls")).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
        Number leftOut = (Number) doc.get("connectionsLeftOut");
        if (leftOut != null && leftOut.longValue() > 0) {
            b.append("<p class=\"none\" id=\"connections-left-out\">").append(leftOut)
                    .append(" more connections are not listed: the table holds ").append(conns.size())
                    .append(".</p>\n");
        }
        if (conns.isEmpty() && capture.get("packetsOff") != null) {
            b.append("<p class=\"none\">No TCP connections without packets: the recording's wiretrace.Socket* events"
                    + " list the app's connections.</p>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    /**
     * The trigger that cut the bundle, before all else: what fired it, and a link to that call
     * (or, when it is not among the slow calls, a sentence saying so).
     */
    private static void trigger(StringBuilder b, Map<String, Object> t) {
        b.append("<section class=\"trigger\" id=\"trigger\">\n<h2>Trigger <code>").append(esc(t.get("spec")))
                .append("</code> fired at ").append(esc(t.get("firedAt"))).append("</h2>\n<p>").append(esc(t.get("what")))
                .append("</p>\n");
        StringBuilder facts = new StringBuilder();
        fact(facts, "verdict ", t.get("verdict"));
        fact(facts, "thread ", t.get("thread"));
        fact(facts, "conn ", t.get("connectionId"));
        fact(facts, "peer ", t.get("peer"));
        if (t.get("request") != null) {
            fact(facts, "", t.get("request") + (t.get("status") != null ? " → " + t.get("status") : ""));
        } else {
            fact(facts, "status ", t.get("status"));
        }
        if (t.get("callDurationNanos") != null) {
            fact(facts, "", fmt(Report.ms(((Number) t.get("callDurationNanos")).longValue())) + " ms");
        }
        fact(facts, "after ", t.get("after"));
        fact(facts, "bundle ", t.get("bundle"));
        if (facts.length() > 0) {
            b.append("<p class=\"meta\">").append(facts).append("</p>\n");
        }
        Object id = t.get("callId");
        if (id != null) {
            b.append("<p><a href=\"#call-").append(esc(id)).append("\">The call that fired: #").append(esc(id))
                    .append("</a></p>\n");
        } else {
            b.append("<p class=\"none\" id=\"trigger-call-missing\">The call that fired is not among the report's slow")
                    .append(" calls: ").append(esc(t.get("what"))).append("</p>\n");
        }
        b.append("</section>\n");
    }

    /** " · label value", escaped; nothing for a null value. */
    private static void fact(StringBuilder b, String label, Object value) {
        if (value != null) {
            b.append(b.length() > 0 ? " · " : "").append(esc(label)).append(esc(value));
        }
    }

    /** The responses that streamed, apart: their duration is theirs, not time lost. */
    @SuppressWarnings("unchecked")
    private static void streams(StringBuilder b, Map<String, Object> streams) {
        List<Map<String, Object>> listed = streams == null ? List.of() : (List<Map<String, Object>>) streams.get("listed");
        if (listed.isEmpty()) {
            return;
        }
        b.append("<h2>Streams</h2>\n<p class=\"meta\">").append(streams.get("count")).append(" responses streamed")
                .append(" (server-sent events, chunked pieces, WebSockets, HTTP/2 and gRPC streams): ")
                .append(esc(streams.get("note"))).append(".</p>\n<table id=\"streams\" class=\"connections\"><thead><tr>")
                .append("<th>Start</th><th>Direction</th><th>Request</th><th>Status</th><th>Kind</th><th>Remote</th>")
                .append("<th>Thread</th><th>Duration (ms)</th><th>First byte (ms)</th><th>Longest gap (ms)</th>")
                .append("</tr></thead><tbody>\n");
        for (Map<String, Object> s : listed) {
            b.append("<tr><td>").append(esc(s.get("time"))).append("</td><td>").append(esc(s.get("direction")))
                    .append("</td><td>").append(esc(s.get("request"))).append("</td><td class=\"n\">")
                    .append(s.get("status")).append("</td><td>").append(esc(s.get("kind"))).append("</td><td>")
                    .append(esc(s.get("remoteAddress") + ":" + s.get("remotePort"))).append("</td><td>")
                    .append(esc(s.get("thread"))).append("</td><td class=\"n\">").append(fmt(s.get("durationMs")))
                    .append("</td><td class=\"n\">").append(fmt(s.get("firstByteMs"))).append("</td><td class=\"n\">")
                    .append(fmt(s.get("longestGapMs"))).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    @SuppressWarnings("unchecked")
    private static void call(StringBuilder b, Map<String, Object> c) {
        boolean fired = Boolean.TRUE.equals(c.get("fired"));
        b.append("<section class=\"call").append(fired ? " fired" : "").append("\" id=\"call-").append(c.get("id"))
                .append("\">\n<h3>").append(fired ? "<span class=\"fired\">fired the trigger</span> " : "").append('#')
                .append(c.get("id")).append(" ").append(esc(c.get("call"))).append(c.get("request") != null ? " " + esc(c.get("request")) : "")
                .append(" — <span class=\"v ").append(esc(c.get("verdict"))).append("\">").append(esc(c.get("verdict")))
                .append("</span> ").append(fmt(c.get("explainedMs"))).append(" of ").append(fmt(c.get("durationMs")))
                .append(" ms").append(Boolean.TRUE.equals(c.get("seenInPacketsOnly"))
                        ? " <span class=\"packets-only\">seen in packets only</span>" : "")
                .append(Boolean.TRUE.equals(c.get("beforeRecording"))
                        ? " <span class=\"packets-only\">before the recording: from the packets alone</span>" : "")
                .append("</h3>\n<p>").append(esc(c.get("evidence"))).append("</p>\n<p class=\"meta\">")
                .append(esc(c.get("time"))).append(" · thread ").append(esc(c.get("thread"))).append(" · conn ")
                .append(id(c.get("connectionId"))).append(" · ").append(esc(c.get("localAddress") + ":" + c.get("localPort")))
                .append(" → ").append(esc(c.get("remoteAddress") + ":" + c.get("remotePort")));
        if (c.get("failure") != null) {
            b.append(" · failed: ").append(esc(c.get("failure")));
        }
        if (c.get("nestedIn") != null) {
            b.append("<br>Made on behalf of request <a href=\"#call-").append(c.get("nestedIn")).append("\">#")
                    .append(c.get("nestedIn")).append("</a> (").append(esc(MATCHED.get(c.get("nestedBy"))))
                    .append("): its time is counted there");
        }
        b.append("</p>\n");
        Map<String, Object> waterfall = (Map<String, Object>) c.get("waterfall");
        if (waterfall != null) {
            waterfall(b, c, waterfall);
        }
        Map<String, Object> ladder = (Map<String, Object>) c.get("ladder");
        if (ladder != null) {
            ladder(b, c, ladder);
        }
        b.append("</section>\n");
    }

    private static final Map<Object, String> MATCHED = Map.of("self", "the request", "thread", "by its thread",
            "evidence", "named in its evidence", "time", "by time only: a guess", "jvm", "the JVM's");

    /**
     * The request and the calls made on its behalf on one time axis: bars placed by percent, the
     * request's verdict and each call's where it has one, and how each was matched to the request.
     */
    @SuppressWarnings("unchecked")
    private static void waterfall(StringBuilder b, Map<String, Object> c, Map<String, Object> w) {
        List<Map<String, Object>> spans = (List<Map<String, Object>>) w.get("spans");
        double lo = 0;
        double hi = 0;
        for (Map<String, Object> x : spans) {
            lo = Math.min(lo, (double) x.get("startMs"));
            hi = Math.max(hi, (double) x.get("startMs") + (double) x.get("durationMs"));
        }
        double range = Math.max(hi - lo, 0.001);
        b.append("<div class=\"waterfall\" id=\"waterfall-").append(c.get("id")).append("\">\n")
                .append("<div class=\"wf-row wf-axis\"><span class=\"wf-label\">from ").append(esc(w.get("time")))
                .append("</span><span class=\"wf-track\"><span class=\"wf-tick\" style=\"left:0%\">")
                .append(fmt(lo)).append(" ms</span><span class=\"wf-tick end\" style=\"left:100%\">").append(fmt(hi))
                .append(" ms</span></span><span class=\"wf-meta\">verdict · matched</span></div>\n");
        for (Map<String, Object> x : spans) {
            double at = (double) x.get("startMs");
            double d = (double) x.get("durationMs");
            String kind = String.valueOf(x.get("kind"));
            boolean self = "self".equals(x.get("matched"));
            String text = kind + " " + x.get("label");
            b.append("<div class=\"wf-row").append(self ? "" : " nested").append("\"><span class=\"wf-label\" title=\"")
                    .append(esc(text)).append("\">").append(esc(text)).append("</span><span class=\"wf-track\">")
                    .append("<span class=\"wf-bar ").append(esc(kind.replaceAll("[^a-z]", ""))).append(x.get("verdict") != null
                            ? " slow" : "").append("\" style=\"left:").append(pct((at - lo) / range)).append("%;width:")
                    .append(pct(Math.max(d / range, 0.002))).append("%\" title=\"").append(esc(text + ", " + fmt(d) + " ms from "
                            + fmt(at) + " ms, thread " + x.get("thread"))).append("\"></span></span><span class=\"wf-meta\">");
            if (x.get("verdict") != null) {
                b.append("<span class=\"v ").append(esc(x.get("verdict"))).append("\">").append(esc(x.get("verdict")))
                        .append("</span> ");
            }
            if (x.get("call") != null && !self) {
                b.append("<a href=\"#call-").append(x.get("call")).append("\">#").append(x.get("call")).append("</a> ");
            }
            b.append(esc(MATCHED.getOrDefault(x.get("matched"), String.valueOf(x.get("matched"))))).append("</span></div>\n");
        }
        if (((Number) w.get("moreSpans")).intValue() > 0) {
            b.append("<p class=\"meta\">… and ").append(w.get("moreSpans")).append(" more calls in its time</p>\n");
        }
        b.append("</div>\n");
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.3f", Math.max(0, Math.min(1, f)) * 100);
    }

    private static final int TL_W = 960;
    private static final int TL_LEFT = 120;
    private static final int TL_LANE = 44;
    private static final String[] PALETTE = {"#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32", "#ad1457",
        "#00838f", "#9e9d24", "#4e342e", "#283593", "#d84315", "#558b2f", "#5d4037", "#00695c", "#f9a825"};

    /** A verdict's colour in the timeline: fixed per name, UNKNOWN grey. */
    static String colour(String verdict) {
        if (verdict == null || verdict.equals("UNKNOWN")) {
            return "#8a8f98";
        }
        Verdict v = Verdict.named(verdict);
        int i = v != null ? v.ordinal() : Math.floorMod(verdict.hashCode(), PALETTE.length);
        return PALETTE[i % PALETTE.length];
    }

    /**
     * The capture over time, one column per bucket: requests served, slow calls stacked by verdict,
     * retransmissions, GC pauses. Each lane has its own scale (its maximum is written beside it).
     */
    @SuppressWarnings("unchecked")
    private static void timeline(StringBuilder b, Map<String, Object> t) {
        List<Map<String, Object>> buckets = t == null ? List.of() : (List<Map<String, Object>>) t.get("buckets");
        if (buckets.isEmpty()) {
            return;
        }
        long step = ((Number) t.get("bucketSeconds")).longValue();
        b.append("<h2>Timeline</h2>\n<p class=\"meta\">").append(esc(t.get("from"))).append(" – ").append(esc(t.get("to")))
                .append(" (UTC) · one column per ").append(step == 1 ? "second" : step + " seconds")
                .append(" · slow calls counted where they began · GC pauses from ").append(esc(t.get("gcFrom")))
                .append("</p>\n");
        List<String[]> lanes = new ArrayList<>();
        lanes.add(new String[] {"requests", "Requests served"});
        lanes.add(new String[] {"slowCalls", "Slow calls"});
        if (buckets.get(0).get("retransmissions") != null) {
            lanes.add(new String[] {"retransmissions", "Retransmissions"});
        }
        if (buckets.get(0).get("gcPauseMs") != null) {
            lanes.add(new String[] {"gcPauseMs", "GC pause (ms)"});
        }
        if (buckets.get(0).get("requests") == null) {
            lanes.remove(0);
        }
        int n = buckets.size();
        double col = (double) (TL_W - TL_LEFT - 10) / n;
        int h = 10 + lanes.size() * TL_LANE + 30;
        b.append("<svg id=\"timeline\" class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(TL_W)
                .append("\" height=\"").append(h).append("\" viewBox=\"0 0 ").append(TL_W).append(' ').append(h).append("\">\n");
        for (int l = 0; l < lanes.size(); l++) {
            String key = lanes.get(l)[0];
            int base = 10 + (l + 1) * TL_LANE - 6;
            double max = 0;
            for (Map<String, Object> k : buckets) {
                max = Math.max(max, ((Number) k.get(key)).doubleValue());
            }
            b.append("<text class=\"lane\" x=\"4\" y=\"").append(base - 16).append("\">").append(lanes.get(l)[1])
                    .append("</text><text class=\"t\" x=\"4\" y=\"").append(base - 4).append("\">max ")
                    .append(key.equals("gcPauseMs") ? fmt(max) : String.valueOf((long) max)).append("</text>")
                    .append(line(TL_LEFT, base, TL_W - 10, base, "base")).append('\n');
            for (int i = 0; i < n && max > 0; i++) {
                Map<String, Object> k = buckets.get(i);
                double v = ((Number) k.get(key)).doubleValue();
                if (v <= 0) {
                    continue;
                }
                double x = TL_LEFT + i * col;
                double full = TL_LANE - 12;
                if (key.equals("slowCalls")) {
                    double y = base;
                    for (Map.Entry<String, Object> e : ((Map<String, Object>) k.get("verdicts")).entrySet()) {
                        double hh = full * ((Number) e.getValue()).doubleValue() / max;
                        y -= hh;
                        bar(b, x, y, col, hh, "fill:" + colour(e.getKey()), k.get("time") + ": " + e.getValue() + " "
                                + e.getKey(), key);
                    }
                    continue;
                }
                String tip = k.get("time") + ": " + (key.equals("gcPauseMs") ? k.get("gcPauses") + " GC pauses, "
                        + fmt(v) + " ms" : (long) v + " " + lanes.get(l)[1].toLowerCase(Locale.ROOT));
                bar(b, x, base - full * v / max, col, full * v / max, null, tip, key);
            }
        }
        int axis = 10 + lanes.size() * TL_LANE;
        int ticks = Math.min(n, 8);
        for (int j = 0; j < ticks; j++) {
            int i = j * n / ticks;
            String time = String.valueOf(buckets.get(i).get("time"));
            int x = (int) (TL_LEFT + i * col);
            b.append(line(x, axis - 4, x, axis + 2, "base")).append("<text class=\"t\" x=\"").append(x).append("\" y=\"")
                    .append(axis + 14).append("\">").append(esc(time.length() >= 19 ? time.substring(11, 19) : time))
                    .append("</text>");
        }
        b.append("\n</svg>\n<p class=\"legend\">");
        Set<String> seen = new TreeSet<>();
        for (Map<String, Object> k : buckets) {
            seen.addAll(((Map<String, Object>) k.get("verdicts")).keySet());
        }
        for (String v : seen) {
            b.append("<span><i style=\"background:").append(colour(v)).append("\"></i>").append(esc(v)).append("</span> ");
        }
        b.append("</p>\n");
    }

    private static void bar(StringBuilder b, double x, double y, double w, double h, String style, String tip,
            String lane) {
        b.append(String.format(Locale.ROOT, "<rect class=\"bar " + lane + "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"",
                x, y, Math.max(w - 0.5, 0.5), Math.max(h, 0.5)));
        if (style != null) {
            b.append(" style=\"").append(style).append('"');
        }
        b.append("><title>").append(esc(tip)).append("</title></rect>");
    }

    /** One item on the diagram's time axis: a packet, or a call's start or end. */
    private static final class Item {
        final long t;
        final Map<String, Object> packet;

        Item(long t, Map<String, Object> packet) {
            this.t = t;
            this.packet = packet;
        }
    }

    /**
     * The ladder: the app's end on the left, the peer on the right, time downwards, one row per
     * packet or call boundary in time order (the left column gives the time from the call's
     * start). The socket calls are bars beside the app's end, the slow call the red one; the
     * verdict's evidence packets are red.
     */
    @SuppressWarnings("unchecked")
    private static void ladder(StringBuilder b, Map<String, Object> c, Map<String, Object> ladder) {
        List<Map<String, Object>> packets = (List<Map<String, Object>>) ladder.get("packets");
        List<Map<String, Object>> calls = (List<Map<String, Object>>) ladder.get("calls");
        long start = (long) c.get("start");
        long end = start + (long) c.get("durationNanos");
        List<Item> items = new ArrayList<>();
        for (Map<String, Object> p : packets) {
            items.add(new Item((long) p.get("t"), p));
        }
        items.add(new Item(start, null));
        items.add(new Item(end, null));
        for (Map<String, Object> x : calls) {
            items.add(new Item((long) x.get("start"), null));
            items.add(new Item((long) x.get("end"), null));
        }
        items.sort(Comparator.comparingLong((Item i) -> i.t));
        // one row per item in time order; a wait of a tenth of the call or more gets room and its length
        long[] ys = new long[items.size()];
        long at = TOP;
        long bigGap = Math.max(1_000_000L, (end - start) / 10);
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                at += ROW + (items.get(i).t - items.get(i - 1).t >= bigGap ? GAP : 0);
            }
            ys[i] = at;
        }
        int h = (int) at + 40;
        b.append("<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"")
                .append(h).append("\" viewBox=\"0 0 ").append(W).append(' ').append(h).append("\">\n");
        b.append("<text x=\"").append(LOCAL_X).append("\" y=\"16\" class=\"end\">app ")
                .append(esc(c.get("localAddress") + ":" + c.get("localPort"))).append("</text>");
        b.append("<text x=\"").append(REMOTE_X).append("\" y=\"16\" class=\"end\">peer ")
                .append(esc(c.get("remoteAddress") + ":" + c.get("remotePort"))).append("</text>\n");
        b.append(line(LOCAL_X, 24, LOCAL_X, h - 10, "axis")).append(line(REMOTE_X, 24, REMOTE_X, h - 10, "axis"));
        // calls: bars left of the app's line, the slow call the widest
        int lane = 0;
        for (Map<String, Object> x : calls) {
            int y1 = row(items, ys, (long) x.get("start"));
            int y2 = row(items, ys, (long) x.get("end"));
            int x0 = LOCAL_X - 16 - 10 * (lane++ % 3);
            b.append("<rect class=\"sock\" x=\"").append(x0).append("\" y=\"").append(y1).append("\" width=\"6\" height=\"")
                    .append(Math.max(2, y2 - y1)).append("\"><title>").append(esc(x.get("kind") + " on " + x.get("thread")
                    + ": " + x.get("detail") + ", " + fmt(Report.ms((long) x.get("end") - (long) x.get("start"))) + " ms"))
                    .append("</title></rect>");
            b.append("<text class=\"call\" x=\"").append(LOCAL_X - 44).append("\" y=\"").append(y1 + 10).append("\">")
                    .append(esc(x.get("kind") + " " + x.get("detail"))).append("</text>\n");
        }
        int y1 = row(items, ys, start);
        int y2 = row(items, ys, end);
        b.append("<rect class=\"slow\" x=\"").append(LOCAL_X - 4).append("\" y=\"").append(y1).append("\" width=\"8\" height=\"")
                .append(Math.max(2, y2 - y1)).append("\"><title>").append(esc(c.get("call") + " " + fmt(c.get("durationMs"))
                + " ms: " + c.get("verdict"))).append("</title></rect>\n");
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            int y = (int) ys[i];
            if (i > 0 && it.t - items.get(i - 1).t >= bigGap) {
                b.append("<text class=\"gap\" x=\"").append((LOCAL_X + REMOTE_X) / 2).append("\" y=\"").append(y - GAP / 2 - 2)
                        .append("\">⋮ ").append(fmt(Report.ms(it.t - items.get(i - 1).t))).append(" ms ⋮</text>");
            }
            b.append("<text class=\"t\" x=\"4\" y=\"").append(y + 4).append("\">")
                    .append(String.format(Locale.ROOT, "%+.3f ms", (it.t - start) / 1e6)).append("</text>");
            if (it.packet == null) {
                b.append('\n');
                continue;
            }
            Map<String, Object> p = it.packet;
            boolean out = "out".equals(p.get("dir"));
            boolean ev = Boolean.TRUE.equals(p.get("evidence"));
            String cls = ev ? "pkt evidence" : p.get("analysis") != null ? "pkt flagged" : "pkt";
            int xa = out ? LOCAL_X : REMOTE_X;
            int xb = out ? REMOTE_X : LOCAL_X;
            b.append("<g class=\"").append(cls).append("\"><title>").append(esc(tooltip(p))).append("</title>")
                    .append(line(xa, y, xb - (out ? 6 : -6), y, "")).append("<polygon points=\"").append(xb).append(',')
                    .append(y).append(' ').append(xb - (out ? 8 : -8)).append(',').append(y - 4).append(' ')
                    .append(xb - (out ? 8 : -8)).append(',').append(y + 4).append("\"/>")
                    .append("<text x=\"").append((LOCAL_X + REMOTE_X) / 2).append("\" y=\"").append(y - 3)
                    .append("\" class=\"lbl\">").append(esc(label(p))).append(ev ? " ◀ evidence" : "").append("</text></g>\n");
        }
        if (((Number) ladder.get("morePackets")).intValue() > 0) {
            b.append("<text class=\"t\" x=\"4\" y=\"").append(h - 8).append("\">… and ").append(ladder.get("morePackets"))
                    .append(" more packets in this window (see the capture)</text>");
        }
        b.append("</svg>\n");
    }

    private static int row(List<Item> items, long[] ys, long t) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).t >= t) {
                return (int) ys[i];
            }
        }
        return (int) ys[ys.length - 1];
    }

    private static String label(Map<String, Object> p) {
        StringBuilder s = new StringBuilder(String.valueOf(p.get("flags")));
        int len = ((Number) p.get("len")).intValue();
        if (len > 0) {
            s.append(" len=").append(len);
        }
        s.append(" seq=").append(p.get("seq"));
        if (p.get("analysis") != null) {
            s.append(" [").append(p.get("analysis")).append(']');
        }
        return s.toString();
    }

    private static String tooltip(Map<String, Object> p) {
        return label(p) + " ack=" + p.get("ack") + " win=" + p.get("win")
                + (p.get("comment") != null ? "\n" + p.get("comment") : "");
    }

    private static String line(int x1, int y1, int x2, int y2, String cls) {
        return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\""
                + (cls.isEmpty() ? "" : " class=\"" + cls + "\"") + "/>";
    }

    private static String id(Object id) {
        return id == null || ((Number) id).longValue() < 0 ? "–" : id.toString();
    }

    /** Milliseconds: to the tenth, or to the microsecond below 1 ms (loopback RTTs). */
    private static String fmt(Object ms) {
        if (ms == null) {
            return "–";
        }
        double v = ((Number) ms).doubleValue();
        return String.format(Locale.ROOT, v != 0 && Math.abs(v) < 1 ? "%.3f" : "%.1f", v);
    }

    static String esc(Object o) {
        if (o == null) {
            return "–";
        }
        String s = o.toString();
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<':
                    b.append("&lt;");
                    break;
                case '>':
                    b.append("&gt;");
                    break;
                case '&':
                    b.append("&amp;");
                    break;
                case '"':
                    b.append("&quot;");
                    break;
                default:
                    b.append(ch);
            }
        }
        return b.toString();
    }

    private static final String CSS = String.join("\n",
            "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1200px}",
            "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccd}",
            "h3{font-size:15px;margin:18px 0 4px}.meta{color:#555;font-size:12px}.none{color:#555}",
            "table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccd;padding:3px 6px;vertical-align:top}",
            "th{background:#eef0f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}",
            ".bad{color:#b00020;font-weight:600}.v{font-weight:600;font-family:monospace}",
            ".v.UNKNOWN{color:#666}.call{margin-bottom:20px}",
            ".trigger{border:2px solid #c62828;background:#fff6f6;padding:4px 14px;margin:12px 0}",
            ".trigger h2{border:0;margin:8px 0 4px}span.fired{color:#fff;background:#c62828;padding:0 6px;font-size:12px}",
            "svg.ladder{border:1px solid #dde;background:#fcfcfe;display:block;margin:6px 0}",
            "svg .axis{stroke:#445;stroke-width:2}svg .end{font:12px monospace;text-anchor:middle;fill:#223}",
            "svg .t{font:10px monospace;fill:#667}svg .lbl{font:10px monospace;text-anchor:middle;fill:#223}",
            "svg .pkt line{stroke:#6a7a90;stroke-width:1}svg .pkt polygon{fill:#6a7a90}",
            "svg .flagged line{stroke:#d77a00}svg .flagged polygon{fill:#d77a00}svg .flagged .lbl{fill:#a05a00}",
            "svg .evidence line{stroke:#c62828;stroke-width:2.5}svg .evidence polygon{fill:#c62828}",
            "svg .evidence .lbl{fill:#c62828;font-weight:700}",
            "svg .gap{font:11px monospace;text-anchor:middle;fill:#889}",
            "svg.timeline{border:1px solid #dde;background:#fcfcfe;display:block;margin:6px 0}",
            "svg .lane{font:12px system-ui,sans-serif;fill:#223}svg .base{stroke:#aab;stroke-width:1}",
            "svg .bar{fill:#6a7a90}svg .bar.retransmissions{fill:#d77a00}svg .bar.gcPauseMs{fill:#6a1b9a}.legend span{margin-right:10px;font:11px monospace}",
            ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}",
            ".waterfall{margin:8px 0;font-size:12px;max-width:1100px}",
            ".wf-row{display:flex;align-items:center;height:18px}.wf-row.nested .wf-label{padding-left:16px}",
            ".wf-label{flex:0 0 300px;box-sizing:border-box;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;font-family:monospace}",
            ".wf-track{position:relative;flex:1 1 auto;height:12px;background:#f2f3f7;margin:0 8px}",
            ".wf-axis .wf-track{background:none}.wf-tick{position:absolute;font-size:10px;color:#667}",
            ".wf-tick.end{transform:translateX(-100%)}.wf-meta{flex:0 0 260px;font-size:11px;color:#445}",
            ".wf-bar{position:absolute;top:1px;height:10px;min-width:1px;background:#5b8def}",
            ".wf-bar.request{background:#9aa6b8}.wf-bar.query{background:#2e7d32}.wf-bar.lock{background:#ef6c00}",
            ".wf-bar.gc{background:#6a1b9a}.wf-bar.slow{outline:2px solid #c62828}",
            "svg .sock{fill:#5b8def}svg .slow{fill:#c62828;opacity:.85}svg text.call{font:10px monospace;text-anchor:end;fill:#345}",
            "");
}
