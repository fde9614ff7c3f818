package io.wiretrace.analysis.verdict;

import static io.wiretrace.analysis.verdict.VerdictRules.ms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a slow call's time went inside the JVM, when its packets show no fault: the JDK's events
 * of the call's thread (execution samples, monitor enters, parks, sleeps, waits) and the JVM's
 * pauses (GC, safepoints) in the call's window. A cause is named when it covers at least half of
 * the call, as for every verdict; otherwise the shares are listed. Times are ns since the epoch.
 * src/docs/verdicts.md has the rules.
 */
public final class InApp {
    public static final int SAMPLE = 1;
    /** Waiting to enter a monitor ({@code jdk.JavaMonitorEnter}). */
    public static final int MONITOR = 2;
    /** {@code jdk.ThreadPark}: a java.util.concurrent lock when its frames or blocker say so, else a wait. */
    public static final int PARK = 3;
    public static final int SLEEP = 4;
    /** {@code Object.wait} ({@code jdk.JavaMonitorWait}). */
    public static final int WAIT = 5;
    /** A virtual thread that blocked pinned to its carrier ({@code jdk.VirtualThreadPinned}). */
    public static final int PINNED = 6;
    /** A garbage collection; of the JVM, not of a thread. */
    public static final int GC = 7;
    /** A safepoint; of the JVM, not of a thread. */
    public static final int SAFEPOINT = 8;

    /** The execution sampling period when the recording does not say (wiretrace.jfc's). */
    public static final long DEFAULT_SAMPLE_PERIOD = 20_000_000L;

    /** One JDK event. */
    public static final class Event {
        public final int kind;
        /** The Java thread id ({@code Thread.getId()}, virtual threads' too); -1 for the JVM's events. */
        public final long thread;
        public final long start;
        public final long end;
        /** The monitor's or blocker's class, the collector's name; null if none. */
        public final String what;
        /** A monitor's previous owner (a thread's name), or null. */
        public final String owner;
        /** For a GC: the time its pauses took (a concurrent collector's cycle is longer than its pauses). */
        public final long pause;
        /** The top frames, "package.Class.method", the innermost first. */
        public final String[] frames;

        public Event(int kind, long thread, long start, long end, String what, String owner, long pause, String[] frames) {
            this.kind = kind;
            this.thread = thread;
            this.start = start;
            this.end = end;
            this.what = what;
            this.owner = owner;
            this.pause = pause;
            this.frames = frames == null ? new String[0] : frames;
        }
    }

    private InApp() {
    }

    /**
     * Explains the window [start, end] of thread {@code thread} from {@code events} (any order, any
     * threads), into {@code v} if it is {@code UNKNOWN}: a named cause keeps the network's evidence
     * after its own; otherwise the in-app shares are added to the evidence. Returns {@code v}.
     *
     * @param samplePeriod the execution sampling period (each sample stands for that much CPU time)
     */
    public static Explanation explain(long thread, long start, long end, long samplePeriod, Iterable<Event> events,
            Explanation v) {
        if (v.verdict != Verdict.UNKNOWN || end <= start || thread < 0) {
            return v;
        }
        long dur = end - start;
        int samples = 0;
        List<Long> sampled = new ArrayList<>();
        Map<String, Integer> hot = new HashMap<>();
        Map<String, long[]> locks = new HashMap<>();
        Map<String, long[]> waits = new HashMap<>();
        Map<String, long[]> pauses = new HashMap<>();
        List<long[]> stops = new ArrayList<>();
        long lock = 0;
        long wait = 0;
        long gc = 0;
        for (Event e : events) {
            long overlap = Math.min(end, e.end) - Math.max(start, e.start);
            if (e.kind == GC || e.kind == SAFEPOINT) {
                if (overlap > 0) {
                    long t = e.kind == GC ? Math.min(overlap, e.pause) : overlap;
                    if (e.kind == GC) {
                        gc += t;
                    } else {
                        stops.add(new long[] {Math.max(start, e.start), Math.min(end, e.end)});
                    }
                    add(pauses, e.kind == GC ? (e.what != null ? e.what : "GC") : "safepoints", t);
                }
                continue;
            }
            if (e.thread != thread) {
                continue;
            }
            if (e.kind == SAMPLE) {
                if (e.start >= start && e.start <= end) {
                    samples++;
                    sampled.add(e.start);
                    hot.merge(place(e.frames), 1, Integer::sum);
                }
            } else if (overlap > 0) {
                if (locked(e)) {
                    lock += overlap;
                    add(locks, (e.kind == MONITOR ? "a monitor of " : "a java.util.concurrent lock, ")
                            + (e.what != null ? e.what : "its class not recorded")
                            + (e.owner != null && !e.owner.isEmpty() ? " held by " + e.owner : "")
                            + at(e.frames), overlap);
                } else {
                    wait += overlap;
                    add(waits, verb(e) + at(e.frames), overlap);
                }
            }
        }
        long stopped = Math.max(gc, union(stops));
        long cpu = Math.min(dur, running(sampled, samplePeriod));
        long best = Math.max(Math.max(cpu, lock), Math.max(stopped, wait));
        String network = v.evidence == null || v.evidence.isEmpty() ? "" : "; " + v.evidence;
        if (best > 0 && best * 2 >= dur) {
            if (best == stopped) {
                v.set(Verdict.APP_GC, stopped, "GC pauses and safepoints stopped the JVM for " + ms(stopped) + " of the "
                        + ms(dur) + ": " + top(pauses, 3) + network);
            } else if (best == lock) {
                v.set(Verdict.APP_LOCK, lock, "the thread waited " + ms(lock) + " of the " + ms(dur) + " for a lock: "
                        + top(locks, 2) + network);
            } else if (best == wait) {
                v.set(Verdict.APP_WAIT, wait, "the thread was not running for " + ms(wait) + " of the " + ms(dur) + ": "
                        + top(waits, 2) + network);
            } else {
                v.set(Verdict.APP_CPU, cpu, "the thread was running for about " + ms(cpu) + " of the " + ms(dur) + " ("
                        + samples + " execution samples); hottest frames: "
                        + hottest(hot, samples) + network);
            }
            return v;
        }
        v.evidence = (v.evidence == null || v.evidence.isEmpty() ? "" : v.evidence + "; ")
                + String.format(Locale.ROOT, "in the app: cpu %d%% (%d samples), lock %d%%, gc %d%%, wait %d%% of %s",
                        pct(cpu, dur), samples, pct(lock, dur), pct(stopped, dur), pct(wait, dur), ms(dur));
        return v;
    }

