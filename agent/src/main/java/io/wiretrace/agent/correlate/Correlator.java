package io.wiretrace.agent.correlate;

import io.wiretrace.agent.app.AppCall;
import io.wiretrace.agent.app.CallSink;
import io.wiretrace.agent.app.Conn;
import io.wiretrace.agent.app.HttpExchanges;
import io.wiretrace.agent.capture.Capture;
import io.wiretrace.agent.capture.PacketSink;
import io.wiretrace.agent.capture.Ticker;
import io.wiretrace.agent.events.SlowCallEvent;
import io.wiretrace.agent.events.TcpConnectionEvent;
import io.wiretrace.agent.events.TlsHandshakeEvent;
import io.wiretrace.agent.inapp.History;
import io.wiretrace.analysis.http.RequestLine;
import io.wiretrace.analysis.offline.Exchanges;
import io.wiretrace.analysis.pcap.PacketComments;
import io.wiretrace.analysis.pcap.SavefileWriter;
import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.tcp.FlowKey;
import io.wiretrace.analysis.tcp.FlowTable;
import io.wiretrace.analysis.tcp.Side;
import io.wiretrace.analysis.verdict.Budget;
import io.wiretrace.analysis.verdict.ByteTimes;
import io.wiretrace.analysis.verdict.Call;
import io.wiretrace.analysis.verdict.Explanation;
import io.wiretrace.analysis.verdict.Verdict;
import io.wiretrace.analysis.verdict.VerdictRules;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Joins the packets and the socket calls. The capture's readers hand it every packet (under its
 * lock, a chunk at a time); the TCP analysis runs on each, and each flow keeps a {@link Track}
 * of the packets that can be evidence. App threads hand it, through lock-free queues, the
 * connections they open and the calls they found slow or failed; its own thread explains each
 * such call once the capture has read the packets of the call's time, and commits
 * {@code wiretrace.SlowCall}. A flow that leaves the table, if it was the app's, becomes a
 * {@code wiretrace.TcpConnection}.
 *
 * <p>One clock: packets carry the kernel's wall-clock time, calls {@link System#nanoTime()}. The
 * offset between the two is measured every second by reading the wall clock between two
 * nanoTime reads (src/docs/verdicts.md states the error bound).
 */
public final class Correlator implements FlowTable.Listener, PacketSink, CallSink, Exchanges.Found {
    static final int MAX_QUEUED = 10_000;
    /** Connections handed over and not yet in the join: a burst of this many in a tick (250 ms) is dropped past it. */
    static final int MAX_OPENED = 65_536;
    /** Failed connects to one peer explained one by one in a second; the rest are counted on them ("N more like it"). */
    static final int CONNECTS_PER_PEER = 10;
    /** Peers whose failed connects are counted; past it, a new peer's are not sampled. */
    private static final int MAX_PEERS = 4_096;
    /** The capture hands packets over within about 0.4 s (src/docs/capture.md). */
    static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(600);
    /** Explain a call this long after its end even if no later packet showed that the capture caught up. */
    static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Packets this far outside a call's window still count as its own: the clock join's error, with room. */
    static final long MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Verdicts wait 0.6 s for their packets anyway; a slower tick costs the idle JVM less. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long JOIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_JOIN_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** A closed connection stays joinable this long: the capture reads its last packets later. */
    private static final long FORGET_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A power of two: the ring's index is a mask. */
    private static final int RECENT_SYNS = 1024;
    /** Unacked segments a side of a flow not known to be the app's remembers (Wireshark's 1,000 once it is). */
    static final int UNJOINED_SEGMENTS = 16;
    /** An answer quiet this long on a flow seen in packets only is taken as complete. */
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long OWN_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * How soon after the last reading a new flow that nothing joined has the JVM's sockets read
     * again (the correlator is woken for it): a short connection of a native transport is still
     * open then, and its flow is known as the JVM's before it closes.
     */
    private static final long NEW_FLOW_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * Those extra readings take at most a tenth of the correlator's thread: the kernel writes every
     * socket of the namespace into /proc/net/tcp, and the JVM's descriptors are read one by one
     * (measured: 4-20 ms with 200 sockets of the JVM's among 6,000-8,000 of the host, 30-55 ms with
     * 2,000, 95-125 ms with 10,000), so on a host with many they come less often.
     */
    private static final int NEW_FLOW_REFRESH_SHARE = 10;

    private final long slowNanos;
    /** Whether packets come at all: without them, calls are explained from the app's timings alone. */
    private final boolean packets;
    private final FlowTable table = new FlowTable(FlowTable.MAX_FLOWS, FlowTable.DEFAULT_IDLE_NANOS,
            FlowTable.DEFAULT_LINGER_NANOS, this);
    private final ConcurrentLinkedQueue<Conn> opened = new ConcurrentLinkedQueue<>();
    private final AtomicInteger openedQueued = new AtomicInteger();
    final LongAdder openedDropped = new LongAdder();
    private final ConcurrentLinkedQueue<AppCall> calls = new ConcurrentLinkedQueue<>();
    /** Calls handed over and not explained yet: in the queue and pending; at most {@link #MAX_QUEUED}. */
    private final AtomicInteger queued = new AtomicInteger();
    final LongAdder dropped = new LongAdder();
    /** What each tick of its thread runs; replaced in tests to make it fail. */
    volatile Runnable round = () -> tick(false);
    // on the lock
    private final Map<FlowKey, Conn> conns = new HashMap<>();
    /**
     * The flows of the latest SYNs, a ring of the newest {@link #RECENT_SYNS}: numbers
     * {@code recentFirst} (the oldest kept) up to {@code recentNext} (the next), at their number
     * modulo its size. A queue that checked its size on each SYN took a branch first when it filled,
     * a minute or more into a busy capture, and the JIT recompiled the reader's whole loop for it.
     */
    private final Flow[] recentSyns = new Flow[RECENT_SYNS];
    private long recentFirst;
    private long recentNext;
    private final List<AppCall> pending = new ArrayList<>();
    /** Failed connects by peer ("address:port"), to sample a storm of them. */
    private final Map<String, Peer> peers = new HashMap<>();
    /** Failed connects left out by the sampling. */
    private long sampled;
    /** The memory the flows' evidence may take, and how far back it is kept. */
    private final Budget budget = new Budget();
    /** Flows whose request arrived at the app's server end, until the app is seen reading it. */
    private final List<Track> arrivals = new ArrayList<>();
    /** Recently explained outgoing calls, for the incoming exchanges that waited on them. */
    private final ArrayDeque<Explained> recent = new ArrayDeque<>();
    private final TreeMap<String, Integer> verdicts = new TreeMap<>();
    /** The JVM's own sockets, whatever made them; the flows of theirs that no instrumented call joined. */
    private final OwnSockets own = new OwnSockets();
    private final List<Call> packetsOnly = new ArrayList<>();
    private final List<Track> packetsOnlyTracks = new ArrayList<>();
    private final LinkedHashSet<Track> answering = new LinkedHashSet<>();
    /** Failed connects seen in packets alone, and their flows, until it is known whether an instrumented call made them. */
    private final ArrayList<Call> heldConnects = new ArrayList<>();
    private final ArrayList<Track> heldConnectTracks = new ArrayList<>();
    /** Connects of the JVM's own sockets that no instrumented call made and whose SYNs got no answer yet. */
    private final ArrayList<Track> connecting = new ArrayList<>();
    /** Flows that began since the JVM's sockets were last read and that nothing joined yet. */
    private final ArrayList<Track> unjoinedNew = new ArrayList<>();
    private boolean unjoinedSeen;
    private long seenInPacketsOnly;
    /** The last few verdicts, one line each, for status. */
    private final ArrayDeque<String> latest = new ArrayDeque<>();
    private long watermark;
    /** When the first packet was captured (ns since the epoch): the capture ran from then at the latest. */
    private long firstPacket;
    private Track reserveTrack;
    private int reserveIndex;
    /** Where verdict comments go; null: nowhere. */
    public volatile SavefileWriter files;
    /** The JDK's recent events, for calls the network does not explain; null: none (JDK 11, no recording). */
    public volatile History inApp;
    private long lastSweep;
    private long lastClock;
    /** Whether this JVM's TCP analysis was rehearsed (once is enough: the JIT's profiles stay). */
    private static volatile boolean rehearsed;
    /**
     * The next round's wait, if shorter than a tick: a new flow nothing joined waits for a reading
     * of the JVM's sockets that the last one is too recent for, and the connection may be gone a
     * tick later. On the lock.
     */
    private long nextWait = TICK_NANOS;
    private volatile long offset;
    private volatile long clockError;
    private long explained;
    private long annotated;
    private long errors;
    private Throwable firstError;
    private long connections;
    private boolean finished;
    private Thread thread;
    /** The thread's wait between rounds; see {@link Ticker}. */
    private volatile Ticker ticks;

