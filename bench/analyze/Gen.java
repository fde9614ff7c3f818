import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Writes a large pcapng file of HTTP/1.1 over TCP, deterministically (same arguments, same bytes).
 *
 * <pre>java Gen.java OUT.pcapng [PACKETS=2000000] [SEED=1]</pre>
 *
 * One Section Header Block, one Interface Description Block (Ethernet, if_tsresol 9: ns), then
 * Enhanced Packet Blocks. The traffic is what a tap on the clients' side of the path would see:
 * many client addresses (IPv4, about 15% IPv6) talking to a few servers on ports 80 and 8080,
 * about 200 conversations open at any time, their packets interleaved in time order. Each
 * conversation: a 3-way handshake with Linux's SYN options (MSS 1460, SACK permitted, timestamps,
 * window scale 7), one or more HTTP/1.1 request/response exchanges (the response cut into segments
 * of up to 1448 bytes, sent in slow-start flights, the client ACKing every second segment and the
 * last one), then a FIN teardown by the client or, after "Connection: close", by the server.
 * Sequence and acknowledgement numbers, TCP timestamps, IP lengths and the IPv4 header checksum
 * are right; the TCP checksums are zero.
 *
 * A small share of the conversations carries one fault each: a lost segment (the request, or the
 * response's last segment) retransmitted after 200 ms or more of silence; a slow server (the
 * response 300-800 ms after the request, the request ACKed after 40 ms); a SYN retried after 1 s;
 * a SYN answered by RST (refused); a zero window (the client advertises 0 for 150-500 ms in the
 * middle of a response, then a window update).
 *
 * The file holds at least PACKETS packets: conversations are started while fewer than PACKETS
 * packets are planned, and every started conversation is written to its end.
 */
public final class Gen {
    static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
    static final long MS = 1_000_000L, US = 1_000L;
    /** 2026-11-26T10:00:00Z, the first conversations start within 200 ms of it. */
    static final long EPOCH_NS = 1_795_687_200L * 1_000_000_000L;
    static final int CONCURRENT = 200;
    static final int MSS = 1448;
    static final int CLIENTS_V4 = 2000, CLIENTS_V6 = 300, SERVERS_V4 = 16, SERVERS_V6 = 4;
    static final byte[] FILLER = filler(1 << 20);
    static final byte[] CLIENT_MAC_PREFIX = {0x02, 0x00, 0x00};
    static final byte[] GATEWAY_MAC = {0x02, 0x00, 0x01, 0x00, 0x00, 0x01};

    enum Fault { NONE, LOSS, SLOW, SYN_RETRY, REFUSED, ZERO_WINDOW }

    /** One packet of a conversation; its payload is {@code (msg ++ FILLER)[off, off + len)}. */
    static final class Pkt {
        final long t;
        final boolean c2s;
        final int flags, seq, ack, win, off, len;
        final byte[] msg;

        Pkt(long t, boolean c2s, int flags, int seq, int ack, int win, byte[] msg, int off, int len) {
            this.t = t; this.c2s = c2s; this.flags = flags; this.seq = seq; this.ack = ack; this.win = win;
            this.msg = msg; this.off = off; this.len = len;
        }
    }

    static final class Conv implements Comparable<Conv> {
        final long id;
        final boolean v6;
        final byte[] cAddr, sAddr, cMac;
        final int cPort, sPort, serverTtl, flowLabel;
        final int cTsOff, sTsOff;
        int cIpId, sIpId, cLastTs, sLastTs;
        final List<Pkt> list = new ArrayList<>();
        Pkt[] pkts;
        int next;

        // generation state
        final SplittableRandom r;
        Fault fault = Fault.NONE;
        boolean lossOnRequest;
        long rtt, gap, lastC, lastS;
        int cSeq, sSeq, cWin, sWin, cwnd = 10;
        int status;  // of the response being built

