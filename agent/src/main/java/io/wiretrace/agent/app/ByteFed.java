package io.wiretrace.agent.app;

/**
 * The state of a connection whose protocol reader is fed every byte each way (a database's, HTTP/2):
 * the client's bytes before they leave, so that the answer, whichever thread reads it, finds the
 * request begun. A write may leave only part of what it offered; the app offers the rest again,
 * and that rest, already fed, is skipped.
 */
abstract class ByteFed {
    /** Bytes the last write offered and that were fed; of them, what the next writes offer again. */
    private long offered;
    private long again;

    /** Of {@code n} bytes offered to a write, how many at their start were fed before (0: none). */
    final long fedBefore(long n) {
        long k = Math.min(again, n);
        again -= k;
        offered += n - k;
        return k;
    }

    /** After a write of {@code total} bytes: what was fed and not written will be offered again. */
    final void written(long total) {
        again += Math.max(0, offered - total);
        offered = 0;
    }
}
