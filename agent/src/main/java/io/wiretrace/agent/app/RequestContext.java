package io.wiretrace.agent.app;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which incoming request a thread works for. A request's context begins on the thread that read
 * its request line and goes with the work that thread, or a thread already working for it, hands
 * to another: an executor's task, a CompletableFuture's async stage, a server's dispatch to a
 * worker, the JDK HttpClient's own threads. Every call made under a context carries it, and the
 * correlator gives a slow request the verdict of the calls made for it, whatever thread made them.
 * Tracing agents carry their spans the same way; nothing here guesses from overlapping times.
 */
public final class RequestContext {
    private static final AtomicLong IDS = new AtomicLong();
    private static final ThreadLocal<long[]> CURRENT = ThreadLocal.withInitial(() -> new long[1]);
    /** What the contexts' starts count from (System.nanoTime). */
    private static final long ORIGIN = System.nanoTime();
    /**
     * A context is a count in its low bits, and above them when its request began, in units of
     * 2^20 ns (about 1 ms) since {@link #ORIGIN}: unique while fewer than 2^23 requests begin in
     * one such unit, never 0, and positive for 36 years.
     */
    private static final int COUNT_BITS = 23;
    private static final int UNIT_SHIFT = 20;

    private RequestContext() {
    }

    /** A new request's context, which says when it began (see {@link #began}). */
    static long next() {
        return next(System.nanoTime());
    }

    /** A new context for a request that began at {@code now} (System.nanoTime, read by the caller). */
    static long next(long now) {
        long count = IDS.incrementAndGet() & ((1L << COUNT_BITS) - 1);
        return (now - ORIGIN) >>> UNIT_SHIFT << COUNT_BITS | count;
    }

    /** When the request of {@code context} (from {@link #next}) began, as System.nanoTime(), up to 1.05 ms early. */
    static long began(long context) {
        return ORIGIN + (context >>> COUNT_BITS << UNIT_SHIFT);
    }

    /** The request this thread works for, or 0. */
    static long current() {
        return CURRENT.get()[0];
    }

    /** Makes {@code context} this thread's; returns the one it had. */
    static long swap(long context) {
        long[] c = CURRENT.get();
        long prev = c[0];
        c[0] = context;
        return prev;
    }

    /** The request is answered: a thread still working for it no longer is. */
    static void leave(long context) {
        long[] c = CURRENT.get();
        if (c[0] == context) {
            c[0] = 0;
        }
    }

    /** {@code task} wrapped to run under this thread's request, or null when it works for none. */
    static Object carry(Object task) {
        long context = current();
        if (context == 0 || task == null || task instanceof CarriedRunnable || task instanceof CarriedCallable) {
            return null;
        }
        if (task instanceof Runnable) {
            return new CarriedRunnable((Runnable) task, context);
        }
        if (task instanceof Callable) {
            return new CarriedCallable<>((Callable<?>) task, context);
        }
        return null;
    }

    /** A task that runs under the request it was handed over for, and leaves the thread as it found it. */
    static final class CarriedRunnable implements Runnable {
        final Runnable task;
        final long context;

        CarriedRunnable(Runnable task, long context) {
            this.task = task;
            this.context = context;
        }

        @Override
        public void run() {
            long prev = swap(context);
            try {
                task.run();
            } finally {
                swap(prev);
            }
        }

        @Override
        public String toString() {
            return task.toString(); // what the app's executor logs names the app's task
        }
    }

    static final class CarriedCallable<V> implements Callable<V> {
        final Callable<V> task;
        final long context;

        CarriedCallable(Callable<V> task, long context) {
            this.task = task;
            this.context = context;
        }

        @Override
        public V call() throws Exception {
            long prev = swap(context);
            try {
                return task.call();
            } finally {
                swap(prev);
            }
        }

        @Override
        public String toString() {
            return task.toString();
        }
    }
}