        Conv(long id, SplittableRandom r, boolean v6, byte[] cAddr, byte[] sAddr, byte[] cMac, int cPort, int sPort) {
            this.id = id; this.r = r; this.v6 = v6; this.cAddr = cAddr; this.sAddr = sAddr; this.cMac = cMac;
            this.cPort = cPort; this.sPort = sPort;
            serverTtl = 64 - 1 - r.nextInt(12);
            flowLabel = r.nextInt(1 << 20);
            cTsOff = r.nextInt(); sTsOff = r.nextInt();
            cIpId = r.nextInt(65536); sIpId = r.nextInt(65536);
        }

        long nextTime() { return pkts[next].t; }

        @Override public int compareTo(Conv o) {
            int c = Long.compare(nextTime(), o.nextTime());
            return c != 0 ? c : Long.compare(id, o.id);
        }

        /** Adds a packet at t or, if its side already sent at or after t, 1 µs after that. */
        long add(long t, boolean c2s, int flags, int seq, int ack, int win, byte[] msg, int off, int len) {
            long last = c2s ? lastC : lastS;
            if (t <= last) t = last + US;
            if (c2s) lastC = t; else lastS = t;
            list.add(new Pkt(t, c2s, flags, seq, ack, win, msg, off, len));
            return t;
        }

        long client(long t, int flags, byte[] msg, int off, int len) {
            return add(t, true, flags, cSeq, sSeq, cWin, msg, off, len);
        }

        long clientAck(long t, int win) { return add(t, true, ACK, cSeq, sSeq, win, null, 0, 0); }

        long server(long t, int flags, byte[] msg, int off, int len) {
            return add(t, false, flags, sSeq, cSeq, sWin, msg, off, len);
        }

        long between(long lo, long hi) { return lo + r.nextLong(hi - lo + 1); }

        /** The client's stack answering a segment it just received. */
        long ackDelay() { return between(15 * US, 80 * US); }

        void build(long t0) {
            int p = r.nextInt(100);
            rtt = p < 30 ? between(150 * US, 600 * US) : p < 80 ? between(2 * MS, 20 * MS) : between(20 * MS, 80 * MS);
            gap = between(12 * US, 120 * US);
            cWin = 400 + r.nextInt(200);  // scaled by 128: 50-75 KiB
            sWin = 400 + r.nextInt(200);
            int f = r.nextInt(1000);
            fault = f < 10 ? Fault.LOSS : f < 25 ? Fault.SLOW : f < 30 ? Fault.SYN_RETRY
                    : f < 35 ? Fault.REFUSED : f < 40 ? Fault.ZERO_WINDOW : Fault.NONE;
            lossOnRequest = r.nextBoolean();

            int cIsn = r.nextInt(), sIsn = r.nextInt();
            long t = add(t0, true, SYN, cIsn, 0, 64240, null, 0, 0);
            if (fault == Fault.SYN_RETRY) t = add(t + 1000 * MS + between(0, 3 * MS), true, SYN, cIsn, 0, 64240, null, 0, 0);
            if (fault == Fault.REFUSED) {
                add(t + rtt, false, RST | ACK, 0, cIsn + 1, 0, null, 0, 0);
                finish();
                return;
            }
            t = add(t + rtt, false, SYN | ACK, sIsn, cIsn + 1, 65160, null, 0, 0);
            cSeq = cIsn + 1;
            sSeq = sIsn + 1;
            t = clientAck(t + ackDelay(), cWin);

            p = r.nextInt(100);
            int exchanges = p < 70 ? 1 + r.nextInt(3) : p < 95 ? 4 + r.nextInt(12) : 16 + r.nextInt(45);
            int faulty = r.nextInt(exchanges);
            boolean serverCloses = r.nextInt(5) == 0;
            for (int e = 0; e < exchanges; e++) {
                boolean hit = e == faulty;
                boolean last = e == exchanges - 1;
                t += e == 0 ? between(20 * US, 200 * US) : think();
                byte[] req = request();
                long reqT = client(t, PSH | ACK, req, 0, req.length);
                int reqSeq = cSeq;
                cSeq += req.length;
                if (hit && fault == Fault.LOSS && lossOnRequest) {
                    // lost after the tap: no answer, then the RTO
                    reqT = add(reqT + 200 * MS + rtt + between(0, 20 * MS), true, PSH | ACK, reqSeq, sSeq, cWin, req, 0, req.length);
                }
                long serverTime;
                if (hit && fault == Fault.SLOW) {
                    serverTime = between(300 * MS, 800 * MS);
                } else {
                    serverTime = r.nextInt(10) == 0 ? between(5 * MS, 40 * MS) : between(200 * US, 5 * MS);
                }
                if (serverTime > 40 * MS) server(reqT + rtt + 40 * MS, ACK, null, 0, 0);  // delayed ACK
                boolean close = last && serverCloses;
                int bodyLen = bodyLength(hit && fault == Fault.ZERO_WINDOW);
                byte[] head = responseHead(bodyLen, close);
                int zeroAt = -1;
                if (hit && fault == Fault.ZERO_WINDOW) {
                    int segs = (head.length + bodyLen + MSS - 1) / MSS;
                    zeroAt = 2 * (1 + r.nextInt(segs / 2 - 1)) - 1;  // after an even count of segments
                }
                boolean dropLast = hit && fault == Fault.LOSS && !lossOnRequest;
                t = response(reqT + rtt + serverTime, head, bodyLen, close, zeroAt, dropLast);
            }
            if (!serverCloses) {
                t = client(t + (r.nextInt(10) == 0 ? between(100 * MS, 2000 * MS) : between(1 * MS, 100 * MS)), FIN | ACK, null, 0, 0);
                cSeq++;
                t = server(t + rtt, FIN | ACK, null, 0, 0);
                sSeq++;
                clientAck(t + ackDelay(), cWin);
            }
            finish();
        }

