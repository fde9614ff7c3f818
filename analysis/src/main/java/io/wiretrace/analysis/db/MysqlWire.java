package io.wiretrace.analysis.db;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MySQL's client/server protocol, as MySQL Connector/J and the MariaDB driver speak it to MySQL
 * and MariaDB. The server speaks first (its greeting gives its capabilities); the client's answer
 * gives the client's, and whether TLS follows (its plaintext is then read from its own start by
 * another reader). After authentication each command the client sends (a packet with sequence 0)
 * is a round trip, answered by an OK, an ERR, or result sets — column count, column definitions,
 * rows, and an EOF or OK that ends them, another following while its status says more results
 * exist. COM_STMT_PREPARE's text is kept by the statement id its answer gives, so an execute
 * names it (an id of -1 is the statement just prepared, as the MariaDB driver pipelines them).
 */
public final class MysqlWire extends Wire {
    static final int MAX_TEXT = 8192;
    private static final int CLIENT_SSL = 0x800;
    private static final int CLIENT_DEPRECATE_EOF = 1 << 24;
    private static final int CLIENT_QUERY_ATTRIBUTES = 1 << 27;
    private static final int MORE_RESULTS = 0x0008;
    private static final int COM_QUIT = 0x01;
    private static final int COM_QUERY = 0x03;
    private static final int COM_STMT_PREPARE = 0x16;
    private static final int COM_STMT_EXECUTE = 0x17;
    private static final int COM_STMT_SEND_LONG_DATA = 0x18;
    private static final int COM_STMT_CLOSE = 0x19;

    // the phases of a connection
    private static final int GREETING = 0;
    private static final int LOGIN = 1;
    private static final int AUTH = 2;
    private static final int COMMANDS = 3;
    // what the server's next packet of a round trip is
    private static final int FIRST = 0;
    private static final int COLUMNS = 1;
    private static final int COLUMNS_EOF = 2;
    private static final int ROWS = 3;
    private static final int PREPARE_PARAMS = 4;
    private static final int PREPARE_PARAMS_EOF = 5;
    private static final int PREPARE_COLUMNS = 6;
    private static final int PREPARE_COLUMNS_EOF = 7;

