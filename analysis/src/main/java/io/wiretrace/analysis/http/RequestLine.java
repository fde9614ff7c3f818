package io.wiretrace.analysis.http;

/**
 * HTTP/1.x request lines as wiretrace records them, the same for the agent (from the bytes an app
 * wrote or read) and the offline analysis (from a packet's payload): the method and the request
 * target, cut to {@link #MAX_TARGET} characters, its query replaced by {@code ?…} and each
 * segment's parameters by {@code ;…} — a query string or a path parameter carries secrets
 * (tokens, keys, {@code ;jsessionid=}) and is never recorded, nor is the user and password of an
 * absolute-form target ({@code http://user:pw@host/}). Also the names for what a connection was
 * seen to carry.
 */
public final class RequestLine {
    /** The longest request target recorded. */
    public static final int MAX_TARGET = 2048;
    /** What a query string becomes. */
    public static final String REDACTED_QUERY = "?…";
    /** What a path segment's parameters become. */
    public static final String REDACTED_PARAMETERS = ";…";
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
     * space before the version): the userinfo of an absolute form dropped, each segment's
     * parameters (from a {@code ;}) and the query (from a {@code ?}) replaced, its length capped.
     */
    public static String target(CharSequence raw) {
        int end = Math.min(raw.length(), MAX_TARGET);
        if (end > 0 && raw.charAt(0) == '/' && plain(raw, end)) { // the usual origin form: as it is
            return raw.subSequence(0, end).toString();
        }
        StringBuilder sb = new StringBuilder(Math.min(end, 64));
        int i = 0;
        int authority = authority(raw);
        if (authority > 0) {
            int at = -1;
            for (int j = authority; j < raw.length() && "/?#".indexOf(raw.charAt(j)) < 0; j++) {
                if (raw.charAt(j) == '@') {
                    at = j;
                }
            }
            sb.append(raw, 0, Math.min(authority, end));
            i = at >= 0 ? at + 1 : authority;
        }
        boolean parameters = false;
        for (; i < end; i++) {
            char c = raw.charAt(i);
            if (c == '?') {
                return sb.append(REDACTED_QUERY).toString();
            }
            if (c == ';' && !parameters) {
                sb.append(REDACTED_PARAMETERS);
                parameters = true;
            } else if (c == '/' || !parameters) {
                parameters = false;
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** No path parameter and no query in the first {@code end} characters. */
    private static boolean plain(CharSequence raw, int end) {
        for (int i = 0; i < end; i++) {
            char c = raw.charAt(i);
            if (c == ';' || c == '?') {
                return false;
            }
        }
        return true;
    }

    /** Where the authority of an absolute-form target ({@code scheme://}) begins, else -1. */
    private static int authority(CharSequence raw) {
        for (int i = 0; i < raw.length() && i < 32; i++) {
            char c = raw.charAt(i);
            if (c == ':') {
                return i > 0 && i + 2 < raw.length() && raw.charAt(i + 1) == '/' && raw.charAt(i + 2) == '/' ? i + 3 : -1;
            }
            boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
            if (!letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'))) {
                return -1;
            }
        }
        return -1;
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
