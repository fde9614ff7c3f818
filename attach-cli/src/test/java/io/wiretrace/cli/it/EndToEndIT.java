package io.wiretrace.cli.it;

import static io.wiretrace.cli.it.Evidence.flow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The way a user does it: a sample app started without the agent, `wiretrace start`, traffic,
 * `wiretrace stop`; then the pcapng and the JFR must name the same connections.
 */
class EndToEndIT {
    private static Server upstream;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = new Upstream(0).server(0).start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    static Stream<Arguments> jdks() {
        return Stream.of(
                Arguments.of("17", System.getProperty("java.home")),
                Arguments.of("25", System.getProperty("wiretrace.jdk25")),
                Arguments.of("11", System.getProperty("wiretrace.jdk11")));
    }

    @ParameterizedTest(name = "target on JDK {0}")
    @MethodSource("jdks")
    void captureAndRecordingNameTheSameConnections(String version, String home) throws Exception {
        try (Harness.App app = Harness.shop(Harness.java(home), upstream.port())) {
            Path out = tmp.resolve("out");
            String filter = "tcp port " + app.port + " or tcp port " + upstream.port();
            // every socket call in the JFR, not only those of 10 ms or more (the default)
            Harness.Result started = Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString(),
                    "--jfr-threshold", "0ms", filter).expect(0);
            assertTrue(started.out.contains("capturing on lo"), started.out);

            List<String> clientFlows = new ArrayList<>();
            String lastClientPort = "";
            for (int i = 0; i < 4; i++) {
                for (String path : new String[] {"/orders?item=a" + i, "/stock?item=b" + i}) {
                    String[] r = Harness.get(app.port, path);
                    assertTrue(r[1].startsWith("HTTP/1.1 200"), r[1]);
                    clientFlows.add(flow("127.0.0.1", Integer.parseInt(r[0]), "127.0.0.1", app.port));
                }
            }
            Harness.Result status = Harness.cli("status", app.pid()).expect(0);
            assertTrue(status.out.contains("state: capturing"), status.out);
            assertTrue(status.out.contains("8 accepted"), status.out);
            String[] last = Harness.get(app.port, "/health"); // and stop right after it
            clientFlows.add(flow("127.0.0.1", Integer.parseInt(last[0]), "127.0.0.1", app.port));
            lastClientPort = last[0];

            Harness.Result stopped = Harness.cli("stop", app.pid()).expect(0);
            Path pcapng = out.resolve("trace.pcapng");
            Path jfr = out.resolve("recording.jfr");
            assertTrue(stopped.out.contains(pcapng.toString()) && stopped.out.contains(jfr.toString()), stopped.out);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pcapng)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(jfr)));

            Set<String> packets = Evidence.pcapFlows(pcapng);
            // Nothing lost at stop: the server's FIN on the last connection, sent just before, is there.
            String fins = Evidence.tshark("-r", pcapng.toString(), "-Y", "tcp.flags.fin == 1 and tcp.srcport == " + app.port
                    + " and tcp.dstport == " + lastClientPort, "-T", "fields", "-e", "frame.number");
            assertTrue(!fins.isBlank(), "the server's FIN on the last connection is missing");
            assertTrue(packets.containsAll(clientFlows), "client connections missing from the pcapng: " + packets);
            assertTrue(packets.stream().anyMatch(f -> f.contains(":" + upstream.port())),
                    "no connection to the upstream in the pcapng: " + packets);

            List<RecordedEvent> events = Evidence.events(jfr);
            Set<String> recorded = Evidence.jfrFlows(events);
            assertEquals(packets, recorded, "the pcapng's TCP flows and the JFR's connections differ");
            for (String f : clientFlows) {
                // a request slower than --slow has its SlowCall too: the first after start can be,
                // on a busy machine, while the JIT recompiles the retransformed socket classes
                Set<String> types = new java.util.TreeSet<>(Evidence.typesFor(events, f));
                types.remove("SlowCall");
                assertEquals(new java.util.TreeSet<>(Set.of("SocketAccept", "SocketRead", "SocketWrite", "SocketClose",
                        "HttpExchange", "TcpConnection")), types, "events of accepted connection " + f);
            }
            assertTrue(events.stream().anyMatch(e -> Evidence.type(e).equals("SocketConnect")
                    && e.getInt("remotePort") == upstream.port()), "no connect to the upstream recorded");

            Harness.assertServes(app.port);
            Harness.probe(app.pid(), "install");
            Harness.assertServes(app.port);
            assertEquals(0, Harness.probe(app.pid(), "read"), "advice still fires after stop");
            assertEquals(List.of(), Harness.agentThreads(app.pid()), "agent threads left running");

            // A second capture in the same JVM works, and the probe sees the advice while it runs.
            // With the default --jfr-threshold, socket calls of 10 ms or more are recorded, and
            // every HTTP exchange: of the request served before the probe takes the hooks over.
            Path again = tmp.resolve("again");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", again.toString(), filter).expect(0);
            Harness.assertServes(app.port);
            Harness.probe(app.pid(), "install");
            Harness.assertServes(app.port);
            assertTrue(Harness.probe(app.pid(), "read") > 0, "the probe saw no advice while capturing");
            Harness.cli("stop", app.pid()).expect(0);
            assertTrue(Evidence.pcapPackets(again.resolve("trace.pcapng")) > 0, "second capture is empty");
            List<RecordedEvent> second = Evidence.events(again.resolve("recording.jfr"));
            List<String> shortCalls = second.stream()
                    .filter(e -> Set.of("SocketRead", "SocketWrite").contains(Evidence.type(e)))
                    .filter(e -> e.getDuration().toMillis() < 10).map(RecordedEvent::toString).toList();
            assertEquals(List.of(), shortCalls, "socket calls under the default threshold were recorded");
            assertTrue(second.stream().anyMatch(e -> Evidence.type(e).equals("HttpExchange")),
                    "exchanges are recorded whatever their duration: " + second.stream().map(Evidence::type).toList());
            assertTrue(app.process.isAlive(), "the app died");
            Harness.assertServes(app.port);
        }
    }
}
