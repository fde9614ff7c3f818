package io.wiretrace.agent.app;

import io.wiretrace.agent.events.HttpExchangeEvent;
import io.wiretrace.analysis.http.RequestLine;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP/1.x exchanges from the bytes an app writes and reads on a connection: a request line
 * starts an exchange, a status line answers it, and the response's end (its Content-Length,
 * the last chunk) or else the next request, the end of the stream or the close ends it. It
 * looks at the bytes only where an exchange can start or be answered; the rest of a body costs
 * a comparison. A connection whose first bytes are not HTTP/1.x (TLS, HTTP/2, anything else) is
 * not looked at again.
 *
 * <p>Reads and writes of one connection may come from two threads (a selector reads while the
 * caller writes). Written bytes are looked at before they leave, so that the answer, whichever
 * thread reads it, finds the exchange begun; the fields are written before {@link State#phase},
 * a volatile, and read after it. An exchange takes the event its connection's last one committed
 * (or a new one, on a connection's first exchange or while that one is still finishing on another
 * thread) and allocates its path's string.
 */
public final class HttpExchanges {
    private static final int IDLE = 0;
    private static final int REQUEST = 1;
    private static final int RESPONSE = 2;
    private static final int NOT_HTTP1 = 3;
    /** After a 101 to a WebSocket: the connection carries its frames until it closes. */
    private static final int STREAM = 4;
    private static final String[] METHODS = RequestLine.METHODS;
    private static final byte[][] METHOD_BYTES = new byte[METHODS.length][];
    private static final byte[] STATUS = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding: chunked".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UPGRADE_H2C = "upgrade: h2c".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_TYPE = "content-type:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_STREAM = "text/event-stream".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UPGRADE = "upgrade:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WEBSOCKET = "websocket".getBytes(StandardCharsets.US_ASCII);
    /** A piece of a response this long or longer after the one before was flushed apart from it. */
    static final long PIECE_GAP_NANOS = 20_000_000L;
    /** A chunked response with this many pieces flushed apart after its first is a stream. */
    static final int STREAM_PIECES = 3;
    private static final String SSE_STREAM = "sse";
    private static final String WEBSOCKET_STREAM = "websocket";

    static {
        for (int i = 0; i < METHODS.length; i++) {
            METHOD_BYTES[i] = (METHODS[i] + " ").getBytes(StandardCharsets.US_ASCII);
        }
    }

    static final class State {
        volatile int phase;
        HttpExchangeEvent event;
        /** The event of the connection's last exchange once committed, for its next: taken with getAndSet, by one thread. */
        final AtomicReference<HttpExchangeEvent> spare = new AtomicReference<>();
        boolean incoming;
        long start;
        long requestSent;
        long firstByte;
        long lastByte;
        long requestBytes;
        long responseBytes;
        /** The request's last byte and the response's first, by their offsets in the TCP stream (-1: not known). */
        long sentByte = -1;
        long answerByte = -1;
        /** Response bytes that end the exchange (headers + Content-Length), or -1: the end is not known. */
        long responseLength;
        boolean chunked;
        /** The request's first write has not returned yet (begin() counted the bytes it offered). */
        boolean firstWrite;
        int status;
        String method;
        String path;
        String thread;
        long threadId;
        /** An incoming exchange whose response the thread that read its request began to write. */
        boolean ownThread;
        /** The incoming request it is (incoming), or that it was sent for (outgoing); 0: none known. */
        long context;
        /** Exchanges begun on the connection, this one included. */
        volatile int exchanges;
        /** When the last four began (System.nanoTime), by exchanges % 4: the correlator pairs requests' arrivals with them. */
        final long[] starts = new long[4];
        /** The exception a read or write of the exchange ended with, if any. */
        Throwable failure;
        /** What its response's headers say it streams ("sse", "websocket"), or null. */
        String stream;
        /** Pieces of its response that came {@link #PIECE_GAP_NANOS} or more after the one before, and the longest gap. */
        int pieces;
        long longestGap;
        /** "thread · method path", made when the exchange begins (the packet comments name it). */
        volatile String label;
    }

    /** Where slow and failed exchanges go to be explained (the session's); null: nowhere. */
    public static volatile CallSink sink;
    /**
     * The session's --exchange-threshold in ns (0: every exchange is recorded). An exchange
     * shorter than it is left out of the recording, unless {@link #recorded} keeps it.
     */
    public static volatile long recordFromNanos;
    /** A connection's first exchanges are recorded whatever they took: what it carried. */
    static final int FIRST_RECORDED = 3;
    /**
     * Exchanges that ended without their event: shorter than the threshold (--exchange-threshold,
     * or a recording's own), counted so that the recording still says how many there were. With
     * no threshold every event is committed, and nothing is counted.
     */
    private static final LongAdder UNRECORDED_INCOMING = new LongAdder();
    private static final LongAdder UNRECORDED_OUTGOING = new LongAdder();

    private HttpExchanges() {
    }

    /**
     * Whether an exchange goes into the recording under {@link #recordFromNanos}: if it took that
     * long, and else if it is one of its connection's first {@link #FIRST_RECORDED}, got no answer
     * or a server error (5xx), failed or streamed, or is a call made for a request that has run that
     * long by the call's end (so that a slow request's waterfall keeps the calls made for it after
     * its first {@code recordFromNanos}; those that ended before go uncounted in it, as fast).
     */
    static boolean recorded(long start, long end, int nth, int status, Object failure, boolean streamed,
            boolean incoming, long context) {
        long from = recordFromNanos;
        return from <= 0 || end - start >= from || nth <= FIRST_RECORDED || status == 0 || status >= 500
                || failure != null || streamed || (!incoming && context != 0 && end - RequestContext.began(context) >= from);
    }

    /** An exchange ended that its event does not record (see {@link #UNRECORDED_INCOMING}). */
    static void unrecorded(boolean incoming) {
        (incoming ? UNRECORDED_INCOMING : UNRECORDED_OUTGOING).increment();
    }

    /** Whether some exchange ended unrecorded since the counts were last taken. */
    public static boolean unrecordedPending() {
        return UNRECORDED_INCOMING.sum() + UNRECORDED_OUTGOING.sum() > 0;
    }

    /** The exchanges (incoming or outgoing) that ended unrecorded since the last call; resets the count. */
    public static long takeUnrecorded(boolean incoming) {
        return (incoming ? UNRECORDED_INCOMING : UNRECORDED_OUTGOING).sumThenReset();
    }

    /**
     * The HTTP exchanges begun on the app's connection {@code c} while it was watched, recorded
     * or not: HTTP/1.x requests, HTTP/2 streams (its plaintext's, for TLS); 0 for other protocols.
     */
    public static int begun(Conn c) {
        Conn p = c.plain != null ? c.plain : c;
        Object s = p.protocol;
        if (s instanceof State) {
            return ((State) s).phase == NOT_HTTP1 ? 0 : ((State) s).exchanges;
        }
        if (s instanceof H2Exchanges.State) {
            return H2Exchanges.begun((H2Exchanges.State) s);
        }
        return 0;
    }

    /** The connection's current or last exchange, as an opaque token for {@link #describe}; null if none. */
    public static Object current(Conn c) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            return Queries.label((Queries.State) p);
        }
        if (p instanceof H2Exchanges.State) {
            return H2Exchanges.label((H2Exchanges.State) p);
        }
        if (p instanceof State) {
            State s = (State) p;
            return s.phase == NOT_HTTP1 || s.method == null ? null : s.label;
        }
        return null;
    }

    /** "thread · GET /path" for a token from {@link #current}. */
    public static String describe(Object label) {
        return label instanceof String ? (String) label : null;
    }

    /** A read or write of the open exchange failed: the exchange's slow call names the exception. */
    static void failed(Conn c, Throwable thrown) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            Queries.failed((Queries.State) p, thrown);
        } else if (p instanceof State) {
            ((State) p).failure = thrown;
        }
    }

    /**
     * When the app began reading the first exchange that began at or after {@code since}
     * (System.nanoTime), from the last four; 0 if none has yet, or if it is no longer known.
     */
    public static long startedSince(Conn c, long since) {
        Object p = c.protocol;
        if (!(p instanceof State)) {
            return 0;
        }
        State s = (State) p;
        int n = s.exchanges;
        long first = 0;
        for (int i = Math.max(0, n - 4); i < n; i++) {
            long t = s.starts[i & 3];
            if (t - since >= 0 && (first == 0 || t - first < 0)) {
                first = t;
            }
        }
        if (first != 0 && n > 4 && s.starts[(n - 4) & 3] - since >= 0) {
            return 0; // older exchanges than the four kept may have begun after it
        }
        return first;
    }

    /**
     * The request ("GET /path") and thread of the connection's exchange that began at
     * {@code start}, if it is still the current one; else nulls and "".
     */
    public static String[] exchangeAt(Conn c, long start) {
        Object p = c.protocol;
        if (p instanceof State) {
            State s = (State) p;
            String m = s.method;
            String path = s.path;
            String thread = s.thread;
            if (s.start == start && m != null) {
                return new String[] {m + " " + path, thread};
            }
        }
        return new String[] {null, ""};
    }

    /** Whether an exchange is open on the connection: its reads and writes are part of it. */
    static boolean inExchange(Conn c) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            return Queries.inExchange((Queries.State) p);
        }
        if (p instanceof H2Exchanges.State) {
            return H2Exchanges.inExchange((H2Exchanges.State) p);
        }
        if (p instanceof State) {
            int phase = ((State) p).phase;
            return phase == REQUEST || phase == RESPONSE || phase == STREAM;
        }
        return false;
    }

    /**
     * Whether a slow or failed read or write of the connection is its open exchange's to explain.
     * A stream's are not: a write that blocked (the peer did not read) or a read or write that
     * failed is a call of its own, as the stream is judged by its first byte.
     */
    static boolean holds(Conn c, boolean write, boolean failed) {
        return inExchange(c) && !((write || failed) && stream(c) != null);
    }

    /** The request ("GET /path") of the connection's open exchange if its response streams; else null. */
    static String stream(Conn c) {
        Object p = c.protocol;
        if (p instanceof State) {
            State s = (State) p;
            int phase = s.phase;
            if ((phase == RESPONSE || phase == STREAM) && streamKind(s) != null) {
                return s.method + " " + s.path;
            }
        }
        return null;
    }

    /** How the exchange's response streams ("sse", "websocket", "chunked": flushed piece by piece), or null. */
    static String streamKind(State s) {
        return s.stream != null ? s.stream : s.chunked && s.pieces >= STREAM_PIECES ? "chunked" : null;
    }

    /**
     * A read of {@code total} bytes (-1: the end of the stream) whose first {@code n} are in
     * {@code data}, a byte[] or a ByteBuffer, from index {@code offset}.
     */
    static void read(Conn c, Object data, int offset, long n, long total, long now) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            Queries.read(c, (Queries.State) p, data, offset, n, total, now);
            return;
        }
        if (p instanceof H2Exchanges.State) {
            H2Exchanges.read((H2Exchanges.State) p, data, offset, n, total, now);
            return;
        }
        if (p == null && total > 0 && c.role == Conn.CLIENT && c.tcp == null && c.bytesWritten.get() == 0) {
            Queries.State q = Queries.serverStart(c, data, offset, n); // the server speaks first: MySQL
            if (q != null) {
                Queries.read(c, q, data, offset, n, total, now);
                return;
            }
        }
        State s = state(c);
        int phase = s.phase;
        if (phase == NOT_HTTP1) {
            return;
        }
        if (total < 0) {
            if (phase != IDLE) {
                finish(c, s);
            }
            return;
        }
        if (phase == STREAM) {
            streamed(s, !s.incoming, total, now);
            return;
        }
        bytes(c, s, phase, data, offset, n, total, now);
    }

    /** {@link #beforeWrite(Conn, Object, int, long, long)} of a write that begins now. */
    static void beforeWrite(Conn c, Object data, int offset, long n) {
        beforeWrite(c, data, offset, n, System.nanoTime());
    }

    /**
     * Before a write of the {@code n} bytes in {@code data} leaves, begun at {@code now}
     * (System.nanoTime). A request line starts the exchange now, and a status line the response,
     * since the other side's answer may be read on another thread before the write returns.
     */
    static void beforeWrite(Conn c, Object data, int offset, long n, long now) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            Queries.beforeWrite(c, (Queries.State) p, data, offset, n);
            return;
        }
        if (p instanceof H2Exchanges.State) {
            H2Exchanges.beforeWrite((H2Exchanges.State) p, data, offset, n);
            return;
        }
        State s = state(c);
        int phase = s.phase;
        if (phase == NOT_HTTP1 || phase == STREAM || n <= 0) {
            return;
        }
        if (c.role != Conn.SERVER) {
            if (phase == REQUEST && !s.incoming) {
                return; // more of the request
            }
            int m = method(data, offset, n);
            if (m >= 0) {
                if (phase == RESPONSE) {
                    finish(c, s);
                }
                c.role = Conn.CLIENT;
                begin(s, false, m, data, offset, n, n);
                c.application = RequestLine.HTTP1; // after the exchange: publishes it to the capture's comments
                context(c, s);
                return;
            }
            if (phase == IDLE && s.exchanges == 0) {
                Queries.State q = c.role == Conn.CLIENT ? Queries.clientStart(c, data, offset, n) : null;
                q = q == null ? Queries.midStream(c, data, offset, n) : q;
                if (q != null) {
                    Queries.beforeWrite(c, q, data, offset, n); // a database's
                    return;
                }
                if (c.role == 0 && unreadH2(c, s, data, offset, n)) {
                    return;
                }
            }
            if (c.role == Conn.CLIENT) {
                if (phase == IDLE) {
                    notHttp1(c, s, data, offset, n); // its first bytes are not HTTP/1.x: never look again
                    if (c.protocol instanceof H2Exchanges.State) {
                        H2Exchanges.beforeWrite((H2Exchanges.State) c.protocol, data, offset, n);
                    }
                }
                return;
            }
        }
        if (phase == REQUEST && s.incoming && startsWith(data, offset, n, STATUS)) {
            startResponse(s, data, offset, n, now); // the write's start: the advice read the clock a moment ago
            s.ownThread = Thread.currentThread().getId() == s.threadId;
            if (s.status == 101 && s.responseLength >= 0 && upgradesToH2c(data, offset, s.responseLength)) {
                upgrade(c, s, data, offset, n, now);
            }
        }
    }

    /**
     * A 101 switched to h2c: the connection goes on in HTTP/2, whose stream 1 is the
     * upgrade's request (its response comes there). The bytes after the 101's headers are the
     * server's first frames.
     */
    private static void upgrade(Conn c, State s, Object data, int offset, long n, long now) {
        HttpExchangeEvent e = s.event;
        s.event = null;
        s.phase = NOT_HTTP1;
        H2Exchanges.State h2 = H2Exchanges.upgraded(c, s.incoming, e, s.method, s.path, s.thread, s.threadId, s.start,
                s.requestSent, s.context);
        int after = (int) s.responseLength;
        if (n > after) {
            if (s.incoming) {
                H2Exchanges.beforeWrite(h2, data, offset + after, n - after);
            } else {
                H2Exchanges.read(h2, data, offset + after, n - after, n - after, now);
            }
        }
    }

    /** After a write of {@code total} bytes, the first {@code n} of them in {@code data}: how far the exchange got. */
    static void write(Conn c, Object data, int offset, long n, long total, long now) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            Queries.write(c, (Queries.State) p, total, now);
            return;
        }
        if (p instanceof H2Exchanges.State) {
            H2Exchanges.write((H2Exchanges.State) p, total);
            return;
        }
        State s = state(c);
        int phase = s.phase;
        if (total <= 0) {
            return;
        }
        if (phase == REQUEST && !s.incoming) {
            s.requestSent = now;
            s.sentByte = lastOut(c);
            if (s.firstWrite) {
                s.requestBytes = total; // begin() counted what the first write offered
                s.firstWrite = false;
            } else {
                s.requestBytes += total;
            }
            s.phase = REQUEST;
        } else if (phase == RESPONSE && s.incoming) {
            moreResponse(c, s, data, offset, n, total, now);
        } else if (phase == STREAM) {
            streamed(s, s.incoming, total, now);
        }
    }

    /** Bytes of a WebSocket after its 101: the server's are its response, the client's its request. */
    private static void streamed(State s, boolean fromServer, long total, long now) {
        if (fromServer) {
            piece(s, now);
            s.lastByte = now;
            s.responseBytes += total;
        } else {
            s.requestBytes += total;
        }
    }

    /** A piece of the response: whether it came apart from the one before, and after how long. */
    private static void piece(State s, long now) {
        long gap = now - s.lastByte;
        if (s.lastByte != 0 && gap >= PIECE_GAP_NANOS) {
            s.pieces++;
            s.longestGap = Math.max(s.longestGap, gap);
        }
    }

    /**
     * A read: a server's request line starts an exchange and the reads after it carry its body;
     * a client's reads carry the response to its request.
     */
    private static void bytes(Conn c, State s, int phase, Object data, int offset, long n, long total, long now) {
        boolean server = c.role == Conn.SERVER;
        if (server || c.role == 0) {
            if (phase == REQUEST && s.incoming) {
                s.requestSent = now;
                s.requestBytes += total;
                s.phase = REQUEST;
                return;
            }
            int m = method(data, offset, n);
            if (m >= 0) {
                if (phase == RESPONSE) {
                    finish(c, s);
                }
                c.role = Conn.SERVER;
                begin(s, true, m, data, offset, n, total);
                c.application = RequestLine.HTTP1; // after the exchange: publishes it to the capture's comments
                context(c, s);
                return;
            }
            if (c.role == 0 && phase == IDLE && s.exchanges == 0 && unreadH2(c, s, data, offset, n)) {
                return;
            }
            if (server) {
                if (phase == IDLE) {
                    notHttp1(c, s, data, offset, n);
                    if (c.protocol instanceof H2Exchanges.State) {
                        H2Exchanges.read((H2Exchanges.State) c.protocol, data, offset, n, total, now);
                    }
                }
                return;
            }
        }
        if (phase == REQUEST && !s.incoming && startsWith(data, offset, n, STATUS)) {
            startResponse(s, data, offset, n, now);
            s.answerByte = readFrom(c, total);
            phase = s.phase;
            if (s.status == 101 && s.responseLength >= 0 && upgradesToH2c(data, offset, s.responseLength)) {
                upgrade(c, s, data, offset, n, now); // its response, and the rest, come in HTTP/2
                return;
            }
        }
        if (phase == RESPONSE && !s.incoming) {
            moreResponse(c, s, data, offset, n, total, now);
        }
    }

    /**
     * The response's status line and headers are in {@code data}. An interim response (100
     * Continue, 103 Early Hints) is not the answer: the final one follows it, in these bytes or
     * later ones, and until then the request goes on (a 100 Continue's request sends its body).
     */
    private static void startResponse(State s, Object data, int offset, long n, long now) {
        int skipped = 0;
        while (true) {
            s.status = status(data, offset + skipped, n - skipped);
            long length = length(data, offset + skipped, n - skipped, s);
            if (length < 0 || s.status < 100 || s.status >= 200 || s.status == 101) {
                s.responseLength = length < 0 ? -1 : skipped + length;
                break;
            }
            skipped += (int) length;
            if (!startsWith(data, offset + skipped, n - skipped, STATUS)) {
                s.status = 0;
                s.phase = REQUEST;
                return;
            }
        }
        s.firstByte = now;
        s.lastByte = now;
        s.responseBytes = 0;
        s.phase = RESPONSE;
    }

    /** Response bytes, read (outgoing) or written (incoming); ends the exchange once they are complete. */
    private static void moreResponse(Conn c, State s, Object data, int offset, long n, long total, long now) {
        piece(s, now);
        s.lastByte = now;
        s.responseBytes += total;
        if ((s.responseLength >= 0 && s.responseBytes >= s.responseLength)
                || (s.chunked && endsWith(data, offset, n, LAST_CHUNK))) {
            if (s.status == 101 && WEBSOCKET_STREAM.equals(s.stream)) {
                webSocket(s);
                return;
            }
            finish(c, s);
        } else {
            s.phase = RESPONSE;
        }
    }

    /**
     * A 101 to a WebSocket was written or read whole: the exchange goes on with the connection, its
     * frames counted, until it closes. A server's thread works for the request no more.
     */
    private static void webSocket(State s) {
        if (s.incoming) {
            RequestContext.leave(s.context);
        }
        s.phase = STREAM;
    }

    /**
     * Where the response ends, from the headers in its first bytes: the header block plus its
     * Content-Length (none for HEAD, 1xx, 204, 304); -1 if not there (chunked, or until close).
     */
    private static long length(Object data, int offset, long n, State s) {
        s.chunked = false;
        s.stream = null;
        int end = (int) Math.min(n, 16384);
        int headers = -1;
        long contentLength = -1;
        for (int i = 0; i + 3 < end; i++) {
            i = nextCr(data, offset, i, end - 3);
            if (i < 0) {
                break;
            }
            if (at(data, offset, i + 1) == '\n') {
                if (at(data, offset, i + 2) == '\r' && at(data, offset, i + 3) == '\n') {
                    headers = i + 4;
                    break;
                }
                int h = i + 2;
                // the names looked for all start with one of three words of eight bytes: a line
                // that does not (most do not, Connection and Date among them) costs one read
                long word = h + 8 <= end ? word(data, offset, h) : 0;
                if (word != CONTENT_ && word != TRANSFER && word != UPGRADE_) {
                    continue;
                }
                if (word == CONTENT_ && contentNamed(data, offset, end, h, 7, DASH_LENGTH, 14)) { // content-length:
                    contentLength = 0;
                    for (int j = h + CONTENT_LENGTH.length; j < end; j++) {
                        int b = at(data, offset, j);
                        if (b >= '0' && b <= '9') {
                            contentLength = contentLength * 10 + (b - '0');
                        } else if (b != ' ' && b != '\t') {
                            break;
                        }
                    }
                } else if (word == TRANSFER && header(data, offset, end, h, TRANSFER_ENCODING)) {
                    s.chunked = true;
                } else if (word == CONTENT_ && contentNamed(data, offset, end, h, 5, NT_TYPE, 12) // content-type:
                        && value(data, offset, end, h + CONTENT_TYPE.length, EVENT_STREAM)) {
                    s.stream = SSE_STREAM;
                } else if (word == UPGRADE_ && s.status == 101 && header(data, offset, end, h, UPGRADE)
                        && value(data, offset, end, h + UPGRADE.length, WEBSOCKET)) {
                    s.stream = WEBSOCKET_STREAM;
                }
            }
        }
        if (headers < 0) {
            return -1; // the headers go on in later bytes: the end is known at the close
        }
        int st = s.status;
        if ("HEAD".equals(s.method) || (st >= 100 && st < 200) || st == 204 || st == 304) {
            return headers;
        }
        return contentLength >= 0 && !s.chunked ? headers + contentLength : -1;
    }

    /**
     * Whether the header line at {@code h}, whose first word {@link #word} read as "content-", goes
     * on to the name's end: its bytes from {@code at} are the word {@code rest}, its '-' (byte 7)
     * and colon (byte {@code colon}) checked as bytes, since the word reads '\r' as '-'. Two reads
     * where {@link #header} compares each byte; the same answer.
     */
    static boolean contentNamed(Object data, int offset, int end, int h, int at, long rest, int colon) {
        return h + colon < end && word(data, offset, h + at) == rest && at(data, offset, h + 7) == '-'
                && at(data, offset, h + colon) == ':';
    }

    /** Whether a header line starts at {@code i} with {@code name} (lower case, with the colon). */
    private static boolean header(Object data, int offset, int end, int i, byte[] name) {
        if (i + name.length > end) {
            return false;
        }
        for (int k = 0; k < name.length; k++) {
            int b = at(data, offset, i + k);
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != name[k]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the header value from {@code i}, after its blanks, starts with {@code value} (lower case), in any case. */
    private static boolean value(Object data, int offset, int end, int i, byte[] value) {
        while (i < end && (at(data, offset, i) == ' ' || at(data, offset, i) == '\t')) {
            i++;
        }
        return header(data, offset, end, i, value);
    }

    private static boolean endsWith(Object data, int offset, long n, byte[] suffix) {
        if (n < suffix.length) {
            return false;
        }
        for (int i = 0; i < suffix.length; i++) {
            if (at(data, offset, (int) n - suffix.length + i) != suffix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first bytes are not HTTP/1.x: say what they are, if they are HTTP/2 or TLS, and look no
     * more. HTTP/2's are read from here on by {@link H2Exchanges}.
     */
    private static void notHttp1(Conn c, State s, Object data, int offset, long n) {
        if (startsWith(data, offset, n, H2_PREFACE)) {
            H2Exchanges.install(c, c.role == Conn.SERVER);
            return;
        } else if (n >= 3 && at(data, offset, 0) == 0x16 && at(data, offset, 1) == 0x03) {
            c.application = RequestLine.TLS; // a handshake record
        }
        s.phase = NOT_HTTP1;
    }

    /** Whether bytes of a connection whose start was not seen are whole HTTP/2 frames: it is marked so, and not read. */
    private static boolean unreadH2(Conn c, State s, Object data, int offset, long n) {
        if (!H2Exchanges.frames(data, offset, n)) {
            return false;
        }
        c.application = RequestLine.H2_UNREAD;
        s.phase = NOT_HTTP1;
        return true;
    }

    /** The connection closes: an open exchange ends here (with status 0 if nothing answered it). */
    static void close(Conn c) {
        Object p = c.protocol;
        if (p instanceof Queries.State) {
            Queries.close(c, (Queries.State) p);
        } else if (p instanceof H2Exchanges.State) {
            H2Exchanges.close((H2Exchanges.State) p);
        } else if (p instanceof State) {
            State s = (State) p;
            int phase = s.phase;
            if (phase == REQUEST || phase == RESPONSE || phase == STREAM) {
                finish(c, s);
            }
        }
    }

    private static State state(Conn c) {
        Object p = c.protocol;
        if (p instanceof State) {
            return (State) p;
        }
        State s = new State(); // once per connection
        c.protocol = s;
        return s;
    }

    private static void begin(State s, boolean incoming, int method, Object data, int offset, long n, long total) {
        HttpExchangeEvent e = s.spare.getAndSet(null);
        if (e == null) {
            e = new HttpExchangeEvent();
        }
        e.begin();
        long start = System.nanoTime(); // after begin(): the offsets below stay within the event's duration
        s.event = e;
        s.incoming = incoming;
        s.start = start;
        s.requestSent = start;
        s.firstByte = 0;
        s.lastByte = 0;
        s.sentByte = -1;
        s.answerByte = -1;
        s.requestBytes = total;
        s.firstWrite = !incoming;
        s.responseBytes = 0;
        s.responseLength = -1;
        s.chunked = false;
        s.status = 0;
        s.failure = null;
        s.stream = null;
        s.pieces = 0;
        s.longestGap = 0;
        s.starts[s.exchanges & 3] = start;
        s.exchanges++; // after the start: a reader that sees the count sees the start
        // A connection's requests are mostly for one path, from one thread: the last exchange's
        // strings are used again when they are the same, so that an exchange allocates nothing.
        String m = METHODS[method];
        String path = samePath(s.path, data, offset, n, METHOD_BYTES[method].length) ? s.path
                : path(data, offset, n, METHOD_BYTES[method].length);
        String thread = Thread.currentThread().getName();
        String label = s.label;
        if (label == null || m != s.method || path != s.path || !thread.equals(s.thread)) {
            label = thread + " · " + m + " " + path;
        }
        s.method = m;
        s.path = path;
        s.thread = thread;
        s.threadId = Thread.currentThread().getId();
        s.ownThread = false;
        s.label = label;
        s.phase = REQUEST;
    }

    /** Whether a 101's header block (its first bytes) has {@code Upgrade: h2c}: looked at only then, so requests pay nothing. */
    private static boolean upgradesToH2c(Object data, int offset, long n) {
        int end = (int) Math.min(n, 8192);
        for (int i = 0; i + 3 < end; i++) {
            i = nextCr(data, offset, i, end - 3);
            if (i < 0) {
                break;
            }
            if (at(data, offset, i + 1) == '\n') {
                if (at(data, offset, i + 2) == '\r') {
                    return false; // the end of the headers
                }
                if (header(data, offset, end, i + 2, UPGRADE_H2C)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** An incoming request begins a context on the thread that read it; an outgoing one joins its sender's. */
    private static void context(Conn c, State s) {
        if (s.incoming) {
            s.context = RequestContext.next(s.start);
            RequestContext.swap(s.context);
            return;
        }
        long asked = c.nextContext;
        Conn tcp = c.tcp;
        if (asked == 0 && tcp != null) {
            asked = tcp.nextContext;
            tcp.nextContext = 0;
        }
        c.nextContext = 0;
        s.context = asked != 0 ? asked : RequestContext.current();
        if (s.context == 0 && s.exchanges == 1) {
            // written where no request is known (a Netty client writes in its connect listener, on
            // the event loop): the connection's first exchange is for the request it was opened for
            s.context = tcp != null ? tcp.openContext : c.openContext;
        }
    }

    private static void finish(Conn c, State s) {
        HttpExchangeEvent e = s.event;
        s.event = null;
        s.phase = IDLE;
        if (e == null) {
            return;
        }
        if (s.incoming) {
            RequestContext.leave(s.context); // answered: the thread that answered works for it no more
        } else if (s.firstByte != 0 && s.requestSent > s.firstByte) {
            // The writer read its clock after its write returned, and was preempted before: the
            // answer, read on another thread (a client's selector), came in earlier. It cannot
            // have come before the request left.
            s.requestSent = s.firstByte;
        }
        slow(c, s);
        // one the session leaves out (most, under load) skips the event's end and JFR's checks: a
        // clock read and a few branches, per exchange
        if (recorded(s.start, s.lastByte != 0 ? s.lastByte : System.nanoTime(), s.exchanges, s.status,
                s.failure, streamKind(s) != null, s.incoming, s.context) && endAndCheck(e)) {
            c.into(e);
            e.set(s.incoming, s.method, s.path, s.status, s.thread, s.start, s.requestSent, s.firstByte, s.lastByte,
                    s.requestBytes, s.responseBytes);
            e.streamKind = streamKind(s);
            e.streamed = e.streamKind != null;
            e.longestGap = s.longestGap;
            if (s.exchanges == 1) { // what opening the connection took, on its first exchange
                Conn tcp = c.tcp != null ? c.tcp : c;
                e.dns = tcp.dnsNanos;
                e.connect = tcp.connectNanos;
                e.tls = tcp.tlsNanos;
            } else {
                e.dns = 0; // the event may be the connection's first exchange's, reused
                e.connect = 0;
                e.tls = 0;
            }
            e.commit();
        } else {
            unrecorded(s.incoming);
        }
        s.spare.set(e); // after the commit: the next exchange may begin it on another thread
    }

    /** Ends the event: whether a recording keeps it (JFR's own threshold and enabled state). */
    private static boolean endAndCheck(HttpExchangeEvent e) {
        e.end();
        return e.shouldCommit();
    }

    /** Hands a slow exchange, or one that got no response, to the correlator. */
    private static void slow(Conn c, State s) {
        CallSink k = sink;
        // ended by its last byte; one that ended at the next request or the close ended at its last byte
        long end = s.lastByte != 0 ? s.lastByte : System.nanoTime();
        long last = s.lastByte;
        if (streamKind(s) != null) {
            end = s.firstByte; // a stream is judged by its first byte, not by how long it went on
            last = end;
        }
        if (k == null || (end - s.start < k.slowNanos() && s.status != 0 && s.status < k.statusAtLeast())) {
            return;
        }
        AppCall call = AppCall.exchange(AppCall.HTTP, c, s.start, end, s.failure, s.thread, s.threadId,
                s.method + " " + s.path, s.incoming, s.requestSent, s.firstByte, last, s.status, s.context);
        call.outByte = s.sentByte;
        call.inByte = s.answerByte;
        call.ownThread = s.incoming && s.ownThread;
        k.call(call);
    }

    /**
     * The offset in its TCP stream of the last byte written on {@code c}, as the app counts them
     * (over TLS, the last byte of the record that carried it); -1 when not known.
     */
    static long lastOut(Conn c) {
        Conn tcp = c.tcp;
        if (tcp == null || c.tls == Conn.TLS_ENGINE) {
            return c.bytesWritten.get() - 1; // an engine's: the TLS bytes it produced, the wrap just made
        }
        return c.tls == Conn.TLS_SOCKET ? tcp.bytesWritten.get() - 1 : -1;
    }

    /**
     * The offset of the first byte of a read of {@code total} bytes that just returned; over an
     * SSLSocket, the last byte of the TLS record its plaintext came in (the socket reads a record
     * at a time: its plaintext was there once the record's last byte was); -1 when not known.
     */
    static long readFrom(Conn c, long total) {
        Conn tcp = c.tcp;
        if (tcp == null) {
            return c.bytesRead.get() - total;
        }
        if (c.tls == Conn.TLS_ENGINE) {
            return c.bytesRead.get() - 1; // the TLS bytes its engine consumed: the unwrap just took the record
        }
        return c.tls == Conn.TLS_SOCKET ? tcp.bytesRead.get() - 1 : -1;
    }

    /** The index in METHODS of the request line's method, or -1. */
    private static int method(Object data, int offset, long n) {
        for (int i = 0; i < METHOD_BYTES.length; i++) {
            if (startsWith(data, offset, n, METHOD_BYTES[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The request target up to the space before the version, as {@link RequestLine#target} records
     * it (cut at its length, the userinfo, path parameters and query gone).
     */
    private static String path(Object data, int offset, long n, int from) {
        int end = (int) Math.min(n, from + RequestLine.MAX_TARGET);
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < end; i++) {
            int b = at(data, offset, i);
            if (b == ' ' || b == '\r' || b == '\n') {
                break;
            }
            sb.append((char) b);
            if (b == '?') {
                break; // the query is never looked at
            }
        }
        return RequestLine.target(sb);
    }

    /**
     * Whether the request target from {@code from} is {@code last}, byte for byte, and plain (no
     * query, no path parameters: what {@link #path} would make of it is then itself).
     */
    static boolean samePath(String last, Object data, int offset, long n, int from) {
        if (last == null || from + last.length() >= n) {
            return false;
        }
        for (int i = 0; i < last.length(); i++) {
            int b = at(data, offset, from + i);
            if (b != last.charAt(i) || b == '?' || b == ';') {
                return false;
            }
        }
        int after = at(data, offset, from + last.length());
        return after == ' ' || after == '\r' || after == '\n';
    }

    /** The three digits after "HTTP/1.x ", or 0. */
    private static int status(Object data, int offset, long n) {
        if (n < 12) {
            return 0;
        }
        int v = 0;
        for (int i = 9; i < 12; i++) {
            int d = at(data, offset, i) - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static boolean startsWith(Object data, int offset, long n, byte[] prefix) {
        if (n < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (at(data, offset, i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** A word of eight '\r' bytes, and the masks of the test for a zero byte: how {@link #nextCr} reads eight bytes at once. */
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
    private static final long LOWS = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    /** Eight bytes of a byte[] as one little-endian long. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** The bit that makes an ASCII letter lower case, in each byte of a word. */
    private static final long CASE = 0x2020202020202020L;
    /** The first eight bytes of the header names {@link #length} looks for, as {@link #word} reads them. */
    static final long CONTENT_ = word("content-");
    static final long TRANSFER = word("transfer");
    static final long UPGRADE_ = word("upgrade:");
    /** Bytes 7-14 of "content-length:" and 5-12 of "content-type:", as {@link #word} reads them. */
    static final long DASH_LENGTH = word("-length:");
    static final long NT_TYPE = word("nt-type:");

    private static long word(String eight) {
        return word(eight.getBytes(StandardCharsets.US_ASCII), 0, 0);
    }

    /**
     * Bytes i to i + 7 of the data as one little-endian long, each with its case bit set: a letter
     * in either case reads as the lower, and '-' and ':' as themselves. Other bytes may read as
     * one of those too ('\r' as '-'), so a match is a candidate that {@link #header} confirms.
     */
    static long word(Object data, int offset, int i) {
        long v;
        if (data instanceof byte[]) {
            v = (long) LONGS.get((byte[]) data, offset + i);
        } else {
            ByteBuffer b = (ByteBuffer) data;
            v = b.getLong(offset + i);
            if (b.order() == ByteOrder.BIG_ENDIAN) {
                v = Long.reverseBytes(v);
            }
        }
        return v | CASE;
    }

    /**
     * The first {@code i} in [{@code from}, {@code limit}) whose byte is '\r', or -1. Header blocks
     * are scanned for their line ends: a buffer's bytes are read eight at a time, so that a
     * response's headers cost a few dozen reads, not one per byte with its checks.
     */
    static int nextCr(Object data, int offset, int from, int limit) {
        int i = from;
        if (data instanceof ByteBuffer) {
            ByteBuffer b = (ByteBuffer) data;
            if (b.hasArray()) {
                int base = b.arrayOffset() + offset;
                i = nextCr(b.array(), base + from, base + limit);
                return i < 0 ? -1 : i - base;
            }
            boolean big = b.order() == ByteOrder.BIG_ENDIAN;
            for (; i + 8 <= limit; i += 8) {
                long w = b.getLong(offset + i);
                int at = firstCr(big ? Long.reverseBytes(w) : w); // as the bytes lie: the first is the lowest
                if (at < 8) {
                    return i + at;
                }
            }
            for (; i < limit; i++) {
                if (b.get(offset + i) == '\r') {
                    return i;
                }
            }
            return -1;
        }
        int a = nextCr((byte[]) data, offset + from, offset + limit);
        return a < 0 ? -1 : a - offset;
    }

    private static int nextCr(byte[] a, int from, int limit) {
        int i = from;
        for (; i + 8 <= limit; i += 8) {
            int at = firstCr((long) LONGS.get(a, i));
            if (at < 8) {
                return i + at;
            }
        }
        for (; i < limit; i++) {
            if (a[i] == '\r') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Which of the eight bytes of {@code w} (the first the lowest) is the first '\r', or 8 if none
     * is. The test for a zero byte flags the lowest zero byte exactly: a borrow only runs upwards,
     * so it can flag a byte above a zero one, never one below it. So the word's lowest flag is the
     * line's end, with no byte-by-byte look after the word.
     */
    static int firstCr(long w) {
        long v = w ^ CRS;
        long zero = (v - LOWS) & ~v & HIGHS;
        return Long.numberOfTrailingZeros(zero) >>> 3; // 64 >>> 3 = 8 when no byte is flagged
    }

    /** Byte i of the data, which starts at {@code offset} of a byte[] or a ByteBuffer. */
    static int at(Object data, int offset, int i) {
        if (data instanceof byte[]) {
            return ((byte[]) data)[offset + i] & 0xFF;
        }
        return ((ByteBuffer) data).get(offset + i) & 0xFF;
    }
}
