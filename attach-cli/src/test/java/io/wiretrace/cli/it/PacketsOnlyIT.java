package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server whose sockets the agent does not instrument (Netty 4.2's io_uring transport, whose I/O
 * is submitted to the kernel in a ring, not made in socket calls): its slow exchange must still get
 * the packets' verdict, live, marked "seen in packets only", in status,
 * the recording and the report; a slow exchange of another process in the same capture must not.
 */
class PacketsOnlyIT {
    @TempDir
    static Path tmp;

    @Test
    void nettyIoUringServerSlowExchangeIsNotMissed() throws Exception {
        HttpServer other = NettyNativeIT.slowServer("/other", 500); // this test JVM's, not the target's
        try (Harness.App app = new Harness.App(List.of(Harness.currentJava(), "-cp", NettyNativeIT.classPath("4.2"),
                NettyApp.class.getName(), "io_uring"))) {
            assertTrue(app.ready.contains("transport=io_uring"), app.ready);
            int otherPort = other.getAddress().getPort();
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                    "tcp port " + app.port + " or tcp port " + otherPort);
            collect.awaitOutput("collecting from " + app.pid());
            assertTrue(Harness.get(otherPort, "/other")[1].startsWith("HTTP/1.1 200"));
            String[] slow = Harness.get(app.port, "/slow?secret=x");
            assertTrue(slow[1].startsWith("HTTP/1.1 200"), slow[1]);
            String status = Harness.awaitStatus(app.pid(), "(seen in packets only)");
            assertTrue(status.contains("SERVER_THINK"), status);
            assertTrue(status.contains("GET /slow?… "), status); // the query is never recorded
            assertFalse(status.contains("secret"), status);
            assertFalse(status.contains(":" + otherPort + ":"), "another process's exchange got a verdict:\n" + status);
            assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(collect.process.pid())).start().waitFor());
            String out = collect.finish(0);
            Path bundle = Paths.get(out.strip().lines().reduce((a, b) -> b).orElseThrow());
            Path files = tmp.resolve("unpacked");
            CollectIT.unzip(bundle, files);

            List<RecordedEvent> calls = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(files.resolve("recording.jfr"))) {
                if (e.getEventType().getName().equals("wiretrace.SlowCall")) {
                    calls.add(e);
                }
            }
            String seen = calls.stream().map(RecordedEvent::toString).collect(Collectors.joining("\n"));
            assertEquals(1, calls.size(), "one slow call, the target's:\n" + seen);
            RecordedEvent e = calls.get(0);
            assertEquals("SERVER_THINK", e.getString("verdict"), seen);
            assertTrue(e.getBoolean("packetsOnly"), seen);
            assertEquals("GET /slow?…", e.getString("request"), seen);
            assertEquals(app.port, e.getInt("localPort"), seen);
            assertTrue(e.getLong("callDuration") >= 500_000_000L, seen);

            Map<String, Object> report = CollectIT.json(files.resolve("report.json"));
            List<Object> slowCalls = CollectIT.list(report, "slowCalls");
            assertEquals(1, slowCalls.size(), slowCalls.toString());
            Map<?, ?> call = (Map<?, ?>) slowCalls.get(0);
            assertEquals("SERVER_THINK", call.get("verdict"), call.toString());
            assertEquals(Boolean.TRUE, call.get("seenInPacketsOnly"), call.toString());
            assertTrue(((String) call.get("evidence")).startsWith("seen in packets only"), call.toString());
            String html = Files.readString(files.resolve("report.html"));
            assertTrue(html.contains("seen in packets only"), "report.html does not mark it");
            assertFalse(html.contains("No slow or failed call"), "report.html says no slow call");
        } finally {
            other.stop(0);
        }
    }
}
