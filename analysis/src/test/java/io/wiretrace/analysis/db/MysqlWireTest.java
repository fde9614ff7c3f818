package io.wiretrace.analysis.db;

import static io.wiretrace.analysis.db.Bytes.concat;
import static io.wiretrace.analysis.db.Bytes.my;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MysqlWireTest {
    private static final int DEPRECATE_EOF = 1 << 24;
    private static final int PROTOCOL_41 = 0x200;

    static byte[] greeting(int caps) {
        return my(0, new Bytes().u8(10).cstring("10.11.19-MariaDB").le(42, 4).text("abcdefgh").u8(0)
                .le(caps & 0xFFFF, 2).u8(45).le(2, 2).le(caps >>> 16, 2).u8(21).bytes(new byte[10])
                .text("ijklmnopqrst").u8(0).cstring("mysql_native_password"));
    }

    static byte[] login(int caps, boolean ssl) {
        Bytes b = new Bytes().le(caps, 4).le(1 << 24, 4).u8(45).bytes(new byte[23]);
        if (!ssl) {
            b.cstring("bob").u8(20).bytes(new byte[20]).cstring("shop");
        }
        return my(1, b);
    }

    static final byte[] OK = my(2, new Bytes().u8(0, 0, 0).le(2, 2).le(0, 2));

    private static void client(MysqlWire w, byte[] b, int way) {
        Bytes.feed(b, way, (d, r) -> w.fromClient(d, r[0], r[1]));
    }

    private static void server(MysqlWire w, byte[] b, int way) {
        Bytes.feed(b, way, (d, r) -> w.fromServer(d, r[0], r[1]));
    }

    private static byte[] column(int seq, String name) {
        return my(seq, new Bytes().u8(3).text("def").u8(0, 0, 0).u8(name.length()).text(name).u8(0).u8(0x0c)
                .le(45, 2).le(11, 4).u8(3).le(0, 2).u8(0).u8(0, 0));
    }

    private static byte[] eof(int seq, int status) {
        return my(seq, new Bytes().u8(0xfe).le(0, 2).le(status, 2));
    }

    /** The terminator of a result set: EOF, or with CLIENT_DEPRECATE_EOF an OK with the 0xfe header. */
    private static byte[] end(int seq, boolean deprecate, int status) {
        return deprecate ? my(seq, new Bytes().u8(0xfe, 0, 0).le(status, 2).le(0, 2)) : eof(seq, status);
    }

    @ParameterizedTest
    @CsvSource({"true,0", "true,1", "true,2", "false,0", "false,2"})
    void queriesResultSetsErrorsAndPipelinedPrepares(boolean deprecate, int way) {
        int caps = PROTOCOL_41 | (deprecate ? DEPRECATE_EOF : 0);
        byte[] greeting = greeting(caps);
        assertTrue(MysqlWire.isGreeting(greeting, 0, greeting.length));
        assertTrue(MysqlWire.isGreeting(greeting, 0, 4), "its header alone, as Connector/J may read it");
        MysqlWire w = new MysqlWire();
        server(w, greeting, way);
        client(w, login(caps, false), way);
        server(w, OK, way);
        assertEquals(0, w.begun, "the login is no round trip");

        client(w, my(0, new Bytes().u8(3).text("SELECT sleep(0.4), 'secret' FROM t")), way);
        assertEquals(1, w.begun);
        assertEquals("SELECT sleep(?), ? FROM t", w.statement);
        server(w, concat(my(1, new Bytes().u8(2)), column(2, "a"), column(3, "b")), way);
        if (!deprecate) {
            server(w, eof(4, 0), way);
        }
        server(w, concat(my(5, new Bytes().u8(1).text("0").u8(1).text("x")), my(6, new Bytes().u8(1).text("1").u8(1).text("y"))), way);
        assertTrue(w.open());
        server(w, end(7, deprecate, 2), way);
        assertFalse(w.open());
        assertEquals(2, w.rows);

        client(w, my(0, new Bytes().u8(3).text("UPDATE t SET a = 1 WHERE b = 'secret'")), way);
        server(w, my(1, new Bytes().u8(0).u8(3).u8(0).le(2, 2).le(0, 2)), way);
        assertFalse(w.open());
        assertEquals(3, w.rows);
        assertEquals("UPDATE t SET a = ? WHERE b = ?", w.statement);

        client(w, my(0, new Bytes().u8(3).text("SELECT * FROM nope")), way);
        server(w, my(1, new Bytes().u8(0xff).le(1146, 2).text("#42S02Table 'shop.nope' doesn't exist")), way);
        assertFalse(w.open());
        assertEquals("1146", w.error);

        // the MariaDB driver's pipelining: a prepare and an execute of statement -1 in one write
        client(w, concat(my(0, new Bytes().u8(0x16).text("SELECT a FROM t WHERE id = ?")),
                my(0, new Bytes().u8(0x17).le(0xFFFFFFFFL, 4).u8(0).le(1, 4).u8(0).u8(1).u8(3, 0).le(7, 4))), way);
        assertEquals(5, w.begun);
        assertEquals("SELECT a FROM t WHERE id = ?", w.statement);
        assertEquals(2, w.statements);
        // prepare: OK (id 5, 1 column, 1 parameter), the parameter, [EOF], the column, [EOF]
        server(w, concat(my(1, new Bytes().u8(0).le(5, 4).le(1, 2).le(1, 2).u8(0).le(0, 2)), column(2, "?")), way);
        if (!deprecate) {
            server(w, eof(3, 2), way);
        }
        server(w, column(4, "a"), way);
        if (!deprecate) {
            server(w, eof(5, 2), way);
        }
        assertTrue(w.open(), "the execute's answer is to come");
        server(w, concat(my(1, new Bytes().u8(1)), column(2, "a")), way);
        if (!deprecate) {
            server(w, eof(3, 0), way);
        }
        server(w, concat(my(4, new Bytes().u8(0, 0, 1).text("x")), end(5, deprecate, 2)), way);
        assertFalse(w.open());
        assertEquals(1, w.rows);

        // the prepared statement again, by its id
        client(w, my(0, new Bytes().u8(0x17).le(5, 4).u8(0).le(1, 4).u8(0).u8(1).u8(3, 0).le(8, 4)), way);
        assertEquals("SELECT a FROM t WHERE id = ?", w.statement);
        server(w, my(1, new Bytes().u8(0xff).le(1205, 2).text("#HY000Lock wait timeout exceeded")), way);
        assertEquals("1205", w.error);
        assertEquals(w.begun, w.ended);
        assertNull(w.lost);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void moreResultsKeepTheRoundTripOpen(int way) {
        int caps = PROTOCOL_41 | DEPRECATE_EOF;
        MysqlWire w = new MysqlWire();
        server(w, greeting(caps), way);
        client(w, login(caps, false), way);
        server(w, OK, way);
        client(w, my(0, new Bytes().u8(3).text("CALL two_results()")), way);
        server(w, concat(my(1, new Bytes().u8(1)), column(2, "a"), my(3, new Bytes().u8(1).text("1")), end(4, true, 0x0008 | 2)), way);
        assertTrue(w.open(), "another result set follows");
        server(w, my(5, new Bytes().u8(0).u8(0).u8(0).le(2, 2).le(0, 2)), way);
        assertFalse(w.open());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void aPooledConnectionOpenedBeforeIsReadFromAWholeCommand(int way) {
        byte[] query = my(0, new Bytes().u8(3).text("SELECT SLEEP(0.4)"));
        MysqlWire w = MysqlWire.midStream(query, 0, query.length);
        client(w, query, way);
        assertEquals("SELECT SLEEP(?)", w.statement);
        server(w, concat(my(1, new Bytes().u8(1)), column(2, "a"), my(3, new Bytes().u8(1).text("0")), end(4, true, 2)), way);
        assertFalse(w.open());
        assertEquals(1, w.rows);
        // MySQL 8's query attributes: their count comes before the text
        byte[] attributes = my(0, new Bytes().u8(3, 0, 1).text("SELECT 1"));
        MysqlWire a = MysqlWire.midStream(attributes, 0, attributes.length);
        client(a, attributes, way);
        assertEquals("SELECT ?", a.statement);
        byte[] notMysql = "GET / HTTP/1.1\r\n\r\n".getBytes();
        assertNull(MysqlWire.midStream(notMysql, 0, notMysql.length));
        byte[] half = java.util.Arrays.copyOf(query, query.length - 1);
        assertNull(MysqlWire.midStream(half, 0, half.length), "not a whole command");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void anSslRequestHandsOverToTls(int way) {
        int caps = PROTOCOL_41 | 0x800;
        MysqlWire w = new MysqlWire();
        server(w, greeting(caps), way);
        client(w, login(caps, true), way);
        assertEquals("TLS began", w.lost);
        assertFalse(MysqlWire.isGreeting("HTTP/1.1 200 OK\r\n".getBytes(), 0, 17));
        assertFalse(MysqlWire.isGreeting("SSH-2.0-OpenSSH\r\n".getBytes(), 0, 4));
        assertFalse(MysqlWire.isGreeting("220 smtp ready\r\n".getBytes(), 0, 4));
    }
}
