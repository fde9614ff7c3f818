package io.wiretrace.agent.capture;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The wait between rounds of the agent's periodic threads (the flusher, the status, the
 * correlator, the watch). {@code LockSupport.parkNanos}, {@code Thread.sleep} and
 * {@code Object.wait} each leave a JDK event with a stack trace once the wait passes the
 * recording's threshold: {@code jdk.ThreadPark}, {@code jdk.ThreadSleep},
 * {@code jdk.JavaMonitorWait}, at 20 ms in wiretrace's settings and in JFR's own. The agent's
 * rounds of 100-250 ms made about twenty of them a second: a stack walk each, paid by the app's
 * JVM, and the agent's own threads in the app's recording. A wait in {@code Selector.select}
 * records nothing. Without a selector (none could be opened) it parks.
 */
public final class Ticker implements AutoCloseable {
    private final Selector selector;
    private volatile Thread waiter;

    public Ticker() {
        Selector s;
        try {
            s = Selector.open();
        } catch (IOException | RuntimeException e) {
            s = null;
        }
        selector = s;
    }

    /**
     * Waits up to {@code nanos}, or until {@link #wake}; one thread at a time. An interrupt is
     * cleared, not kept: the agent's loops end on their own flags, and a select or a park with the
     * interrupt set would return at once, every round.
     */
    public void await(long nanos) {
        waiter = Thread.currentThread();
        Thread.interrupted();
        Selector s = selector;
        if (s != null && s.isOpen()) {
            try {
                // no channel is registered: it returns at the timeout, or at a wakeup (one made
                // before the call counts, like a park's permit)
                s.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)));
                return;
            } catch (IOException | RuntimeException e) {
                // closed meanwhile: park instead
            }
        }
        LockSupport.parkNanos(nanos);
    }

    /** Ends the current or the next wait now; any thread. */
    public void wake() {
        try {
            if (selector != null) {
                selector.wakeup(); // does nothing once closed
            }
        } catch (Throwable t) {
            // the unpark below still ends a wait that parks
        }
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** Frees the selector's descriptors; a later wait parks. */
    @Override
    public void close() {
        try {
            if (selector != null) {
                selector.close();
            }
        } catch (IOException | RuntimeException e) {
            // nothing to free
        }
    }
}
