package io.wiretrace.agent.app;

import io.wiretrace.agent.events.HttpExchangeEvent;
import io.wiretrace.analysis.h2.FrameListener;
import io.wiretrace.analysis.h2.FrameReader;
import io.wiretrace.analysis.http.RequestLine;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * HTTP/2 exchanges from the bytes an app writes and reads on a connection whose first bytes were
 * HTTP/2's (the client preface, in the clear or in TLS): each direction has its frame reader, fed
 * every byte in order (the client's before they leave), and each stream is an exchange — its
 * request's HEADERS begin it, its response's HEADERS answer it, END_STREAM or RST_STREAM ends it.
 * A connection opened before the capture is not read: its header table cannot be known.
 *
 * <p>The two directions run on different threads (the JDK HttpClient writes on the caller's
 * thread, reads on its selector): a stream is made by the thread that reads or writes its request
 * and published through a lock-free table; whichever thread removes it from the table ends it.
 * The HTTP/2 flow-control windows — the connection's and each stream's — are followed each way, so
 * a stream whose bytes waited for the receiver's window says how long. Each stream allocates its event and its strings.
 */
final class H2Exchanges {
    private static final int SLOTS = 1024;
    private static final int DEFAULT_WINDOW = 65_535;

    static final class Stream {
        final int id;
        HttpExchangeEvent event = new HttpExchangeEvent();
        long start;
        long requestSent;
        long firstByte;
        long lastByte;
        long requestBytes;
        long responseBytes;
        int status;
        String method;
        String path;
        String thread;
        long threadId;
        long context;
        String failure;
        /** Its request, and its response, went out whole (END_STREAM). */
        volatile boolean requestEnded;
        /** How long its bytes waited for a flow-control window, and whose: the peer's (it did not read) or the app's. */
        long windowWait;
        boolean peerWindow;
        /** Its own flow-control windows, for its request's bytes and its response's; since when each way was blocked (0: not). */
        long requestWindow;
        long responseWindow;
        long requestShut;
        long responseShut;
        /** Other streams were open when it began (their bytes shared its packets); and the connection's count of streams begun, its own included. */
        boolean shared;
        int begunAt;
        /** DATA of its response that came apart from the frame before (HttpExchanges.PIECE_GAP_NANOS), the longest gap; trailers named a grpc-status. */
        int pieces;
        long longestGap;
        boolean grpc;

        Stream(int id) {
            this.id = id;
        }
    }

    static final class State extends ByteFed {
        /** The app serves the connection (it read the client's preface), or calls over it. */
        final boolean server;
        final FrameReader clientFrames;
        final FrameReader serverFrames;
        final AtomicReferenceArray<Stream> streams = new AtomicReferenceArray<>(SLOTS);
        final Conn conn;
        /** Set before each feed, on the feeding thread: when its frames were read or written. */
        long clientNow;
        long serverNow;
        /** Flow control: each sender's connection window. */
        final Window fromClient = new Window();
        final Window fromServer = new Window();
        /** Each side's SETTINGS_INITIAL_WINDOW_SIZE: the window the other side's streams start with. */
        volatile long clientInitial = DEFAULT_WINDOW;
        volatile long serverInitial = DEFAULT_WINDOW;
        final AtomicInteger open = new AtomicInteger();
        /** Streams begun on it (by the one direction that begins them): one begun later than a stream, while it was open, shared it. */
        volatile int begun;
        volatile String label;
        volatile String lost;

        State(Conn conn, boolean server) {
            this.conn = conn;
            this.server = server;
            this.clientFrames = new FrameReader(true, new Frames(this, true));
            this.serverFrames = new FrameReader(false, new Frames(this, false));
        }
    }

    /** One sender's connection-level window (65,535 at first, whatever the settings say). */
    static final class Window {
        volatile long size = DEFAULT_WINDOW;
    }

    private H2Exchanges() {
    }

    /** The first bytes of a connection are HTTP/2's client preface: a state that reads it, written by the app (client) or read (server). */
    static State install(Conn c, boolean server) {
        State s = new State(c, server);
        c.protocol = s;
        c.application = RequestLine.H2;
        return s;
    }

    /**
     * Whether bytes seen on a connection whose start was not seen are whole HTTP/2 frames (at least
     * one; known types, lengths within the default maximum, reserved bits clear, each header
     * followed by its payload to the end): the connection is then marked, not read.
     */
    static boolean frames(Object data, int offset, long n) {
        long i = 0;
        while (i < n) {
            if (n - i < 9) {
                return false;
            }
            int at = offset + (int) i;
            long length = (HttpExchanges.at(data, at, 0) << 16) | (HttpExchanges.at(data, at, 1) << 8)
                    | HttpExchanges.at(data, at, 2);
            int type = HttpExchanges.at(data, at, 3);
            if (type > 9 || length > 16_384 || (HttpExchanges.at(data, at, 5) & 0x80) != 0 || length > n - i - 9) {
                return false;
            }
            i += 9 + length;
        }
        return n > 0;
    }

    /**
     * The connection goes on in HTTP/2 after a 101 answered its request's {@code Upgrade: h2c}: that
     * request is stream 1, begun when it was, its event the one begun then. The client's preface
     * comes next; the server's SETTINGS follow its 101.
     */
    static State upgraded(Conn c, boolean server, HttpExchangeEvent event, String method, String path, String thread,
            long threadId, long start, long requestSent, long context) {
        State s = install(c, server);
        Stream st = new Stream(1);
        if (event != null) {
            st.event = event;
        } else {
            st.event.begin();
        }
        st.start = start;
        st.requestSent = requestSent;
        st.requestEnded = true;
        st.method = method;
        st.path = path;
        st.thread = thread;
        st.threadId = threadId;
        st.context = context;
        st.requestWindow = DEFAULT_WINDOW;
        st.responseWindow = DEFAULT_WINDOW;
        st.begunAt = 1;
        s.begun = 1;
        s.streams.set(0, st);
        s.open.set(1);
        s.label = thread + " · " + method + " " + path + " (h2 stream 1)";
        return s;
    }

    /** Before a write: the app's frames are read (the client's if it calls, the server's if it serves). */
    static void beforeWrite(State s, Object data, int offset, long n) {
        if (n <= 0) {
            return;
        }
        long before = s.fedBefore(n);
        int k = (int) Math.min(n - before, Integer.MAX_VALUE);
        if (s.lost != null) {
            return;
        }
        long now = System.nanoTime();
        if (s.server) {
            s.serverNow = now;
            s.serverFrames.feed(data, offset + (int) before, k);
        } else {
            s.clientNow = now;
            s.clientFrames.feed(data, offset + (int) before, k);
        }
    }

    static void write(State s, long total) {
        if (total > 0) {
            s.written(total);
        }
    }

    /** A read of {@code total} bytes (-1: the end of the stream), the first {@code n} in {@code data}. */
    static void read(State s, Object data, int offset, long n, long total, long now) {
        if (total < 0) {
            close(s);
            return;
        }
        FrameReader r = s.server ? s.clientFrames : s.serverFrames;
        if (s.lost != null) {
            return;
        }
        if (n != total) {
            abandon(s, "a read not seen whole");
            return;
        }
        if (s.server) {
            s.clientNow = now;
        } else {
            s.serverNow = now;
        }
        r.feed(data, offset, (int) n);
    }

    /** The connection closes: its open streams end without their responses. */
    static void close(State s) {
        for (int i = 0; i < SLOTS; i++) {
            Stream st = s.streams.get(i);
            if (st != null) {
                end(s, st, "the connection ended");
            }
        }
    }

    /**
     * A direction's frames can no longer be followed: the open streams are let go, not reported
     * (how they ended is not known), and the connection is not read again.
     */
    private static void abandon(State s, String why) {
        s.lost = why;
        for (int i = 0; i < SLOTS; i++) {
            Stream st = s.streams.get(i);
            if (st != null && s.streams.compareAndSet(i, st, null)) {
                s.open.decrementAndGet();
                if (s.server) {
                    RequestContext.leave(st.context);
                }
            }
        }
    }

    static boolean inExchange(State s) {
        return s.open.get() > 0;
    }

    static String label(State s) {
        return s.label;
    }

    private static Stream find(State s, int id) {
        Stream st = s.streams.get((id >>> 1) & (SLOTS - 1));
        return st != null && st.id == id ? st : null;
    }

    /** A stream's request begins (its HEADERS read by a server, written by a client). */
    private static void begin(State s, int id, String method, String path, long now) {
        Stream st = new Stream(id);
        st.event.begin();
        st.start = now;
        st.requestSent = now;
        st.method = method != null ? method : "?";
        st.path = path != null ? path : "";
        st.thread = Thread.currentThread().getName();
        st.threadId = Thread.currentThread().getId();
        if (s.server) {
            st.context = RequestContext.next();
            RequestContext.swap(st.context); // a worker it is handed to carries it
        } else {
            st.context = RequestContext.current();
        }
        st.shared = s.open.get() > 0;
        st.requestWindow = s.serverInitial;
        st.responseWindow = s.clientInitial;
        int slot = (id >>> 1) & (SLOTS - 1);
        Stream old = s.streams.get(slot);
        if (old != null) {
            end(s, old, "over " + SLOTS + " streams open"); // its slot is needed: it ends here
        }
        st.begunAt = s.begun + 1;
        s.begun = st.begunAt;
        s.streams.set(slot, st);
        s.open.incrementAndGet();
        s.label = st.thread + " · " + st.method + " " + st.path + " (h2 stream " + id + ")";
    }

    /** Ends a stream once: whichever thread takes it out of the table. */
    private static void end(State s, Stream st, String failure) {
        int slot = (st.id >>> 1) & (SLOTS - 1);
        if (!s.streams.compareAndSet(slot, st, null)) {
            return;
        }
        s.open.decrementAndGet();
        if (failure != null && st.failure == null) {
            st.failure = failure;
        }
        if (s.server) {
            RequestContext.leave(st.context);
        }
        slow(s, st);
        HttpExchangeEvent e = st.event;
        e.end();
        if (e.shouldCommit() && HttpExchanges.recorded(st.start, st.lastByte != 0 ? st.lastByte : System.nanoTime(),
                st.begunAt, st.status, st.failure, streamKind(st) != null, s.server, st.context)) {
            s.conn.into(e);
            e.set(s.server, st.method, st.path, st.status, st.thread, st.start, st.requestSent, st.firstByte, st.lastByte,
                    st.requestBytes, st.responseBytes);
            e.streamId = st.id;
            e.streamKind = streamKind(st);
            e.streamed = e.streamKind != null;
            e.longestGap = st.longestGap;
            e.commit();
        } else {
            HttpExchanges.unrecorded(s.server);
        }
    }

    /** Streams begun on the connection. */
    static int begun(State s) {
        return s.begun;
    }

    private static void slow(State s, Stream st) {
        CallSink k = HttpExchanges.sink;
        long end = st.lastByte != 0 ? st.lastByte : System.nanoTime();
        long last = st.lastByte;
        if (streamKind(st) != null && st.failure == null) {
            end = st.firstByte; // a stream is judged by its first byte, not by how long it went on
            last = end;
        }
        if (k == null || (end - st.start < k.slowNanos() && st.status != 0 && st.failure == null
                && st.status < k.statusAtLeast())) {
            return;
        }
        AppCall call = AppCall.exchange(AppCall.HTTP, s.conn, st.start, end, st.failure, st.thread, st.threadId,
                st.method + " " + st.path, s.server, st.requestSent, st.firstByte, last, st.status, st.context);
        call.multiplexed = true;
        call.shared = st.shared || s.begun != st.begunAt; // another began while it was open
        call.windowWait = st.windowWait;
        call.peerWindow = st.peerWindow;
        k.call(call);
    }

    /** How the stream's response streamed: "grpc" or "h2" when its DATA came piece by piece; else null. */
    static String streamKind(Stream st) {
        return st.pieces < HttpExchanges.STREAM_PIECES ? null : st.grpc ? "grpc" : "h2";
    }

    /** What one direction's reader found. */
    private static final class Frames implements FrameListener {
        private final State s;
        private final boolean client;

        Frames(State s, boolean client) {
            this.s = s;
            this.client = client;
        }

        private long now() {
            return client ? s.clientNow : s.serverNow;
        }

        @Override
        public void headers(int streamId, boolean endStream, String method, String path, int status, String grpcStatus) {
            long now = now();
            Stream st = find(s, streamId);
            if (client) {
                if (st == null && method != null) {
                    begin(s, streamId, method, path, now);
                    st = find(s, streamId);
                }
                if (st != null && endStream) {
                    st.requestSent = now;
                    st.requestEnded = true;
                }
                return;
            }
            if (st == null) {
                return;
            }
            st.grpc |= grpcStatus != null;
            if (status >= 200) { // not an interim 1xx
                st.status = status;
                st.firstByte = now;
            }
            st.lastByte = now;
            if (endStream) {
                end(s, st, null);
            }
        }

        @Override
        public void data(int streamId, int length, boolean endStream) {
            long now = now();
            Window w = client ? s.fromClient : s.fromServer;
            w.size -= length;
            Stream st = find(s, streamId);
            if (st == null) {
                return;
            }
            if (client) {
                st.requestBytes += length;
                st.requestWindow -= length;
                if (endStream) {
                    st.requestSent = now;
                    st.requestEnded = true;
                }
                settle(st, now);
            } else {
                st.responseBytes += length;
                st.responseWindow -= length;
                long gap = now - st.lastByte;
                if (st.firstByte != 0 && gap >= HttpExchanges.PIECE_GAP_NANOS) {
                    st.pieces++;
                    st.longestGap = Math.max(st.longestGap, gap);
                }
                st.lastByte = now;
                settle(st, now);
                if (endStream) {
                    end(s, st, null);
                }
            }
        }

        @Override
        public void reset(int streamId, long errorCode) {
            Stream st = find(s, streamId);
            if (st != null) {
                end(s, st, "RST_STREAM " + errorCode + " from the " + (client ? "client" : "server"));
            }
        }

        @Override
        public void goAway(int lastStreamId, long errorCode) {
            // streams above lastStreamId end with the connection, or are retried on another
        }

        @Override
        public void windowUpdate(int streamId, int increment) {
            if (streamId != 0) {
                stream(streamId, increment);
                return;
            }
            // this direction's update opens the other direction's sender's window, for every stream
            Window w = client ? s.fromServer : s.fromClient;
            boolean shut = w.size <= 0;
            w.size += increment;
            if (!shut || w.size <= 0) {
                return; // no stream waited for it, or all still do
            }
            long now = now();
            for (int i = 0; i < SLOTS; i++) {
                Stream st = s.streams.get(i);
                if (st != null) {
                    settle(st, now);
                }
            }
        }

        /**
         * Whether each way of a stream is blocked by a flow-control window now — its own or the
         * connection's spent while it has bytes to send — and since when; a wait that ends counts.
         * Whose window: the peer's when the blocked sender is the app.
         */
        private void settle(Stream st, long now) {
            boolean request = !st.requestEnded && (s.fromClient.size <= 0 || st.requestWindow <= 0);
            if (request && st.requestShut == 0) {
                st.requestShut = now;
            } else if (!request && st.requestShut != 0) {
                st.windowWait += now - st.requestShut;
                st.requestShut = 0;
                st.peerWindow = !s.server;
            }
            boolean response = st.firstByte != 0 && (s.fromServer.size <= 0 || st.responseWindow <= 0);
            if (response && st.responseShut == 0) {
                st.responseShut = now;
            } else if (!response && st.responseShut != 0) {
                st.windowWait += now - st.responseShut;
                st.responseShut = 0;
                st.peerWindow = s.server;
            }
        }

        /** A stream's window opened: by the client's update, the server's sending (its response); by the server's, the client's (its request). */
        private void stream(int streamId, int increment) {
            Stream st = find(s, streamId);
            if (st == null) {
                return;
            }
            if (client) {
                st.responseWindow += increment;
            } else {
                st.requestWindow += increment;
            }
            settle(st, now());
        }

        @Override
        public void settings(int initialWindowSize, int headerTableSize) {
            if (initialWindowSize >= 0) { // the other side's streams start with it, and open ones move by the change
                long change = initialWindowSize - (client ? s.clientInitial : s.serverInitial);
                if (client) {
                    s.clientInitial = initialWindowSize;
                } else {
                    s.serverInitial = initialWindowSize;
                }
                for (int i = 0; i < SLOTS && change != 0; i++) {
                    Stream st = s.streams.get(i);
                    if (st != null) {
                        if (client) {
                            st.responseWindow += change;
                        } else {
                            st.requestWindow += change;
                        }
                    }
                }
            }
            // a side's table size bounds the other side's encoder
            if (headerTableSize >= 0) {
                (client ? s.serverFrames : s.clientFrames).maxHeaderTableSize(headerTableSize);
            }
        }

        @Override
        public void lost(String why) {
            abandon(s, why);
        }
    }
}
