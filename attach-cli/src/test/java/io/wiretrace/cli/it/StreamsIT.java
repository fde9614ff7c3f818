package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Responses that stream are not slow calls: samples/field's StreamApp serves server-sent events,
 * a chunked response flushed piece by piece and a WebSocket, each for about two seconds, and reads
 * them itself through the JDK HttpClient, so each is seen both ways. Their exchanges say they
 * streamed and keep their duration; none is a slow call, and the report lists them apart from
 * the time lost. A stream whose first byte came 600 ms late is a slow call, of those 600 ms. The
 * threshold is 400 ms, so that a busy machine delaying a healthy stream's first byte does not fail it.
 */
class StreamsIT {
    private static final List<String> HEALTHY = List.of("/events", "/chunks", "/ws");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(strings = {"17", "25"})
    void streamsAreJudgedByTheirFirstByte(String jdk) throws Exception {
        String java = jdk.equals("25") ? Harness.java(System.getProperty("wiretrace.jdk25")) : Harness.currentJava();
        try (Harness.App app = new Harness.App(List.of(java, "-cp", HandOffIT.classPath(), "io.wiretrace.field.StreamApp"))) {
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "400ms",
                    "tcp port " + app.port);
            collect.awaitOutput("collecting from " + app.pid());
            for (String name : List.of("events", "chunks", "ws")) {
                assertTrue(Harness.get(app.port, "/start/" + name)[1].endsWith("started " + name));
            }
            awaitDone(app, "events 200 10 pieces", "chunks 200 10 pieces", "ws 10");
            assertTrue(Harness.get(app.port, "/start/late")[1].endsWith("started late"));
            awaitDone(app, "late 200 5 pieces");
            Harness.awaitExplained(app.pid(), 2);
            Path files = CollectIT.interruptAndUnpack(collect, tmp.resolve("unpacked"));
            List<RecordedEvent> events = Evidence.events(files.resolve("recording.jfr"));
            String seen = events.stream().filter(e -> e.getEventType().getName().matches("wiretrace.(HttpExchange|SlowCall)"))
                    .map(RecordedEvent::toString).collect(Collectors.joining("\n"));

            Map<String, String> kinds = Map.of("/events", "sse", "/chunks", "chunked", "/ws", "websocket", "/late", "sse");
            for (String direction : List.of("incoming", "outgoing")) {
                for (Map.Entry<String, String> k : kinds.entrySet()) {
                    List<RecordedEvent> x = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.HttpExchange"))
                            .filter(e -> direction.equals(e.getString("direction")) && k.getKey().equals(e.getString("path")))
                            .collect(Collectors.toList());
                    assertEquals(1, x.size(), direction + " " + k.getKey() + ":\n" + seen);
                    RecordedEvent e = x.get(0);
                    assertTrue(e.getBoolean("streamed"), seen);
                    assertEquals(k.getValue(), e.getString("streamKind"), seen);
                    Duration lasted = e.getDuration();
                    assertTrue(lasted.toMillis() >= (k.getKey().equals("/late") ? 1300 : 1700), "its duration is kept:\n" + e);
                    assertTrue(e.getLong("longestGap") >= 150_000_000L, "pieces about 200 ms apart:\n" + e);
                }
            }

            List<RecordedEvent> slow = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                    .collect(Collectors.toList());
            for (RecordedEvent s : slow) {
                String request = String.valueOf(s.getString("request"));
                assertTrue(HEALTHY.stream().noneMatch(p -> request.endsWith(" " + p)), "a healthy stream is no slow call:\n" + seen);
            }
            HEALTHY.forEach(p -> Accuracy.idle("healthy stream " + p, jdk, Accuracy.NOT_SLOW, Accuracy.slow(events, "GET " + p)));
            List<RecordedEvent> late = slow.stream().filter(e -> "GET /late".equals(e.getString("request")))
                    .collect(Collectors.toList());
            assertEquals(2, late.size(), "the late stream, served and read:\n" + seen);
            for (RecordedEvent s : late) {
                long ms = s.getLong("callDuration") / 1_000_000L;
                assertTrue(ms >= 550 && ms < 1000, "judged on its first byte, not its 1.4 s:\n" + s);
            }
            Accuracy.idle("late first byte, read", jdk, "SERVER_THINK", late.stream().filter(e -> e.getInt("remotePort") == app.port).collect(Collectors.toList()));
            RecordedEvent read = late.stream().filter(e -> e.getInt("remotePort") == app.port).findFirst().orElseThrow();
            assertEquals("SERVER_THINK", read.getString("verdict"), seen);
            assertTrue(read.getString("evidence").contains("the response's first bytes arrived"), read.toString());

            Map<String, Object> report = CollectIT.json(files.resolve("report.json"));
            @SuppressWarnings("unchecked")
            Map<String, Object> streams = (Map<String, Object>) report.get("streams");
            assertEquals(8, ((Number) streams.get("count")).intValue(), report.toString());
            double streamed = ((List<?>) streams.get("listed")).stream()
                    .mapToDouble(s -> ((Number) ((Map<?, ?>) s).get("durationMs")).doubleValue()).sum();
            assertTrue(streamed > 6 * 1700, report.toString());
            double lost = CollectIT.list(report, "verdicts").stream()
                    .mapToDouble(v -> ((Number) ((Map<?, ?>) v).get("timeLostMs")).doubleValue()).sum();
            assertTrue(lost < 2500, "time lost is the late stream's first byte, twice, not the streams' 12 s:\n" + report);
            String html = Files.readString(files.resolve("report.html"));
            assertTrue(html.contains("<table id=\"streams\"") && html.contains("GET /chunks"), html);
        }
    }

    /** Asks /done until it lists each of {@code lines}. */
    private static void awaitDone(Harness.App app, String... lines) throws Exception {
        String[] last = {""};
        assertTrue(Harness.await(Harness.DEADLINE, () -> {
            last[0] = Harness.get(app.port, "/done")[1];
            return List.of(lines).stream().allMatch(last[0]::contains);
        }), "the app read no more than:\n" + last[0]);
    }
}
