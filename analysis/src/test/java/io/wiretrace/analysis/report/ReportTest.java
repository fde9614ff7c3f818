package io.wiretrace.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.verdict.Verdict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The report's JSON and HTML writers and the ranking of its verdicts. */
class ReportTest {
    private static final long T0 = 1_790_000_000_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void jsonEscapesWhatAStringCannotHoldAsIs() {
        assertEquals("\"q\\\" b\\\\ n\\n r\\r t\\t c\\u0001\\u001f ls\\u2028 ps\\u2029 é 😀\"\n",
                Json.write("q\" b\\ n\n r\r t\t c\u0001\u001f ls\u2028 ps\u2029 é 😀"));
    }

    @Test
    void jsonNumbers() {
        assertEquals("[1, 2.5, -0.25, 0, null, null, null, 3, 7, true, null]\n", Json.write(Arrays.asList(1.0, 2.5, -0.25f,
                -0.0, Double.NaN, Double.POSITIVE_INFINITY, Float.NaN, 3L, 7, true, null)));
        assertEquals("1.0E15\n", Json.write(1e15)); // from 1e15 on, as Java prints a double
        assertEquals(1e15, ((Number) parse("1.0E15")).doubleValue());
    }

    @Test
    void jsonNestsMapsAndLists() {
        Map<String, Object> doc = map("a", 1L, "b", List.of(), "c", map(), "d", List.of(map("x", "y"), List.of(1, 2)),
                "e", null);
        assertEquals("{\n  \"a\": 1,\n  \"b\": [],\n  \"c\": {},\n  \"d\": [\n    {\n      \"x\": \"y\"\n    },\n"
                + "    [1, 2]\n  ],\n  \"e\": null\n}\n", Json.write(doc));
    }

    @Test
    void jsonReadsBackAsWritten() {
        Map<String, Object> doc = map("name", "a \"b\" \\ c\n\u0000\u001f\u2028 é 😀 </script>", "n", T0, "x", 1.0,
                "y", 0.125, "nan", Double.NaN, "ok", true, "no", false, "none", null,
                "list", List.of(1, "two", List.of(), map()),
                "maps", List.of(map("k", List.of(1L, 2L), "e", map("deep", List.of(List.of("z")))), map()));
        String json = Json.write(doc);
        assertTrue(json.chars().noneMatch(c -> c < 0x20 && c != '\n' || c == 0x2028 || c == 0x2029), json);
        Map<String, Object> expected = map("name", doc.get("name"), "n", (double) T0, "x", 1.0, "y", 0.125, "nan", null,
                "ok", true, "no", false, "none", null, "list", List.of(1.0, "two", List.of(), map()),
                "maps", List.of(map("k", List.of(1.0, 2.0), "e", map("deep", List.of(List.of("z")))), map()));
        assertEquals(expected, parse(json));
        // the check is strict: it would notice a raw control character, a bad escape or a trailing comma
        assertThrows(IllegalArgumentException.class, () -> parse("\"a\u0001\""));
        assertThrows(IllegalArgumentException.class, () -> parse("\"\\x\""));
        assertThrows(IllegalArgumentException.class, () -> parse("[1,]"));
        assertThrows(IllegalArgumentException.class, () -> parse("{\"a\": 1} x"));
    }

    @Test
    void rankedSortsVerdictsByTimeLost() {
        List<Map<String, Object>> calls = List.of(
                call(1, "SERVER_THINK", 500 * MS, 400 * MS),
                call(2, "CONNECT_RETRY", 1001 * MS, 1000 * MS),
                call(3, "SERVER_THINK", 700 * MS, 600 * MS),
                call(4, "UNKNOWN", 100 * MS, 0),
                call(5, "SERVER_THINK", 1, 0));
        List<Map<String, Object>> r = Report.ranked(calls);
        assertEquals(List.of("SERVER_THINK", "CONNECT_RETRY", "UNKNOWN"), r.stream().map(m -> m.get("verdict")).collect(Collectors.toList()));
        Map<String, Object> think = r.get(0);
        assertEquals(3L, think.get("calls"));
        assertEquals(1200.0, think.get("timeLostMs"));
        assertEquals(1000.0, think.get("explainedMs"));
        assertEquals(3, think.get("worstCall"));
        assertEquals(Verdict.SERVER_THINK.meaning(), think.get("meaning"));
        assertEquals(1L, r.get(1).get("calls"));
        assertEquals(1001.0, r.get(1).get("timeLostMs"));
        assertEquals(2, r.get(1).get("worstCall"));
        assertEquals(4, r.get(2).get("worstCall"));
        assertEquals(List.of(), Report.ranked(List.of()));
    }