        long think() {
            int p = r.nextInt(100);
            return p < 80 ? between(100 * US, 20 * MS) : p < 97 ? between(20 * MS, 300 * MS) : between(300 * MS, 1500 * MS);
        }

        /** Sends the response from time t; returns the time of its last packet. */
        long response(long t, byte[] head, int bodyLen, boolean close, int zeroAt, boolean dropLast) {
            int total = head.length + bodyLen;
            int segs = (total + MSS - 1) / MSS;
            long ts = t, flightStart = t, end = t;
            int inFlight = 0, unacked = 0;
            for (int k = 0; k < segs; k++) {
                if (inFlight == cwnd) {  // wait for the flight's ACKs
                    flightStart = Math.max(flightStart + rtt, ts);
                    ts = flightStart;
                    cwnd = Math.min(cwnd * 2, 64);
                    inFlight = 0;
                }
                int off = k * MSS, len = Math.min(MSS, total - off);
                boolean last = k == segs - 1;
                int flags = ACK | (last ? PSH : 0);
                long st = server(ts, flags, head, off, len);
                sSeq += len;
                end = st;
                inFlight++;
                unacked++;
                ts = st + gap * (8 + r.nextInt(5)) / 10;
                if (last && dropLast) {
                    // the client drops it after the tap: it ACKs what came before, the server's RTO fires
                    if (unacked > 1) clientAckTo(st + ackDelay(), sSeq - len);
                    st = add(st + 200 * MS + rtt + between(0, 20 * MS), false, flags, sSeq - len, cSeq, sWin, head, off, len);
                    unacked = 1;
                    end = st;
                }
                if (k == zeroAt) {
                    // the application stops reading: window 0, then an update when it reads again
                    long a = clientAck(st + ackDelay(), 0);
                    long u = clientAck(a + between(150 * MS, 500 * MS), cWin);
                    ts = u + rtt;
                    flightStart = ts;
                    inFlight = 0;
                    unacked = 0;
                    end = u;
                    continue;
                }
                if (last && close) {
                    long fin = server(ts, FIN | ACK, null, 0, 0);
                    sSeq++;
                    long a = clientAck(fin + ackDelay(), cWin);
                    long cf = client(a + between(50 * US, 300 * US), FIN | ACK, null, 0, 0);
                    cSeq++;
                    return server(cf + rtt, ACK, null, 0, 0);
                }
                if (unacked == 2 || last || inFlight == cwnd) {
                    end = Math.max(end, clientAck(st + ackDelay(), cWin));
                    unacked = 0;
                }
            }
            return end;
        }

