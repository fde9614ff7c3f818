package io.wiretrace.agent.app;

import io.wiretrace.agent.events.SocketReadEvent;
import io.wiretrace.agent.events.SocketWriteEvent;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.EventType;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * How long a socket read or write must take before any recording in the JVM could keep its
 * event: the lowest threshold that a recording not yet stopped gives wiretrace.SocketRead or
 * wiretrace.SocketWrite, by name or by the event's id, whoever started it (this agent, JDK Mission
 * Control, jcmd). JFR applies one threshold per event, the lowest asked for, so a call shorter
 * than this is kept by none. A value that cannot be read counts as 0.
 */
final class CallThresholds {
    /** What JFR uses for a recording that enables the events without a threshold: their annotations' 20 ms. */
    static final long DEFAULT_NANOS = 20_000_000L;
    private static final String[] NAMES = {"wiretrace.SocketRead", "wiretrace.SocketWrite"};
    /** The units of JFR's timespans, and their lengths in ns. */
    private static final String[] UNITS = {"ns", "us", "ms", "s", "m", "h", "d"};
    private static final long[] UNIT_NANOS = {1L, 1_000L, 1_000_000L, 1_000_000_000L, 60_000_000_000L,
        3_600_000_000_000L, 86_400_000_000_000L};

    /** The settings' keys of the two events, by name and by id, once both ids were known (they do not change). */
    private static volatile String[] keys;

    private CallThresholds() {
    }

    /** The lowest threshold, in ns, over the recordings; Long.MAX_VALUE when none may record the calls. */
    static long lowest(Collection<Recording> recordings) {
        String[] keys = CallThresholds.keys;
        if (keys == null) {
            keys = new String[] {NAMES[0], NAMES[1], id(SocketReadEvent.class), id(SocketWriteEvent.class)};
            if (keys[2] != null && keys[3] != null) {
                CallThresholds.keys = keys;
            }
        }
        long lowest = Long.MAX_VALUE;
        for (Recording r : recordings) {
            RecordingState state = r.getState();
            if (state == RecordingState.STOPPED || state == RecordingState.CLOSED) {
                continue;
            }
            Map<String, String> settings = r.getSettings();
            for (String key : keys) {
                if (key == null) {
                    continue;
                }
                String threshold = settings.get(key + "#threshold");
                if (threshold != null) {
                    lowest = Math.min(lowest, nanos(threshold));
                } else if (settings.containsKey(key + "#enabled")) {
                    lowest = Math.min(lowest, DEFAULT_NANOS);
                }
            }
        }
        return lowest;
    }

    /** The key JFR uses for an event enabled by its class ({@code Recording.enable(Class)}): its type id. */
    private static String id(Class<? extends jdk.jfr.Event> c) {
        try {
            return String.valueOf(EventType.getEventType(c).getId());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A JFR timespan setting ("10 ms", "0 ns", "1 s", "infinity") in ns; 0 if it cannot be read. */
    static long nanos(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("infinity")) {
            return Long.MAX_VALUE;
        }
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 18) {
            return 0;
        }
        long n = Long.parseLong(t.substring(0, i));
        String unit = t.substring(i).trim();
        for (int u = 0; u < UNITS.length; u++) {
            if (UNITS[u].equals(unit)) {
                return n > Long.MAX_VALUE / UNIT_NANOS[u] ? Long.MAX_VALUE : n * UNIT_NANOS[u];
            }
        }
        return 0;
    }
}
