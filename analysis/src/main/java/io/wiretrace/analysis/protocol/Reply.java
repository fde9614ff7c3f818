package io.wiretrace.analysis.protocol;

/**
 * What the agent answers a command with: an exit code (0 ok, 1 failed, 2 usage error, the CLI's
 * codes) and the text to print. The CLI reads it from the reply file: the code on the first
 * line, the text after it.
 */
public final class Reply {
    public final int code;
    public final String text;

    public Reply(int code, String text) {
        this.code = code;
        this.text = text;
    }

    public static Reply ok(String text) {
        return new Reply(0, text);
    }

    public static Reply failed(String text) {
        return new Reply(1, text);
    }

    public static Reply usage(String text) {
        return new Reply(2, text);
    }

    public String format() {
        return code + "\n" + text;
    }

    public static Reply parse(String s) {
        int nl = s.indexOf('\n');
        String first = (nl < 0 ? s : s.substring(0, nl)).trim();
        return new Reply(Integer.parseInt(first), nl < 0 ? "" : s.substring(nl + 1));
    }
}
