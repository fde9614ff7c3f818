package io.wiretrace.agent.app;

import io.wiretrace.agent.events.DnsLookupEvent;
import io.wiretrace.agent.events.SocketAcceptEvent;
import io.wiretrace.agent.events.SocketCloseEvent;
import io.wiretrace.agent.events.SocketConnectEvent;
import io.wiretrace.agent.events.SocketReadEvent;
import io.wiretrace.agent.events.SocketWriteEvent;
import io.wiretrace.bootstrap.Dispatcher;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What the advice calls on app threads. It must never throw and never wait on the agent: a read
 * or write looks the socket up in a concurrent map (lock-free), counts, and commits a JFR event
 * when the recording wants it; the event objects are reused per thread, so such a call allocates
 * nothing. Only adding or removing a connection writes the map, which may briefly lock one of
 * its segments against another app thread doing the same. The maps hold the app's objects weakly
 * ({@link WeakIdentityMap}): a socket the app drops unclosed is collected, its Cleaner closes its
 * file descriptor, and its connection ends as a close would ({@link #expunge}).
 */
public final class Tracer implements Dispatcher.Hooks {
    private final WeakIdentityMap<Conn> conns = new WeakIdentityMap<>();
    private final WeakIdentityMap<Pending> pending = new WeakIdentityMap<>();
    /** Connections by "localPort/remotePort/remoteAddress": how an SSLSocket finds its own. */
    private final ConcurrentHashMap<String, Conn> byTuple = new ConcurrentHashMap<>();
    /** The plaintext sides of TLS connections. */
    private final Tls tls;
    /** Channels that are not TCP (UNIX domain sockets share SocketChannelImpl with TCP). */
    private final WeakIdentityMap<Boolean> notTcp = new WeakIdentityMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final LongSupplier nextId = ids::incrementAndGet;
    private final ThreadLocal<Slot> slots = ThreadLocal.withInitial(Slot::new);
    /**
     * File descriptors that Netty's native transports accepted and that no socket object used
     * yet (Netty makes it after the accept): the connection's first call finds it here.
     */
    private final ConcurrentHashMap<Integer, Boolean> nativeAccepted = new ConcurrentHashMap<>();
    /** Connects Netty's io_uring transport submitted, by the channel's unsafe, until the ring says how they ended. */
    private final WeakIdentityMap<Pending> ringConnects = new WeakIdentityMap<>();
    /**
     * The JDK HttpClient's requests (its own copies) sent for a request, until their headers go out:
     * found by equality (HttpRequest's equals), since the copy that goes out may be another one;
     * held strongly, but at most 4,096, and none holds a socket.
     */
    private final ConcurrentHashMap<Object, Long> clientRequests = new ConcurrentHashMap<>();
    public final LongAdder connects = new LongAdder();
    public final LongAdder failedConnects = new LongAdder();
    public final LongAdder accepts = new LongAdder();
    public final LongAdder closes = new LongAdder();
    /** Connections whose socket the app dropped without closing it, found collected by the GC. */
    public final LongAdder dropped = new LongAdder();
    private final Consumer<Conn> drop = this::dropped;
    public final LongAdder reads = new LongAdder();
    public final LongAdder writes = new LongAdder();
    public final LongAdder untracked = new LongAdder();
    /** Reads and writes of virtual threads that found their connection's event held by another thread. */
    public final LongAdder unrecorded = new LongAdder();
    public final LongAdder errors = new LongAdder();
    /** Address look-ups: one per connection, never one per call. */
    final LongAdder lookups = new LongAdder();
    public final AtomicReference<Throwable> firstError = new AtomicReference<>();
    /** Where slow and failed calls go to be explained; null: nowhere. */
    private final CallSink correlator;
    private final long slowNanos;

    /**
     * Reads and writes that took less than this skip their JFR event's end() and shouldCommit(), a
     * clock read and a few checks on the app's thread: half the lowest threshold any recording gives
     * them ({@link CallThresholds}), so that JFR's own measure of the call, a little longer than
     * ours, could not have reached it. 0: every call is checked.
     */
    private volatile long skipEventBelow;
    /** Counts the recordings' changes, so that a look at them made before one does not outlive it. */
    private long recordingChanges;

    public Tracer(CallSink correlator) {
        this.correlator = correlator;
        this.slowNanos = correlator != null ? correlator.slowNanos() : Long.MAX_VALUE;
        this.tls = new Tls(correlator, slowNanos, byTuple);
    }

    /**
     * A recording started, stopped or changed state: until the recordings are looked at again
     * ({@link #readThresholds}), every call's event is checked.
     */
    public void recordingsChanged() {
        synchronized (this) {
            recordingChanges++;
            skipEventBelow = 0;
        }
    }

    /**
     * Looks at the running recordings' thresholds for socket reads and writes: at the start, at each
     * recording's change, and every second (a running recording's settings can change through JMX
     * without a notice).
     */
    public void readThresholds() {
        long seen;
        synchronized (this) {
            seen = recordingChanges;
        }
        long below;
        try {
            long lowest = jdk.jfr.FlightRecorder.isAvailable()
                    ? CallThresholds.lowest(jdk.jfr.FlightRecorder.getFlightRecorder().getRecordings())
                    : Long.MAX_VALUE;
            below = lowest / 2;
        } catch (Throwable t) {
            below = 0;
        }
        synchronized (this) {
            if (recordingChanges == seen) {
                skipEventBelow = below;
            }
        }
    }

    /** What {@link #readThresholds} found: reads and writes shorter than this skip their event's checks. */
    long skipEventBelow() {
        return skipEventBelow;
    }

    /** A non-blocking connect in progress. */
    private static final class Pending {
        final SocketConnectEvent event;
        final long start;
        final long dns;
        /** The request the connect was made for. */
        final long context = RequestContext.current();
        /** The peer, where only the start knows it (io_uring). */
        final Object remote;

        Pending(SocketConnectEvent event, long start, long dns) {
            this(event, start, dns, null);
        }

        Pending(SocketConnectEvent event, long start, long dns, Object remote) {
            this.event = event;
            this.start = start;
            this.dns = dns;
            this.remote = remote;
        }
    }

    /**
     * The lookup that gave a connect its address: this thread's last one since its last connect,
     * if it ended within a second before this connect began and resolved to the address connected
     * to; else 0. A connect uses up the lookup, so that a later connect to the same address (by
     * its number, or by another name) is not credited with it.
     */
    private static long dns(Slot slot, long start, Object remote) {
        Object result = slot.lookupResult;
        slot.lookupResult = null;
        if (!(result instanceof java.net.InetAddress[]) || !(remote instanceof java.net.InetSocketAddress)
                || start - slot.lookupEnd > 1_000_000_000L || slot.lookupEnd - start > 0) {
            return 0;
        }
        java.net.InetAddress to = ((java.net.InetSocketAddress) remote).getAddress();
        for (java.net.InetAddress a : (java.net.InetAddress[]) result) {
            if (a.equals(to)) {
                return slot.lookupNanos;
            }
        }
        return 0;
    }

    private static final class Slot {
        SocketConnectEvent connect = new SocketConnectEvent();
        final SocketAcceptEvent accept = new SocketAcceptEvent();
        final SocketReadEvent read = new SocketReadEvent();
        final SocketWriteEvent write = new SocketWriteEvent();
        final DnsLookupEvent lookup = new DnsLookupEvent();
        /** Netty's native memory seen as a buffer (null: it cannot be); made on first use. */
        ByteBuffer view;
        boolean viewTried;
        /** In an SSLSocket handshake: its reads and writes are part of it. */
        boolean handshaking;
        /** This thread's last name lookup: what it resolved, how long it took, when it ended. */
        Object lookupResult;
        long lookupNanos;
        long lookupEnd;
    }

    /** The token the advice hands back to exit and io: the call's start, never 0. */
    private static long start() {
        long t = System.nanoTime();
        return t == 0 ? 1 : t;
    }

    @Override
    public long enter(int op, Object socket) {
        try {
            switch (op) {
                case Dispatcher.CONNECT:
                    slots.get().connect.begin();
                    break;
                case Dispatcher.ACCEPT:
                case Dispatcher.NATIVE_ACCEPT:
                    slots.get().accept.begin();
                    break;
                case Dispatcher.READ:
                case Dispatcher.WRITE: {
                    Thread v = VirtualThreads.current();
                    if (v == null) {
                        Slot slot = slots.get();
                        (op == Dispatcher.READ ? slot.read : slot.write).begin();
                    } else {
                        beginVirtual(op, conn(socket), v);
                    }
                    break;
                }
                case Dispatcher.CLOSE:
                    close(socket);
                    return 0L;
                case Dispatcher.HANDSHAKE:
                    slots.get().handshaking = true;
                    break;
                case Dispatcher.TLS_READ:
                    break;

                case Dispatcher.CLIENT_REQUEST:
                    clientRequest(socket);
                    return 0L;
                case Dispatcher.LOOKUP:
                    if (!(socket instanceof String) || isLiteral((String) socket)) {
                        return 0L; // no lookup: the JDK parses an address literal
                    }
                    slots.get().lookup.begin();
                    break;
                default:
                    break;
            }
            return start();
        } catch (Throwable t) {
            error(t);
            return 0L;
        }
    }

    @Override
    public long enterWrite(int op, Object socket, Object data, int offset, int length) {
        try {
            if (op == Dispatcher.ENGINE_UNWRAP) {
                return tls.unwrapping(socket, data, offset, start());
            }
            long start;
            Conn c;
            if (op == Dispatcher.TLS_WRITE || op == Dispatcher.ENGINE_WRAP) {
                start = start();
                c = tls.plain(socket);
            } else {
                Thread v = VirtualThreads.current();
                if (v == null) {
                    slots.get().write.begin();
                }
                start = start();
                c = conn(socket);
                if (v != null) {
                    beginVirtual(Dispatcher.WRITE, c, v);
                }
            }
            if (c == null || data == null) {
                return start;
            }
            ByteBuffer[] rest = null;
            int next = 0;
            if (data instanceof ByteBuffer[]) {
                ByteBuffer[] all = (ByteBuffer[]) data;
                data = null;
                for (int i = offset; i < all.length && data == null; i++) {
                    if (all[i].hasRemaining()) {
                        data = all[i];
                        rest = all;
                        next = i + 1;
                    }
                }
                if (data == null) {
                    return start;
                }
            }
            if (data instanceof ByteBuffer) {
                offset = ((ByteBuffer) data).position();
                length = ((ByteBuffer) data).remaining();
            }
            if (op == Dispatcher.WRITE && c.plain == null && c.bytesWritten.get() == 0) {
                tls.firstWrite(c, data, offset, length);
            }
            // Before the bytes leave: the answer may be read on another thread before this write returns.
            HttpExchanges.beforeWrite(c, data, offset, length, start);
            if (rest != null && c.protocol instanceof ByteFed) { // a reader fed every byte gets the other buffers too
                for (int i = next; i < rest.length; i++) {
                    ByteBuffer b = rest[i];
                    if (b != null && b.hasRemaining()) {
                        HttpExchanges.beforeWrite(c, b, b.position(), b.remaining(), start);
                    }
                }
            }
            return start;
        } catch (Throwable t) {
            error(t);
            return 0L;
        }
    }

    @Override
    public void exit(int op, Object socket, long token, long result, Throwable thrown, Object arg) {
        try {
            switch (op) {
                case Dispatcher.CONNECT:
                    connect(socket, token, result, thrown, arg);
                    break;
                case Dispatcher.FINISH_CONNECT:
                    finishConnect(socket, result, thrown);
                    break;
                case Dispatcher.ACCEPT:
                    accept(arg, thrown);
                    break;
                case Dispatcher.NATIVE_ACCEPT:
                    if (thrown == null && result >= 0) {
                        nativeAccepted((int) result);
                    }
                    break;
                case Dispatcher.CLIENT_HEADERS:
                    clientHeaders(socket, arg);
                    break;
                case Dispatcher.RING_CONNECT:
                    if (ringConnects.size() >= 4096) {
                        ringConnects.clear(); // connects whose end never came (their channels closed first)
                    }
                    ringConnects.put(socket, new Pending(new SocketConnectEvent(), System.nanoTime(), 0, arg));
                    break;
                case Dispatcher.RING_CONNECTED:
                    ringConnected(socket, (int) result);
                    break;
                case Dispatcher.LOOKUP:
                    lookup((String) socket, token, thrown, arg);
                    break;
                case Dispatcher.HANDSHAKE:
                    slots.get().handshaking = false;
                    tls.socketHandshake(socket, token, thrown);
                    break;
                default:
                    break;
            }
        } catch (Throwable t) {
            error(t);
        }
    }

    @Override
    public void io(int op, Object socket, long token, long result, Throwable thrown, Object data, int offset) {
        try {
            if (op == Dispatcher.TLS_READ || op == Dispatcher.TLS_WRITE) {
                tls.plaintext(op, socket, result, thrown, data, offset);
                return;
            }
            if (op == Dispatcher.ENGINE_WRAP || op == Dispatcher.ENGINE_UNWRAP) {
                tls.engine(op, socket, token, result, thrown, data, offset);
                return;
            }
            // the call's end, for its event, the slow-call check and the exchange; none for a read that found nothing
            long now = result != 0 || thrown != null ? System.nanoTime() : 0;
            boolean fast = thrown == null && now - token < skipEventBelow;
            Conn c = op == Dispatcher.READ ? read(socket, result, thrown, fast) : write(socket, result, thrown, fast);
            if (c == null) {
                return;
            }
            slow(op, c, token, now, result, thrown);
            if (thrown != null || result == 0 || data == null) {
                return;
            }
            long n = result;
            if (data instanceof ByteBuffer[] && op == Dispatcher.WRITE) {
                n = 0; // a gathering write was looked at before it left: only its size counts now
            } else if (data instanceof ByteBuffer[]) {
                // A scattering read: look at the first buffer it filled, taking the buffers to
                // have started at position 0, as HTTP clients hand them over.
                ByteBuffer[] all = (ByteBuffer[]) data;
                ByteBuffer first = null;
                long sum = 0;
                for (int i = offset; i < all.length && sum < result; i++) {
                    int p = all[i].position();
                    if (p > 0 && first == null) {
                        first = all[i];
                    }
                    sum += p;
                }
                if (first == null || sum != result) {
                    return;
                }
                data = first;
                offset = 0;
                n = first.position();
            } else if (offset < 0 && data instanceof ByteBuffer) {
                offset = ((ByteBuffer) data).position() - (int) Math.max(result, 0); // the data ends there
            }
            if (op == Dispatcher.READ && c.role == Conn.SERVER && c.plain == null && c.bytesRead.get() == result) {
                tls.firstRead(c, data, offset, n);
            }
            if (op == Dispatcher.READ) {
                HttpExchanges.read(c, data, offset, n, result, now);
            } else {
                HttpExchanges.write(c, data, offset, n, result, now);
            }
        } catch (Throwable t) {
            error(t);
        }
    }

    @Override
    public long enterAddress(int op, Object socket, long address, int length) {
        try {
            Slot slot = slots.get();
            slot.write.begin();
            long start = start();
            Conn c = conn(socket);
            if (c == null || address == 0) {
                return start;
            }
            ByteBuffer data = length >= 0 ? view(slot, address, length) : firstIov(slot, address, -length);
            if (data == null) {
                return start;
            }
            int n = data.limit();
            if (c.plain == null && c.bytesWritten.get() == 0) {
                tls.firstWrite(c, data, 0, n);
            }
            HttpExchanges.beforeWrite(c, data, 0, n, start);
            return start;
        } catch (Throwable t) {
            error(t);
            return 0L;
        }
    }

    @Override
    public void ioAddress(int op, Object socket, long token, long result, Throwable thrown, long address, int length) {
        try {
            long now = result != 0 || thrown != null ? System.nanoTime() : 0;
            boolean fast = thrown == null && now - token < skipEventBelow;
            Conn c = op == Dispatcher.READ ? read(socket, result, thrown, fast) : write(socket, result, thrown, fast);
            if (c == null) {
                return;
            }
            slow(op, c, token, now, result, thrown);
            if (thrown != null || result == 0) {
                return;
            }
            if (op == Dispatcher.WRITE) {
                // single buffer: what was written; iovecs or a file: counted, as a gathering write's
                ByteBuffer data = length >= 0 && address != 0 ? view(slots.get(), address, (int) Math.min(result, length)) : null;
                HttpExchanges.write(c, data, 0, data == null ? 0 : data.limit(), result, now);
                return;
            }
            ByteBuffer data = result < 0 || address == 0 ? null : view(slots.get(), address, (int) Math.min(result, length));
            if (data == null && result > 0) {
                return;
            }
            if (data != null && c.role == Conn.SERVER && c.plain == null && c.bytesRead.get() == result) {
                tls.firstRead(c, data, 0, result);
            }
            HttpExchanges.read(c, data, 0, result < 0 ? result : data.limit(), result, now);
        } catch (Throwable t) {
            error(t);
        }
    }

    @Override
    public Object carry(int op, Object task) {
        try {
            if (op == Dispatcher.EXECUTE && task instanceof java.util.concurrent.Future) {
                return null; // made by submit, whose task carries the request already
            }
            return RequestContext.carry(task);
        } catch (Throwable t) {
            error(t);
            return null;
        }
    }

    /** The JDK HttpClient's copy of a request, made on the thread that sends it: it is sent for that thread's request. */
    private void clientRequest(Object request) {
        long context = RequestContext.current();
        if (context == 0) {
            return;
        }
        if (clientRequests.size() >= 4096) {
            clientRequests.clear(); // requests that never went out over HTTP/1.1 (h2, failed connects)
        }
        clientRequests.put(request, context);
    }

    /**
     * The JDK HttpClient is about to write a request's headers on a connection, maybe on a thread
     * of its own: the exchange that begins next on the connection is made for the request the
     * sending thread worked for.
     */
    private void clientHeaders(Object connection, Object request) throws Exception {
        Long context = clientRequests.remove(request);
        if (context == null) {
            return;
        }
        Object channel = HttpClientChannels.channel(connection);
        Conn c = channel == null ? null : conn(channel);
        if (c != null) {
            c.nextContext = context;
        }
    }

    /** This thread's view pointed at native memory, or null when none can be made. */
    private static ByteBuffer view(Slot slot, long address, int length) throws Throwable {
        if (!slot.viewTried) {
            slot.viewTried = true;
            slot.view = NativeSockets.newView();
        }
        return slot.view == null || length < 0 ? null : NativeSockets.point(slot.view, address, length);
    }

    /** The first iovec with bytes in an array of {@code count}, as a view; null if none. */
    private static ByteBuffer firstIov(Slot slot, long iov, int count) throws Throwable {
        if (NativeSockets.UNREADABLE != null) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            long n = NativeSockets.iovLength(iov, i);
            if (n > 0) {
                return view(slot, NativeSockets.iovBase(iov, i), (int) Math.min(n, Integer.MAX_VALUE));
            }
        }
        return null;
    }

    private static String tupleKey(Conn c) {
        return Conn.tupleKey(c.localPort, c.remotePort, c.remoteAddress);
    }

    /**
     * Hands a slow or failed read or write to the correlator, unless an HTTP exchange holds it
     * (the exchange is the call then) or it is a server's read, which waits for its client's
     * next request as a matter of course.
     */
    private void slow(int op, Conn c, long start, long now, long result, Throwable thrown) {
        if (correlator == null || start == 0 || (result == 0 && thrown == null)) {
            return;
        }
        // A timeout shorter than --slow is the app's own choice (HttpURLConnection probes a
        // pooled connection with a 1 ms read), not a failure to explain.
        boolean failed = thrown != null && !(thrown instanceof java.io.InterruptedIOException);
        if (now - start < slowNanos && !failed) {
            return;
        }
        Conn p = c.plain;
        boolean write = op == Dispatcher.WRITE;
        if (HttpExchanges.holds(c, write, failed) || (p != null && HttpExchanges.holds(p, write, failed))) {
            if (failed) {
                HttpExchanges.failed(HttpExchanges.inExchange(c) ? c : p, thrown);
            }
            return;
        }
        if (op == Dispatcher.READ && c.role == Conn.SERVER && !failed) {
            return;
        }
        if (slots.get().handshaking) {
            return; // the handshake is the call
        }
        AppCall call = new AppCall(op == Dispatcher.READ ? AppCall.READ : AppCall.WRITE, c, start, now, thrown);
        call.bytes = Math.max(0, result);
        call.request = HttpExchanges.stream(p != null ? p : c); // a stream's write the peer did not read, say
        // the bytes it moved, by their offsets in the connection's stream as the app counts them
        long written = c.bytesWritten.get();
        if (op == Dispatcher.READ) {
            call.inByte = result > 0 ? c.bytesRead.get() - result : -1;
            call.inLast = result > 0 ? call.inByte + result - 1 : -1;
            call.outByte = written - 1;
        } else {
            call.outByte = result > 0 ? written - 1 : -1;
        }
        correlator.call(call);
    }

    private void slowConnect(Conn c, long start, Throwable thrown, String host, int port) {
        if (correlator == null || start == 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - start >= slowNanos || thrown != null) {
            AppCall call = new AppCall(AppCall.CONNECT, c, start, now, thrown);
            if (c == null) {
                call.remoteAddress = host;
                call.remotePort = port;
            }
            correlator.call(call);
        }
    }

    private void lookup(String host, long start, Throwable thrown, Object result) {
        long now = System.nanoTime();
        Slot slot = slots.get();
        slot.lookupResult = result;
        slot.lookupNanos = now - start;
        slot.lookupEnd = now;
        DnsLookupEvent e = slot.lookup;
        e.end();
        if (e.shouldCommit()) {
            e.host = host;
            e.failure = thrown == null ? null : thrown.toString();
            e.addresses = addresses(result);
            e.commit();
        }
        if (correlator != null && now - start >= slowNanos) {
            AppCall call = new AppCall(AppCall.DNS, null, start, now, thrown);
            call.remoteAddress = host;
            correlator.call(call);
        }
    }

    private static String addresses(Object result) {
        if (!(result instanceof java.net.InetAddress[])) {
            return "";
        }
        java.net.InetAddress[] all = (java.net.InetAddress[]) result;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < all.length && i < 8; i++) {
            b.append(i == 0 ? "" : ",").append(Sockets.host(all[i]));
        }
        return b.toString();
    }

    /** An IPv4 or IPv6 literal, which InetAddress parses without a lookup; a name has a letter outside hex. */
    static boolean isLiteral(String host) {
        if (host.isEmpty() || host.indexOf(':') >= 0 || host.charAt(0) == '[') {
            return true;
        }
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            if (!(ch >= '0' && ch <= '9') && ch != '.') {
                return false;
            }
        }
        return true;
    }

    /**
     * A virtual thread's read or write begins: its event is the connection's (see {@link Conn}),
     * so that a thread per request allocates nothing for its calls.
     */
    private void beginVirtual(int op, Conn c, Thread v) {
        if (c != null && !(op == Dispatcher.READ ? c.beginRead(v) : c.beginWrite(v))) {
            unrecorded.increment();
        }
    }

    /** A virtual thread's call ended, however: its connection's event is free again. */
    private void release(Conn c, Object socket, Thread v, int op) {
        Conn held = c != null ? c : conns.get(socket);
        if (held != null) {
            if (op == Dispatcher.READ) {
                held.endRead(v);
            } else {
                held.endWrite(v);
            }
        }
    }

    /** A read ended ({@code fast}: too short for any recording to keep its event); its connection, or null. */
    private Conn read(Object socket, long n, Throwable thrown, boolean fast) throws Exception {
        Thread v = VirtualThreads.current();
        Conn c = null;
        try {
            if (n == 0 && thrown == null) {
                return null; // a non-blocking read that found nothing
            }
            c = conn(socket);
            if (c == null) {
                return null;
            }
            reads.increment();
            if (n > 0 && c.bytesRead.addAndGet(n) == n && !c.counted && c.bytesWritten.get() == 0) {
                c.readFirst = true;
            }
            if (fast) {
                return c;
            }
            SocketReadEvent e = v == null ? slots.get().read : c.readEvent(v);
            if (e == null) {
                return c;
            }
            e.end();
            if (e.shouldCommit()) {
                c.into(e);
                e.bytesRead = Math.max(n, 0);
                e.endOfStream = n < 0;
                e.failure = thrown == null ? null : thrown.toString();
                e.commit();
            }
            return c;
        } finally {
            if (v != null) {
                release(c, socket, v, Dispatcher.READ);
            }
        }
    }

    private Conn write(Object socket, long n, Throwable thrown, boolean fast) throws Exception {
        Thread v = VirtualThreads.current();
        Conn c = null;
        try {
            if (n == 0 && thrown == null) {
                return null;
            }
            c = conn(socket);
            if (c == null) {
                return null;
            }
            writes.increment();
            if (n > 0) {
                c.bytesWritten.addAndGet(n);
            }
            if (fast) {
                return c;
            }
            SocketWriteEvent e = v == null ? slots.get().write : c.writeEvent(v);
            if (e == null) {
                return c;
            }
            e.end();
            if (e.shouldCommit()) {
                c.into(e);
                e.bytesWritten = Math.max(n, 0);
                e.failure = thrown == null ? null : thrown.toString();
                e.commit();
            }
            return c;
        } finally {
            if (v != null) {
                release(c, socket, v, Dispatcher.WRITE);
            }
        }
    }

    private void connect(Object socket, long start, long established, Throwable thrown, Object remote) throws Exception {
        Slot slot = slots.get();
        SocketConnectEvent e = slot.connect;
        if (thrown != null) {
            failedConnects.increment();
            e.end();
            commitFailure(e, remote, thrown);
            slowConnect(null, start, thrown, Sockets.host(remote), Sockets.port(remote));
        } else if (established != 0) {
            Conn c = register(socket);
            if (c != null) {
                c.role = Conn.CLIENT;
                c.counted = c.bytesRead.get() == 0 && c.bytesWritten.get() == 0;
                c.connectNanos = System.nanoTime() - start;
                c.dnsNanos = dns(slot, start, remote);
                c.openContext = RequestContext.current();
            }
            connects.increment();
            e.end();
            if (c != null && e.shouldCommit()) {
                c.into(e);
                e.failure = null;
                e.commit();
            }
            if (c != null) {
                slowConnect(c, start, null, null, 0);
            }
        } else {
            // Non-blocking: the event stays open until finishConnect, maybe on another thread.
            e.remoteAddress = Sockets.host(remote);
            e.remotePort = Sockets.port(remote);
            pending.put(socket, new Pending(e, start, dns(slot, start, remote)));
            slot.connect = new SocketConnectEvent();
        }
    }

    private void finishConnect(Object socket, long established, Throwable thrown) throws Exception {
        if (thrown == null && established == 0) {
            return;
        }
        Pending p = pending.remove(socket);
        SocketConnectEvent e = p == null ? null : p.event;
        if (thrown != null) {
            failedConnects.increment();
            if (e != null) {
                e.end();
                commitFailure(e, null, thrown);
                slowConnect(null, p.start, thrown, e.remoteAddress, e.remotePort);
            }
            return;
        }
        if (conns.containsKey(socket)) {
            return;
        }
        Conn c = register(socket);
        if (c != null) {
            c.role = Conn.CLIENT;
            c.counted = c.bytesRead.get() == 0 && c.bytesWritten.get() == 0;
            if (p != null) {
                c.connectNanos = System.nanoTime() - p.start;
                c.dnsNanos = p.dns;
                c.openContext = p.context;
            }
        }
        connects.increment();
        if (e != null && c != null) {
            e.end();
            if (e.shouldCommit()) {
                c.into(e);
                e.failure = null;
                e.commit();
            }
            slowConnect(c, p.start, null, null, 0);
        }
    }

    private void commitFailure(SocketConnectEvent e, Object remote, Throwable thrown) {
        if (e.shouldCommit()) {
            e.connectionId = 0;
            e.localAddress = "";
            e.localPort = 0;
            if (remote != null) {
                e.remoteAddress = Sockets.host(remote);
                e.remotePort = Sockets.port(remote);
            }
            e.failure = thrown.toString();
            e.commit();
        }
    }

    private void accept(Object accepted, Throwable thrown) throws Exception {
        if (accepted == null || thrown != null) {
            return; // nothing was pending on a non-blocking accept, or it failed
        }
        Conn c = register(accepted);
        if (c != null) {
            c.role = Conn.SERVER;
            c.counted = c.bytesRead.get() == 0 && c.bytesWritten.get() == 0;
        }
        accepts.increment();
        SocketAcceptEvent e = slots.get().accept;
        e.end();
        if (c != null && e.shouldCommit()) {
            c.into(e);
            e.commit();
        }
    }

    /**
     * An io_uring connect ended: one that failed ({@code res}, minus the errno) is a failed connect
     * like a JDK socket's, explained from its SYNs. One that succeeded is left to the packets-only
     * verdicts: the ring's reads and writes are not seen, and a connection registered without them
     * would hide its flow's exchanges.
     */
    private void ringConnected(Object unsafe, int res) {
        Pending p = ringConnects.remove(unsafe);
        if (p == null || res >= 0 || !(p.remote instanceof java.net.InetSocketAddress)) {
            return; // connected, or not TCP (a UNIX domain socket)
        }
        failedConnects.increment();
        String failure = "io_uring connect: " + errno(-res);
        SocketConnectEvent e = p.event;
        e.end();
        if (e.shouldCommit()) {
            e.connectionId = 0;
            e.localAddress = "";
            e.localPort = 0;
            e.remoteAddress = Sockets.host(p.remote);
            e.remotePort = Sockets.port(p.remote);
            e.failure = failure;
            e.commit();
        }
        if (correlator != null) {
            AppCall call = new AppCall(AppCall.CONNECT, null, p.start, System.nanoTime(), failure);
            call.context = p.context;
            call.remoteAddress = Sockets.host(p.remote);
            call.remotePort = Sockets.port(p.remote);
            correlator.call(call);
        }
    }

    private static String errno(int errno) {
        switch (errno) {
            case 111:
                return "Connection refused (ECONNREFUSED)";
            case 110:
                return "Connection timed out (ETIMEDOUT)";
            case 125:
                return "Operation canceled (ECANCELED: the app's connect timeout)";
            case 113:
                return "No route to host (EHOSTUNREACH)";
            case 101:
                return "Network is unreachable (ENETUNREACH)";
            default:
                return "errno " + errno;
        }
    }

    private void nativeAccepted(int fd) {
        if (nativeAccepted.size() >= 65_536) {
            nativeAccepted.clear(); // accepted and closed before any use; their closes went by unseen
        }
        nativeAccepted.put(fd, Boolean.TRUE);
    }

    private void close(Object socket) throws Exception {
        pending.remove(socket);
        if (NativeSockets.is(socket)) {
            nativeAccepted.remove(NativeSockets.fd(socket));
        }
        if (notTcp.remove(socket) != null) {
            return;
        }
        Conn c = conns.remove(socket);
        if (c == null) {
            if (socket instanceof SocketChannel && !((SocketChannel) socket).isOpen()) {
                return; // opened before the capture, idle since, and closed already: its addresses went with it
            }
            c = Sockets.tuple(socket, nextId); // opened before the capture and idle since
            if (c == null) {
                return;
            }
        }
        closes.increment();
        end(c);
    }

    /**
     * Ends the connections whose socket the GC collected: the app dropped it unclosed, and its
     * Cleaner closes (or closed) the file descriptor, unseen by the advice. Each ends as a close
     * would, its wiretrace.SocketClose committed on the thread that found it. Called by the agent's
     * status thread, every second, never on an app thread.
     */
    public void expunge() {
        try {
            conns.expunge(drop);
            pending.expunge(null);
            notTcp.expunge(null);
            ringConnects.expunge(null);
            tls.expunge();
        } catch (Throwable t) {
            error(t);
        }
    }

    private void dropped(Conn c) {
        dropped.increment();
        end(c);
    }

    private void end(Conn c) {
        c.closedNanos = System.nanoTime();
        byTuple.remove(tupleKey(c), c);
        Conn p = c.plain;
        if (p != null) {
            HttpExchanges.close(p);
            tls.closed(p);
        }
        HttpExchanges.close(c);
        SocketCloseEvent e = new SocketCloseEvent();
        if (e.shouldCommit()) {
            c.into(e);
            e.bytesRead = c.bytesRead.get();
            e.bytesWritten = c.bytesWritten.get();
            e.lifetime = System.nanoTime() - c.openedNanos;
            e.commit();
        }
    }

    private Conn conn(Object socket) throws Exception {
        Conn c = conns.get(socket);
        if (c != null || notTcp.containsKey(socket)) {
            return c;
        }
        return register(socket);
    }

    private Conn register(Object socket) throws Exception {
        lookups.increment();
        Conn c = Sockets.tuple(socket, nextId);
        if (c == null) {
            if (Sockets.isUnixDomain(socket)) {
                notTcp.put(socket, Boolean.TRUE); // so its reads and writes never look again
            }
            return null;
        }
        if (conns.size() >= Conn.MAX_TRACKED) {
            untracked.increment();
            return c;
        }
        Conn prev = conns.putIfAbsent(socket, c);
        if (prev != null) {
            return prev;
        }
        if (NativeSockets.is(socket) && nativeAccepted.remove(NativeSockets.fd(socket)) != null) {
            c.role = Conn.SERVER; // accepted by Netty's native transport a moment ago
            c.counted = true;
            accepts.increment();
            SocketAcceptEvent e = new SocketAcceptEvent();
            if (e.shouldCommit()) {
                c.into(e);
                e.commit();
            }
        }
        byTuple.put(tupleKey(c), c);
        if (correlator != null) {
            correlator.opened(c);
        }
        return c;
    }

    public int open() {
        return conns.size();
    }

    private void error(Throwable t) {
        errors.increment();
        firstError.compareAndSet(null, t);
    }
}
