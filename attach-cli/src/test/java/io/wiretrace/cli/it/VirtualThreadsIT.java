package io.wiretrace.cli.it;

import static io.wiretrace.cli.it.Evidence.flow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket calls made from virtual threads (JDK 21+) are seen like any other. */
class VirtualThreadsIT {
    @TempDir
    Path tmp;

    @Test
    void callsFromVirtualThreadsAreRecorded() throws Exception {
        String java = Harness.java(System.getProperty("wiretrace.jdk25"));
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(java, upstream.port(), "-Dsample.virtualThreads=true")) {
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "--jfr-threshold", "0ms",
                    "tcp port " + app.port + " or tcp port " + upstream.port()).expect(0);
            String[] stock = Harness.get(app.port, "/stock?item=v"); // HttpURLConnection: java.net.Socket
            assertTrue(stock[1].startsWith("HTTP/1.1 200"), stock[1]);
            Harness.cli("stop", app.pid()).expect(0);

            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            assertEquals(Evidence.pcapFlows(out.resolve("trace.pcapng")), Evidence.jfrFlows(events));
            // The upstream call ran on the request's virtual thread: unnamed, unlike pool threads.
            List<RecordedEvent> upstreamReads = events.stream()
                    .filter(e -> Evidence.type(e).equals("SocketRead") && e.getInt("remotePort") == upstream.port())
                    .toList();
            assertFalse(upstreamReads.isEmpty(), "no read from the upstream recorded");
            assertTrue(upstreamReads.stream().anyMatch(e -> e.getThread() != null && e.getThread().getJavaName().isEmpty()),
                    "no read recorded from a virtual thread: "
                            + upstreamReads.stream().map(e -> String.valueOf(e.getThread().getJavaName())).toList());
            Set<String> accepted = Evidence.typesFor(events, flow("127.0.0.1", Integer.parseInt(stock[0]), "127.0.0.1", app.port));
            assertTrue(accepted.contains("SocketAccept") && accepted.contains("SocketWrite"), accepted.toString());
        }
    }

    /**
     * A virtual thread per request, each reading its request and writing its answer on a
     * keep-alive connection: with wiretrace recording every call (the default threshold, 0), the
     * app's threads allocate no more per request than without it. Before, each new thread made
     * its own set of event objects, so each request did. Every call is still in the recording,
     * from its virtual thread.
     */
    @Test
    void aVirtualThreadPerRequestAllocatesNothingForItsCalls() throws Exception {
        String java = Harness.java(System.getProperty("wiretrace.jdk25"));
        String classes = Paths.get(VirtualAllocApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        try (Harness.App app = new Harness.App(List.of(java, "-cp", classes, VirtualAllocApp.class.getName()))) {
            int data = Integer.parseInt(app.ready.replaceAll(".* data=(\\d+).*", "$1"));
            int requests = 20_000;
            run(app.port, requests); // the JIT
            String[] without = run(app.port, requests);
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(), "--jfr-threshold", "0ms",
                    "tcp port " + data).expect(0);
            run(app.port, requests); // the JIT again, after the retransformation
            String[] with = run(app.port, requests);
            Harness.cli("stop", app.pid()).expect(0);

            String figures = "bytes allocated per request: " + without[1] + " without wiretrace, " + with[1] + " with it";
            System.out.println("VirtualThreadsIT " + figures + " (share of a known allocation seen: " + without[3] + ", "
                    + with[3] + ")");
            // the counting sees what virtual threads allocate, else the figures prove nothing
            assertTrue(Double.parseDouble(without[3]) > 0.9 && Double.parseDouble(with[3]) > 0.9, figures);
            assertTrue(Long.parseLong(without[1]) > 0, figures);
            assertTrue(Long.parseLong(with[1]) - Long.parseLong(without[1]) <= 16, figures);

            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            long served = events.stream().filter(e -> Evidence.type(e).equals("SocketRead") && e.getInt("localPort") == data
                    && e.getThread() != null && e.getThread().getJavaName().isEmpty() && !e.getDuration().isNegative()).count();
            assertTrue(served >= 2L * requests, served + " reads of the requests recorded from virtual threads, of "
                    + 2 * requests + "; " + figures);
        }
    }

    /** Sends {@code run N} to the app and returns its answer's words: ALLOC bytes SEEN share. */
    private static String[] run(int port, int requests) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
                BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
            s.setSoTimeout((int) Harness.DEADLINE.toMillis());
            w.println("run " + requests);
            String answer = r.readLine();
            assertTrue(answer != null && answer.startsWith("ALLOC "), String.valueOf(answer));
            return answer.split(" ");
        }
    }
}
