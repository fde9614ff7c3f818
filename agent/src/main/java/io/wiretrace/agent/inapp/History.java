package io.wiretrace.agent.inapp;

import io.wiretrace.analysis.jfr.JdkEvents;
import io.wiretrace.analysis.verdict.Explanation;
import io.wiretrace.analysis.verdict.InApp;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import jdk.jfr.consumer.RecordedEvent;

/**
 * The JDK events of the last seconds ({@link JdkEvents#NAMES}), from a {@code RecordingStream}
 * with wiretrace.jfc's settings for them, in one ring of {@link #CAPACITY} events: JFR's stream
 * thread adds, the correlator's thread reads; app threads never touch it. The stream is JDK 14+
 * and is reached by reflection, so that the agent still loads on JDK 11, where {@link #start}
 * answers null.
 */
public final class History {
    /**
     * The ring's size. Each event holds at most {@link JdkEvents#FRAMES} frame names: about 1 KB,
     * so the ring stays under about 8 MB; at 20 ms sampling and a few hundred parks a second it
     * reaches back well beyond the time a call waits to be explained.
     */
    public static final int CAPACITY = 8192;
    /**
     * JFR's own event for each flush of its buffers (JDK 14+): its start is the moment the flush
     * began, so the events committed before it are in the same delivery.
     */
    static final String FLUSH = "jdk.Flush";
    /** Events that end this long before a flush began were committed before it (the sampler may lag a little). */
    static final long FLUSH_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** A call waits at most this long after its end for the stream (it flushes about once a second). */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2500);

    private final InApp.Event[] ring = new InApp.Event[CAPACITY];
    private int next;
    private long dropped;
    /** Slots of the ring that hold an event (for the status, without a walk of the ring). */
    private int held;
    private final long samplePeriod;
    /** Where the last {@link #FLUSH} event the stream delivered began (ns since the epoch): stream thread only. */
    private long flushBegan;
    /** {@link #flushBegan} once all of its delivery was dispatched: the events up to there are in. */
    private volatile long flushed;
    private AutoCloseable stream;
    /** A failure in the stream's handler, for the status; the stream goes on. */
    volatile Throwable error;

    public History(long samplePeriod) {
        this.samplePeriod = samplePeriod;
    }

    /**
     * Starts the stream with {@code settings} (wiretrace.jfc's, "event#setting" → value; only those
     * of {@link JdkEvents#NAMES} are used); null where the JDK has no RecordingStream (before 14)
     * or it cannot start, with the reason given to {@code why}.
     */
    public static History start(Map<String, String> settings, Consumer<String> why) {
        Class<?> type;
        try {
            type = Class.forName("jdk.jfr.consumer.RecordingStream");
        } catch (ClassNotFoundException | LinkageError e) {
            why.accept("in-app verdicts: off (JFR event streaming needs JDK 14 or later)");
            return null;
        }
        Map<String, String> mine = new HashMap<>();
        settings.forEach((k, v) -> {
            if (JdkEvents.NAMES.contains(k.substring(0, Math.max(0, k.indexOf('#'))))) {
                mine.put(k, v);
            }
        });
        mine.put(FLUSH + "#enabled", "true");
        mine.put(FLUSH + "#threshold", "0 ns");
        History h = new History(JdkEvents.period(mine.get("jdk.ExecutionSample#period")));
        Object rs = null;
        try {
            rs = type.getConstructor().newInstance();
            h.stream = (AutoCloseable) rs;
            type.getMethod("setSettings", Map.class).invoke(rs, mine);
            type.getMethod("setMaxAge", Duration.class).invoke(rs, Duration.ofSeconds(30));
            Method onEvent = type.getMethod("onEvent", String.class, Consumer.class);
            for (String name : JdkEvents.NAMES) {
                onEvent.invoke(rs, name, (Consumer<RecordedEvent>) h::event);
            }
            onEvent.invoke(rs, FLUSH, (Consumer<RecordedEvent>) h::flushEvent);
            type.getMethod("onFlush", Runnable.class).invoke(rs, (Runnable) h::flush);
            type.getMethod("startAsync").invoke(rs);
            return h;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            h.close();
            why.accept("in-app verdicts: off (the JFR stream did not start: " + e + ")");
            return null;
        }
    }

    // ---- JFR's stream thread

    private void event(RecordedEvent e) {
        try {
            InApp.Event x = JdkEvents.of(e);
            if (x != null) {
                add(x);
            }
        } catch (RuntimeException | LinkageError t) {
            error = t; // a field a JDK lacks, say: that event is left out
        }
    }

    public synchronized void add(InApp.Event x) {
        if (ring[next] != null) {
            dropped++;
        } else {
            held++;
        }
        ring[next] = x;
        next = (next + 1) % CAPACITY;
    }

    private void flushEvent(RecordedEvent e) {
        try {
            Instant t = e.getStartTime();
            flushBegan(t.getEpochSecond() * 1_000_000_000L + t.getNano());
        } catch (RuntimeException | LinkageError t) {
            error = t;
        }
    }

    /** A {@link #FLUSH} event that began at {@code began} (ns since the epoch) was delivered. */
    void flushBegan(long began) {
        flushBegan = Math.max(flushBegan, began);
    }

    /**
     * The stream dispatched what it had. Not the time of this call: the stream also calls it when a
     * poll found nothing new, just before it reads the flush that woke it, and the events that flush
     * holds are not delivered yet then. So only a flush event's own start counts.
     */
    void flush() {
        flushed = flushBegan;
    }

    // ---- the correlator's thread

    /**
     * Whether a call that ended at {@code end} can be explained: the stream delivered all of a flush
     * that began after its end, or it waited long enough (ns since the epoch).
     */
    public boolean settled(long end, long now) {
        return flushed >= end + FLUSH_MARGIN_NANOS || now >= end + WAIT_NANOS;
    }

    /** Explains thread {@code thread}'s window [start, end] into {@code v} if that is UNKNOWN; see {@link InApp#explain}. */
    public Explanation explain(long thread, long start, long end, Explanation v) {
        return InApp.explain(thread, start, end, samplePeriod, events(thread, start, end), v);
    }

    /** The events held of thread {@code thread} or of the whole JVM that overlap [start, end]. */
    synchronized List<InApp.Event> events(long thread, long start, long end) {
        List<InApp.Event> events = new ArrayList<>();
        for (InApp.Event x : ring) {
            if (x != null && x.start <= end && x.end >= start && (x.thread == thread || x.thread == -1)) {
                events.add(x);
            }
        }
        return events;
    }

    /** For status: how far the stream got and what it lost. */
    public synchronized String status() {
        Throwable t = error;
        return "in-app verdicts: on (" + held + " recent JDK events held, " + dropped + " aged out of the ring"
                + (t != null ? "; last error: " + t : "") + ")";
    }

    public void close() {
        AutoCloseable s = stream;
        stream = null;
        if (s != null) {
            try {
                s.close();
            } catch (Exception e) {
                // closing is best effort; the stream's thread ends with its recording
            }
        }
    }
}
