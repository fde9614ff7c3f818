package io.wiretrace.analysis.db;

import java.util.Locale;

/**
 * Redis's protocol (RESP 2 and 3), as Jedis, Lettuce and Redisson speak it: each command is an
 * array of bulk strings, answered by one value; commands may be pipelined, a round trip ends when
 * every command sent has its answer. Only a command's name is recorded (its first word, e.g.
 * {@code GET}): keys and values are never looked at. Pushes (RESP 3) and the messages of a
 * subscription answer no command and are skipped.
 */
public final class RespWire extends Wire {
    private final Values client = new Values(true);
    private final Values server = new Values(false);
    private int awaited;

    @Override
    public String system() {
        return REDIS;
    }

    /** Whether a client's first bytes are a RESP command: {@code *N\r\n$L\r\n} and a name. */
    public static boolean isCommand(Object data, int offset, int n) {
        if (n < 8 || Wire.at(data, offset) != '*') {
            return false;
        }
        int i = 1;
        while (i < n && i < 8 && Wire.at(data, offset + i) >= '0' && Wire.at(data, offset + i) <= '9') {
            i++;
        }
        return i > 1 && i + 2 < n && Wire.at(data, offset + i) == '\r' && Wire.at(data, offset + i + 1) == '\n'
                && Wire.at(data, offset + i + 2) == '$';
    }

    @Override
    public void fromClient(Object data, int offset, int n) {
        if (lost == null && !client.feed(data, offset, n)) {
            lose("not Redis's protocol");
        }
    }

    @Override
    public void fromServer(Object data, int offset, int n) {
        if (lost == null && !server.feed(data, offset, n)) {
            lose("not Redis's protocol");
        }
    }

    /** One direction's values, read as they come: lines, bulk bodies skipped by length, aggregates by count. */
    private final class Values {
        final boolean commands;
        final byte[] line = new byte[64];
        int lineHave;
        boolean lineCut;
        long skip;
        /** Elements left of each open aggregate, innermost last. */
        final long[] left = new long[16];
        int depth;
        /** The value being read is a command's name (the first bulk string of a command), or the next bulk string will be. */
        boolean name;
        boolean expectName;
        /** The top-level value is a push, or an attribute precedes the value: not an answer. */
        boolean push;

        Values(boolean commands) {
            this.commands = commands;
        }

        boolean feed(Object data, int offset, int n) {
            int i = offset;
            int end = offset + n;
            while (i < end) {
                if (skip > 0) {
                    int k = (int) Math.min(skip, end - i);
                    if (name && commands) {
                        int keep = (int) Math.min(k, Math.max(0, Math.min(line.length - lineHave, skip - 2)));
                        copy(data, i, line, lineHave, keep);
                        lineHave += keep;
                    }
                    skip -= k;
                    i += k;
                    if (skip == 0) {
                        if (name && commands) {
                            command(new String(line, 0, lineHave, java.nio.charset.StandardCharsets.US_ASCII));
                            name = false;
                        }
                        lineHave = 0;
                        element();
                    }
                    continue;
                }
                int b = Wire.at(data, i++);
                if (b == '\n') {
                    if (!line()) {
                        return false;
                    }
                    lineHave = 0;
                    lineCut = false;
                } else if (lineHave < line.length) {
                    line[lineHave++] = (byte) b;
                } else {
                    lineCut = true;
                }
            }
            return true;
        }

        /** A line ended (its CR kept last). */
        private boolean line() {
            if (!lineCut && (lineHave < 2 || line[lineHave - 1] != '\r')) {
                return false; // a long simple string or error is cut, its end not kept
            }
            int textEnd = lineCut ? lineHave : lineHave - 1;
            int type = line[0] & 0xFF;
            long v = number();
            switch (type) {
                case '+':
                case ':':
                case ',':
                case '#':
                case '_':
                case '(':
                    element();
                    return true;
                case '-':
                    if (!commands && depth == 0 && open()) {
                        String s = new String(line, 1, textEnd - 1, java.nio.charset.StandardCharsets.US_ASCII);
                        int sp = s.indexOf(' ');
                        error = error == null ? (sp > 0 ? s.substring(0, sp) : s) : error;
                    }
                    element();
                    return true;
                case '$':
                case '!':
                case '=':
                    if (v < -1 || lineCut) {
                        return false;
                    }
                    if (v == -1) {
                        element();
                        return true;
                    }
                    name = commands && depth == 1 && expectName;
                    expectName = false;
                    skip = v + 2;
                    lineHave = 0;
                    return true;
                case '*':
                case '~':
                case '>':
                case '%':
                case '|':
                    if (v < -1 || lineCut) {
                        return false;
                    }
                    if (depth == 0 && (type == '>' || type == '|')) {
                        push = true;
                    }
                    long count = type == '%' || type == '|' ? v * 2 : v;
                    if (count <= 0) {
                        element();
                        return true;
                    }
                    if (depth == left.length) {
                        return false;
                    }
                    left[depth++] = count;
                    expectName = commands && depth == 1;
                    return true;
                default:
                    return false; // inline commands are not read
            }
        }

        /** One value ended: the aggregates it completes end too; a whole top-level value is a command or an answer. */
        private void element() {
            while (depth > 0) {
                if (--left[depth - 1] > 0) {
                    return;
                }
                depth--;
            }
            if (commands) {
                return;
            }
            if (push) {
                push = false;
                return;
            }
            if (awaited > 0 && --awaited == 0) {
                ended = begun;
            }
        }

        private long number() {
            long v = 0;
            boolean negative = false;
            for (int k = 1; k < lineHave - 1; k++) {
                int c = line[k];
                if (c == '-' && k == 1) {
                    negative = true;
                } else if (c >= '0' && c <= '9' && v < Long.MAX_VALUE / 10) {
                    v = v * 10 + c - '0';
                } else {
                    return Long.MIN_VALUE;
                }
            }
            return negative ? -v : v;
        }

        private void command(String name) {
            awaited++;
            begin(name.toUpperCase(Locale.ROOT));
        }
    }
}
