package io.wiretrace.analysis.offline;

import io.wiretrace.analysis.http.RequestLine;
import io.wiretrace.analysis.pcap.CaptureFile;
import io.wiretrace.analysis.pcap.PacketComments;
import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.tcp.FlowKey;
import io.wiretrace.analysis.tcp.FlowTable;
import io.wiretrace.analysis.tcp.Frame;
import io.wiretrace.analysis.tcp.Side;
import io.wiretrace.analysis.verdict.Call;
import io.wiretrace.analysis.verdict.EvidenceRing;
import io.wiretrace.analysis.verdict.Explanation;
import io.wiretrace.analysis.verdict.Verdict;
import io.wiretrace.analysis.verdict.VerdictRules;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The correlation's packet side, offline, for {@code wiretrace analyze}: reads capture files
 * through the same TCP analysis and keeps the same evidence per flow ({@link EvidenceRing}) as the live
 * agent, sums up every conversation, and explains, from packets alone, the slow or failed
 * connects and the slow request/response exchanges with the same rules ({@link VerdictRules}). The
 * app's own timings (when a thread read, which call waited) exist only in the recording, so these
 * verdicts cannot say APP_READ_LATE. The packets' comments, when wiretrace wrote the file, give
 * each conversation its connection id, thread and requests.
 */
public final class Offline implements CaptureFile.Commented, FlowTable.Listener, Exchanges.Found {
    /** More conversations than this are counted, not kept. */
    public static final int MAX_CONVERSATIONS = 100_000;
    public static final int MAX_FINDINGS = 10_000;
    private static final int RETRANSMITTED = Analysis.RETRANSMISSION | Analysis.FAST_RETRANSMISSION
            | Analysis.SPURIOUS_RETRANSMISSION;
    private static final int MAX_REQUESTS = 20;
    /** The most of a packet's comments read (wiretrace's own are a few hundred characters at most); the rest is counted. */
    public static final int MAX_COMMENT_CHARS = 4096;

    /** One TCP conversation, as the packets show it. */
    public static final class Conversation {
        public String clientAddress;
        public int clientPort;
        public String serverAddress;
        public int serverPort;
        public long first;
        public long last;
        public String ended;
        public long handshakeRtt = -1;
        public int rttSamples;
        public long rttMin;
        public long rttAvg;
        public long rttMax;
        public long packetsFromClient;
        public long packetsFromServer;
        public long bytesFromClient;
        public long bytesFromServer;
        public int retransmissionsFromClient;
        public int retransmissionsFromServer;
        public int synRetransmissions;
        public int zeroWindows;
        public int resets;
        /** From wiretrace's packet comments: the app's connection id (-1: none), the thread, the requests. */
        public long connectionId = -1;
        public String thread;
        public final List<String> requests = new ArrayList<>();
        public int requestCount;
        /** The request the comments named last, and whether the payload showed requests itself. */
        private String named;
        private boolean requestLines;
        /** "http/1.1" when the payload looked like it; else what the comments named, or null. */
        public String application;
        public int findings;
    }

    /** A slow or failed call that the packets explain. */
    public static final class Finding {
        public String call;
        public Verdict verdict;
        public String evidence;
        public long start;
        public long duration;
        public long explained;
        public String failure;
        public String request;
        public int retransmissions;
        public long[] frames;
        public Conversation conversation;
    }

    /** A conversation's packet, for a ladder diagram. */
    public static final class Packet {
        public long nanos;
        /** Sent by the window's local end. */
        public boolean outgoing;
        public int flags;
        public long seq;
        public long ack;
        public int length;
        public int window;
        public String analysis;
        public String comment;
    }

    /**
     * What a ladder asks for: the packets between two ends between two times; an empty local
     * address matches any (a connect that failed has no local end yet).
     */
    public static final class Window {
        /** The ends as numbers (FlowKey's a fields); a null local end matches any. */
        private final FlowKey local;
        private final FlowKey remote;
        final long from;
        final long to;
        final int max;
        public final List<Packet> packets = new ArrayList<>();
        public int more;
        private final long[] isn = {-1, -1};

        public Window(String localAddress, int localPort, String remoteAddress, int remotePort, long from, long to,
                int max) {
            this.local = FlowKey.of(localAddress, localPort);
            this.remote = FlowKey.of(remoteAddress, remotePort);
            this.from = from;
            this.to = to;
            this.max = max;
        }

        /** Whether the frame's sender is this window's local end; null: not this window's flow. */
        Boolean outgoing(Frame f) {
            if (remote == null || f.ipVersion != remote.version) {
                return null;
            }
            if (is(remote, f.dstHi, f.dstLo, f.dstPort) && (local == null || is(local, f.srcHi, f.srcLo, f.srcPort))) {
                return true;
            }
            if (is(remote, f.srcHi, f.srcLo, f.srcPort) && (local == null || is(local, f.dstHi, f.dstLo, f.dstPort))) {
                return false;
            }
            return null;
        }

        private static boolean is(FlowKey k, long hi, long lo, int port) {
            return k.aPort == port && k.aLo == lo && k.aHi == hi;
        }
    }