        void clientAckTo(long t, int ack) { add(t, true, ACK, cSeq, ack, cWin, null, 0, 0); }

        byte[] request() {
            int n = 1 + r.nextInt(99_999);
            int p = r.nextInt(10);
            String s;
            if (p < 5) {
                s = "GET /item/" + n + " HTTP/1.1\r\nHost: shop\r\n\r\n";
            } else if (p < 7) {
                s = "GET /search?q=item+" + n + "&page=" + (1 + r.nextInt(20)) + " HTTP/1.1\r\nHost: shop\r\n"
                        + "User-Agent: shop-client/2.1\r\nAccept: application/json\r\n\r\n";
            } else if (p < 9) {
                s = "GET /cart/" + n + " HTTP/1.1\r\nHost: shop\r\nAccept: application/json\r\nCookie: session="
                        + Long.toHexString(r.nextLong()) + "\r\n\r\n";
            } else {
                String body = "{\"item\":" + n + ",\"qty\":" + (1 + r.nextInt(5)) + "}";
                s = "POST /order HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body;
            }
            return s.getBytes(StandardCharsets.US_ASCII);
        }

        int bodyLength(boolean large) {
            int p = r.nextInt(100);
            status = p < 94 ? 200 : p < 99 ? 404 : 503;
            if (large) {
                status = 200;
                return (int) between(40_000, 200_000);
            }
            if (status != 200) return 20 + r.nextInt(100);
            p = r.nextInt(100);
            return p < 80 ? 100 + r.nextInt(2900) : p < 97 ? 3000 + r.nextInt(27_000) : 30_000 + r.nextInt(170_000);
        }

