package io.wiretrace.agent.app;

/**
 * Where the app threads hand what the correlation needs: the connections they open, and the
 * calls they found slow or failed. Both must return at once (lock-free queues that count what
 * they drop); the correlator implements it.
 */
public interface CallSink {
    /** Calls that take at least this long are handed over. */
    long slowNanos();

    /**
     * HTTP exchanges answered with this status or above are handed over however fast they were
     * (a watch's status trigger); {@code Integer.MAX_VALUE}: none.
     */
    default int statusAtLeast() {
        return Integer.MAX_VALUE;
    }

    void opened(Conn c);

    void call(AppCall c);
}