    public Correlator(long slowNanos) {
        this(slowNanos, true);
    }

    /** With {@code packets} false no capture runs: see {@link VerdictRules#withoutPackets}. */
    public Correlator(long slowNanos, boolean packets) {
        this.slowNanos = slowNanos;
        this.packets = packets;
        sampleClock();
    }

    @Override
    public long slowNanos() {
        return slowNanos;
    }

    @Override
    public int statusAtLeast() {
        return statusAtLeast;
    }

    /**
     * A watch's call triggers, told of every call explained; null: no watch. Set before {@link #start},
     * but after the capture's first packets may have come (volatile: the reader reads it per packet).
     */
    public volatile Watcher watcher;
    /** HTTP exchanges with this status or above are handed over (a status trigger). Set before {@link #start}. */
    public volatile int statusAtLeast = Integer.MAX_VALUE;
    /** TCP retransmissions and resets seen in the capture so far (a watch's rate triggers); written here alone. */
    private volatile long retransmissionsSeen;
    private volatile long resetsSeen;

    /** What a watch needs of the correlation: each call explained, as it is. */
    public interface Watcher {
        /**
         * A call explained, or an HTTP exchange handed over for its status alone ({@code verdict}
         * null). {@code conn} is null for a call seen in packets only or a connect that never
         * connected. Runs on the correlator's thread: must return at once.
         */
        void call(Call c, String kind, String verdict, long startNanos, long endNanos, long connectionId,
                String remoteAddress, int remotePort, String evidence);
    }

    /** TCP retransmissions seen in the capture so far. */
    public long retransmissionsSeen() {
        return retransmissionsSeen;
    }

    /** TCP segments with RST seen in the capture so far. */
    public long resetsSeen() {
        return resetsSeen;
    }

    private void watched(Call c, String kind, String verdict, long s, long e, long id, String remote, int port,
            String evidence) {
        Watcher w = watcher;
        if (w != null) {
            w.call(c, kind, verdict, s, e, id, remote, port, evidence);
        }
    }

    @Override
    public Object lock() {
        return this;
    }

    /**
     * Rehearses the TCP analysis with made-up traffic ({@link Rehearsal}), once per JVM, before
     * a capture's first packet; returns at once after the first time.
     */
    public void rehearse() {
        if (!rehearsed) {
            rehearsed = true;
            Rehearsal.run();
        }
    }

    public void start() {
        ticks = new Ticker();
        thread = Capture.daemon("wiretrace-correlate", this::loop);
        thread.start();
    }

    // ---- app threads: lock-free, never waiting

    @Override
    public void opened(Conn c) {
        if (openedQueued.incrementAndGet() > MAX_OPENED) {
            openedQueued.decrementAndGet();
            openedDropped.increment(); // its packets stay unjoined: the status says how many
            return;
        }
        opened.offer(c);
    }

    /** A slow or failed call; counted and dropped if too many wait already. */
    @Override
    public void call(AppCall c) {
        if (queued.incrementAndGet() > MAX_QUEUED) {
            queued.decrementAndGet();
            dropped.increment();
            return;
        }
        calls.offer(c);
    }

    // ---- the capture's readers, on the lock

    /**
     * One captured frame, its time in ns since the epoch. Returns the comment for its pcapng
     * block (UTF-8), or null: a packet of the app's connections names the connection, the thread
     * and the HTTP request it belongs to.
     */
    @Override
    public byte[] packet(int linkType, ByteBuffer buf, int offset, int capLen, int origLen, long nanos) {
        try {
            return analyse(linkType, buf, offset, capLen, origLen, nanos);
        } catch (Throwable e) {
            failed(e); // the capture goes on; the status shows it
            return null;
        }
    }

    private void failed(Throwable e) {
        errors++;
        if (firstError == null) {
            firstError = e;
        }
    }

    /** Whether the packet just handed over should get room for a verdict comment; see {@link #placed}. */
    @Override
    public boolean reserve() {
        return reserveTrack != null;
    }

    /** Where the capture file put that room (or -1): a verdict that names the packet writes there. */
    @Override
    public void placed(long location) {
        if (reserveTrack != null) {
            reserveTrack.where[reserveIndex] = location;
            reserveTrack = null;
        }
    }

