package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.testing.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of slow or failed call, made for real by {@link FaultApp} in one namespace against
 * {@link FaultPeer}'s servers and nftables drops in another, under one {@code wiretrace start}
 * ... {@code stop}: the agent's {@code wiretrace.SlowCall} event must name the cause, and its
 * {@code wiretrace.TcpConnection} counts must be tshark's. The scenarios run one after the other,
 * each in its own window of time, and a SlowCall belongs to the window its callStart is in.
 */
class VerdictIT {
    // the ports are the namespaces' own: each run makes its own pair (see NetnsLab), so no other can hold them
    private static final int HTTP = 42080;
    private static final int LOSS = 42081; // 15 % of the segments that reach the peer on this port are dropped
    private static final int SYN = 42082; // SYNs dropped until two were
    private static final int BLACKHOLE = 42083; // every SYN dropped
    private static final int CLOSED = 42084; // nothing listens
    private static final int RESET = 42085;
    private static final int STALL = 42086;
    private static final int HTTPS = 42443;
    private static final int TLS_SLOW = 42444; // the peer starts the handshake 500 ms late
    private static final String SLOW_NAME = "slow.wiretrace.test";
    private static final String PASS = "wiretrace";
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    @TempDir
    static Path tmp;

    private static NetnsLab lab;
    private static String a; // the app's namespace
    private static String b; // the peer's
    private static String peerAddress;
    private static Netns.Child peer;
    private static Netns.Child app;
    private static int calls;
    private static String lossScenario; // the upload that the loss slowed
    private static final Map<String, long[]> windows = new LinkedHashMap<>();
    /** When the last call's DONE or FAILED line came (System.currentTimeMillis). */
    private static long lastAnswer;
    private static Path out;
    private static List<RecordedEvent> events;