        byte[] responseHead(int bodyLen, boolean close) {
            String line = status == 200 ? "200 OK" : status == 404 ? "404 Not Found" : "503 Service Unavailable";
            return ("HTTP/1.1 " + line + "\r\nContent-Type: application/json\r\nContent-Length: " + bodyLen + "\r\n"
                    + (close ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        void finish() {
            pkts = list.toArray(new Pkt[0]);
            list.clear();
            Arrays.sort(pkts, (a, b) -> Long.compare(a.t, b.t));  // stable: causes stay first
        }
    }

    // ---------------------------------------------------------------------------------------------

    final SplittableRandom root;
    final int[] nextPortV4 = new int[CLIENTS_V4], nextPortV6 = new int[CLIENTS_V6];
    long convs;
    final long[] faults = new long[Fault.values().length];
    long v6Convs;

    Conv newConv(long t0) {
        SplittableRandom r = root.split();
        boolean v6 = r.nextInt(100) < 15;
        byte[] cAddr, sAddr, cMac = new byte[6];
        int cPort, ci;
        if (v6) {
            ci = r.nextInt(CLIENTS_V6);
            cAddr = v6Addr(0x0001, 0x100 + ci);
            sAddr = v6Addr(0x0020, 1 + r.nextInt(SERVERS_V6));
            cPort = nextPortV6[ci];
            nextPortV6[ci] = cPort == 60999 ? 32768 : cPort + 1;
            ci += CLIENTS_V4;
        } else {
            ci = r.nextInt(CLIENTS_V4);
            cAddr = new byte[] {10, 1, (byte) (ci / 250), (byte) (ci % 250 + 1)};
            sAddr = new byte[] {10, 20, 0, (byte) (1 + r.nextInt(SERVERS_V4))};
            cPort = nextPortV4[ci];
            nextPortV4[ci] = cPort == 60999 ? 32768 : cPort + 1;
        }
        System.arraycopy(CLIENT_MAC_PREFIX, 0, cMac, 0, 3);
        cMac[3] = (byte) (ci >> 16); cMac[4] = (byte) (ci >> 8); cMac[5] = (byte) ci;
        int sPort = r.nextInt(4) == 0 ? 8080 : 80;
        Conv c = new Conv(convs++, r, v6, cAddr, sAddr, cMac, cPort, sPort);
        c.build(t0);
        faults[c.fault.ordinal()]++;
        if (v6) v6Convs++;
        return c;
    }

    static byte[] v6Addr(int net, int host) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd; a[1] = 0x00;
        a[2] = (byte) (net >> 8); a[3] = (byte) net;
        a[14] = (byte) (host >> 8); a[15] = (byte) host;
        return a;
    }

    static byte[] filler(int size) {
        StringBuilder sb = new StringBuilder(size + 200);
        for (int i = 0; sb.length() < size; i++) {
            sb.append("{\"id\":").append(i).append(",\"name\":\"item ").append(i).append("\",\"price\":")
                    .append(i % 997).append('.').append(i % 89 + 10).append(",\"stock\":").append(i % 31).append("},\n");
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    // ---------------------------------------------------------------------------------------------

    final FileChannel ch;
    final ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
    long packets, bytes;

    Gen(long seed, FileChannel ch) {
        root = new SplittableRandom(seed);
        for (int i = 0; i < CLIENTS_V4; i++) nextPortV4[i] = 32768 + root.nextInt(28232);
        for (int i = 0; i < CLIENTS_V6; i++) nextPortV6[i] = 32768 + root.nextInt(28232);
        this.ch = ch;
    }

    void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    void headers() {
        // Section Header Block
        buf.putInt(0x0A0D0D0A).putInt(28).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0)
                .putLong(-1L).putInt(28);
        // Interface Description Block: Ethernet, snaplen 262144, if_tsresol 9
        buf.putInt(1).putInt(32).putShort((short) 1).putShort((short) 0).putInt(262144)
                .putShort((short) 9).putShort((short) 1).put((byte) 9).put((byte) 0).put((byte) 0).put((byte) 0)
                .putShort((short) 0).putShort((short) 0).putInt(32);
    }

    void write(Conv c, Pkt p) throws IOException {
        if (buf.remaining() < 4096) flush();
        boolean synOpts = (p.flags & SYN) != 0;
        boolean noOpts = (p.flags & RST) != 0;
        int tcpLen = synOpts ? 40 : noOpts ? 20 : 32;
        int ipLen = c.v6 ? 40 : 20;
        int capLen = 14 + ipLen + tcpLen + p.len;
        int pad = -capLen & 3;
        int blockLen = 32 + capLen + pad;
        long ts = p.t;
        buf.putInt(6).putInt(blockLen).putInt(0).putInt((int) (ts >>> 32)).putInt((int) ts).putInt(capLen).putInt(capLen);
        buf.order(ByteOrder.BIG_ENDIAN);
        // Ethernet
        if (p.c2s) buf.put(GATEWAY_MAC).put(c.cMac); else buf.put(c.cMac).put(GATEWAY_MAC);
        buf.putShort((short) (c.v6 ? 0x86DD : 0x0800));
        byte[] src = p.c2s ? c.cAddr : c.sAddr, dst = p.c2s ? c.sAddr : c.cAddr;
        if (c.v6) {
            buf.putInt(0x60000000 | c.flowLabel).putShort((short) (tcpLen + p.len)).put((byte) 6)
                    .put((byte) (p.c2s ? 64 : c.serverTtl)).put(src).put(dst);
        } else {
            int id = p.c2s ? c.cIpId++ : c.sIpId++;
            int start = buf.position();
            buf.putShort((short) 0x4500).putShort((short) (20 + tcpLen + p.len)).putShort((short) id)
                    .putShort((short) 0x4000).put((byte) (p.c2s ? 64 : c.serverTtl)).put((byte) 6).putShort((short) 0)
                    .put(src).put(dst);
            int sum = 0;
            for (int i = 0; i < 20; i += 2) sum += buf.getShort(start + i) & 0xffff;
            while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
            buf.putShort(start + 10, (short) ~sum);
        }
        // TCP
        buf.putShort((short) (p.c2s ? c.cPort : c.sPort)).putShort((short) (p.c2s ? c.sPort : c.cPort))
                .putInt(p.seq).putInt(p.ack).put((byte) ((tcpLen / 4) << 4)).put((byte) p.flags)
                .putShort((short) p.win).putShort((short) 0).putShort((short) 0);
        if (!noOpts) {
            int tsval = (p.c2s ? c.cTsOff : c.sTsOff) + (int) ((p.t - EPOCH_NS) / MS);
            int tsecr = p.c2s ? c.sLastTs : c.cLastTs;
            if ((p.flags & (SYN | ACK)) == SYN) tsecr = 0;
            if (p.c2s) c.cLastTs = tsval; else c.sLastTs = tsval;
            if (synOpts) {
                buf.putInt(0x020405b4).putShort((short) 0x0402).putShort((short) 0x080a).putInt(tsval).putInt(tsecr)
                        .putInt(0x01030307);
            } else {
                buf.putInt(0x0101080a).putInt(tsval).putInt(tsecr);
            }
        }
        if (p.len > 0) {
            byte[] msg = p.msg;
            int off = p.off, len = p.len;
            if (off < msg.length) {
                int n = Math.min(len, msg.length - off);
                buf.put(msg, off, n);
                off += n;
                len -= n;
            }
            if (len > 0) buf.put(FILLER, off - msg.length, len);
        }
        for (int i = 0; i < pad; i++) buf.put((byte) 0);
        buf.order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(blockLen);
        packets++;
        bytes += blockLen;
    }

    void run(long target) throws IOException {
        headers();
        PriorityQueue<Conv> open = new PriorityQueue<>();
        long planned = 0;
        for (int i = 0; i < CONCURRENT && planned < target; i++) {
            Conv c = newConv(EPOCH_NS + root.nextLong(200 * MS));
            planned += c.pkts.length;
            open.add(c);
        }
        long lastT = EPOCH_NS;
        while (!open.isEmpty()) {
            Conv c = open.poll();
            Pkt p = c.pkts[c.next++];
            write(c, p);
            lastT = p.t;
            if (c.next < c.pkts.length) {
                open.add(c);
            } else if (planned < target) {
                Conv n = newConv(lastT + root.nextLong(2 * MS));
                planned += n.pkts.length;
                open.add(n);
            }
        }
        flush();
        durationNs = lastT - EPOCH_NS;
    }

    long durationNs;

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: java Gen.java OUT.pcapng [PACKETS=2000000] [SEED=1]");
            System.exit(2);
        }
        long target = args.length > 1 ? Long.parseLong(args[1].replace("_", "").replace(",", "")) : 2_000_000L;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1L;
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Gen g = new Gen(seed, ch);
            g.run(target);
            double secs = (System.nanoTime() - t0) / 1e9;
            System.err.printf("wrote %s: %,d packets, %,d bytes, %,d conversations (%,d IPv6), %.1f s of traffic, in %.1f s%n",
                    args[0], g.packets, g.bytes + 60, g.convs, g.v6Convs, g.durationNs / 1e9, secs);
            StringBuilder sb = new StringBuilder("faults:");
            for (Fault f : Fault.values()) if (f != Fault.NONE) sb.append(' ').append(f.name().toLowerCase()).append(' ').append(g.faults[f.ordinal()]);
            System.err.println(sb);
        }
    }
}