    private final Client client = new Client();
    private final Server server = new Server();
    private int phase;
    private int serverCaps;
    private int caps;
    private boolean deprecateEof;
    /** Commands sent whose answers have not all come, oldest first (the MariaDB driver pipelines them). */
    private final int[] commands = new int[16];
    private final String[] texts = new String[16];
    private int oldest;
    private int pending;
    private int expect;
    private long count;
    private long prepareColumns;
    /** The statement last sent to be prepared: what an execute of statement -1 runs. */
    private String lastPrepared;
    private final Map<Long, String> prepared = new LinkedHashMap<Long, String>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
            return size() > 256;
        }
    };

    public MysqlWire() {
    }

    /** Reads the plaintext of a connection whose greeting {@code before} read, once TLS began: the login comes first. */
    public MysqlWire(MysqlWire before) {
        serverCaps = before.serverCaps;
        phase = LOGIN;
    }

    @Override
    public String system() {
        return MYSQL;
    }

    /**
     * A reader for a connection whose start was not seen, if {@code data} (a client write) is whole
     * commands (packets of sequence 0 that fill it, each a query, a prepare, an execute or a ping)
     * with a query's text readable; else null. The capabilities are not known: the answers are
     * read as MySQL 5.7 and MariaDB 10.2 and later send them to the drivers of today (no EOF after
     * the column definitions), and query attributes, if a query begins with their count.
     */
    public static MysqlWire midStream(Object data, int offset, int n) {
        int i = 0;
        boolean attributes = false;
        while (i < n) {
            if (n - i < 5) {
                return null;
            }
            int length = Wire.at(data, offset + i) | (Wire.at(data, offset + i + 1) << 8) | (Wire.at(data, offset + i + 2) << 16);
            int cmd = Wire.at(data, offset + i + 4);
            if (Wire.at(data, offset + i + 3) != 0 || length < 1 || length > n - i - 4) {
                return null;
            }
            if (cmd == COM_QUERY || cmd == COM_STMT_PREPARE) {
                int t = offset + i + 5;
                if (cmd == COM_QUERY && length >= 4 && Wire.at(data, t) == 0 && Wire.at(data, t + 1) == 1) {
                    attributes = true;
                    t += 2;
                }
                int first = t < offset + n ? Wire.at(data, t) : 0;
                if (!(first >= 0x20 && first < 0x7f) && first != '\n' && first != '\t' && first != '\r') {
                    return null;
                }
            } else if (cmd != COM_STMT_EXECUTE && cmd != 0x0e && cmd != COM_STMT_CLOSE && cmd != 0x1a) {
                return null;
            }
            i += 4 + length;
        }
        MysqlWire w = new MysqlWire();
        w.phase = COMMANDS;
        w.deprecateEof = true;
        if (attributes) {
            w.caps = CLIENT_QUERY_ATTRIBUTES;
            w.serverCaps = CLIENT_QUERY_ATTRIBUTES;
        }
        return w; // the caller feeds it the commands
    }

    /**
     * Whether a server's first bytes are a MySQL greeting: a packet of sequence 0 whose body is
     * protocol 10 and a printable version (ended by a NUL, or cut where the read ended). Four
     * bytes alone, a header of that kind, count too: MySQL Connector/J reads no more when the
     * greeting has not all arrived. (No server of HTTP speaks first.)
     */
    public static boolean isGreeting(Object data, int offset, int n) {
        if (n < 4) {
            return false;
        }
        long length = Wire.at(data, offset) | (Wire.at(data, offset + 1) << 8) | (Wire.at(data, offset + 2) << 16);
        if (Wire.at(data, offset + 3) != 0 || length < 6 || length > 1024) {
            return false;
        }
        if (n == 4) {
            return true;
        }
        if (Wire.at(data, offset + 4) != 10) {
            return false;
        }
        for (int i = 5; i < n && i < 4 + length; i++) {
            int b = Wire.at(data, offset + i);
            if (b == 0) {
                return i > 5;
            }
            if (b < 0x20 || b > 0x7e) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void fromClient(Object data, int offset, int n) {
        if (lost == null && !client.feed(data, offset, n)) {
            lose("not MySQL's protocol");
        }
    }

    @Override
    public void fromServer(Object data, int offset, int n) {
        if (lost == null && !server.feed(data, offset, n)) {
            lose("not MySQL's protocol");
        }
    }

    /** Packets: a 3-byte length (little-endian) and a sequence number. A 16 MiB packet continues in the next. */
    private abstract static class Packets extends Framed {
        int sequence;
        boolean continued;
        boolean continuation;
        long length;

        @Override
        int headLength() {
            return 4;
        }

        @Override
        long bodyLength() {
            length = (head[0] & 0xFF) | ((head[1] & 0xFF) << 8) | ((head[2] & 0xFF) << 16);
            sequence = head[3] & 0xFF;
            continuation = continued;
            continued = length == 0xFFFFFF;
            return length;
        }

        @Override
        final int want(long length) {
            return continuation ? 0 : keep(length);
        }

        abstract int keep(long length);

        @Override
        final void message() {
            if (!continuation) {
                packet();
            }
        }

        abstract void packet();

        /** A length-encoded integer at {@code i} of the kept body; -1 if it is not there. */
        long lenenc(int i) {
            if (i >= bodyHave) {
                return -1;
            }
            int b = u8(i);
            if (b < 0xfb) {
                return b;
            }
            int size = b == 0xfc ? 2 : b == 0xfd ? 3 : b == 0xfe ? 8 : -1;
            if (size < 0 || i + size >= bodyHave) {
                return -1;
            }
            long v = 0;
            for (int k = size; k >= 1; k--) {
                v = (v << 8) | u8(i + k);
            }
            return v;
        }

        static int lenencSize(int first) {
            return first < 0xfb ? 1 : first == 0xfc ? 3 : first == 0xfd ? 4 : first == 0xfe ? 9 : 1;
        }

        int u16(int i) {
            return i + 1 < bodyHave ? u8(i) | (u8(i + 1) << 8) : 0;
        }

        long u32(int i) {
            return i + 3 < bodyHave ? (u8(i) | (u8(i + 1) << 8) | (u8(i + 2) << 16) | ((long) u8(i + 3) << 24)) : -1;
        }
    }

    private final class Client extends Packets {
        @Override
        int keep(long length) {
            return phase == COMMANDS ? MAX_TEXT + 16 : 36;
        }

        @Override
        void packet() {
            if (phase == LOGIN) {
                caps = (int) u32(0);
                deprecateEof = (caps & serverCaps & CLIENT_DEPRECATE_EOF) != 0;
                if ((caps & CLIENT_SSL) != 0 && length == 32) {
                    lose("TLS began"); // an SSL request: the login follows in TLS
                    return;
                }
                phase = AUTH;
                return;
            }
            if (phase != COMMANDS || sequence != 0 || bodyHave == 0) {
                return; // authentication data, or a long packet's continuation
            }
            int cmd = u8(0);
            switch (cmd) {
                case COM_QUIT:
                case COM_STMT_CLOSE:
                case COM_STMT_SEND_LONG_DATA:
                    return; // no answer comes
                case COM_QUERY:
                    command(cmd, queryText());
                    return;
                case COM_STMT_PREPARE:
                    lastPrepared = Sql.normalize(text(1), false);
                    command(cmd, lastPrepared);
                    return;
                case COM_STMT_EXECUTE: {
                    long id = u32(1);
                    command(cmd, id == 0xFFFFFFFFL ? lastPrepared : prepared.get(id));
                    return;
                }
                default:
                    command(cmd, null);
            }
        }

        /** COM_QUERY's text; with query attributes, after their count (none: the text follows at once). */
        private String queryText() {
            int i = 1;
            if ((caps & serverCaps & CLIENT_QUERY_ATTRIBUTES) != 0) {
                long params = lenenc(i);
                if (params != 0) {
                    return null; // attributes with values: not read
                }
                i += 1;
                i += lenencSize(u8(i)); // the parameter set count
            }
            return Sql.normalize(text(i), false);
        }

        private String text(int from) {
            return from >= bodyHave ? "" : new String(body, from, bodyHave - from, java.nio.charset.StandardCharsets.UTF_8);
        }

        private void command(int cmd, String text) {
            if (pending == commands.length) {
                lose("over " + commands.length + " commands awaiting answers");
                return;
            }
            if (pending == 0) {
                expect = FIRST;
            }
            int k = (oldest + pending) % commands.length;
            commands[k] = cmd;
            texts[k] = text;
            pending++;
            begin(text);
        }
    }

    private final class Server extends Packets {
        @Override
        int keep(long length) {
            return phase == GREETING ? 256 : 64;
        }

        @Override
        void packet() {
            switch (phase) {
                case GREETING:
                    greeting();
                    return;
                case LOGIN:
                    return;
                case AUTH:
                    if (bodyHave > 0 && u8(0) == 0x00) {
                        phase = COMMANDS;
                    } else if (bodyHave > 0 && u8(0) == 0xff) {
                        lose("the login failed");
                    }
                    return;
                default:
                    if (pending > 0 && bodyHave > 0) {
                        answer();
                    }
            }
        }

        private void greeting() {
            if (bodyHave < 1 || u8(0) != 10) {
                lose("not MySQL's protocol 10");
                return;
            }
            int i = skipCString(1) + 4 + 8 + 1; // version, thread id, auth data, filler
            serverCaps = u16(i) | (u16(i + 5) << 16);
            phase = LOGIN;
        }

        private void answer() {
            int first = u8(0);
            switch (expect) {
                case FIRST:
                    if (first == 0xff) {
                        error = error == null ? String.valueOf(u16(1)) : error;
                        done();
                    } else if (first == 0x00 && commands[oldest] == COM_STMT_PREPARE) {
                        long id = u32(1);
                        String text = texts[oldest];
                        if (text != null) {
                            prepared.put(id, text);
                        }
                        prepareColumns = u16(5);
                        count = u16(7);
                        expect = count > 0 ? PREPARE_PARAMS : PREPARE_COLUMNS;
                        if (count == 0) {
                            count = prepareColumns;
                            prepareEnd();
                        }
                    } else if (first == 0x00) {
                        ok(1);
                    } else if (first == 0xfb) {
                        lose("LOCAL INFILE"); // the client sends a file: not followed
                    } else {
                        count = lenenc(0);
                        expect = COLUMNS;
                        if (count <= 0) {
                            lose("not MySQL's protocol");
                        }
                    }
                    return;
                case COLUMNS:
                    if (--count == 0) {
                        expect = deprecateEof ? ROWS : COLUMNS_EOF;
                        count = 0;
                    }
                    return;
                case COLUMNS_EOF:
                    expect = ROWS;
                    return;
                case ROWS:
                    if (first == 0xff) {
                        error = error == null ? String.valueOf(u16(1)) : error;
                        done();
                    } else if (first == 0xfe && length < 0xFFFFFF && (deprecateEof || length < 9)) {
                        addRows(count);
                        count = 0;
                        int status = deprecateEof ? okStatus(1) : u16(3);
                        if ((status & MORE_RESULTS) != 0) {
                            expect = FIRST;
                        } else {
                            done();
                        }
                    } else {
                        count++;
                    }
                    return;
                case PREPARE_PARAMS:
                    if (--count == 0) {
                        if (deprecateEof) {
                            prepareColumnsNext();
                        } else {
                            expect = PREPARE_PARAMS_EOF;
                        }
                    }
                    return;
                case PREPARE_PARAMS_EOF:
                    prepareColumnsNext();
                    return;
                case PREPARE_COLUMNS:
                    if (--count == 0) {
                        if (deprecateEof) {
                            done();
                        } else {
                            expect = PREPARE_COLUMNS_EOF;
                        }
                    }
                    return;
                default: // PREPARE_COLUMNS_EOF
                    done();
            }
        }

        private void prepareColumnsNext() {
            count = prepareColumns;
            expect = PREPARE_COLUMNS;
            prepareEnd();
        }

        /** A prepare's answer with no (more) column definitions to come ends here. */
        private void prepareEnd() {
            if (count == 0) {
                done();
            }
        }

        /** An OK packet (from {@code i}: affected rows, last insert id, status). */
        private void ok(int i) {
            addRows(Math.max(0, lenenc(i)));
            if ((okStatus(i) & MORE_RESULTS) != 0) {
                expect = FIRST;
            } else {
                done();
            }
        }

        private int okStatus(int i) {
            int j = i + (i < bodyHave ? lenencSize(u8(i)) : 1);
            j += j < bodyHave ? lenencSize(u8(j)) : 1;
            return u16(j);
        }

        /** One command is answered; the round trip ends when all sent are. */
        private void done() {
            expect = FIRST;
            count = 0;
            texts[oldest] = null;
            oldest = (oldest + 1) % commands.length;
            if (--pending == 0) {
                ended = begun;
            }
        }
    }
}