    /** The per-flow state: the live agent's evidence ring, the calls its packets show, the conversation. */
    private static final class State {
        final EvidenceRing track = new EvidenceRing();
        final Conversation conv = new Conversation();
        final Exchanges calls;

        State(int a, Frame first) {
            calls = new Exchanges(a, first);
            calls.owner = this;
        }
    }

    public final long slowNanos;
    private final FlowTable table;
    private final List<Conversation> conversations = new ArrayList<>();
    private final List<Finding> findings = new ArrayList<>();
    public long packets;
    public long tcpPackets;
    public long bytes;
    public long first;
    public long last;
    public long conversationsDropped;
    public long findingsDropped;
    /** The packets whose comments ran past {@link #MAX_COMMENT_CHARS}: only that much of them was read. */
    public long commentsCut;
    /** TCP retransmissions of any kind (as {@code tcp.analysis.retransmission} counts them) per epoch second. */
    public final Map<Long, Integer> retransmissionsBySecond = new TreeMap<>();
    /** The comments of the packet to come, joined by newlines. */
    private final StringBuilder comment = new StringBuilder();
    private boolean cut;
    private List<Window> windows;
    /** In the second reading, the frame parsed first: only the windows' flows go through the analysis. */
    private final Frame probe = new Frame();

    private Offline(long slowNanos, List<Window> windows) {
        this.slowNanos = slowNanos;
        this.windows = windows;
        table = new FlowTable(FlowTable.MAX_FLOWS, FlowTable.DEFAULT_IDLE_NANOS, FlowTable.DEFAULT_LINGER_NANOS, this);
    }

    /** Reads the files in order (as one capture) and returns the conversations and the findings. */
    public static Offline analyze(List<Path> files, long slowNanos) throws IOException {
        Offline o = new Offline(slowNanos, null);
        for (Path f : files) {
            CaptureFile.read(f, o);
        }
        o.table.flush();
        return o;
    }

    /** A second reading that fills each window with its conversation's packets. */
    public static void packets(List<Path> files, List<Window> windows) throws IOException {
        Offline o = new Offline(Long.MAX_VALUE, windows);
        for (Path f : files) {
            CaptureFile.read(f, o);
        }
    }

    public List<Conversation> conversations() {
        return conversations;
    }

    public List<Finding> findings() {
        return findings;
    }

