package io.wiretrace.agent.app;

/**
 * Where the app threads hand what the correlation needs: the connections they open, and the
 * calls they found slow or failed. Both must return at once (lock-free queues that count what
 * they drop); the correlator implements it.
 */
public interface CallSink {
    /** Calls that take at least this long are handed over. */
    long slowNanos();

    void opened(Conn c);

    void call(AppCall c);
}
