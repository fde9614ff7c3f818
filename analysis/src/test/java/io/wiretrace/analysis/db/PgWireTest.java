package io.wiretrace.analysis.db;

import static io.wiretrace.analysis.db.Bytes.concat;
import static io.wiretrace.analysis.db.Bytes.pg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PgWireTest {
    static final byte[] STARTUP = startup();
    static final byte[] READY = pg('Z', new Bytes().u8('I'));
    static final byte[] LOGGED_IN = concat(pg('R', new Bytes().int32(0)),
            pg('S', new Bytes().cstring("server_version").cstring("15.8")), pg('K', new Bytes().int32(7).int32(9)), READY);

    private static byte[] startup() {
        byte[] params = new Bytes().cstring("user").cstring("bob").cstring("database").cstring("shop").u8(0).get();
        return new Bytes().int32(8 + params.length).int32(196608).bytes(params).get();
    }

    private static void client(PgWire w, byte[] b, int way) {
        Bytes.feed(b, way, (d, r) -> w.fromClient(d, r[0], r[1]));
    }

    private static void server(PgWire w, byte[] b, int way) {
        Bytes.feed(b, way, (d, r) -> w.fromServer(d, r[0], r[1]));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void simpleAndExtendedQueriesErrorsAndPreparedStatements(int way) {
        assertTrue(PgWire.isStart(STARTUP, 0, STARTUP.length));
        PgWire w = new PgWire();
        client(w, STARTUP, way);
        server(w, pg('R', new Bytes().int32(10).cstring("SCRAM-SHA-256").u8(0)), way);
        client(w, pg('p', new Bytes().cstring("SCRAM-SHA-256").int32(3).text("n,,")), way);
        server(w, LOGGED_IN, way);
        assertEquals(0, w.begun, "the login is no round trip");

        client(w, pg('Q', new Bytes().cstring("select pg_sleep(0.4), 'secret'")), way);
        assertEquals(1, w.begun);
        assertTrue(w.open());
        assertEquals("select pg_sleep($1), $2", w.statement);
        server(w, concat(pg('T', new Bytes().u8(0, 1, 0)), pg('D', new Bytes().u8(0, 1, 0, 0, 0, 0)),
                pg('C', new Bytes().cstring("SELECT 1"))), way);
        assertTrue(w.open(), "until ReadyForQuery");
        server(w, READY, way);
        assertFalse(w.open());
        assertEquals(1, w.rows);
        assertNull(w.error);

        // pgjdbc's batch: Parse (named), Bind, Describe, Execute, Sync in one write
        byte[] batch = concat(pg('P', new Bytes().cstring("S_1").cstring("select * from orders where id = $1").u8(0, 1).int32(23)),
                pg('B', new Bytes().cstring("").cstring("S_1").u8(0, 0, 0, 1).int32(2).text("42").u8(0, 0)),
                pg('D', new Bytes().u8('P').cstring("")), pg('E', new Bytes().cstring("").int32(0)), pg('S', new Bytes()));
        PgWire later = PgWire.midStream(batch, 0, batch.length);
        assertNotNull(later, "a whole batch is recognised mid-stream");
        later.fromClient(batch, 0, batch.length);
        assertEquals("select * from orders where id = $1", later.statement);
        assertTrue(later.open());
        client(w, batch, way);
        assertEquals(2, w.begun);
        assertEquals("select * from orders where id = $1", w.statement);
        server(w, concat(pg('1', new Bytes()), pg('2', new Bytes()), pg('C', new Bytes().cstring("SELECT 2")), READY), way);
        assertFalse(w.open());
        assertEquals(2, w.rows);

        // the statement prepared before: Bind, Execute, Sync
        client(w, concat(pg('B', new Bytes().cstring("").cstring("S_1").u8(0, 0, 0, 0, 0, 0)),
                pg('E', new Bytes().cstring("").int32(0)), pg('S', new Bytes())), way);
        assertEquals("select * from orders where id = $1", w.statement);
        server(w, concat(pg('2', new Bytes()), pg('C', new Bytes().cstring("UPDATE 3")), READY), way);
        assertEquals(3, w.rows);

        client(w, pg('Q', new Bytes().cstring("select * from nope")), way);
        server(w, concat(pg('E', new Bytes().u8('S').cstring("ERROR").u8('C').cstring("42P01").u8('M')
                .cstring("relation \"nope\" does not exist").u8(0)), READY), way);
        assertFalse(w.open());
        assertEquals("42P01", w.error);
        assertEquals(4, w.ended);
        assertNull(w.lost);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void anSslRequestRefusedGoesOnInTheClearAcceptedHandsOverToTls(int way) {
        byte[] ssl = new Bytes().int32(8).int32(80877103).get();
        assertTrue(PgWire.isStart(ssl, 0, 8));
        PgWire refused = new PgWire();
        client(refused, ssl, way);
        server(refused, new byte[] {'N'}, way);
        client(refused, STARTUP, way);
        server(refused, LOGGED_IN, way);
        client(refused, pg('Q', new Bytes().cstring("select 1")), way);
        server(refused, concat(pg('C', new Bytes().cstring("SELECT 1")), READY), way);
        assertEquals(1, refused.ended);
        assertNull(refused.lost);

        PgWire accepted = new PgWire();
        client(accepted, ssl, way);
        server(accepted, new byte[] {'S', 0x16, 3, 3}, way);
        assertEquals("TLS began", accepted.lost);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void bytesThatAreNotTheProtocolEndTheReading(int way) {
        PgWire w = new PgWire();
        client(w, STARTUP, way);
        server(w, LOGGED_IN, way);
        client(w, new Bytes().u8('Q').int32(2).get(), way);
        assertNotNull(w.lost);
        assertNull(PgWire.midStream("GET / HTTP/1.1\r\n\r\n".getBytes(), 0, 18));
        assertFalse(PgWire.isStart("GET / HTTP/1.1\r\n\r\n".getBytes(), 0, 18));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void aStatementLongerThanWhatIsKeptIsCutNotAFault(int way) {
        PgWire w = new PgWire();
        client(w, STARTUP, way);
        server(w, LOGGED_IN, way);
        String name = "S_" + "x".repeat(9000); // longer than the bytes kept of a message
        client(w, concat(pg('P', new Bytes().cstring(name).cstring("select 1").u8(0, 0)), pg('S', new Bytes())), way);
        assertEquals(1, w.begun);
        server(w, concat(pg('1', new Bytes()), READY), way);
        assertFalse(w.open());
        assertNull(w.lost);
        String query = "select '" + "y".repeat(20_000) + "'";
        client(w, pg('Q', new Bytes().cstring(query)), way);
        assertEquals("select $1", w.statement, "a literal cut open hides the rest");
    }
}
