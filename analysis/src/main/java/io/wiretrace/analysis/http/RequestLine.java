package io.wiretrace.analysis.http;

/**
 * HTTP/1.x request lines as wiretrace records them, the same for the agent (from the bytes an app
 * wrote or read) and the offline analysis (from a packet's payload): the method and the request
 * target, cut to {@link #MAX_TARGET} characters, its query replaced by {@code ?…} — a query
 * string carries secrets (tokens, keys) and is never recorded. Also the names for what a
 * connection was seen to carry.
 */
public final class RequestLine {
    /** The longest request target recorded. */
    public static final int MAX_TARGET = 2048;
    /** What a query string becomes. */
    public static final String REDACTED_QUERY = "?…";
    /** The methods that start a request line (the agent looks for these with a space after). */
    public static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE",
        "CONNECT"};
    // What a connection's bytes showed it carries; constants, so that they compare by reference.
    public static final String HTTP1 = "http/1.1";
    public static final String H2 = "h2";
    /** HTTP/2 seen on a connection whose start was not: its header tables cannot be known, so it is not read. */
    public static final String H2_UNREAD = "h2 (not read: opened before the capture)";
    public static final String TLS = "tls";

    private RequestLine() {
    }

    /**
     * The target as recorded, from the characters of a request target as they come (up to the
     * space before the version): its query (from a {@code ?}) replaced, its length capped.
     */
    public static String target(CharSequence raw) {
        int end = Math.min(raw.length(), MAX_TARGET);
        StringBuilder sb = new StringBuilder(Math.min(end, 64));
        for (int i = 0; i < end; i++) {
            char c = raw.charAt(i);
            if (c == '?') {
                return sb.append(REDACTED_QUERY).toString();
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /**
     * "GET /path" from the start of a payload line when it is an HTTP/1.x request line, else
     * null. {@code whole}: the line ended (CR or LF) within what was looked at; a longer line (a
     * long query) is a request if it begins like one.
     */
    public static String parse(String line, boolean whole) {
        int sp = line.indexOf(' ');
        int sp2 = whole ? line.lastIndexOf(" HTTP/1.") : line.length();
        if (sp <= 0 || sp2 <= sp || !line.substring(0, sp).chars().allMatch(ch -> ch >= 'A' && ch <= 'Z')
                || !whole && line.charAt(sp + 1) != '/') {
            return null;
        }
        return line.substring(0, sp) + " " + target(line.substring(sp + 1, sp2));
    }
}