    private byte[] analyse(int linkType, ByteBuffer buf, int offset, int capLen, int origLen, long nanos) {
        reserveTrack = null;
        int a = table.packet(linkType, buf, offset, capLen, origLen, nanos);
        if (a == Analysis.NOT_TCP) {
            return null;
        }
        if (nanos > watermark) {
            watermark = nanos;
        }
        if (watcher != null) {
            if (Analysis.isRetransmission(a)) {
                retransmissionsSeen++; // written on the lock alone
            }
            if ((table.frame().flags & 0x04) != 0) {
                resetsSeen++;
            }
        }
        if (firstPacket == 0) {
            firstPacket = nanos;
        }
        Flow f = table.lastFlow();
        Track t = (Track) f.attachment;
        if (t == null) {
            t = new Track(budget);
            t.keepSmall(); // until it is known to be the app's
            f.keepSmall(UNJOINED_SEGMENTS);
            f.attachment = t;
            if ((a & Analysis.NEW_FLOW) != 0 && (table.frame().flags & 0x12) == 0x02) { // a SYN without ACK
                recentSyns[(int) (recentNext++ & (RECENT_SYNS - 1))] = f;
                recentFirst += (RECENT_SYNS - (recentNext - recentFirst)) >>> 63; // full: the oldest goes
            }
        }
        if ((t.client == null || t.server == null) && nanos >= t.nextJoinTry) {
            // the app registers a connection when it first uses it, which may be after its first
            // packets are read; tries thin out, so that flows of other processes cost little
            t.joinBackoff = t.joinBackoff == 0 ? JOIN_RETRY_NANOS : Math.min(MAX_JOIN_BACKOFF_NANOS, t.joinBackoff * 2);
            t.nextJoinTry = nanos + t.joinBackoff;
            join(f, t);
        }
        int record = t.packet(table.frame(), a, nanos);
        if (!t.joined()) {
            // the calls its packets show, in case the flow is this JVM's own (a native transport)
            unjoinedSeen = true;
            if (t.calls == null) {
                t.calls = new Exchanges(a, table.frame());
                t.calls.owner = t;
                t.flow = f;
                if (unjoinedNew.size() < MAX_QUEUED) {
                    if (unjoinedNew.isEmpty() && ticks != null) {
                        ticks.wake(); // a reading now, while a short connection is still open
                    }
                    unjoinedNew.add(t);
                }
            }
            t.calls.packet(f, table.frame(), a, nanos, buf, slowNanos, this);
            if (t.calls.answering() && answering.size() < MAX_QUEUED) {
                answering.add(t);
            }
        }
        if (record >= 0 && (t.kind[record] & (Track.TURN | Track.CLIENT)) == (Track.TURN | Track.CLIENT)) {
            if (t.arrival != 0 || t.unjoinedArrival != 0) {
                if (t.nextTurn == 0) {
                    t.nextTurn = nanos; // another request before the app was seen reading the first
                }
            } else if (t.server != null) {
                arrived(t, nanos); // the client's bytes: the app's server end will read them (when?)
            } else {
                // the server end not joined yet: the app may accept the connection (and so register
                // it) only after its request came, or this reader may be ahead of the accept; kept
                // for the join (also when the client end is the app's: it may call itself)
                t.unjoinedArrival = nanos;
            }
        }
        // room for a verdict in the packets that may become evidence: the app's, and the
        // handshakes of connects that may fail before they are the app's
        if (record >= 0 && (t.joined() || (t.kind[record] & (Track.SYN | Track.RST)) != 0)) {
            reserveTrack = t;
            reserveIndex = record;
        }
        if (!t.joined()) {
            return null;
        }
        boolean fromClient = (a & Analysis.FROM_CLIENT) != 0;
        Conn c = fromClient ? (t.client != null ? t.client : t.server) : (t.server != null ? t.server : t.client);
        return t.comment(c);
    }

    private void join(Flow f, Track t) {
        if (!opened.isEmpty()) {
            drainOpened();
        }
        if (t.client == null) {
            t.client = conns.get(new FlowKey(f.ipVersion(), f.clientHi(), f.clientLo(), f.clientPort(), f.serverHi(),
                    f.serverLo(), f.serverPort()));
            joined(f, t.client);
        }
        if (t.server == null) {
            t.server = conns.get(new FlowKey(f.ipVersion(), f.serverHi(), f.serverLo(), f.serverPort(), f.clientHi(),
                    f.clientLo(), f.clientPort()));
            joined(f, t.server);
            if (t.server != null && t.unjoinedArrival != 0) {
                arrived(t, t.unjoinedArrival); // a request that came before the join: its wait is looked at too
            }
        }
        if (t.server != null) {
            t.unjoinedArrival = 0;
            if (t.arrival == 0) {
                t.nextTurn = 0; // the arrival it followed is not looked at
            }
        }
    }

    /** A request arrived at the app's server end of {@code t}: how long it waits to be read is looked at. */
    private void arrived(Track t, long nanos) {
        if (t.arrival == 0 && arrivals.size() < MAX_QUEUED && mayServeHttp(t.server)) {
            t.arrival = nanos;
            arrivals.add(t);
        }
    }

    private void joined(Flow f, Conn c) {
        if (c != null) {
            c.flow = f;
            connections++;
            keepAll(f);
        }
    }

    /** A flow known to be the app's or the JVM's: its evidence may grow now. */
    private static void keepAll(Flow f) {
        Track t = (Track) f.attachment;
        if (t != null && t.small()) {
            t.keepAll();
            f.keepAll();
        }
    }

    /** Which end of the flow is the JVM's (1 the client, 2 the server), once known. */
    private static void own(Track t, int end) {
        t.own = end;
        if (end != 0 && t.flow != null) {
            keepAll(t.flow);
        }
    }

    private void drainOpened() {
        Conn c;
        while ((c = opened.poll()) != null) {
            openedQueued.decrementAndGet();
            FlowKey k = FlowKey.of(c.localAddress, c.localPort, c.remoteAddress, c.remotePort);
            if (k != null) {
                conns.put(k, c);
            }
        }
    }

    /** A slow or failed call a flow's packets show, the flow not joined: explained once its flow is known to be the JVM's. */
    @Override
    public void call(Exchanges x, Call c) {
        Track t = (Track) x.owner;
        if (t.joined() || !packets) {
            return;
        }
        if (packetsOnly.size() >= MAX_QUEUED || heldConnects.size() >= MAX_QUEUED) {
            dropped.increment();
            return;
        }
        if (c.kind == Call.CONNECT && sampledOut("packets " + t.flow.serverAddress() + ":" + t.flow.serverPort(),
                c.end / 1_000_000_000L, null)) {
            return; // a storm of them to one peer: counted
        }
        if (c.kind == Call.CONNECT) {
            // A connect that got no connection leaves no joinable flow, and an instrumented connect's
            // failure is explained when the app gives up, maybe long after its last SYN: held until
            // the JVM's socket is gone and an instrumented call had its time to claim the attempt
            heldConnects.add(c);
            heldConnectTracks.add(t);
            return;
        }
        packetsOnly.add(c);
        packetsOnlyTracks.add(t);
    }