    @BeforeAll
    static void faults() throws Exception {
        lab = new NetnsLab("vd");
        a = lab.a;
        b = lab.b;
        peerAddress = lab.addressB;
        Path keystore = tmp.resolve("peer.p12");
        // a key for the HTTPS peer; the app trusts the same store (its certificate names the peer's IP)
        Netns.sh(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", PASS, "-alias", "peer",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=peer", "-ext", "san=ip:" + peerAddress, "-validity", "2");

        for (String[] ns : new String[][] {{a, lab.vethA}, {b, lab.vethB}}) {
            Netns.sh("ip", "-n", ns[0], "link", "set", ns[1], "up");
            Netns.sh("ip", "-n", ns[0], "link", "set", "lo", "up");
            // with offloads on, 64 KB frames cross the veth and nft drops them whole
            Netns.sh("ip", "netns", "exec", ns[0], "ethtool", "-K", ns[1], "tso", "off", "gso", "off", "gro", "off");
        }
        // the classic SYN timeouts (1 s, then 2 s), not the kernel's default linear ones (1 s each)
        Netns.sh("ip", "netns", "exec", a, "sysctl", "-qw", "net.ipv4.tcp_syn_linear_timeouts=0");
        // `ip netns exec a` mounts this over /etc/resolv.conf: the app's DNS server is the slow peer
        Files.writeString(lab.etc(a).resolve("resolv.conf"), "nameserver " + peerAddress + "\noptions timeout:5 attempts:1\n");
        // drops on the peer's input, after the app's capture point: the capture sees every segment sent
        Netns.nft(b, "add table inet wt-vd-loss",
                "add chain inet wt-vd-loss in { type filter hook input priority 0 ; }",
                // SYNs pass: a dropped one would make the upload a connect retry
                "add rule inet wt-vd-loss in tcp dport " + LOSS + " tcp flags & syn == 0 numgen random mod 100 < 15 counter drop",
                "add table inet wt-vd-syn",
                "add chain inet wt-vd-syn in { type filter hook input priority 0 ; }",
                "add rule inet wt-vd-syn in tcp dport " + SYN + " tcp flags & (syn|ack) == syn counter drop",
                "add table inet wt-vd-blackhole",
                "add chain inet wt-vd-blackhole in { type filter hook input priority 0 ; }",
                "add rule inet wt-vd-blackhole in tcp dport " + BLACKHOLE + " tcp flags & (syn|ack) == syn counter drop");

        String[] servers = {"http:" + HTTP, "http:" + LOSS, "http:" + SYN, "reset:" + RESET, "stall:" + STALL + ":1500",
            "dns:53:" + SLOW_NAME + ":800", "https:" + HTTPS + ":" + keystore + ":" + PASS,
            "tls-slow:" + TLS_SLOW + ":" + keystore + ":" + PASS + ":500"};
        peer = Netns.java(b, List.of(), FaultPeer.class, prepend(peerAddress, servers));
        assertTrue(Harness.await(CALL_DEADLINE, () -> peer.count("LISTENING") == servers.length || !peer.process.isAlive()),
                peer.output());
        assertEquals(servers.length, peer.count("LISTENING"), peer.output());

        // -Dwiretrace.verdictJdk=<java home> runs the app on another JDK (17 or later: the test's classes are 17's)
        app = Netns.java(a, System.getProperty("wiretrace.verdictJdk", System.getProperty("java.home")),
                List.of("-Djavax.net.ssl.trustStore=" + keystore, "-Djavax.net.ssl.trustStorePassword=" + PASS),
                FaultApp.class);
        String ready = app.awaitLine(CALL_DEADLINE, "READY port=");
        String pid = String.valueOf(app.process.pid());
        // `ip netns exec` execs the JVM: the process we started is the one the CLI attaches to
        assertEquals("pid=" + pid, ready.substring(ready.indexOf("pid="), ready.indexOf(" java=")), ready);
        System.out.println("VerdictIT app: " + ready);

        out = tmp.resolve("out");
        cli("start", pid, "-i", "any", "-w", out.toString(), "--slow", "200ms", "tcp or udp port 53");

        // 1. the server thinks 400 ms, once through each HTTP client of the JDK
        expect(call("think", "http", url("http", HTTP, "/think?ms=400&secret=x")), "DONE", 400, 1500, "200");
        expect(call("think-client", "client", url("http", HTTP, "/think?ms=400&secret=x")), "DONE", 400, 1500, "200");
        // 2. 1.5 MB uploads through 15 % loss, until one waited for a retransmission timeout (at least
        // 200 ms on Linux): measured, 4 in 10 uploads did (215 ms to 1.5 s), the others recovered by SACK in ~10 ms
        for (int i = 1; lossScenario == null; i++) {
            assertTrue(i <= 20, "none of 20 uploads was slowed by the loss");
            String upload = call("loss" + i, "post", url("http", LOSS, "/sink"), "1500000");
            expect(upload, "DONE", 0, 20_000, "received 1500000");
            lossScenario = ms(upload) >= 210 ? "loss" + i : null;
        }
        // 3. nothing listens: a RST answers the SYN
        expect(call("refused", "connect", peerAddress, String.valueOf(CLOSED), "5000"), "FAILED", 0, 1000, "Connection refused");
        // 4. two SYNs dropped, the third gets through at 1 s + 2 s
        String id = send("syn", "connect", peerAddress, String.valueOf(SYN), "10000");
        assertTrue(Harness.await(CALL_DEADLINE, () -> Netns.nftCounter(b, "wt-vd-syn") >= 2), "two SYNs dropped");
        Netns.nft(b, "delete table inet wt-vd-syn");
        expect(finish(id), "DONE", 2800, 5000, "local port");
        // 5. every SYN dropped: the connect times out (SYNs at 0 and 1 s, the timeout at 1.5 s)
        expect(call("timeout", "connect", peerAddress, String.valueOf(BLACKHOLE), "1500"), "FAILED", 1400, 3000, "SocketTimeoutException");
        // 6. the peer reads the request and resets
        expect(call("reset", "raw", peerAddress, String.valueOf(RESET), "/", "0"), "FAILED", 0, 1000, "Connection reset");
        // 7. the peer's 4 KiB window fills, and it reads nothing for 1.5 s: the write blocks that long
        String write = call("stall", "write", peerAddress, String.valueOf(STALL), "4000000");
        expect(write, "DONE", 1400, 10_000, "write ms=");
        // 8. the answer is there at once; the app reads it 600 ms later
        expect(call("late", "raw", peerAddress, String.valueOf(HTTP), "/fast", "600"), "DONE", 600, 1500, "HTTP/1.1 200");
        // 8b. the app's own server, one worker: a request waits 550 ms in the kernel for it
        expect(call("starve", "starve", "600"), "DONE", 600, 3000, "HTTP/1.1 200 OK / HTTP/1.1 200 OK");
        // 8c. the app's own server accepts a connection 600 ms after its request came
        expect(call("backlog", "backlog", "600"), "DONE", 600, 3000, "HTTP/1.1 200 OK");
        // 9. the DNS server answers after 800 ms
        expect(call("dns", "resolve", SLOW_NAME), "DONE", 800, 2500, "/" + peerAddress);
        // 9b. the same name again, now from the JDK's cache, for an HTTP call: its exchange names the lookup
        expect(call("by-name", "http", "http://" + SLOW_NAME + ":" + HTTP + "/fast"), "DONE", 0, 5000, "200");
        // 10. HTTPS through both clients
        expect(call("tls", "http", url("https", HTTPS, "/fast")), "DONE", 0, 10_000, "200");
        expect(call("tls", "client", url("https", HTTPS, "/fast")), "DONE", 0, 10_000, "200");
        // 10'. think time over TLS, through an SSLSocket and through HttpClient's SSLEngine
        expect(call("think-tls", "http", url("https", HTTPS, "/think?ms=400")), "DONE", 400, 1500, "200");
        expect(call("think-tls-client", "client", url("https", HTTPS, "/think?ms=400")), "DONE", 400, 1500, "200");
        // 10b. the peer leaves the ClientHello unread for 500 ms
        expect(call("tls-slow", "http", url("https", TLS_SLOW, "/fast")), "DONE", 500, 2000, "200");
        // 10c. the same through HttpClient, whose SSLEngine is matched to its connection by its ClientHello
        expect(call("tls-slow-client", "client", url("https", TLS_SLOW, "/fast")), "DONE", 500, 2000, "200");
        // 10c'. the app serves HTTPS itself (its server's TLS is an SSLEngine) and calls itself
        expect(call("https-serve", "https-serve"), "DONE", 0, 10_000, "200 ok");
        // 10d. HTTP/2 with prior knowledge: the server (HTTP/1.1 only) answers what it can and closes
        expect(call("h2", "h2", peerAddress, String.valueOf(HTTP)), "DONE", 0, 5000, "bytes back");
        // 11. ten fast calls and one slow one
        for (int i = 0; i < 10; i++) {
            expect(call("mixed", "http", url("http", HTTP, "/fast")), "DONE", 0, 5000, "200");
        }
        expect(call("mixed", "http", url("http", HTTP, "/think?ms=400")), "DONE", 400, 1500, "200");

        // status lists the last verdicts: the mixed run's slow call is the last one made
        String[] status = {""};
        assertTrue(Harness.await(CALL_DEADLINE, () -> (status[0] = Harness.cli("status", pid).out)
                .matches("(?s).*latest slow calls:.*GET /think\\?… .*SERVER_THINK.*")), status[0]);
        Harness.Result stopped = Harness.cli("stop", pid);
        assertEquals(0, stopped.code, "wiretrace stop: " + stopped + "\n" + app.output());
        // what stop said, where it wrote no recording (a failed dump or scrub is a warning there)
        assertTrue(Files.isRegularFile(out.resolve("recording.jfr")), "no recording.jfr after stop: " + stopped);
        events = RecordingFile.readAllEvents(out.resolve("recording.jfr"));
        // the verdicts, by scenario, into the build log: the figures behind the assertions
        windows.keySet().forEach(scenario -> slowCalls(scenario).forEach(
                e -> System.out.println("VerdictIT " + scenario + ": " + describe(e))));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Netns.Child c : new Netns.Child[] {app, peer}) {
            if (c != null) {
                c.close();
            }
        }
        if (lab != null) {
            lab.close(); // the namespaces (their nft tables go with them) and /etc/netns/<a>
        }
    }

    @Test
    void serverThinkTimeIsTheServers() {
        List.of("think", "think-client").forEach(s -> Accuracy.idle(s, "SERVER_THINK", slowCalls(s)));
        for (String s : List.of("think", "think-client")) {
            RecordedEvent e = one(s);
            assertEquals("http", e.getString("call"), describe(e));
            assertEquals("SERVER_THINK", e.getString("verdict"), describe(e));
            // 400 ms of think time; the tolerance covers scheduling and the first call's JIT
            assertBetween(e.getLong("explained"), 300, 700, e);
            assertEquals("GET /think?…", e.getString("request"), describe(e));
        }
        assertEquals("fault-worker", one("think").getString("callThread"));
        String strings = events.stream().filter(e -> e.getEventType().getName().startsWith("wiretrace."))
                .flatMap(e -> e.getFields().stream().filter(f -> f.getTypeName().equals("java.lang.String"))
                        .map(f -> e.getString(f.getName())))
                .collect(Collectors.joining("\n"));
        assertFalse(strings.contains("secret"), "a query reached the recording:\n" + strings);
    }

    /**
     * Over TLS the exchange is joined by the bytes of its records: the request's last record (an
     * SSLSocket's writes, an SSLEngine's wraps) and the record that carried the response's first
     * bytes (an SSLSocket's read, an SSLEngine's unwrap).
     */
    @Test
    void serverThinkOverTlsIsJoinedByItsRecordsBytes() {
        for (String s : List.of("think-tls", "think-tls-client")) {
            List<RecordedEvent> http = slowCalls(s).stream().filter(e -> e.getString("call").equals("http"))
                    .collect(Collectors.toList());
            Accuracy.idle(s, "SERVER_THINK", http);
            assertEquals(1, http.size(), s + ": " + http);
            RecordedEvent e = http.get(0);
            assertEquals("SERVER_THINK", e.getString("verdict"), describe(e));
            assertEquals("bytes", e.getString("join"), describe(e));
            assertBetween(e.getLong("explained"), 300, 700, e);
        }
    }

    @Test
    void lossIsNetworkLoss() {
        Accuracy.idle("loss", "NETWORK_LOSS", slowCalls(lossScenario));
        RecordedEvent e = one(lossScenario);
        // the write calls are folded into the exchange; a write event would also do
        assertTrue(List.of("http", "write").contains(e.getString("call")), describe(e));
        assertEquals("NETWORK_LOSS", e.getString("verdict"), describe(e));
        assertTrue(e.getInt("retransmissions") >= 1, describe(e));
    }

    @Test
    void refusedConnect() {
        Accuracy.idle("refused", "CONNECT_REFUSED", slowCalls("refused"));
        RecordedEvent e = one("refused");
        assertEquals("connect", e.getString("call"), describe(e));
        assertEquals("CONNECT_REFUSED", e.getString("verdict"), describe(e));
        assertNotNull(e.getString("failure"), describe(e));
    }

    @Test
    void droppedSynsAreConnectRetries() {
        Accuracy.idle("syn", "CONNECT_RETRY", slowCalls("syn"));
        RecordedEvent e = one("syn");
        assertEquals("connect", e.getString("call"), describe(e));
        assertEquals("CONNECT_RETRY", e.getString("verdict"), describe(e));
        assertTrue(e.getLong("explained") >= 2_500_000_000L, "the two SYN timeouts, 1 s + 2 s: " + describe(e));
    }

    @Test
    void connectTimeout() {
        Accuracy.idle("timeout", "CONNECT_TIMEOUT", slowCalls("timeout"));
        RecordedEvent e = one("timeout");
        assertEquals("connect", e.getString("call"), describe(e));
        assertEquals("CONNECT_TIMEOUT", e.getString("verdict"), describe(e));
        assertNotNull(e.getString("failure"), describe(e));
    }

    @Test
    void peerReset() {
        Accuracy.idle("reset", "PEER_RESET", slowCalls("reset"));
        RecordedEvent e = one("reset");
        assertEquals("PEER_RESET", e.getString("verdict"), describe(e));
        assertNotNull(e.getString("failure"), describe(e));
    }

    @Test
    void stalledReceiverBlocksTheWrite() {
        Accuracy.idle("stall", "RECEIVER_STALLED", slowCalls("stall"));
        RecordedEvent e = one("stall");
        assertEquals("write", e.getString("call"), describe(e));
        assertEquals("RECEIVER_STALLED", e.getString("verdict"), describe(e));
        List<RecordedEvent> tcp = named("wiretrace.TcpConnection", x -> x.getInt("remotePort") == STALL);
        assertEquals(1, tcp.size(), tcp.toString());
        assertEquals(e.getLong("connectionId"), tcp.get(0).getLong("connectionId"), "the same connection");
        assertTrue(tcp.get(0).getInt("zeroWindowsIn") >= 1, tcp.get(0).toString());
    }

    @Test
    void answerThatWaitedForTheAppIsAppReadLate() {
        Accuracy.idle("late", "APP_READ_LATE", slowCalls("late"));
        RecordedEvent e = one("late");
        assertEquals("http", e.getString("call"), describe(e));
        assertEquals("APP_READ_LATE", e.getString("verdict"), describe(e));
        // 600 ms of sleep; the lower bound leaves room for a verdict that starts at the last packet
        assertBetween(e.getLong("explained"), 450, 800, e);
    }

    @Test
    void requestThatWaitedForABusyWorkerIsAppReadLate() {
        List<RecordedEvent> slow = slowCalls("starve");
        String all = slow.stream().map(VerdictIT::describe).collect(Collectors.joining("\n"));
        Accuracy.idle("starve", "APP_READ_LATE", slow.stream().filter(x -> "GET /fast".equals(x.getString("request")) && "fault-pool".equals(x.getString("callThread"))).collect(Collectors.toList()));
        List<RecordedEvent> late = slow.stream().filter(x -> "APP_READ_LATE".equals(x.getString("verdict")))
                .collect(Collectors.toList());
        assertEquals(1, late.size(), "the /fast request, waiting for the one worker:\n" + all);
        RecordedEvent e = late.get(0);
        assertEquals("GET /fast", e.getString("request"), all);
        assertEquals("fault-pool", e.getString("callThread"), all);
        // 600 ms of think minus the 50 ms head start; the request's bytes waited unread all that time
        assertBetween(e.getLong("explained"), 450, 800, e);
    }

    /**
     * A request that waited in the accept queue: its connection was registered with the accept,
     * after the request's packets went by, and the wait is still found in them.
     */
    @Test
    void requestThatWaitedToBeAcceptedIsAppReadLate() {
        List<RecordedEvent> slow = slowCalls("backlog");
        String all = slow.stream().map(VerdictIT::describe).collect(Collectors.joining("\n"));
        // the server's end: read on the thread that accepted (the client's call, on another thread, is slow too)
        List<RecordedEvent> queued = slow.stream().filter(x -> "GET /queued".equals(x.getString("request"))
                && "fault-worker".equals(x.getString("callThread"))).collect(Collectors.toList());
        Accuracy.idle("backlog", "APP_READ_LATE", queued);
        assertEquals(1, queued.size(), "the request, read by the server 600 ms after it came:\n" + all);
        RecordedEvent e = queued.get(0);
        assertEquals("APP_READ_LATE", e.getString("verdict"), all);
        assertBetween(e.getLong("explained"), 500, 900, e);
    }

    @Test
    void slowDnsServer() {
        Accuracy.idle("dns", "DNS_SLOW", slowCalls("dns"));
        RecordedEvent e = one("dns");
        assertEquals("dns", e.getString("call"), describe(e));
        assertEquals("DNS_SLOW", e.getString("verdict"), describe(e));
        List<RecordedEvent> lookups = named("wiretrace.DnsLookup", x -> SLOW_NAME.equals(x.getString("host")));
        assertFalse(lookups.isEmpty(), "no wiretrace.DnsLookup for " + SLOW_NAME);
        assertTrue(lookups.get(0).getDuration().toMillis() >= 700, lookups.get(0).toString());
    }

    @Test
    void httpsExchangesAreSeenThroughTls() {
        List<RecordedEvent> https = named("wiretrace.HttpExchange", x -> x.getInt("remotePort") == HTTPS
                && "outgoing".equals(x.getString("direction")) && "GET".equals(x.getString("method"))
                && "/fast".equals(x.getString("path")) && x.getInt("status") == 200);
        // (no claim about SlowCalls here: the app's first TLS handshake may take over 200 ms of its own CPU)
        assertEquals(2, https.size(), "one through HttpsURLConnection, one through HttpClient: " + https);
        for (RecordedEvent e : https) {
            long id = e.getLong("connectionId");
            List<RecordedEvent> tcp = named("wiretrace.TcpConnection", x -> x.getLong("connectionId") == id);
            assertEquals(1, tcp.size(), "the exchange names a connection of the capture: " + e);
            assertEquals("tls+http/1.1", tcp.get(0).getString("application"), tcp.get(0).toString());
        }
        List<RecordedEvent> plain = named("wiretrace.TcpConnection", x -> x.getInt("remotePort") == HTTP);
        assertFalse(plain.isEmpty());
        plain.forEach(x -> assertTrue(List.of("http/1.1", "h2").contains(x.getString("application")), x.toString()));
    }

    @Test
    void packetCommentsNameTheConnectionTheRequestAndTheVerdict() throws Exception {
        RecordedEvent think = one("think");
        int port = think.getInt("localPort");
        List<String> comments = Evidence.tshark("-n", "-r", out.resolve("trace.pcapng").toString(), "-Y",
                "tcp.port == " + port, "-T", "fields", "-e", "frame.comment").lines().toList();
        assertFalse(comments.isEmpty(), "no packets of the think connection");
        String named = "conn " + think.getLong("connectionId") + " · fault-worker · GET /think?…";
        // every packet names it, but for the handshake's when the reader saw them before the
        // connect returned (the app registers a connection then): at most those three
        int unnamed = 0;
        while (unnamed < comments.size() && comments.get(unnamed).isBlank()) {
            unnamed++;
        }
        assertTrue(unnamed <= 3 && comments.stream().skip(unnamed).allMatch(c -> c.startsWith("conn " + think.getLong("connectionId") + " · ")),
                "every packet of the connection names it:\n" + String.join("\n", comments));
        assertTrue(comments.stream().anyMatch(c -> c.startsWith(named)), "no packet names the request: " + named
                + "\n" + String.join("\n", comments));
        assertTrue(comments.stream().anyMatch(c -> c.contains("verdict SERVER_THINK")),
                "no packet carries the verdict:\n" + String.join("\n", comments));
        // a refused connect has no connection, yet its packets are the evidence
        RecordedEvent refused = one("refused");
        String rst = Evidence.tshark("-n", "-r", out.resolve("trace.pcapng").toString(), "-Y",
                "tcp.port == " + CLOSED + " and tcp.flags.reset == 1", "-T", "fields", "-e", "frame.comment");
        assertTrue(rst.contains("verdict CONNECT_REFUSED"), "the reset is not marked: " + rst + " / " + describe(refused));
    }

    @Test
    void http2ConnectionsAreMarked() {
        List<RecordedEvent> h2 = named("wiretrace.TcpConnection", x -> x.getInt("remotePort") == HTTP
                && "h2".equals(x.getString("application")));
        assertEquals(1, h2.size(), "the prior-knowledge HTTP/2 connection: " + h2);
        assertTrue(named("wiretrace.HttpExchange", x -> x.getLong("connectionId") == h2.get(0).getLong("connectionId"))
                .isEmpty(), "HTTP/2 is not parsed as HTTP/1.x");
    }

    @Test
    void exchangesSayWhatOpeningTheirConnectionTook() {
        RecordedEvent byName = named("wiretrace.HttpExchange", x -> "outgoing".equals(x.getString("direction"))
                && in("by-name", x)).get(0);
        assertTrue(byName.getLong("dns") > 0, "the lookup of " + SLOW_NAME + " before the connect: " + byName);
        assertTrue(byName.getLong("connect") > 0, byName.toString());
        assertEquals(0, byName.getLong("tls"), byName.toString());
        // (the think-tls scenarios come after, on connections kept alive)
        for (RecordedEvent e : named("wiretrace.HttpExchange", x -> x.getInt("remotePort") == HTTPS
                && !in("think-tls", x) && !in("think-tls-client", x))) {
            assertTrue(e.getLong("tls") > 0 && e.getLong("connect") > 0, "an HTTPS exchange on a new connection: " + e);
            assertEquals(0, e.getLong("dns"), "no lookup: the URL holds an address " + e);
        }
    }

    @Test
    void httpsServedThroughAnSslEngineIsSeen() {
        List<RecordedEvent> served = named("wiretrace.HttpExchange", x -> "incoming".equals(x.getString("direction"))
                && "/served?…".equals(x.getString("path")) && in("https-serve", x));
        assertEquals(1, served.size(), "the app's own HTTPS server's exchange: " + served);
        RecordedEvent e = served.get(0);
        assertEquals(200, e.getInt("status"), e.toString());
        long id = e.getLong("connectionId");
        assertFalse(named("wiretrace.SocketAccept", x -> x.getLong("connectionId") == id).isEmpty(),
                "the exchange names the accepted connection: " + e);
        assertEquals(1, named("wiretrace.HttpExchange", x -> "outgoing".equals(x.getString("direction"))
                && "/served?…".equals(x.getString("path")) && in("https-serve", x)).size(), "and the client's side");
        assertEquals(1, named("wiretrace.TlsHandshake", x -> x.getLong("connectionId") == id).size(),
                "the server engine's handshake");
    }

    @Test
    void tlsHandshakesAreRecorded() {
        // one on an SSLSocket (HttpsURLConnection), one on an SSLEngine (HttpClient)
        List<RecordedEvent> tls = named("wiretrace.TlsHandshake", x -> x.getInt("remotePort") == HTTPS);
        assertEquals(2, tls.size(), "the two calls' handshakes: " + tls);
        RecordedEvent e = tls.stream().filter(x -> "fault-worker".equals(x.getString("handshakeThread"))).findFirst()
                .orElseThrow(() -> new AssertionError("no handshake on the app's thread: " + tls));
        assertTrue(e.getString("protocol").startsWith("TLSv1."), e.toString());
        assertEquals("fault-worker", e.getString("handshakeThread"), e.toString());
        long id = e.getLong("connectionId");
        assertTrue(id > 0 && !named("wiretrace.SocketConnect", x -> x.getLong("connectionId") == id).isEmpty(),
                "the handshake names the connection its connect event named: " + e);
    }

    @Test
    void lateServerHelloIsASlowHandshake() {
        Accuracy.idle("tls-slow", "TLS_HANDSHAKE_SLOW", slowCalls("tls-slow"));
        RecordedEvent e = one("tls-slow");
        // the handshake comes before the request: an event of its own or the exchange's, either will do
        assertTrue(List.of("tls", "http").contains(e.getString("call")), describe(e));
        assertEquals("TLS_HANDSHAKE_SLOW", e.getString("verdict"), describe(e));
        assertBetween(e.getLong("explained"), 350, 800, e); // the peer's 500 ms
    }

    @Test
    void lateServerHelloThroughAnSslEngine() {
        List<RecordedEvent> slow = slowCalls("tls-slow-client");
        Accuracy.idle("tls-slow-client", "TLS_HANDSHAKE_SLOW", slow);
        String all = slow.stream().map(VerdictIT::describe).collect(Collectors.joining("\n"));
        // the handshake, and the exchange that HttpClient began before it ended: both name it
        RecordedEvent tls = slow.stream().filter(x -> "tls".equals(x.getString("call"))).findFirst()
                .orElseThrow(() -> new AssertionError("no tls SlowCall:\n" + all));
        assertEquals("TLS_HANDSHAKE_SLOW", tls.getString("verdict"), all);
        assertBetween(tls.getLong("explained"), 350, 1000, tls);
        slow.forEach(x -> assertEquals("TLS_HANDSHAKE_SLOW", x.getString("verdict"), all));
        List<RecordedEvent> handshakes = named("wiretrace.TlsHandshake", x -> x.getLong("connectionId")
                == tls.getLong("connectionId"));
        assertEquals(1, handshakes.size(), "the engine's handshake event names the connection: " + handshakes);
    }

    @Test
    void onlyTheSlowCallAmongFastOnesIsReported() {
        Accuracy.idle("mixed", "SERVER_THINK", slowCalls("mixed"));
        RecordedEvent e = one("mixed");
        assertEquals("GET /think?…", e.getString("request"), describe(e));
        assertEquals("SERVER_THINK", e.getString("verdict"), describe(e));
    }

    @Test
    void tcpCountsAreTsharks() throws Exception {
        // per flow: retransmissions, duplicate ACKs, zero windows (both directions each)
        Map<String, int[]> theirs = new TreeMap<>();
        String rows = Evidence.tshark("-n", "-r", out.resolve("trace.pcapng").toString(), "-Y", "tcp", "-T", "fields",
                "-E", "separator=|", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
                "-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.duplicate_ack", "-e", "tcp.analysis.zero_window");
        for (String line : rows.split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.split("\\|", -1);
                int[] c = theirs.computeIfAbsent(Evidence.flow(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3])),
                        k -> new int[3]);
                for (int i = 0; i < 3; i++) {
                    c[i] += f[4 + i].isEmpty() ? 0 : 1;
                }
            }
        }
        Map<String, int[]> ours = new TreeMap<>();
        for (RecordedEvent e : named("wiretrace.TcpConnection", x -> true)) {
            int[] c = {e.getInt("retransmissionsOut") + e.getInt("retransmissionsIn"), e.getInt("duplicateAcks"),
                e.getInt("zeroWindowsOut") + e.getInt("zeroWindowsIn")};
            // a connection the app holds at both ends has an event per end, each with the flow's counts
            int[] other = ours.putIfAbsent(Evidence.flow(e), c);
            assertTrue(other == null || Arrays.equals(other, c), "the two ends of " + Evidence.flow(e) + " differ: "
                    + Arrays.toString(other) + " " + Arrays.toString(c));
        }
        String report = theirs.keySet().stream().map(k -> k + " tshark " + Arrays.toString(theirs.get(k))
                + " ours " + (ours.containsKey(k) ? Arrays.toString(ours.get(k)) : "-")).collect(Collectors.joining("\n"));
        System.out.println("retransmissions, duplicate ACKs, zero windows per flow:\n" + report);
        // every TCP flow in the app's namespace is the app's; a failed connect may have an event or not
        // (either end of the flow's name may be the peer's: the order is the addresses' as strings)
        Predicate<String> failedConnect = k -> Arrays.stream(k.split(" <-> "))
                .anyMatch(end -> end.endsWith(":" + CLOSED) || end.endsWith(":" + BLACKHOLE));
        assertEquals(theirs.keySet().stream().filter(failedConnect.negate()).collect(Collectors.toSet()),
                ours.keySet().stream().filter(failedConnect.negate()).collect(Collectors.toSet()),
                "flows in the pcapng and wiretrace.TcpConnection events differ");
        assertTrue(theirs.values().stream().anyMatch(c -> c[0] > 0), "no retransmissions at all:\n" + report);
        for (String k : ours.keySet()) {
            assertTrue(Arrays.equals(theirs.get(k), ours.get(k)), k + "\n" + report);
        }
    }

    // ---- the app's calls

    private static String url(String scheme, int port, String path) {
        return scheme + "://" + peerAddress + ":" + port + path;
    }

    private static String call(String scenario, String verb, String... args) throws Exception {
        return finish(send(scenario, verb, args));
    }

    /**
     * Sends one command; returns the call's id. A new scenario's window opens here and closes the
     * previous one: the windows tile the test's time, so each call falls in exactly one (the 1 ms
     * allows for the agent's wall clock, derived from nanoTime, reading a hair earlier than ours).
     * A window opens 2 ms or more after the last call's answer came: a call that ended just before
     * it (a refused connect, under a millisecond) would otherwise start in it, by the call's start
     * in whole milliseconds (seen once: the refused connect counted in the next scenario's).
     */
    private static String send(String scenario, String verb, String... args) throws Exception {
        String id = scenario + "-" + ++calls;
        if (!windows.containsKey(scenario)) {
            long after = lastAnswer + 3;
            assertTrue(Harness.await(Duration.ofSeconds(1), () -> System.currentTimeMillis() >= after));
        }
        long now = System.currentTimeMillis() - 1;
        if (!windows.containsKey(scenario)) {
            windows.values().forEach(w -> w[1] = Math.min(w[1], now));
            windows.put(scenario, new long[] {now, Long.MAX_VALUE});
        }
        app.send(verb + " " + id + " " + String.join(" ", args));
        return id;
    }

    private static String finish(String id) throws Exception {
        String line = app.awaitLine(CALL_DEADLINE, "DONE " + id + " ", "FAILED " + id + " ");
        lastAnswer = System.currentTimeMillis();
        System.out.println(line);
        return line;
    }

    /** The app's answer was {@code outcome} within [minMs, maxMs] and names {@code detail}. */
    private static void expect(String line, String outcome, long minMs, long maxMs, String detail) {
        assertTrue(line.startsWith(outcome + " ") && line.contains(detail),
                "expected " + outcome + " with '" + detail + "': " + line + "\n" + app.output());
        long ms = ms(line);
        assertTrue(minMs <= ms && ms <= maxMs, "took " + ms + " ms, expected " + minMs + ".." + maxMs + ": " + line);
    }

    /** How long the call took, as the app measured it. */
    private static long ms(String line) {
        Matcher m = Pattern.compile("\\w+ \\S+ ms=(\\d+) .*").matcher(line);
        assertTrue(m.matches(), line);
        return Long.parseLong(m.group(1));
    }

    private static void cli(String... args) throws Exception {
        Harness.Result r = Harness.cli(args);
        assertEquals(0, r.code, "wiretrace " + String.join(" ", args) + ": " + r + "\n" + app.output());
    }

    // ---- the recording

    private static List<RecordedEvent> named(String type, Predicate<RecordedEvent> p) {
        return events.stream().filter(e -> e.getEventType().getName().equals(type)).filter(p).collect(Collectors.toList());
    }

    /** The SlowCall events of the calls that began in the scenario's window. */
    /** Whether the event began within the scenario's time. */
    private static boolean in(String scenario, RecordedEvent e) {
        long[] w = windows.get(scenario);
        long start = e.getStartTime().toEpochMilli();
        return w[0] <= start && start < w[1];
    }

    private static List<RecordedEvent> slowCalls(String scenario) {
        long[] w = windows.get(scenario);
        return named("wiretrace.SlowCall", e -> {
            long start = e.getInstant("callStart").toEpochMilli();
            return w[0] <= start && start < w[1];
        });
    }

    private static RecordedEvent one(String scenario) {
        List<RecordedEvent> slow = slowCalls(scenario);
        assertEquals(1, slow.size(), "SlowCall events in scenario " + scenario + ":\n"
                + slow.stream().map(VerdictIT::describe).collect(Collectors.joining("\n"))
                + "\n(" + named("wiretrace.SlowCall", e -> true).size() + " in the whole recording)");
        return slow.get(0);
    }

    private static String describe(RecordedEvent e) {
        return e.getString("call") + " " + e.getString("verdict") + " explained=" + e.getLong("explained") / 1_000_000
                + "ms of " + e.getLong("callDuration") / 1_000_000 + "ms :" + e.getInt("remotePort") + " request="
                + e.getString("request") + " failure=" + e.getString("failure") + " thread=" + e.getString("callThread")
                + " retransmissions=" + e.getInt("retransmissions") + " — " + e.getString("evidence");
    }

    private static void assertBetween(long nanos, long minMs, long maxMs, RecordedEvent e) {
        assertTrue(minMs * 1_000_000 <= nanos && nanos <= maxMs * 1_000_000,
                "expected " + minMs + ".." + maxMs + " ms: " + describe(e));
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