    @Override
    public void comment(ByteBuffer buf, int offset, int length) {
        int room = MAX_COMMENT_CHARS - comment.length() - (comment.length() == 0 ? 0 : 1);
        if (length > room) { // a packet of many comments costs no more than its cap
            cut = true;
            length = room;
            if (length <= 0) {
                return;
            }
        }
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = buf.get(offset + i);
        }
        String text = new String(b, StandardCharsets.UTF_8).trim();
        // a verdict comment is the recording's to tell; the ladders show it on its packet
        if (windows != null || !PacketComments.isVerdict(text)) {
            comment.append(comment.length() == 0 ? "" : "\n").append(text);
        }
    }

    @Override
    public void packet(int iface, int linkType, long nanos, ByteBuffer buf, int offset, int capLen, int origLen) {
        String note = comment.length() == 0 ? null : comment.toString();
        comment.setLength(0);
        if (cut) {
            cut = false;
            commentsCut++;
        }
        packets++;
        bytes += origLen;
        if (first == 0 || nanos < first) {
            first = nanos;
        }
        last = Math.max(last, nanos);
        if (windows != null && !windowed(linkType, buf, offset, capLen, origLen)) {
            return;
        }
        int a = table.packet(linkType, buf, offset, capLen, origLen, nanos);
        if (a == Analysis.NOT_TCP) {
            return;
        }
        tcpPackets++;
        if (windows == null && (a & RETRANSMITTED) != 0) {
            retransmissionsBySecond.merge(Math.floorDiv(nanos, 1_000_000_000L), 1, Integer::sum);
        }
        Flow f = table.lastFlow();
        Frame fr = table.frame();
        State st = (State) f.attachment;
        if (st == null) {
            st = new State(a, fr);
            f.attachment = st;
        }
        if (windows != null) {
            ladder(fr, a, nanos, note);
            return;
        }
        st.track.packet(fr, a, nanos);
        if (note != null) {
            named(st.conv, note);
        }
        st.calls.packet(f, fr, a, nanos, buf, slowNanos, this);
    }

    @Override
    public void request(Exchanges x, String line) {
        Conversation c = ((State) x.owner).conv;
        c.application = RequestLine.HTTP1;
        requestLine(c, line);
    }

    @Override
    public void evicted(Flow f) {
        State st = (State) f.attachment;
        if (st == null || windows != null) {
            return;
        }
        st.calls.ended(f, slowNanos, this);
        Conversation c = st.conv;
        Side cl = f.client();
        Side sv = f.server();
        c.clientAddress = f.clientAddress();
        c.clientPort = f.clientPort();
        c.serverAddress = f.serverAddress();
        c.serverPort = f.serverPort();
        c.first = f.firstNanos();
        c.last = f.lastNanos();
        c.ended = f.end().name().toLowerCase(Locale.ROOT);
        c.handshakeRtt = f.handshakeRttNanos();
        c.rttSamples = cl.rttCount();
        c.rttMin = cl.rttCount() > 0 ? cl.rttMinNanos() : 0;
        c.rttAvg = cl.rttAvgNanos();
        c.rttMax = cl.rttMaxNanos();
        c.packetsFromClient = cl.packets();
        c.packetsFromServer = sv.packets();
        c.bytesFromClient = cl.payloadBytes();
        c.bytesFromServer = sv.payloadBytes();
        c.retransmissionsFromClient = cl.retransmissions();
        c.retransmissionsFromServer = sv.retransmissions();
        c.synRetransmissions = cl.synRetransmissions() + sv.synRetransmissions();
        c.zeroWindows = cl.count(Analysis.ZERO_WINDOW) + sv.count(Analysis.ZERO_WINDOW);
        c.resets = cl.resets() + sv.resets();
        if (conversations.size() < MAX_CONVERSATIONS) {
            conversations.add(c);
        } else {
            conversationsDropped++;
        }
    }

    @Override
    public void call(Exchanges flow, Call c) {
        State st = (State) flow.owner;
        long s = c.start;
        long e = c.end;
        Explanation v = VerdictRules.explain(c, s, e, new long[3], st.track, true, 0);
        st.conv.findings++;
        if (findings.size() >= MAX_FINDINGS) {
            findingsDropped++;
            return;
        }
        Finding x = new Finding();
        x.call = c.kind == Call.CONNECT ? "connect" : c.request != null ? "http" : "exchange";
        x.verdict = v.verdict;
        x.evidence = v.evidence;
        x.start = s;
        x.duration = e - s;
        x.explained = v.explained;
        x.failure = c.failure;
        x.request = c.request;
        x.retransmissions = v.retransmissions;
        x.frames = java.util.Arrays.copyOf(v.times, v.count);
        x.conversation = st.conv;
        findings.add(x);
    }

    /** The connection, its thread and the request, from wiretrace's comments ({@link PacketComments}). */
    private static void named(Conversation c, String note) {
        for (String line : note.split("\n")) {
            PacketComments.Connection named = PacketComments.parseConnection(line);
            if (named == null) {
                continue;
            }
            c.connectionId = named.id;
            if (named.thread != null && c.thread == null) {
                c.thread = named.thread;
            }
            if (named.request != null) {
                requestNamed(c, named.request);
            } else if (named.application != null && c.application == null) {
                c.application = named.application;
            }
        }
    }

    /** A request its line in the payload shows: each one counts. */
    private static void requestLine(Conversation c, String request) {
        if (!c.requestLines) { // the payload is readable: it counts, not the comments
            c.requestLines = true;
            c.requestCount = 0;
            c.requests.clear();
        }
        c.requestCount++;
        if (c.requests.size() < MAX_REQUESTS) {
            c.requests.add(request);
        }
    }

    /** A request a comment names (every packet of the exchange does): counted where the payload is not readable (TLS). */
    private static void requestNamed(Conversation c, String request) {
        if (c.requestLines || request.equals(c.named)) {
            return;
        }
        c.named = request;
        c.requestCount++;
        if (c.requests.size() < MAX_REQUESTS) {
            c.requests.add(request);
        }
    }

    private boolean windowed(int linkType, ByteBuffer buf, int offset, int capLen, int origLen) {
        if (!probe.parse(linkType, buf, offset, capLen, origLen)) {
            return false;
        }
        for (Window w : windows) {
            if (w.outgoing(probe) != null) {
                return true;
            }
        }
        return false;
    }

    private void ladder(Frame fr, int a, long nanos, String note) {
        for (Window w : windows) {
            if (nanos < w.from || nanos > w.to) {
                continue;
            }
            Boolean out = w.outgoing(fr);
            if (out == null) {
                continue;
            }
            if (w.packets.size() >= w.max) {
                w.more++;
                continue;
            }
            int side = out ? 0 : 1;
            long seq = fr.seq & 0xFFFFFFFFL;
            if (w.isn[side] < 0) {
                w.isn[side] = seq;
            }
            if (w.isn[1 - side] < 0 && (fr.flags & Frame.ACK) != 0) {
                w.isn[1 - side] = fr.ack & 0xFFFFFFFFL; // the other side's numbers, from where this window sees them
            }
            Packet p = new Packet();
            p.nanos = nanos;
            p.outgoing = out;
            p.flags = fr.flags;
            p.seq = (seq - w.isn[side]) & 0xFFFFFFFFL;
            long peer = w.isn[1 - side];
            p.ack = peer < 0 ? fr.ack & 0xFFFFFFFFL : ((fr.ack & 0xFFFFFFFFL) - peer) & 0xFFFFFFFFL;
            p.length = fr.payloadLength;
            p.window = fr.window;
            p.analysis = Analysis.names(a & 0xFFFF);
            p.comment = note;
            w.packets.add(p);
        }
    }
}