    @Override
    public void evicted(Flow f) {
        Track t = (Track) f.attachment;
        if (t == null) {
            return;
        }
        t.release();
        if (!t.joined() && t.calls != null) {
            t.calls.ended(f, slowNanos, this);
        }
        if (t.client != null) {
            summary(f, t.client, true);
        }
        if (t.server != null) {
            summary(f, t.server, false);
        }
        if (t.joined() && f.end() == Flow.End.CLOSED) {
            // Closed and quiet since: its calls were explained, and the app's connection,
            // remembered a while longer, need not keep its records. (Not an idle flow's: a call
            // may still be waiting on it. Nor an unjoined one's: its packets-only calls are
            // explained from them later, and nothing else keeps it.)
            t.forget();
        }
    }

    /** A wiretrace.TcpConnection for one of the app's ends of the flow. */
    private static void summary(Flow f, Conn c, boolean localIsClient) {
        TcpConnectionEvent e = new TcpConnectionEvent();
        if (!e.shouldCommit()) {
            return;
        }
        Side out = localIsClient ? f.client() : f.server();
        Side in = localIsClient ? f.server() : f.client();
        c.into(e);
        e.role = localIsClient ? "client" : "server";
        e.application = c.applications();
        e.exchanges = io.wiretrace.agent.app.HttpExchanges.begun(c);
        e.ended = f.end().name().toLowerCase(java.util.Locale.ROOT);
        e.handshakeRtt = Math.max(0, f.handshakeRttNanos());
        e.rttSamples = out.rttCount();
        e.rttMin = out.rttCount() > 0 ? out.rttMinNanos() : 0;
        e.rttAvg = out.rttAvgNanos();
        e.rttMax = out.rttMaxNanos();
        e.packetsOut = out.packets();
        e.packetsIn = in.packets();
        e.bytesOut = out.payloadBytes();
        e.bytesIn = in.payloadBytes();
        e.retransmissionsOut = out.retransmissions();
        e.retransmissionsIn = in.retransmissions();
        e.fastRetransmissions = out.count(Analysis.FAST_RETRANSMISSION) + in.count(Analysis.FAST_RETRANSMISSION);
        e.synRetransmissions = out.synRetransmissions() + in.synRetransmissions();
        e.duplicateAcks = out.count(Analysis.DUPLICATE_ACK) + in.count(Analysis.DUPLICATE_ACK);
        e.zeroWindowsOut = out.count(Analysis.ZERO_WINDOW);
        e.zeroWindowsIn = in.count(Analysis.ZERO_WINDOW);
        e.windowFull = out.count(Analysis.WINDOW_FULL) + in.count(Analysis.WINDOW_FULL);
        e.outOfOrder = out.count(Analysis.OUT_OF_ORDER) + in.count(Analysis.OUT_OF_ORDER);
        e.resetsOut = out.resets();
        e.resetsIn = in.resets();
        e.finsOut = out.fins();
        e.finsIn = in.fins();
        e.lifetime = f.lastNanos() - f.firstNanos();
        e.commit();
    }

    // ---- its own thread

    private void loop() {
        Ticker t = ticks;
        long wait;
        try {
            while (true) {
                synchronized (this) {
                    if (finished) {
                        return;
                    }
                    try {
                        round.run();
                    } catch (Throwable e) {
                        // never let one bad call, or an Error, end the explaining; the status shows it
                        failed(e);
                    }
                    wait = nextWait;
                }
                t.await(wait);
            }
        } finally {
            t.close();
        }
    }

    /** Explains the calls whose packets are in; with {@code all}, every call left (the capture has ended). */
    private void tick(boolean all) {
        nextWait = TICK_NANOS;
        long nowNano = System.nanoTime();
        if (nowNano - lastClock >= TimeUnit.SECONDS.toNanos(1)) {
            sampleClock();
            lastClock = nowNano;
        }
        long now = epoch(nowNano);
        drainOpened();
        AppCall c;
        while ((c = calls.poll()) != null) {
            if (c.kind == AppCall.HTTP && c.status >= statusAtLeast && c.failure == null && c.end - c.start < slowNanos) {
                queued.decrementAndGet(); // not slow: handed over for its status, for the watch alone
                Conn conn = c.conn != null && c.conn.tcp != null ? c.conn.tcp : c.conn;
                watched(c, c.kindName(), null, epoch(c.start), epoch(c.end), conn != null ? conn.id : -1,
                        conn != null ? conn.remoteAddress : c.remoteAddress, conn != null ? conn.remotePort : c.remotePort,
                        null);
            } else if (sampledOut(c)) {
                queued.decrementAndGet();
            } else {
                pending.add(c); // still counted in queued: the bound holds for the pending too
            }
        }
        for (Iterator<AppCall> it = pending.iterator(); it.hasNext();) {
            AppCall call = it.next();
            long end = epoch(call.end);
            // without packets, the settling still lets a request's own slow calls be explained first
            if (all || (now >= end + SETTLE_NANOS && (!packets || watermark >= end || now >= end + GIVE_UP_NANOS)
                    && (inApp == null || inApp.settled(end, now)))) {
                it.remove();
                queued.decrementAndGet();
                explain(call);
            }
        }
        waits(now);
        if (packets) {
            ownFlows(now, all);
        }
        if (now - lastSweep >= TimeUnit.SECONDS.toNanos(1)) {
            lastSweep = now;
            conns.values().removeIf(x -> x.closedNanos != 0 && nowNano - x.closedNanos > FORGET_NANOS);
            peers.values().removeIf(p -> nowNano - p.seen > TimeUnit.SECONDS.toNanos(3));
            while (recentFirst < recentNext
                    && now - recentSyns[(int) (recentFirst & (RECENT_SYNS - 1))].firstNanos() > FORGET_NANOS) {
                recentSyns[(int) (recentFirst++ & (RECENT_SYNS - 1))] = null; // a connect this old has been explained
            }
            if (!all) {
                table.expire(now - SETTLE_NANOS);
            }
        }
    }

