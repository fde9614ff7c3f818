package io.wiretrace.analysis.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RespWireTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void client(RespWire w, String s, int way) {
        Bytes.feed(b(s), way, (d, r) -> w.fromClient(d, r[0], r[1]));
    }

    private static void server(RespWire w, String s, int way) {
        Bytes.feed(b(s), way, (d, r) -> w.fromServer(d, r[0], r[1]));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void pipelinedCommandsEndWithTheirLastAnswerAndOnlyTheirNamesAreKept(int way) {
        String set = "*3\r\n$3\r\nset\r\n$6\r\nsecret\r\n$5\r\nvalue\r\n";
        assertTrue(RespWire.isCommand(b(set), 0, set.length()));
        RespWire w = new RespWire();
        client(w, set + "*2\r\n$3\r\nGET\r\n$6\r\nsecret\r\n*2\r\n$6\r\nLRANGE\r\n$1\r\nk\r\n", way);
        assertEquals(3, w.begun);
        assertEquals("SET", w.statement);
        assertEquals(3, w.statements);
        server(w, "+OK\r\n$5\r\nvalue\r\n", way);
        assertTrue(w.open());
        // a RESP3 push in between answers nothing
        server(w, ">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n", way);
        assertTrue(w.open());
        server(w, "*2\r\n*1\r\n:1\r\n$-1\r\n", way);
        assertFalse(w.open());

        client(w, "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n", way);
        assertEquals("INCR", w.statement);
        server(w, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", way);
        assertFalse(w.open());
        assertEquals("WRONGTYPE", w.error);
        client(w, "*1\r\n$5\r\nHELLO\r\n", way);
        server(w, "%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n", way);
        assertFalse(w.open());
        assertNull(w.lost);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void anythingElseEndsTheReading(int way) {
        RespWire w = new RespWire();
        client(w, "*1\r\n$4\r\nPING\r\n", way);
        server(w, "HTTP/1.1 200 OK\r\n", way);
        assertEquals("not Redis's protocol", w.lost);
        assertFalse(RespWire.isCommand(b("GET / HTTP/1.1\r\n"), 0, 16));
    }
}
