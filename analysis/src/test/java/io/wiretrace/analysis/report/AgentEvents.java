package io.wiretrace.analysis.report;

import java.nio.file.Path;
import jdk.jfr.Event;
import jdk.jfr.Name;
import jdk.jfr.Recording;

/** The agent's events with the fields the report reads (the analysis never links against the agent), for recordings made in tests. */
public final class AgentEvents {
    private AgentEvents() {
    }

    /** The fields of every event about a connection. */
    public abstract static class Connection extends Event {
        public long connectionId;
        public String localAddress = "127.0.0.1";
        public int localPort = 40000;
        public String remoteAddress = "127.0.0.1";
        public int remotePort = 8080;
    }

    @Name("wiretrace.TcpConnection")
    public static final class TcpConnection extends Connection {
        public String role = "client";
        public String application = "http/1.1";
        public String ended = "fin";
        public long handshakeRtt = 50_000;
        public int rttSamples = 1;
        public long rttAvg = 60_000;
        public long rttMax = 90_000;
        public long packetsOut = 4;
        public long packetsIn = 4;
        public long bytesOut = 120;
        public long bytesIn = 300;
        public int retransmissionsOut;
        public int retransmissionsIn;
        public int zeroWindowsOut;
        public int zeroWindowsIn;
        public int resetsOut;
        public int resetsIn;
        public long lifetime;
        public int exchanges;
    }

    @Name("wiretrace.SocketConnect")
    public static final class SocketConnect extends Connection {
        public String failure;
    }

    @Name("wiretrace.HttpExchange")
    public static final class HttpExchange extends Connection {
        public String direction = "outgoing";
        public String method = "GET";
        public String path = "/item";
        public int status = 200;
        public String requestThread = "worker-1";
    }

    @Name("wiretrace.SlowCall")
    public static final class SlowCall extends Connection {
        public String call = "http";
        public String verdict = "SERVER_THINK";
        public String evidence = "the server answered 300 ms after the request";
        public String callThread = "worker-1";
        public long callThreadId = 1;
        public long callStart = System.currentTimeMillis();
        public long callDuration = 400_000_000L;
        public long explained = 300_000_000L;
        public String failure;
        public String request = "GET /item";
        public int retransmissions;
        public String evidenceFrames = "";
    }

    /** A recording of {@code connections} connections, each connected, the i-th open for i ms; one slow call on the first. */
    public static void record(Path jfr, int connections) throws Exception {
        try (Recording r = new Recording()) {
            r.enable(TcpConnection.class).withoutStackTrace();
            r.enable(SocketConnect.class).withoutStackTrace();
            r.enable(HttpExchange.class).withoutStackTrace();
            r.enable(SlowCall.class).withoutStackTrace();
            r.start();
            for (int i = 0; i < connections; i++) {
                SocketConnect c = new SocketConnect();
                c.connectionId = i;
                c.commit();
                HttpExchange x = new HttpExchange();
                x.connectionId = i;
                x.commit();
                TcpConnection t = new TcpConnection();
                t.connectionId = i;
                t.localPort = 40000 + i % 20000;
                t.lifetime = i * 1_000_000L;
                t.commit();
            }
            new SlowCall().commit();
            r.stop();
            r.dump(jfr);
        }
    }
}