    /**
     * Requests that arrived at the app's server end: once the app began reading one (an exchange
     * began after its arrival), the wait in between is the app's; a wait of --slow or more is an
     * APP_READ_LATE call of its own (the exchange's time starts at the app's read).
     */
    private void waits(long now) {
        for (Iterator<Track> it = arrivals.iterator(); it.hasNext();) {
            Track t = it.next();
            Conn server = t.server;
            Conn http = server.plain != null ? server.plain : server; // HTTPS: the exchanges are the plaintext side's
            long arrivedNano = t.arrival - offset;
            long read = HttpExchanges.startedSince(http, arrivedNano - MARGIN_NANOS - clockError);
            if (read == 0 && now - t.arrival < TimeUnit.SECONDS.toNanos(60) && server.closedNanos == 0) {
                continue; // not read yet (or not HTTP: given up after a minute)
            }
            it.remove();
            long arrived = t.arrival;
            long next = t.nextTurn;
            t.arrival = 0;
            t.nextTurn = 0;
            // a read that began once more of the client's bytes had come may be of those, the
            // first request's read not seen (made by code not yet instrumented): not judged
            boolean ambiguous = next != 0 && read - (next - offset) >= -MARGIN_NANOS - clockError;
            if (read != 0 && read - arrivedNano >= slowNanos && !ambiguous) {
                AppCall c = new AppCall(AppCall.HTTP, server, arrivedNano, read, (String) null);
                c.queued = true;
                c.arrival = arrived;
                c.incoming = true;
                String[] at = HttpExchanges.exchangeAt(http, read);
                c.request = at[0];
                c.thread = at[1];
                explain(c);
            }
        }
    }

