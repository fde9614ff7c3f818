package io.wiretrace.analysis.db;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PostgreSQL's protocol (version 3), as pgjdbc, libpq and R2DBC speak it. A round trip is what the
 * client sends up to a message the server answers with ReadyForQuery — a simple Query, or the
 * Sync that ends an extended-protocol batch (Parse, Bind, Describe, Execute) — and it ends with
 * that ReadyForQuery. Its statement is the Query's text or the Parse's; a Bind of a statement
 * prepared in an earlier round trip names it from the statements this connection prepared (the
 * last 256 kept). CommandComplete gives the rows, ErrorResponse the SQLSTATE.
 *
 * <p>Read from the connection's start, the startup packet and the authentication come first; an
 * SSLRequest that the server accepts hands the connection to TLS (its plaintext is read from its
 * own start by another reader). {@link #midStream} reads a connection whose start was not seen,
 * from a client write that is a whole batch.
 */
public final class PgWire extends Wire {
    /** Statement text kept at most (it is cut before normalising). */
    static final int MAX_TEXT = 8192;
    private static final int SSL_REQUEST = 80877103;
    private static final int GSS_REQUEST = 80877104;
    private static final int CANCEL_REQUEST = 80877102;
    private static final int V3 = 196608;

    private final Client client = new Client();
    private final Server server = new Server();
    /** The server's one-byte answer to an SSLRequest or GSSENCRequest is due. */
    private boolean answerDue;
    /** Round trips can begin: the startup is over (the first ReadyForQuery), or the start was not seen. */
    private boolean ready;
    /** ReadyForQuery answers awaited. */
    private int awaited;
    private final Map<String, String> prepared = new LinkedHashMap<String, String>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 256;
        }
    };
    private String unnamed;

    /** Reads a connection from its start (its first client bytes are a startup packet or a request for TLS). */
    public PgWire() {
        client.startup = true;
    }

    private PgWire(boolean ready) {
        this.ready = ready;
    }

    @Override
    public String system() {
        return POSTGRESQL;
    }

    /** Whether the client's first bytes on a connection are PostgreSQL's: a startup packet, or a request for TLS. */
    public static boolean isStart(Object data, int offset, int n) {
        if (n < 8) {
            return false;
        }
        long length = int32(data, offset);
        int code = (int) int32(data, offset + 4);
        return (length == 8 && (code == SSL_REQUEST || code == GSS_REQUEST)) || (length == 16 && code == CANCEL_REQUEST)
                || (code == V3 && length >= 8 && length < 10_000);
    }

    /**
     * A reader for a connection whose start was not seen, if {@code data} (a client write) is
     * a whole batch of PostgreSQL messages that ends with a Sync or is one Query; else null. The
     * batch is not fed to it.
     */
    public static PgWire midStream(Object data, int offset, int n) {
        int i = 0;
        int last = 0;
        while (i < n) {
            if (n - i < 5) {
                return null;
            }
            int type = Wire.at(data, offset + i);
            long length = int32(data, offset + i + 1);
            if ("PBDESCHQ".indexOf(type) < 0 || length < 4 || length > n - i - 1) {
                return null;
            }
            last = type;
            i += 1 + (int) length;
        }
        if (last != 'S' && !(last == 'Q' && Wire.at(data, offset + n - 1) == 0)) {
            return null;
        }
        return new PgWire(true); // the caller feeds it the batch
    }

    @Override
    public void fromClient(Object data, int offset, int n) {
        if (lost == null && !client.feed(data, offset, n)) {
            lose("not PostgreSQL's protocol");
        }
    }

    @Override
    public void fromServer(Object data, int offset, int n) {
        if (lost != null || n <= 0) {
            return;
        }
        if (answerDue) {
            answerDue = false;
            int answer = Wire.at(data, offset);
            if (answer == 'S' || answer == 'G') {
                lose("TLS began"); // its plaintext starts anew
                return;
            }
            if (answer != 'N') {
                lose("not PostgreSQL's protocol");
                return;
            }
            client.startup = true; // the startup packet follows, in the clear
            offset++;
            n--;
        }
        if (!server.feed(data, offset, n)) {
            lose("not PostgreSQL's protocol");
        }
    }

    static long int32(Object data, int i) {
        return ((long) Wire.at(data, i) << 24) | (Wire.at(data, i + 1) << 16) | (Wire.at(data, i + 2) << 8) | Wire.at(data, i + 3);
    }

    private final class Client extends Framed {
        /** The next message is a startup packet (no type byte). */
        boolean startup;
        int type;

        @Override
        int headLength() {
            return startup ? 4 : 5;
        }

        @Override
        long bodyLength() {
            long length = startup ? int32(head, 0) : int32(head, 1);
            type = startup ? 0 : head[0] & 0xFF;
            return length < 4 || length > 1 << 30 ? -1 : length - 4;
        }

        @Override
        int want(long length) {
            switch (type) {
                case 0:
                    return 4;
                case 'Q':
                case 'P':
                    return MAX_TEXT + 256;
                case 'B':
                    return 256;
                default:
                    return 0;
            }
        }

        @Override
        void message() {
            if (type == 0) {
                startup = false;
                int code = bodyHave >= 4 ? (int) int32(body, 0) : 0;
                if (code == SSL_REQUEST || code == GSS_REQUEST) {
                    answerDue = true;
                } else if (code == CANCEL_REQUEST) {
                    lose("a cancel request");
                } else if (code != V3) {
                    lose("not PostgreSQL's protocol 3");
                }
                return;
            }
            if (!ready) {
                return; // authentication
            }
            switch (type) {
                case 'Q':
                    begin(Sql.normalize(cString(0), true));
                    awaited++;
                    break;
                case 'P': {
                    String name = cString(0);
                    String text = Sql.normalize(cString(skipCString(0)), true);
                    if (name.isEmpty()) {
                        unnamed = text;
                    } else {
                        prepared.put(name, text);
                    }
                    statement(text);
                    break;
                }
                case 'B': {
                    String name = cString(skipCString(0));
                    statement(name.isEmpty() ? unnamed : prepared.get(name));
                    break;
                }
                case 'S':
                    if (!open()) {
                        begin(null); // a Sync alone
                    }
                    awaited++;
                    break;
                case 'X':
                    break;
                default:
                    if (!open()) {
                        begin(null);
                    }
                    break;
            }
        }

        /** A batch names the first statement it parses or binds; each Execute counts as one. */
        private void statement(String text) {
            if (!open()) {
                begin(text);
            } else if (statement == null) {
                statement = text;
                statements++;
            } else if (type == 'B') {
                statements++;
            }
        }
    }

    private final class Server extends Framed {
        int type;

        @Override
        int headLength() {
            return 5;
        }

        @Override
        long bodyLength() {
            long length = int32(head, 1);
            type = head[0] & 0xFF;
            return length < 4 || length > 1 << 30 ? -1 : length - 4;
        }

        @Override
        int want(long length) {
            switch (type) {
                case 'C':
                case 'E':
                    return 512;
                default:
                    return 0;
            }
        }

        @Override
        void message() {
            switch (type) {
                case 'Z':
                    if (!ready) {
                        ready = true; // the startup is over
                        return;
                    }
                    if (awaited > 0 && --awaited == 0 && open()) {
                        ended = begun;
                    }
                    break;
                case 'C':
                    addRows(tagRows(cString(0)));
                    break;
                case 'E':
                    if (open() && error == null) {
                        error = field('C');
                    }
                    break;
                default:
                    break;
            }
        }

        /** The rows a CommandComplete tag counts ("SELECT 5", "INSERT 0 1", "UPDATE 3"); 0 for others. */
        private long tagRows(String tag) {
            int sp = tag.lastIndexOf(' ');
            if (sp < 0) {
                return 0;
            }
            try {
                return Long.parseLong(tag.substring(sp + 1));
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        /** An ErrorResponse's field of this code (its text), or null. */
        private String field(int code) {
            int i = 0;
            while (i < bodyHave && body[i] != 0) {
                int c = body[i] & 0xFF;
                int end = skipCString(i + 1);
                if (c == code) {
                    return new String(body, i + 1, Math.max(0, end - i - 2), StandardCharsets.UTF_8);
                }
                i = end;
            }
            return null;
        }
    }
}
