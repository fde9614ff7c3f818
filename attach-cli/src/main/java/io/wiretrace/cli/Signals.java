package io.wiretrace.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/** Ctrl+C (SIGINT) or a plain kill (SIGTERM) ends collect's waiting early, so that it still stops and bundles. */
final class Signals {
    private static final String[] NAMES = {"INT", "TERM"};
    private static final SignalHandler[] previous = new SignalHandler[NAMES.length];

    private Signals() {
    }

    /**
     * Returns false where Ctrl+C cannot be handled: a shell starts background commands with
     * SIGINT ignored, and the JVM then leaves it so. The duration and the agent's deadline still
     * end the capture.
     */
    static synchronized boolean onInterrupt(java.util.function.Consumer<String> r) {
        for (int i = 0; i < NAMES.length; i++) {
            try {
                previous[i] = Signal.handle(new Signal(NAMES[i]), s -> r.accept(s.getName()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                previous[i] = null;
            }
        }
        // HotSpot leaves a signal ignored since the JVM started ignored, and answers SIG_IGN
        return previous[0] != null && previous[0] != SignalHandler.SIG_IGN;
    }

    /** Back to the JVM's own handling: a second Ctrl+C while the bundle is made ends the command. */
    static synchronized void reset() {
        for (int i = 0; i < NAMES.length; i++) {
            if (previous[i] != null) {
                Signal.handle(new Signal(NAMES[i]), previous[i]);
                previous[i] = null;
            }
        }
    }
}