    /** Waiting for a monitor, or parked in a java.util.concurrent lock's acquire (its blocker a lock's Sync). */
    static boolean locked(Event e) {
        if (e.kind == MONITOR) {
            return true;
        }
        if (e.kind != PARK && e.kind != PINNED) {
            return false;
        }
        for (String f : e.frames) {
            if (f.startsWith("java.util.concurrent.locks.AbstractQueued") && f.contains("Synchronizer.acquire")
                    || f.startsWith("java.util.concurrent.locks.StampedLock.acquire")) {
                return true;
            }
        }
        String w = e.what;
        return w != null && w.startsWith("java.util.concurrent.locks.") && !w.contains("ConditionObject")
                && !w.contains("LockSupport");
    }

    private static String verb(Event e) {
        switch (e.kind) {
            case SLEEP:
                return "slept";
            case WAIT:
                return "waited in Object.wait" + (e.what != null ? " on " + e.what : "");
            case PINNED:
                return "blocked pinned to its carrier";
            default:
                return "parked" + (e.what != null ? " on " + e.what : "");
        }
    }

    /**
     * " at " and the place, or nothing for an event recorded without its stack (jdk.JavaMonitorEnter
     * in wiretrace.jfc: JFR walks the stack at every contended entry, before it knows how long it takes).
     */
    private static String at(String[] frames) {
        return frames.length == 0 ? "" : " at " + place(frames);
    }

    /** The innermost frame, and the innermost of the app's own if that is another: "Math.sqrt ← App.burn". */
    static String place(String[] frames) {
        if (frames.length == 0) {
            return "(no stack trace)";
        }
        String top = frames[0];
        for (String f : frames) {
            if (!jdk(f)) {
                return f == top ? simple(top) : simple(top) + " ← " + simple(f);
            }
        }
        return simple(top);
    }

    private static boolean jdk(String frame) {
        return frame.startsWith("java.") || frame.startsWith("javax.") || frame.startsWith("jdk.")
                || frame.startsWith("sun.") || frame.startsWith("com.sun.");
    }

    /** "pkg.Outer$Inner.method" → "Outer$Inner.method". */
    static String simple(String frame) {
        int m = frame.lastIndexOf('.');
        int c = m > 0 ? frame.lastIndexOf('.', m - 1) : -1;
        return c >= 0 ? frame.substring(c + 1) : frame;
    }

    private static void add(Map<String, long[]> m, String key, long nanos) {
        m.computeIfAbsent(key, k -> new long[1])[0] += nanos;
    }

    private static String top(Map<String, long[]> m, int n) {
        StringBuilder b = new StringBuilder();
        m.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0])).limit(n)
                .forEach(x -> b.append(b.length() == 0 ? "" : ", ").append(x.getKey()).append(" (")
                        .append(ms(x.getValue()[0])).append(')'));
        return b.toString();
    }

    private static String hottest(Map<String, Integer> hot, int samples) {
        StringBuilder b = new StringBuilder();
        hot.entrySet().stream().sorted((x, y) -> Integer.compare(y.getValue(), x.getValue())).limit(3)
                .forEach(x -> b.append(b.length() == 0 ? "" : ", ").append(x.getKey()).append(" (")
                        .append(x.getValue()).append(" of ").append(samples).append(')'));
        return b.toString();
    }

    /**
     * The time a thread ran, from its samples' times: each sample stands for the time to the next
     * one, up to two periods (a busy JVM's sampler falls behind its period; a longer gap means the
     * thread did not run in between), the last for one period.
     */
    static long running(List<Long> times, long period) {
        if (times.isEmpty()) {
            return 0;
        }
        times.sort(null);
        long t = period;
        for (int i = 1; i < times.size(); i++) {
            t += Math.min(times.get(i) - times.get(i - 1), 2 * period);
        }
        return t;
    }

    /** The time the intervals cover together. */
    private static long union(List<long[]> intervals) {
        intervals.sort((x, y) -> Long.compare(x[0], y[0]));
        long total = 0;
        long from = Long.MIN_VALUE;
        long to = Long.MIN_VALUE;
        for (long[] i : intervals) {
            if (i[0] > to) {
                total += Math.max(0, to - from);
                from = i[0];
                to = i[1];
            } else {
                to = Math.max(to, i[1]);
            }
        }
        return total + Math.max(0, to - from);
    }

    private static int pct(long part, long whole) {
        return (int) Math.min(100, Math.round(part * 100.0 / whole));
    }
}
