package io.wiretrace.analysis.pcap;

import java.util.Locale;

/**
 * The comments wiretrace writes on packets (pcapng {@code opt_comment}, Wireshark's
 * {@code frame.comment}), written and read here only:
 * <ul>
 * <li>{@code conn 42 · shop-http-1 · GET /inventory?…}: a packet of the app's connection 42, and
 * the thread and request of the exchange on it (or the thread that opened it, and what it
 * carries: {@code conn 42 · main · tls+h2});
 * <li>{@code verdict SERVER_THINK 427.5 ms · http · conn 3}: a packet a verdict rests on.
 * </ul>
 */
public final class PacketComments {
    /** A connection comment is cut to this many characters (the room a packet block keeps is fixed). */
    public static final int MAX_CONNECTION = 200;
    private static final String CONN = "conn ";
    private static final String VERDICT = "verdict ";
    private static final String SEP = " · ";

    private PacketComments() {
    }

    /** {@code conn <id> · <what>}, where {@code what} is "thread · request" or "thread · application". */
    public static String connection(long id, String what) {
        String text = CONN + id + SEP + what;
        return text.length() > MAX_CONNECTION ? text.substring(0, MAX_CONNECTION) : text;
    }

    /** {@code verdict <VERDICT> <ms> · <call kind>[ · conn <id>]}; {@code connectionId} -1: none. */
    public static String verdict(String verdict, long explainedNanos, String call, long connectionId) {
        return VERDICT + verdict + " " + String.format(Locale.ROOT, "%.1f ms", explainedNanos / 1e6) + SEP + call
                + (connectionId >= 0 ? SEP + CONN + connectionId : "");
    }

    public static boolean isVerdict(String text) {
        return text.startsWith(VERDICT);
    }

    /** A connection comment, read back. */
    public static final class Connection {
        public final long id;
        /** The thread, or null. */
        public final String thread;
        /** The request ("GET /path"), or null. */
        public final String request;
        /** What the connection carries ("tls+h2"), or null. */
        public final String application;

        Connection(long id, String thread, String request, String application) {
            this.id = id;
            this.thread = thread;
            this.request = request;
            this.application = application;
        }
    }

    /** The connection comment in one line of a packet's comments, or null if the line is not one. */
    public static Connection parseConnection(String line) {
        if (!line.startsWith(CONN)) {
            return null;
        }
        String[] parts = line.split(SEP);
        long id;
        try {
            id = Long.parseLong(parts[0].substring(CONN.length()).trim());
        } catch (NumberFormatException e) {
            return null;
        }
        String thread = parts.length > 1 ? parts[1] : null;
        String request = null;
        String application = null;
        if (parts.length > 2) {
            String what = parts[parts.length - 1];
            if (what.indexOf(' ') > 0) {
                request = what;
            } else {
                application = what;
            }
        }
        return new Connection(id, thread, request, application);
    }
}
