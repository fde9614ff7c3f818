package io.wiretrace.analysis.redact;

/** Text from elsewhere (the network, another process) made harmless for a terminal. */
public final class Terminal {
    private Terminal() {
    }

    /**
     * {@code text} with each control character but the newline (C0, DEL, C1: a terminal's escape
     * sequences, a carriage return that overwrites a line) and each bidirectional override as
     * {@code ?}.
     */
    public static String printable(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\n' && (c < 0x20 || c >= 0x7f && c <= 0x9f || c >= 0x202a && c <= 0x202e
                    || c >= 0x2066 && c <= 0x2069)) {
                if (b == null) {
                    b = new StringBuilder(text.length()).append(text, 0, i);
                }
                b.append('?');
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? text : b.toString();
    }

    /** {@link #printable} for one line: a newline is a {@code ?} too. */
    public static String line(String text) {
        return text == null ? null : printable(text).replace('\n', '?');
    }
}