    /**
     * The calls seen in the packets of flows no instrumented call joined: those of the JVM's own
     * sockets (its /proc view, refreshed at most once a second, and only while such flows come)
     * are explained from the packets alone, as {@code analyze} would; the others are another
     * process's, and dropped once a refresh after their end did not find them.
     */
    private void ownFlows(long now, boolean all) {
        for (Iterator<Track> it = answering.iterator(); it.hasNext();) {
            Track t = it.next();
            if (t.joined() || !t.calls.quiet(all ? Long.MAX_VALUE : now - QUIET_NANOS, slowNanos, this)) {
                it.remove();
            }
        }
        heldConnects(now, all);
        if (packetsOnly.isEmpty() && !unjoinedSeen) {
            return;
        }
        long gate = readingGate();
        if (!all && now - own.refreshed < OWN_REFRESH_NANOS && !unjoinedNew.isEmpty() && now - own.refreshed < gate) {
            // the reading it asked for, as soon as the share allows: not a whole tick later
            nextWait = Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(nextWait, own.refreshed + gate - now));
        } else if (all || now - own.refreshed >= OWN_REFRESH_NANOS || !unjoinedNew.isEmpty()) {
            own.refresh(now);
            unjoinedSeen = false;
            for (Track t : unjoinedNew) {
                if (!t.joined() && t.own == 0) {
                    own(t, own.end(t.flow)); // while it is open: it may close before the next refresh
                    if (t.own == 1 && t.calls.connecting() && connecting.size() < MAX_QUEUED) {
                        connecting.add(t); // the JVM's SYNs: is the app still waiting for an answer?
                    }
                }
            }
            unjoinedNew.clear();
        }
        for (int i = 0; i < packetsOnly.size(); i++) {
            Call c = packetsOnly.get(i);
            Track t = packetsOnlyTracks.get(i);
            int end = t.joined() ? 0 : t.own != 0 ? t.own : own.end(t.flow);
            if (end == 0 && !t.joined() && !all && own.refreshed < c.end + SETTLE_NANOS) {
                continue; // not known yet
            }
            packetsOnly.remove(i);
            packetsOnlyTracks.remove(i);
            i--;
            if (end != 0) {
                own(t, end);
                explainPacketsOnly(c, t, end == 1);
            }
        }
    }

    /**
     * Failed connects seen in packets alone: one whose flow the JVM's sockets showed as its own while
     * it tried (SYN-SENT) gets the packets-only verdict once that socket is gone and an instrumented
     * connect had the settling time to claim the attempt (a JDK socket's failed connect is queued
     * before its socket closes); one that nothing showed as the JVM's is dropped. A connect still
     * trying when the capture ends is the JVM's own if its socket is.
     */
    private void heldConnects(long now, boolean all) {
        if (heldConnects.isEmpty() && connecting.isEmpty() && !all) {
            return;
        }
        if (now - own.refreshed >= OWN_REFRESH_NANOS) {
            own.refresh(now); // their sockets' state, once a second while some are held
        }
        for (Iterator<Track> it = connecting.iterator(); it.hasNext();) {
            Track t = it.next();
            if (t.joined() || !t.calls.connecting()) {
                it.remove(); // answered, or an instrumented connect's after all
            } else if (!own.clientOpen(t.flow)) {
                it.remove();
                t.calls.gaveUp(t.flow, slowNanos, this); // the app gave up: the connect failed, now
            }
        }
        for (int i = 0; i < heldConnects.size(); i++) {
            Call c = heldConnects.get(i);
            Track t = heldConnectTracks.get(i);
            boolean release;
            boolean mine = t.own == 1 || (t.own == 0 && own.clientOpen(t.flow));
            if (t.joined() || t.claimed || (!mine && (all || now - c.end > OwnSockets.REMEMBER_NANOS))) {
                release = false; // an instrumented call's, or never shown to be the JVM's
            } else if (mine && own.clientOpen(t.flow) && !all) {
                own(t, 1);
                continue; // still trying: the app has not given up
            } else if (mine) {
                own(t, 1);
                if (t.gone == 0 && !all) {
                    t.gone = now;
                }
                if (!all && (now - t.gone < SETTLE_NANOS + 2 * TICK_NANOS || connectPending(t.flow))) {
                    continue; // an instrumented connect's failure, queued before the close, comes first
                }
                release = true;
            } else {
                continue;
            }
            heldConnects.remove(i);
            heldConnectTracks.remove(i);
            i--;
            if (release) {
                explainPacketsOnly(c, t, true);
            }
        }
    }

    /** Whether an instrumented failed connect to the flow's server waits to be explained. */
    private boolean connectPending(Flow f) {
        for (AppCall c : pending) {
            if (c.kind == AppCall.CONNECT && c.conn == null && c.remotePort == f.serverPort()
                    && c.remoteAddress.equals(f.serverAddress())) {
                return true;
            }
        }
        return false;
    }

    /** A call of the JVM's own flow, from its packets alone: the verdict analyze gives, marked as such. */
    private void explainPacketsOnly(Call c, Track t, boolean localIsClient) {
        Flow f = t.flow;
        Explanation v = VerdictRules.explain(c, c.start, c.end, new long[3], t, true, 0);
        String kind = c.kind == Call.CONNECT ? "connect" : c.request != null ? "http" : "exchange";
        String local = localIsClient ? f.clientAddress() : f.serverAddress();
        int localPort = localIsClient ? f.clientPort() : f.serverPort();
        String remote = localIsClient ? f.serverAddress() : f.clientAddress();
        int remotePort = localIsClient ? f.serverPort() : f.clientPort();
        String evidence = "seen in packets only (a socket of this JVM's that no instrumented call made, as with a"
                + " native transport; " + (localIsClient ? "it is the client" : "it is the server") + "): "
                + v.evidence;
        explained++;
        seenInPacketsOnly++;
        verdicts.merge(v.verdict.name(), 1, Integer::sum);
        if (latest.size() == 5) {
            latest.pollFirst();
        }
        latest.addLast(java.time.LocalTime.ofInstant(Instant.ofEpochSecond(0, c.start - c.start % 1_000_000),
                java.time.ZoneId.systemDefault()) + " " + kind + (c.request != null ? " " + c.request : "") + " "
                + local + ":" + localPort + " ⇄ " + remote + ":" + remotePort + ": " + v.verdict + " "
                + VerdictRules.ms(v.explained) + " of " + VerdictRules.ms(c.end - c.start) + " (seen in packets only)");
        watched(c, kind, v.verdict.name(), c.start, c.end, -1, remote, remotePort, evidence);
        SlowCallEvent ev = new SlowCallEvent();
        if (!ev.shouldCommit()) {
            return;
        }
        ev.set(-1, local, localPort, remote, remotePort);
        ev.call = kind;
        ev.verdict = v.verdict.name();
        ev.evidence = evidence;
        ev.callThread = "";
        ev.callStart = TimeUnit.NANOSECONDS.toMillis(c.start);
        ev.callDuration = c.end - c.start;
        ev.explained = v.explained;
        ev.failure = c.failure;
        ev.request = c.request;
        ev.retransmissions = v.retransmissions;
        ev.evidenceFrames = v.frames.toString();
        ev.join = v.join != null ? v.join : "";
        ev.packetsOnly = true;
        ev.commit();
    }

    /** Whether requests to this server end may be HTTP/1.x exchanges: not once its bytes showed otherwise. */
    private static boolean mayServeHttp(Conn server) {
        Conn p = server.plain;
        String a = p != null ? p.application : server.application;
        return a == null || a == RequestLine.HTTP1 || (p == null && a == RequestLine.TLS);
    }

    private void explain(AppCall c) {
        long s = epoch(c.start);
        long e = epoch(c.end);
        Conn conn = c.conn != null && c.conn.tcp != null ? c.conn.tcp : c.conn; // TLS: the TCP connection under it
        if (c.kind == AppCall.TLS) {
            handshake(c, conn, s, e);
            if (!c.slow) {
                return;
            }
        }
        long[] http = {c.requestSent == 0 ? 0 : epoch(c.requestSent), c.firstByte == 0 ? 0 : epoch(c.firstByte),
            c.lastByte == 0 ? 0 : epoch(c.lastByte)};
        Track t = null;
        boolean localIsClient = true;
        if (conn != null && conn.flow != null) {
            t = (Track) ((Flow) conn.flow).attachment;
            localIsClient = t.server != conn;
        } else if (c.kind == AppCall.CONNECT) {
            t = connectAttempt(c, s, e);
            if (t != null) {
                t.claimed = true; // its packets-only verdict, if held, is not needed
            }
        }
        if (t != null && packets) {
            offsets(c, c.conn, t, localIsClient);
        }
        Explanation v = packets ? VerdictRules.explain(c, s, e, http, t, localIsClient, MARGIN_NANOS + clockError)
                : VerdictRules.withoutPackets(c, s, e, http);
        if (c.exchange() && !c.incoming) {
            handshakeInside(conn, s, e, v);
        }
        long like = c.moreLikeIt;
        c.moreLikeIt = -1; // explained: later ones like it are counted on the next one kept
        if (like > 0) {
            v.evidence += "; " + like + " more like it (failed connects to " + c.remoteAddress + ":" + c.remotePort
                    + " past the first " + CONNECTS_PER_PEER + " in a second are counted, not explained one by one)";
        }
        boolean waited = false;
        if (c.kind == AppCall.HTTP && c.incoming && v.verdict == Verdict.UNKNOWN) {
            waited = inner(c, s, e, v);
        } else {
            if (recent.size() == 64) {
                recent.pollFirst();
            }
            recent.addLast(new Explained(c, s, e, v));
        }
        History h = inApp;
        if (v.verdict == Verdict.UNKNOWN && h != null && c.threadId != 0 && c.ownThread && !waited) {
            h.explain(c.threadId, s, e, v); // the network shows no fault: where the thread's time went
        }
        explained++;
        verdicts.merge(v.verdict.name(), 1, Integer::sum);
        if (latest.size() == 5) {
            latest.pollFirst();
        }
        latest.addLast(java.time.LocalTime.ofInstant(Instant.ofEpochSecond(0, s - s % 1_000_000),
                java.time.ZoneId.systemDefault()) + " " + c.kindName()
                + (c.request != null ? " " + c.request : "") + " " + c.remoteAddress + ":" + c.remotePort
                + (conn != null ? " (conn " + conn.id + ")" : "") + " on " + c.thread + ": " + v.verdict + " "
                + VerdictRules.ms(v.explained) + " of " + VerdictRules.ms(e - s)
                + (like > 0 ? ", " + like + " more like it" : ""));
        annotate(c, conn, t, v);
        watched(c, c.kindName(), v.verdict.name(), s, e, conn != null ? conn.id : -1,
                conn != null ? conn.remoteAddress : c.remoteAddress, conn != null ? conn.remotePort : c.remotePort,
                v.evidence);
        SlowCallEvent ev = new SlowCallEvent();
        if (!ev.shouldCommit()) {
            return;
        }
        if (conn != null) {
            conn.into(ev);
        } else {
            ev.localAddress = "";
            ev.remoteAddress = c.remoteAddress;
            ev.remotePort = c.remotePort;
        }
        ev.call = c.kindName();
        ev.verdict = v.verdict.name();
        ev.evidence = v.evidence;
        ev.callThread = c.thread;
        ev.callThreadId = c.queued ? 0 : c.threadId;
        ev.ownThread = c.ownThread && !waited;
        ev.callStart = TimeUnit.NANOSECONDS.toMillis(s);
        ev.callDuration = e - s;
        ev.explained = v.explained;
        ev.failure = c.failure;
        ev.request = c.request;
        ev.retransmissions = v.retransmissions;
        ev.evidenceFrames = v.frames.toString();
        ev.join = v.join != null ? v.join : "";
        ev.commit();
    }

    /**
     * Puts the call's byte offsets, as the app counted them, on its stream's (see
     * {@link ByteTimes}). A connection the agent saw open counts from its first byte, as the
     * stream does from its SYN. One first seen later counts from then: its count starts at the
     * first byte captured after that moment, each way, if a packet had been captured before it
     * (the capture was running; a way whose first bytes were read may have had bytes waiting in
     * the kernel: not that way). Where no offset can be known, the call is joined by time and
     * {@code timeJoin} says why.
     */
    private void offsets(AppCall c, Conn conn, Track t, boolean localIsClient) {
        if (c.inByte < 0 && c.outByte < 0) {
            return;
        }
        Conn tcp = conn.tcp != null ? conn.tcp : conn;
        ByteTimes in = t.in(localIsClient);
        ByteTimes out = t.out(localIsClient);
        long inDelta;
        long outDelta;
        if (tcp.counted) {
            inDelta = in.fromSyn() ? 0 : ByteTimes.UNKNOWN;
            outDelta = out.fromSyn() ? 0 : ByteTimes.UNKNOWN;
            c.timeJoin = inDelta < 0 || outDelta < 0 ? "its connection's handshake was not captured" : null;
        } else if (conn.tls == Conn.TLS_ENGINE) {
            inDelta = ByteTimes.UNKNOWN; // an engine counts from its TLS's first byte, which may not be the stream's
            outDelta = ByteTimes.UNKNOWN;
            c.timeJoin = "its connection was opened before the capture";
        } else {
            long seen = epoch(tcp.openedNanos) - clockError;
            boolean capturing = firstPacket != 0 && firstPacket < seen; // else bytes since may have been missed
            inDelta = tcp.readFirst || !capturing ? ByteTimes.UNKNOWN : in.capturedFrom(seen);
            outDelta = capturing ? out.capturedFrom(seen) : ByteTimes.UNKNOWN;
            c.timeJoin = inDelta < 0 || outDelta < 0 ? "its connection was opened before the capture" : null;
        }
        c.inByte = c.inByte < 0 || inDelta < 0 ? -1 : c.inByte + inDelta;
        c.inLast = c.inLast < 0 || inDelta < 0 ? -1 : c.inLast + inDelta;
        c.outByte = c.outByte < 0 || outDelta < 0 ? -1 : c.outByte + outDelta;
    }

    /** The verdict, as a comment on its evidence packets in the capture file (where they got room for it). */
    private void annotate(AppCall c, Conn conn, Track t, Explanation v) {
        SavefileWriter f = files;
        if (f == null || t == null || v.count == 0) {
            return;
        }
        String text = PacketComments.verdict(v.verdict.name(), v.explained, c.kindName(), conn != null ? conn.id : -1);
        for (int k = 0; k < v.count; k++) {
            int i = t.at(v.times[k]);
            if (i >= 0 && t.where[i] >= 0) {
                if (f.annotate(t.where[i], text)) {
                    annotated++;
                }
                t.where[i] = -1; // one verdict per packet
            }
        }
    }

    /** A handshake's event, on its connection (null: one the app had not registered, named by its ends). */
    private void handshake(AppCall c, Conn conn, long s, long e) {
        TlsHandshakeEvent ev = new TlsHandshakeEvent();
        if (ev.shouldCommit()) {
            if (conn != null) {
                conn.into(ev);
            } else {
                ev.localAddress = c.localAddress;
                ev.localPort = c.localPort;
                ev.remoteAddress = c.remoteAddress;
                ev.remotePort = c.remotePort;
            }
            ev.peerHost = c.peerHost;
            ev.protocol = c.protocol;
            ev.cipherSuite = c.cipherSuite;
            ev.handshakeThread = c.thread;
            ev.handshakeStart = TimeUnit.NANOSECONDS.toMillis(s);
            ev.handshakeDuration = e - s;
            ev.failure = c.failure;
            ev.commit();
        }
    }

    /**
     * Whether {@code c}, just taken from the queue, is left out: a failed connect to a peer that had
     * {@link #CONNECTS_PER_PEER} explained in its second already (a storm of them to a dead peer
     * must not fill the pending calls). It is counted on the last one kept, or, if that one was
     * explained already, on the next one kept.
     */
    private boolean sampledOut(AppCall c) {
        if (c.kind != AppCall.CONNECT || c.failure == null || c.conn != null) {
            return false;
        }
        return sampledOut(c.remoteAddress + ":" + c.remotePort, c.end / 1_000_000_000L, c);
    }

    /** As above for a failed connect to {@code key} in {@code second}; {@code c} null: one seen in packets only. */
    private boolean sampledOut(String key, long second, AppCall c) {
        Peer p = peers.get(key);
        if (p == null) {
            if (peers.size() >= MAX_PEERS) {
                return false;
            }
            p = new Peer();
            p.second = second;
            peers.put(key, p);
        }
        p.seen = System.nanoTime();
        if (p.second != second) {
            p.second = second;
            p.kept = 0;
        }
        if (p.kept < CONNECTS_PER_PEER) {
            p.kept++;
            if (c != null) {
                c.moreLikeIt = p.carried;
                p.carried = 0;
                p.last = c;
            }
            return false;
        }
        sampled++;
        if (p.last != null && p.last.moreLikeIt >= 0) {
            p.last.moreLikeIt++;
        } else {
            p.carried++;
        }
        return true;
    }

    /** A peer's failed connects in the current second. */
    private static final class Peer {
        /** When one was last seen (nanoTime): a peer quiet for a few seconds is forgotten. */
        long seen;
        long second;
        int kept;
        /** The last one kept, while it waits to be explained. */
        AppCall last;
        /** Left out after it was explained: counted on the next one kept. */
        long carried;
    }

    /** A call explained already, kept a while for the calls it was part of. */
    private static final class Explained {
        final AppCall call;
        final long start;
        final long end;
        final Explanation verdict;

        Explained(AppCall call, long start, long end, Explanation verdict) {
            this.call = call;
            this.start = start;
            this.end = end;
            this.verdict = verdict;
        }
    }

    /**
     * An outgoing exchange that began before its connection's TLS handshake ended (HttpClient
     * hands the request to the engine at once): when the handshake was slow and takes up half the
     * exchange, it is the exchange's verdict.
     */
    private void handshakeInside(Conn conn, long s, long e, Explanation v) {
        if (conn == null) {
            return;
        }
        for (Explained x : recent) {
            long overlap = Math.min(e, x.end) - Math.max(s, x.start);
            if (x.call.kind == AppCall.TLS && x.call.conn == conn && overlap * 2 >= e - s) {
                v.set(x.verdict.verdict, Math.min(overlap, x.verdict.explained), "the exchange waited "
                        + VerdictRules.ms(overlap) + " for its connection's TLS handshake: " + x.verdict.evidence);
                return;
            }
        }
    }

    /**
     * An incoming exchange whose own packets show no fault: if it spent most of its time in slow
     * calls made for it (the app waited on its upstream), their verdict is its verdict. A call is
     * made for it when it carries the request's context (on any thread: a worker, the HttpClient's
     * own), or when the request's own thread made it.
     */
    private boolean inner(AppCall c, long s, long e, Explanation v) {
        Explained longest = null;
        long waited = 0;
        for (Explained x : recent) {
            boolean made = !(x.call.kind == AppCall.HTTP && x.call.incoming); // calls made, not requests served
            boolean forIt = c.context != 0 ? x.call.context == c.context || (x.call.context == 0 && x.call.thread.equals(c.thread))
                    : x.call.thread.equals(c.thread);
            if (made && forIt && x.start >= s - MARGIN_NANOS && x.end <= e + MARGIN_NANOS) {
                waited += x.end - x.start;
                if (longest == null || x.end - x.start > longest.end - longest.start) {
                    longest = x;
                }
            }
        }
        if (longest == null || waited * 2 < e - s) {
            return false;
        }
        AppCall x = longest.call;
        if (longest.verdict.verdict == Verdict.UNKNOWN) {
            if (!packets) { // what the app's timings do show: where the request's time went
                v.evidence += "; its thread waited " + VerdictRules.ms(longest.end - longest.start) + " of it on its "
                        + x.kindName() + " call" + (x.request != null ? " " + x.request : "") + " to " + x.remoteAddress
                        + ":" + x.remotePort + (x.conn != null ? " (connection " + x.conn.id + ")" : "")
                        + ", itself UNKNOWN";
            }
            return true; // its time went to those calls, whatever its thread did meanwhile
        }
        String who = x.thread.equals(c.thread) ? "the thread waited " : "it waited ";
        String whose = x.thread.equals(c.thread) ? " on its " : " on the ";
        String made = x.thread.equals(c.thread) ? "" : " that " + x.thread + " made for it";
        v.set(longest.verdict.verdict, Math.min(e - s, longest.verdict.explained), who
                + VerdictRules.ms(longest.end - longest.start) + whose + x.kindName() + " call"
                + (x.request != null ? " " + x.request : "") + " to " + x.remoteAddress + ":" + x.remotePort
                + (x.conn != null ? " (connection " + x.conn.id + ")" : "") + made + ": " + longest.verdict.evidence);
        v.frames.append(longest.verdict.frames);
        v.join = longest.verdict.join;
        return true;
    }

    /** The flow of a connect that produced no connection: the latest SYN to its peer in its time. */
    private Track connectAttempt(AppCall c, long s, long e) {
        FlowKey peer = FlowKey.of(c.remoteAddress, c.remotePort);
        if (peer == null) {
            return null;
        }
        for (long n = recentNext - 1; n >= recentFirst; n--) {
            Flow f = recentSyns[(int) (n & (RECENT_SYNS - 1))];
            if (f.firstNanos() > e + MARGIN_NANOS) {
                continue;
            }
            if (f.firstNanos() < s - MARGIN_NANOS - clockError) {
                break;
            }
            if (f.serverPort() == peer.aPort && f.serverHi() == peer.aHi && f.serverLo() == peer.aLo
                    && f.ipVersion() == peer.version) {
                Track t = (Track) f.attachment;
                if (t != null && t.client == null) {
                    return t;
                }
            }
        }
        return null;
    }

    /** The capture has ended and its readers have drained: explain what is left, summarise every flow. */
    public void finish() {
        synchronized (this) {
            if (finished) {
                return;
            }
            try {
                tick(true);
                table.flush(); // the flows' last exchanges
                if (packets) {
                    ownFlows(epoch(System.nanoTime()), true);
                }
            } finally {
                finished = true;
            }
        }
        Ticker t = ticks;
        if (t != null) {
            t.wake();
        }
    }

    /** Calls handed over that its thread has not taken yet. */
    int queuedCalls() {
        return calls.size();
    }

    /** How long its thread waits after the last round; for tests. */
    synchronized long nextWait() {
        return nextWait;
    }

    /** How long after a reading of the JVM's sockets a new flow may ask for the next. */
    synchronized long readingGate() {
        return Math.max(NEW_FLOW_REFRESH_NANOS, NEW_FLOW_REFRESH_SHARE * own.cost);
    }

    /** When the JVM's sockets were last read (ns since the epoch, 0 never); for tests. */
    synchronized long ownRefreshed() {
        return own.refreshed;
    }

    public synchronized long explainedCount() {
        return explained;
    }

    public synchronized String status() {
        StringBuilder b = new StringBuilder("slow or failed calls: " + explained + " explained");
        verdicts.forEach((k, n) -> b.append(b.indexOf("(") < 0 ? " (" : ", ").append(k).append(' ').append(n));
        if (!verdicts.isEmpty()) {
            b.append(')');
        }
        if (seenInPacketsOnly > 0) {
            b.append(", ").append(seenInPacketsOnly).append(" of them seen in packets only");
        }
        b.append(", ").append(queued.get()).append(packets ? " waiting for their packets" : " waiting");
        if (dropped.sum() > 0) {
            b.append(", ").append(dropped.sum()).append(" dropped (more than ").append(MAX_QUEUED).append(" waiting)");
        }
        if (sampled > 0) {
            b.append(", ").append(sampled).append(" failed connects not explained one by one (past ")
                    .append(CONNECTS_PER_PEER).append(" a second to one peer; counted as \"more like it\" on those explained)");
        }
        if (openedDropped.sum() > 0) {
            b.append("\nconnections not handed to the join (more than ").append(MAX_OPENED)
                    .append(" waiting): ").append(openedDropped.sum());
        }
        if (errors > 0) {
            b.append("\ncorrelation errors: ").append(errors).append(" (first: ").append(firstError).append(')');
        }
        if (packets) {
            b.append("\n").append(budget.describe());
            b.append("\ntcp flows: ").append(table.size()).append(" in the table, ").append(connections)
                    .append(" joined to the app's connections, ").append(conns.size())
                    .append(" connections known to the join, ").append(own.size())
                    .append(own.failed ? " sockets of this JVM's (its /proc view failed)" : " sockets of this JVM's")
                    .append("; ").append(annotated)
                    .append(" packets annotated with a verdict");
        }
        if (!latest.isEmpty()) {
            b.append("\nlatest slow calls:");
            latest.forEach(l -> b.append("\n  ").append(l));
        }
        return b.toString();
    }

    // ---- the clock

    public long epoch(long nanoTime) {
        return nanoTime + offset;
    }

    /** The offset from nanoTime to the wall clock: the tightest of a few reads between two nanoTimes. */
    private void sampleClock() {
        long best = Long.MAX_VALUE;
        long off = 0;
        for (int i = 0; i < 5; i++) {
            long a = System.nanoTime();
            Instant w = Instant.now();
            long b = System.nanoTime();
            if (b - a < best) {
                best = b - a;
                off = w.getEpochSecond() * 1_000_000_000L + w.getNano() - (a + (b - a) / 2);
            }
        }
        offset = off;
        clockError = best / 2 + 1_000; // the read's width, and Instant's microsecond resolution on older JDKs
    }
}