    @Test
    void everyVerdictHasItsOwnMeaningInTheReport() {
        assertEquals(Verdict.values().length, Arrays.stream(Verdict.values()).map(Verdict::meaning).distinct().count());
        Map<String, Object> known = call(1, "PEER_RESET", 500 * MS, 500 * MS);
        Map<String, Object> other = call(2, "SOMETHING_NEW", 400 * MS, 400 * MS);
        List<Map<String, Object>> ranked = Report.ranked(List.of(known, other));
        assertEquals(Verdict.PEER_RESET.meaning(), ranked.get(0).get("meaning"));
        assertEquals(Verdict.UNKNOWN.meaning(), ranked.get(1).get("meaning"), "a verdict this build does not know");
    }

    @Test
    void htmlIsOneSelfContainedEscapedDocument() {
        String request = "GET /<script>alert(1)</script>";
        Map<String, Object> call = call(1, "SERVER_THINK", 500 * MS, 500 * MS);
        call.putAll(map("time", "2026-09-21T10:13:20Z", "start", T0, "call", "http", "request", request,
                "thread", "worker-1", "connectionId", 42L, "localAddress", "10.0.0.1", "localPort", 40001,
                "remoteAddress", "10.0.0.2", "remotePort", 80, "durationMs", 500.0, "explainedMs", 500.0,
                "evidence", "the response's first bytes arrived 500.0 ms later", "failure", null,
                "retransmissions", 0, "evidenceFrames", List.of(T0 + 500 * MS)));
        call.put("ladder", map("from", T0 - 50 * MS, "to", T0 + 550 * MS, "morePackets", 3,
                "packets", List.of(
                        packet(T0, "out", "PSH,ACK", 1, 1, 42, null, "conn 42 · worker-1 · " + request, false),
                        packet(T0 + MS / 20, "in", "ACK", 1, 43, 0, null, null, false),
                        packet(T0 + 500 * MS, "in", "PSH,ACK", 1, 43, 40, null, null, true),
                        packet(T0 + 501 * MS, "out", "ACK", 43, 41, 0, "DUPLICATE_ACK", null, false)),
                "calls", List.of(map("kind", "read", "thread", "worker-1", "start", T0 + 10_000L,
                        "end", T0 + 500 * MS + 10_000L, "detail", "<b>40 bytes</b>"))));
        Map<String, Object> conn = map("connectionId", 42L, "role", "client", "localAddress", "10.0.0.1",
                "localPort", 40001, "remoteAddress", "10.0.0.2", "remotePort", 80, "application", "http/1.1",
                "thread", "worker-1", "durationMs", 503.2, "handshakeRttMs", 0.2, "rttAvgMs", null, "rttMaxMs", null,
                "retransmissions", 0, "bytesOut", 42L, "bytesIn", 40L, "requests", 1, "requestSamples", List.of(request),
                "slowCalls", 1);
        List<Map<String, Object>> calls = new ArrayList<>(List.of(call));
        Map<String, Object> doc = map("wiretrace", "0.1.0",
                "source", map("captures", List.of("capture-0001.pcapng"), "recording", "recording.jfr",
                        "verdictsExplained", "the verdicts the agent reached live"),
                "capture", map("first", "2026-09-21T10:13:19Z", "last", "2026-09-21T10:13:21Z", "packets", 12L,
                        "tcpPackets", 11L, "conversations", 1L),
                "slowThresholdMs", 200.0, "verdicts", Report.ranked(calls), "slowCalls", calls,
                "connections", List.of(conn));

        String html = Html.write(doc);
        assertTrue(html.startsWith("<!DOCTYPE html>"), html);
        assertTrue(html.contains("<table id=\"verdicts\""), html);
        assertTrue(html.contains("<section class=\"call\" id=\"call-1\">"), html);
        assertTrue(html.contains("<svg class=\"ladder\""), html);
        assertEquals(1, count(html, "<g class=\"pkt evidence\">"), html);
        assertEquals(1, count(html, "◀ evidence"), html);
        assertEquals(1, count(html, "<g class=\"pkt flagged\">"), html);
        assertTrue(html.contains("… and 3 more packets"), html);
        assertTrue(html.contains("&lt;b&gt;40 bytes&lt;/b&gt;"), html);
        assertFalse(html.toLowerCase(Locale.ROOT).contains("<script"), html);
        assertFalse(html.contains("<b>"), html);
        // the heading, the packet's comment, the connection's requests
        assertEquals(3, count(html, "GET /&lt;script&gt;alert(1)&lt;/script&gt;"), html);
        assertEquals(0, count(html, "https://"), html);
        assertEquals(count(html, "xmlns=\"http://www.w3.org/2000/svg\""), count(html, "http://"), html);
        assertEquals(1, count(html, "http://"), html);

        doc.put("verdicts", List.of());
        doc.put("slowCalls", List.of());
        String none = Html.write(doc);
        assertTrue(none.contains("<p id=\"verdicts\" class=\"none\">"), none);
        assertFalse(none.contains("<svg"), none);
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    private static Map<String, Object> call(int id, String verdict, long duration, long explained) {
        return map("id", id, "verdict", verdict, "durationNanos", duration, "explainedNanos", explained);
    }

    private static Map<String, Object> packet(long t, String dir, String flags, long seq, long ack, int len,
            String analysis, String comment, boolean evidence) {
        return map("t", t, "dir", dir, "flags", flags, "seq", seq, "ack", ack, "len", len, "win", 502,
                "analysis", analysis, "comment", comment, "evidence", evidence);
    }

    /** A mutable map that keeps its order and takes nulls. */
    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    // ---- a strict JSON reader: objects as maps, arrays as lists, every number a double

    private static Object parse(String json) {
        int[] at = {0};
        Object v = value(json, at);
        space(json, at);
        if (at[0] != json.length()) {
            throw new IllegalArgumentException("trailing text at " + at[0]);
        }
        return v;
    }

    private static Object value(String s, int[] at) {
        space(s, at);
        if (at[0] >= s.length()) {
            throw new IllegalArgumentException("no value at the end");
        }
        char c = s.charAt(at[0]);
        if (c == '{') {
            Map<String, Object> m = new LinkedHashMap<>();
            at[0]++;
            space(s, at);
            if (s.charAt(at[0]) == '}') {
                at[0]++;
                return m;
            }
            do {
                space(s, at);
                String k = string(s, at);
                space(s, at);
                expect(s, at, ':');
                if (m.containsKey(k)) {
                    throw new IllegalArgumentException("duplicate key " + k);
                }
                m.put(k, value(s, at));
                space(s, at);
            } while (s.charAt(at[0]++) == ',');
            if (s.charAt(at[0] - 1) != '}') {
                throw new IllegalArgumentException("expected } at " + (at[0] - 1));
            }
            return m;
        }
        if (c == '[') {
            List<Object> l = new ArrayList<>();
            at[0]++;
            space(s, at);
            if (s.charAt(at[0]) == ']') {
                at[0]++;
                return l;
            }
            do {
                l.add(value(s, at));
                space(s, at);
            } while (s.charAt(at[0]++) == ',');
            if (s.charAt(at[0] - 1) != ']') {
                throw new IllegalArgumentException("expected ] at " + (at[0] - 1));
            }
            return l;
        }
        if (c == '"') {
            return string(s, at);
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (s.startsWith(word, at[0])) {
                at[0] += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")
                .matcher(s).region(at[0], s.length());
        if (!m.lookingAt()) {
            throw new IllegalArgumentException("unexpected " + c + " at " + at[0]);
        }
        at[0] = m.end();
        return Double.parseDouble(m.group());
    }

    private static String string(String s, int[] at) {
        expect(s, at, '"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = s.charAt(at[0]++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("raw control character at " + (at[0] - 1));
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(at[0]++);
            int i = "\"\\/bfnrt".indexOf(e);
            if (i >= 0) {
                b.append("\"\\/\b\f\n\r\t".charAt(i));
            } else if (e == 'u' && s.substring(at[0], at[0] + 4).matches("[0-9a-fA-F]{4}")) {
                b.append((char) Integer.parseInt(s.substring(at[0], at[0] + 4), 16));
                at[0] += 4;
            } else {
                throw new IllegalArgumentException("bad escape \\" + e);
            }
        }
    }

    private static void expect(String s, int[] at, char c) {
        if (at[0] >= s.length() || s.charAt(at[0]) != c) {
            throw new IllegalArgumentException("expected " + c + " at " + at[0]);
        }
        at[0]++;
    }

    private static void space(String s, int[] at) {
        while (at[0] < s.length() && " \t\n\r".indexOf(s.charAt(at[0])) >= 0) {
            at[0]++;
        }
    }
}
