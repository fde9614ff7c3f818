package io.wiretrace.agent.app;

import io.wiretrace.agent.events.DatabaseQueryEvent;
import io.wiretrace.analysis.db.MysqlWire;
import io.wiretrace.analysis.db.PgWire;
import io.wiretrace.analysis.db.RespWire;
import io.wiretrace.analysis.db.Wire;

/**
 * Database round trips from the bytes an app writes and reads on a connection it opened: the
 * protocol's reader ({@link Wire}) is fed every byte, the client's before they leave (a partial
 * write's rest, offered again, is not fed twice), the server's as they are read; a round trip
 * begins with the first bytes of a request and ends with the answer's last. A connection becomes
 * a database's when its first bytes are the protocol's start (PostgreSQL's startup packet, the
 * MySQL greeting, a Redis command), or, opened before the capture, when a client write is a whole
 * PostgreSQL batch. Each round trip allocates its event, and its statement's text once.
 */
public final class Queries {
    static final class State extends ByteFed {
        final Wire wire;
        volatile boolean open;
        DatabaseQueryEvent event;
        long start;
        long requestSent;
        long firstByte;
        long lastByte;
        long requestBytes;
        long responseBytes;
        /** The request's last byte and the answer's first, by their offsets in the TCP stream (-1: not known). */
        long sentByte = -1;
        long answerByte = -1;
        String statement;
        int statements;
        String thread;
        long threadId;
        long context;
        Throwable failure;
        volatile String label;

        State(Wire wire) {
            this.wire = wire;
        }
    }

    private Queries() {
    }

    /** A client connection's first bytes written: a database's state if they start its protocol, else null. */
    static State clientStart(Conn c, Object data, int offset, long n) {
        int k = (int) Math.min(n, Integer.MAX_VALUE);
        Wire w = null;
        if (PgWire.isStart(data, offset, k)) {
            w = new PgWire();
        } else if (RespWire.isCommand(data, offset, k)) {
            w = new RespWire();
        } else if (c.tcp != null && c.tcp.protocol instanceof State && ((State) c.tcp.protocol).wire instanceof MysqlWire) {
            w = new MysqlWire((MysqlWire) ((State) c.tcp.protocol).wire); // TLS began after the greeting
        }
        return w == null ? null : install(c, w);
    }

    /**
     * A client write on a connection whose start was not seen (a pool's, opened before the
     * capture): a database's state if it is a whole PostgreSQL batch, or whole MySQL commands.
     */
    static State midStream(Conn c, Object data, int offset, long n) {
        if (n < 5 || n > 1 << 20) {
            return null;
        }
        Wire w = PgWire.midStream(data, offset, (int) n);
        w = w == null ? MysqlWire.midStream(data, offset, (int) n) : w;
        return w == null ? null : install(c, w);
    }

    /** A client connection's first bytes read, before it wrote any: a database's state if they are a MySQL greeting. */
    static State serverStart(Conn c, Object data, int offset, long n) {
        return MysqlWire.isGreeting(data, offset, (int) Math.min(n, Integer.MAX_VALUE)) ? install(c, new MysqlWire()) : null;
    }

    private static State install(Conn c, Wire w) {
        State s = new State(w);
        c.protocol = s;
        c.role = Conn.CLIENT;
        c.application = w.system();
        return s;
    }

    /** Before a write of {@code n} bytes leaves: they are fed, and a round trip they begin starts now. */
    static void beforeWrite(Conn c, State s, Object data, int offset, long n) {
        Wire w = s.wire;
        if (w.lost != null || n <= 0) {
            return;
        }
        long before = s.fedBefore(n); // the rest of a partial write, offered again
        offset += (int) before;
        n -= before;
        int begun = w.begun;
        w.fromClient(data, offset, (int) n);
        if (w.begun != begun && !s.open) {
            begin(c, s);
        }
        if (w.lost != null && s.open) {
            abandon(s);
        }
    }

    /** After a write of {@code total} bytes: what was fed and not written is offered again. */
    static void write(Conn c, State s, long total, long now) {
        if (total <= 0) {
            return;
        }
        s.written(total);
        if (s.open) {
            s.requestSent = now;
            s.sentByte = HttpExchanges.lastOut(c);
            s.requestBytes += total;
        }
    }

