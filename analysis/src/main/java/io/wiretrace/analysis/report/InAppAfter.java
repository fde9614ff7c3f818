package io.wiretrace.analysis.report;

import io.wiretrace.analysis.jfr.JdkEvents;
import io.wiretrace.analysis.verdict.Explanation;
import io.wiretrace.analysis.verdict.InApp;
import io.wiretrace.analysis.verdict.Verdict;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.EventType;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * The in-app verdicts for the live verdicts that are UNKNOWN without them (the agent gives them
 * live only on JDK 14+): the recording's own JDK events of each such call's thread and window,
 * read when the report is made. Only those events are kept, so a long recording costs no memory.
 */
final class InAppAfter {
    static final String MARK = "in the app: ";

    private InAppAfter() {
    }

    static void explain(Path jfr, List<Map<String, Object>> calls) throws IOException {
        Map<Long, List<Map<String, Object>>> byThread = new HashMap<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Map<String, Object> c : calls) {
            long thread = c.get("threadId") instanceof Number ? ((Number) c.get("threadId")).longValue() : 0;
            String evidence = String.valueOf(c.get("evidence"));
            if (Verdict.UNKNOWN.name().equals(c.get("verdict")) && thread > 0 && Boolean.TRUE.equals(c.get("ownThread"))
                    && !evidence.contains(MARK)
                    && !Boolean.TRUE.equals(c.get("seenInPacketsOnly"))) {
                byThread.computeIfAbsent(thread, k -> new ArrayList<>()).add(c);
                first = Math.min(first, start(c));
                last = Math.max(last, end(c));
            }
        }
        if (byThread.isEmpty()) {
            return;
        }
        Map<Long, List<InApp.Event>> events = new HashMap<>();
        List<InApp.Event> pauses = new ArrayList<>();
        long period = InApp.DEFAULT_SAMPLE_PERIOD;
        try (RecordingFile in = new RecordingFile(jfr)) {
            long sampleType = in.readEventTypes().stream().filter(t -> t.getName().equals("jdk.ExecutionSample"))
                    .mapToLong(EventType::getId).findFirst().orElse(-1);
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                if (e.getEventType().getName().equals("jdk.ActiveSetting")) {
                    if (e.getLong("id") == sampleType && "period".equals(e.getString("name"))) {
                        period = JdkEvents.period(e.getString("value"));
                    }
                    continue;
                }
                if (!JdkEvents.NAMES.contains(e.getEventType().getName())) {
                    continue;
                }
                InApp.Event x = JdkEvents.of(e);
                if (x == null || x.end < first || x.start > last) {
                    continue;
                }
                if (x.thread == -1) {
                    pauses.add(x);
                } else if (byThread.containsKey(x.thread) && within(x, byThread.get(x.thread))) {
                    events.computeIfAbsent(x.thread, k -> new ArrayList<>()).add(x);
                }
            }
        } catch (RuntimeException | InternalError e) {
            throw Recording.corrupt(jfr, e);
        }
        for (Map.Entry<Long, List<Map<String, Object>>> t : byThread.entrySet()) {
            List<InApp.Event> mine = events.getOrDefault(t.getKey(), new ArrayList<>());
            mine.addAll(pauses);
            for (Map<String, Object> c : t.getValue()) {
                Explanation v = new Explanation().set(Verdict.UNKNOWN, ((Number) c.get("explainedNanos")).longValue(),
                        String.valueOf(c.get("evidence")));
                InApp.explain(t.getKey(), start(c), end(c), period, mine, v);
                c.put("verdict", v.verdict.name());
                c.put("explainedNanos", v.explained);
                c.put("explainedMs", Report.ms(v.explained));
                c.put("evidence", v.evidence);
                c.put("inAppFromRecording", true); // not the agent's live verdict: the report's, from the same events
            }
        }
    }

    private static boolean within(InApp.Event x, List<Map<String, Object>> calls) {
        for (Map<String, Object> c : calls) {
            if (x.start <= end(c) && x.end >= start(c)) {
                return true;
            }
        }
        return false;
    }

    private static long start(Map<String, Object> c) {
        return ((Number) c.get("start")).longValue();
    }

    private static long end(Map<String, Object> c) {
        return start(c) + ((Number) c.get("durationNanos")).longValue();
    }
}
