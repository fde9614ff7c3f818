package io.wiretrace.sample;

/** Status, content type and body of an HTTP answer. */
public final class Reply {
    final int status;
    final String type;
    final String body;

    private Reply(int status, String type, String body) {
        this.status = status;
        this.type = type;
        this.body = body;
    }

    public static Reply text(int status, String body) {
        return new Reply(status, "text/plain; charset=utf-8", body);
    }

    public static Reply json(int status, String body) {
        return new Reply(status, "application/json", body);
    }

    public static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** An exception as one line, so a reason never spans lines. */
    public static String oneLine(Throwable e) {
        // HttpClient often leaves its own message empty and wraps the reason in a cause.
        Throwable reason = e;
        while (reason.getMessage() == null && reason.getCause() != null) {
            reason = reason.getCause();
        }
        String line = e.getClass().getSimpleName();
        if (reason.getClass() != e.getClass()) {
            line += ": " + reason.getClass().getSimpleName();
        }
        if (reason.getMessage() != null) {
            line += ": " + reason.getMessage();
        }
        return line.replaceAll("[\\r\\n]+", " ");
    }
}