    /** A read of {@code total} bytes (-1: the end of the stream), the first {@code n} of them in {@code data}. */
    static void read(Conn c, State s, Object data, int offset, long n, long total, long now) {
        Wire w = s.wire;
        if (total < 0) {
            if (s.open) {
                finish(c, s, false);
            }
            return;
        }
        if (w.lost != null) {
            return;
        }
        if (n != total) {
            w.lose("a read not seen whole");
        } else {
            w.fromServer(data, offset, (int) n);
        }
        if (s.open) {
            if (s.firstByte == 0) {
                s.firstByte = now;
                s.answerByte = HttpExchanges.readFrom(c, total);
            }
            s.lastByte = now;
            s.responseBytes += total;
            if (w.lost != null) {
                abandon(s);
            } else if (!w.open()) {
                finish(c, s, true);
            }
        } else if (w.begun != w.ended && w.lost == null) {
            begin(c, s); // began on another thread's write, read first here
        }
    }

    /** The reader lost track in a round trip: how it ended is not known, so nothing is said of it. */
    private static void abandon(State s) {
        s.event = null;
        s.open = false;
    }

    static void failed(State s, Throwable thrown) {
        s.failure = thrown;
    }

    static void close(Conn c, State s) {
        if (s.open) {
            finish(c, s, false);
        }
    }

    private static void begin(Conn c, State s) {
        DatabaseQueryEvent e = new DatabaseQueryEvent();
        e.begin();
        long start = System.nanoTime();
        Wire w = s.wire;
        s.event = e;
        s.start = start;
        s.requestSent = start;
        s.firstByte = 0;
        s.lastByte = 0;
        s.sentByte = -1;
        s.answerByte = -1;
        s.requestBytes = 0;
        s.responseBytes = 0;
        s.failure = null;
        s.statement = w.statement;
        s.thread = Thread.currentThread().getName();
        s.threadId = Thread.currentThread().getId();
        s.context = RequestContext.current();
        s.label = s.thread + " · " + w.system() + (w.statement != null ? " " + w.statement : "");
        s.open = true;
    }

    private static void finish(Conn c, State s, boolean answered) {
        DatabaseQueryEvent e = s.event;
        s.event = null;
        s.open = false;
        if (e == null) {
            return;
        }
        Wire w = s.wire;
        String statement = s.statement != null ? s.statement : w.statement; // a Bind after the first write names it
        slow(c, s, w, statement, answered);
        e.end();
        if (e.shouldCommit()) {
            c.into(e);
            e.system = w.system();
            e.statement = statement;
            e.statements = w.statements;
            e.rows = w.rows;
            e.error = w.error;
            e.answered = answered;
            e.requestThread = s.thread;
            e.requestSent = s.requestSent - s.start;
            e.firstByte = s.firstByte == 0 ? 0 : s.firstByte - s.start;
            e.lastByte = s.lastByte == 0 ? 0 : s.lastByte - s.start;
            e.requestBytes = s.requestBytes;
            e.responseBytes = s.responseBytes;
            e.commit();
        }
    }

    /** Hands a slow round trip, or one that got no whole answer, to the correlator. */
    private static void slow(Conn c, State s, Wire w, String statement, boolean answered) {
        CallSink k = HttpExchanges.sink;
        long end = s.lastByte != 0 ? s.lastByte : System.nanoTime();
        if (k == null || (end - s.start < k.slowNanos() && answered)) {
            return;
        }
        AppCall call = AppCall.exchange(AppCall.QUERY, c, s.start, end, s.failure, s.thread, s.threadId,
                statement != null ? statement : w.system() + " (statement not seen)", false, s.requestSent, s.firstByte,
                s.lastByte, answered ? 1 : 0, s.context);
        call.outByte = s.sentByte;
        call.inByte = s.answerByte;
        k.call(call);
    }

    static boolean inExchange(State s) {
        return s.open;
    }

    /** "thread · postgresql statement" of the current or last round trip, or null. */
    static String label(State s) {
        return s.label;
    }
}
