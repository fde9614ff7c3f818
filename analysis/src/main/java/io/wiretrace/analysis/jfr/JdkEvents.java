package io.wiretrace.analysis.jfr;

import io.wiretrace.analysis.verdict.InApp;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;

/** The JDK events that say where a thread's time went, as {@link InApp.Event}s. */
public final class JdkEvents {
    /** The events {@link #of} reads; wiretrace.jfc enables each (the names a JDK lacks are ignored). */
    public static final List<String> NAMES = List.of("jdk.ExecutionSample", "jdk.JavaMonitorEnter", "jdk.ThreadPark",
            "jdk.ThreadSleep", "jdk.JavaMonitorWait", "jdk.VirtualThreadPinned", "jdk.GarbageCollection",
            "jdk.SafepointBegin");
    /** Frames kept per event: enough to get past the JDK's own (Unsafe.park, LockSupport, AQS, ReentrantLock) to the app's. */
    public static final int FRAMES = 8;

    private JdkEvents() {
    }

    /**
     * The event as an {@link InApp.Event}, or null if it is not one of {@link #NAMES} or is about
     * one of wiretrace's or JFR's own threads, which never serve a request: their samples and
     * parks (a busy capture's are most of them) would only push the app's out of a ring.
     */
    public static InApp.Event of(RecordedEvent e) {
        String type = e.getEventType().getName();
        if (!NAMES.contains(type)) {
            return null;
        }
        if (!type.equals("jdk.GarbageCollection") && !type.equals("jdk.SafepointBegin")
                && tools(e.getThread(type.equals("jdk.ExecutionSample") ? "sampledThread" : "eventThread"))) {
            return null;
        }
        long start = nanos(e.getStartTime());
        long end = nanos(e.getEndTime());
        switch (type) {
            case "jdk.ExecutionSample":
                return new InApp.Event(InApp.SAMPLE, id(e.getThread("sampledThread")), start, start, null, null, 0,
                        frames(e));
            case "jdk.JavaMonitorEnter":
                return new InApp.Event(InApp.MONITOR, id(e.getThread()), start, end, type(e, "monitorClass"),
                        name(e.getThread("previousOwner")), 0, frames(e));
            case "jdk.ThreadPark":
                return new InApp.Event(InApp.PARK, id(e.getThread()), start, end, type(e, "parkedClass"), null, 0, frames(e));
            case "jdk.ThreadSleep":
                return new InApp.Event(InApp.SLEEP, id(e.getThread()), start, end, null, null, 0, frames(e));
            case "jdk.JavaMonitorWait":
                return new InApp.Event(InApp.WAIT, id(e.getThread()), start, end, type(e, "monitorClass"), null, 0, frames(e));
            case "jdk.VirtualThreadPinned":
                return new InApp.Event(InApp.PINNED, id(e.getThread()), start, end, null, null, 0, frames(e));
            case "jdk.GarbageCollection":
                return new InApp.Event(InApp.GC, -1, start, end, e.getString("name") + " (" + e.getString("cause") + ")",
                        null, e.getDuration("sumOfPauses").toNanos(), null);
            case "jdk.SafepointBegin":
                return new InApp.Event(InApp.SAFEPOINT, -1, start, end, null, null, end - start, null);
            default:
                return null;
        }
    }

    /** Whether {@code t} is one of wiretrace's threads or JFR's. */
    static boolean tools(RecordedThread t) {
        String name = t == null ? null : t.getJavaName();
        return name != null && (name.startsWith("wiretrace-") || name.startsWith("JFR "));
    }

    private static long id(RecordedThread t) {
        return t == null ? -2 : t.getJavaThreadId();
    }

    private static String name(RecordedThread t) {
        return t == null ? null : t.getJavaName();
    }

    private static String type(RecordedEvent e, String field) {
        if (!e.hasField(field)) {
            return null;
        }
        RecordedClass c = e.getClass(field);
        return c == null ? null : c.getName();
    }

    private static String[] frames(RecordedEvent e) {
        RecordedStackTrace st = e.getStackTrace();
        if (st == null) {
            return null;
        }
        List<RecordedFrame> fs = st.getFrames();
        String[] out = new String[Math.min(FRAMES, fs.size())];
        for (int i = 0; i < out.length; i++) {
            RecordedFrame f = fs.get(i);
            out[i] = f.getMethod().getType().getName() + "." + f.getMethod().getName();
        }
        return out;
    }

    /** A period setting as JFR writes it ("20 ms", "1 s") in ns; the default sampling period for another form. */
    public static long period(String setting) {
        String[] p = setting == null ? new String[0] : setting.trim().split("\\s+");
        try {
            if (p.length == 2 && p[1].equals("ms")) {
                return TimeUnit.MILLISECONDS.toNanos(Long.parseLong(p[0]));
            }
            if (p.length == 2 && p[1].equals("s")) {
                return TimeUnit.SECONDS.toNanos(Long.parseLong(p[0]));
            }
        } catch (NumberFormatException e) {
            // the default
        }
        return InApp.DEFAULT_SAMPLE_PERIOD;
    }

    static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
