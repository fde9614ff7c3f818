package io.wiretrace.analysis.db;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One connection's database protocol, read from the bytes each way in order: which round trips
 * the client began (a query, a batch, a command) and which the server has answered in full, with
 * the statement, the rows and the error of each. The caller feeds the client's bytes as they are
 * written and the server's as they are read (each direction in order, one thread at a time), and
 * looks at the counters after each feed. A message of a kind that tells nothing is skipped by its
 * length; the first bytes of the few that do are kept in a buffer of the direction's own, so a
 * feed allocates nothing but the statement's text, once per round trip. Bytes that do not fit the
 * protocol end the reading ({@link #lost}); nothing is ever guessed.
 */
public abstract class Wire {
    public static final String POSTGRESQL = "postgresql";
    public static final String MYSQL = "mysql";
    public static final String REDIS = "redis";

    /** Round trips the client began, and round trips the server answered in full. */
    public int begun;
    public int ended;
    /** The statement of the round trips open (the first of them, normalised), or null: not known. */
    public String statement;
    /** Statements (queries, commands) in the round trips open. */
    public int statements;
    /** Rows returned or changed by the round trips that ended last; -1: not known. */
    public long rows = -1;
    /** The error the server answered with (an SQLSTATE, a MySQL error number, a Redis error's word), or null. */
    public String error;
    /** Why the reading ended (the bytes left the protocol, or TLS began under it); null while it goes on. */
    public String lost;

    public abstract String system();

    /** The client's next {@code n} bytes, from index {@code offset} of {@code data} (a byte[] or a ByteBuffer, absolute). */
    public abstract void fromClient(Object data, int offset, int n);

    /** The server's next {@code n} bytes, as {@link #fromClient}. */
    public abstract void fromServer(Object data, int offset, int n);

    /** Whether a round trip is open: begun, not yet answered in full. */
    public final boolean open() {
        return begun != ended;
    }

    /** A round trip begins: a new one clears what the last one found; one begun while others are open joins them. */
    protected final void begin(String text) {
        if (!open()) {
            statement = null;
            statements = 0;
            rows = -1;
            error = null;
        }
        if (statement == null) {
            statement = text;
        }
        statements++;
        begun++;
    }

    protected final void addRows(long n) {
        rows = rows < 0 ? n : rows + n;
    }

    /** Ends the reading, for the reason given (the first one stays). */
    public final void lose(String why) {
        if (lost == null) {
            lost = why;
        }
    }

    static int at(Object data, int i) {
        return data instanceof byte[] ? ((byte[]) data)[i] & 0xFF : ((ByteBuffer) data).get(i) & 0xFF;
    }

    static void copy(Object data, int from, byte[] to, int at, int n) {
        if (data instanceof byte[]) {
            System.arraycopy(data, from, to, at, n);
        } else {
            ByteBuffer b = (ByteBuffer) data;
            for (int i = 0; i < n; i++) {
                to[at + i] = b.get(from + i);
            }
        }
    }

    /** One direction's framing: a header of a known length, then a body of the length it gives; the first bytes of wanted bodies kept. */
    abstract static class Framed {
        final byte[] head = new byte[8];
        int headHave;
        boolean inBody;
        long remaining;
        byte[] body = new byte[64];
        int bodyHave;
        int want;

        /** The header's length in this state. */
        abstract int headLength();

        /** The header is complete: the body's length, or -1: not this protocol. */
        abstract long bodyLength();

        /** How many of the body's first bytes to keep (0: none). */
        abstract int want(long length);

        /** The message is complete (its body's first bytes in body[0, bodyHave)). */
        abstract void message();

        /** Feeds bytes; false once they left the protocol. */
        final boolean feed(Object data, int offset, int n) {
            int i = offset;
            int end = offset + n;
            while (i < end) {
                if (!inBody) {
                    int need = headLength();
                    int k = Math.min(need - headHave, end - i);
                    copy(data, i, head, headHave, k);
                    headHave += k;
                    i += k;
                    if (headHave < need) {
                        return true;
                    }
                    long length = bodyLength();
                    if (length < 0) {
                        return false;
                    }
                    headHave = 0;
                    remaining = length;
                    bodyHave = 0;
                    want = (int) Math.min(length, want(length));
                    if (want > body.length) {
                        body = new byte[Math.max(want, body.length * 2)]; // grows to the largest statement kept
                    }
                    inBody = true;
                }
                if (remaining > 0) {
                    int k = (int) Math.min(remaining, end - i);
                    int keep = Math.min(k, want - bodyHave);
                    if (keep > 0) {
                        copy(data, i, body, bodyHave, keep);
                        bodyHave += keep;
                    }
                    remaining -= k;
                    i += k;
                }
                if (remaining == 0) {
                    inBody = false;
                    message();
                }
            }
            return true;
        }

        int u8(int i) {
            return body[i] & 0xFF;
        }

        /** The NUL-ended string at {@code i} of the kept body (to its end if cut), as text. */
        String cString(int i) {
            i = Math.min(i, bodyHave);
            int j = i;
            while (j < bodyHave && body[j] != 0) {
                j++;
            }
            return new String(body, i, j - i, StandardCharsets.UTF_8);
        }

        /** Index after the NUL-ended string at {@code i}; bodyHave + 1 if it does not end in the kept bytes. */
        int skipCString(int i) {
            while (i < bodyHave && body[i] != 0) {
                i++;
            }
            return i + 1;
        }
    }
}
