package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Database round trips as exchanges, against real servers from Debian started on loopback and
 * the drivers apps use, through HikariCP (samples/field's DbApp), in the clear and over TLS, on
 * pooled connections opened before the capture and on one opened during it: each query is a
 * {@code wiretrace.DatabaseQuery} with its statement normalised, its rows or its error; a slow
 * one's SlowCall names its statement, and so do the request that waited on it, the packet
 * comments and the bundle's report. No literal of a statement is recorded anywhere but in the
 * packets themselves.
 */
class DatabaseIT {
    private static final String SECRET = "secret-literal";

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} through {1} on JDK {2}")
    @CsvSource({
        "postgresql, pgjdbc, 17",
        "postgresql, pgjdbc, 25",
        "postgresql, pgjdbc over TLS, 17",
        "mysql, mariadb, 17",
        "mysql, mysql-connector-j server-prepared, 25",
        "mysql, mariadb over TLS, 17",
    })
    void queriesThroughAPool(String system, String driver, String jdk) throws Exception {
        boolean pg = system.equals("postgresql");
        String sleep = pg ? "SELECT pg_sleep($1), $2 AS tag" : "SELECT SLEEP(?), ? AS tag";
        String rows = pg ? "SELECT $1 AS n UNION ALL SELECT $2 UNION ALL SELECT $3" : "SELECT ? AS n UNION ALL SELECT ? UNION ALL SELECT ?";
        String missing = pg ? "SELECT * FROM no_such_table WHERE secret = $1" : "SELECT * FROM no_such_table WHERE secret = ?";
        boolean tls = driver.contains("TLS");
        try (Databases db = pg ? Databases.postgres(tls) : Databases.mariadb(tls)) {
            String url = pg ? "jdbc:postgresql://127.0.0.1:" + db.port + "/postgres" + (tls ? "?sslmode=require" : "") // without: pgjdbc asks for TLS, is refused
                    : driver.startsWith("mariadb") ? "jdbc:mariadb://127.0.0.1:" + db.port + "/mysql"
                            + (tls ? "?sslMode=trust" : "")
                    : "jdbc:mysql://127.0.0.1:" + db.port + "/mysql?sslMode=DISABLED&useServerPrepStmts=true";
            String java = jdk.equals("25") ? Harness.java(System.getProperty("wiretrace.jdk25")) : Harness.currentJava();
            try (Harness.App app = new Harness.App(List.of(java, "-cp", HandOffIT.classPath(), "io.wiretrace.field.DbApp", url,
                    pg ? "wt" : "root", "", system))) {
                // the app's first request loads and starts its HTTP server's and its pool's classes:
                // its own time (once read 227 ms late on JDK 25, rightly APP_READ_LATE)
                assertTrue(Harness.get(app.port, "/rows")[1].contains("3 rows"));
                CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                        "tcp port " + app.port + " or tcp port " + db.port);
                collect.awaitOutput("collecting from " + app.pid());
                Harness.awaitJitQuiet(app.pid());
                assertTrue(Harness.get(app.port, "/orders")[1].startsWith("HTTP/1.1 200"));
                assertTrue(Harness.get(app.port, "/rows")[1].contains("3 rows"));
                assertTrue(Harness.get(app.port, "/fail")[1].startsWith("HTTP/1.1 500"));
                // the slow query and the request that waited on it
                Harness.awaitExplained(app.pid(), 2);
                Path files = CollectIT.interruptAndUnpack(collect, tmp.resolve("unpacked"));
                List<RecordedEvent> events = Evidence.events(files.resolve("recording.jfr"));
                String seen = events.stream().filter(e -> e.getEventType().getName().matches("wiretrace.(DatabaseQuery|SlowCall)"))
                        .map(RecordedEvent::toString).collect(Collectors.joining("\n"));

                // Connector/J prepares on the server in a round trip of its own, then executes
                List<RecordedEvent> sleeps = queries(events, sleep);
                assertEquals(driver.contains("server-prepared") ? 2 : 1, sleeps.size(), seen);
                RecordedEvent slow = sleeps.stream().max(Comparator.comparing(RecordedEvent::getDuration)).get();
                assertEquals(system, slow.getString("system"), seen);
                assertEquals(1, slow.getLong("rows"), seen);
                assertTrue(slow.getBoolean("answered"), seen);
                assertTrue(slow.getDuration().toMillis() >= 400 && slow.getLong("firstByte") >= 400_000_000L, seen);
                assertEquals(db.port, slow.getInt("remotePort"), seen);
                assertEquals(3, query(events, rows, seen).getLong("rows"), seen);
                RecordedEvent failed = query(events, missing, seen);
                assertEquals(pg ? "42P01" : "1146", failed.getString("error"), seen);

                Accuracy.idle(driver + " query", jdk, "SERVER_THINK", Accuracy.slow(events, sleep));
                RecordedEvent call = slowCall(events, sleep, seen);
                assertEquals("query", call.getString("call"), seen);
                assertEquals("SERVER_THINK", call.getString("verdict"), seen);
                Accuracy.idle(driver + " request on the query", jdk, "SERVER_THINK", Accuracy.slow(events, "GET /orders").stream()
                        .filter(Accuracy::ownCall).collect(Collectors.toList()));
                RecordedEvent request = slowCall(events, "GET /orders", seen);
                assertEquals("SERVER_THINK", request.getString("verdict"), seen);
                assertTrue(request.getString("evidence").contains("query call " + sleep + " to 127.0.0.1:" + db.port), seen);

                Map<String, Object> report = CollectIT.json(files.resolve("report.json"));
                List<Object> reported = CollectIT.list(report, "slowCalls").stream()
                        .filter(c -> sleep.equals(((Map<?, ?>) c).get("request"))).collect(Collectors.toList());
                assertEquals(1, reported.size(), report.toString());
                assertEquals("SERVER_THINK", ((Map<?, ?>) reported.get(0)).get("verdict"));

                String comments = Evidence.tshark("-r", files.resolve("trace.pcapng").toString(), "-Y", "frame.comment",
                        "-T", "fields", "-e", "frame.comment");
                assertTrue(comments.contains(system + " " + sleep), comments);
                for (Path f : List.of(files.resolve("recording.jfr"), files.resolve("report.json"))) {
                    assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(SECRET),
                            "a literal recorded in " + f);
                }
                assertFalse(comments.contains(SECRET), comments);
                assertFalse(Files.readString(files.resolve("report.html")).contains(SECRET));
            }
        }
    }

    /**
     * A pool that validates every connection it lends (HikariCP with aliveBypassWindowMs=0, as apps
     * set it): pgjdbc's validation is answered with 11 bytes a moment before the query leaves, so
     * close that a join by time takes them for the slow query's answer and calls the query
     * APP_READ_LATE. Joined by bytes, on pooled connections opened before the capture, the query
     * is SERVER_THINK, and so is each request that waited on it.
     */
    @ParameterizedTest(name = "on JDK {0}")
    @CsvSource({"17", "25"})
    void aQueryRightAfterThePoolValidatedItsConnection(String jdk) throws Exception {
        String sleep = "SELECT pg_sleep($1), $2 AS tag";
        try (Databases db = Databases.postgres(false)) {
            String java = jdk.equals("25") ? Harness.java(System.getProperty("wiretrace.jdk25")) : Harness.currentJava();
            try (Harness.App app = new Harness.App(List.of(java, "-Dcom.zaxxer.hikari.aliveBypassWindowMs=0", "-cp",
                    HandOffIT.classPath(), "io.wiretrace.field.DbApp", "jdbc:postgresql://127.0.0.1:" + db.port + "/postgres",
                    "wt", "", "postgresql"))) {
                CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                        "tcp port " + app.port + " or tcp port " + db.port);
                collect.awaitOutput("collecting from " + app.pid());
                Harness.awaitJitQuiet(app.pid()); // the start's own cost on the first requests (see there)
                int requests = 3;
                for (int i = 0; i < requests; i++) {
                    assertTrue(Harness.get(app.port, "/orders")[1].startsWith("HTTP/1.1 200"));
                }
                Harness.awaitExplained(app.pid(), 2 * requests);
                Path files = CollectIT.interruptAndUnpack(collect, tmp.resolve("unpacked"));
                List<RecordedEvent> events = Evidence.events(files.resolve("recording.jfr"));
                String seen = events.stream().filter(e -> e.getEventType().getName().matches("wiretrace.(DatabaseQuery|SlowCall)"))
                        .map(RecordedEvent::toString).collect(Collectors.joining("\n"));
                List<RecordedEvent> validations = events.stream()
                        .filter(e -> e.getEventType().getName().equals("wiretrace.DatabaseQuery"))
                        .filter(e -> e.getDuration().toMillis() < 100).collect(Collectors.toList());
                assertTrue(validations.size() >= requests, "each query was preceded by the pool's validation:\n" + seen);
                List<RecordedEvent> slow = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                        .collect(Collectors.toList());
                List<RecordedEvent> queries = slow.stream().filter(e -> sleep.equals(e.getString("request")))
                        .collect(Collectors.toList());
                List<RecordedEvent> orders = slow.stream().filter(e -> "GET /orders".equals(e.getString("request")))
                        .filter(Accuracy::ownCall).collect(Collectors.toList());
                Accuracy.idle("query after the pool validated", jdk, "SERVER_THINK", queries);
                assertEquals(requests, queries.size(), seen);
                assertEquals(requests, orders.size(), seen);
                for (RecordedEvent q : queries) {
                    assertEquals("SERVER_THINK", q.getString("verdict"), seen);
                    assertEquals("bytes", q.getString("join"), seen);
                    assertTrue(q.getString("evidence").contains("joined to its packets by bytes"), seen);
                }
                for (RecordedEvent r : orders) {
                    assertEquals("SERVER_THINK", r.getString("verdict"), seen);
                    assertTrue(r.getString("evidence").contains("query call " + sleep), seen);
                }
            }
        }
    }

    /**
     * The same pool at the most this machine sustains: clients hammer a quick query through three
     * pooled connections while three slow queries run on them. The busy connections' evidence is
     * kept until the slow calls are explained (the load goes on until they are), so each is still
     * SERVER_THINK, joined by bytes, and nothing was given up under the memory budget.
     */
    @org.junit.jupiter.api.Test
    void slowQueriesUnderLoadKeepTheirVerdicts() throws Exception {
        String sleep = "SELECT pg_sleep($1), $2 AS tag";
        try (Databases db = Databases.postgres(false);
                Harness.App app = new Harness.App(List.of(Harness.currentJava(), "-Ddbapp.pool=3",
                        "-Dsun.net.httpserver.nodelay=true", // else Nagle and delayed ACKs hold each answer 40 ms
                        "-Dcom.zaxxer.hikari.aliveBypassWindowMs=0", "-cp", HandOffIT.classPath(), "io.wiretrace.field.DbApp",
                        "jdbc:postgresql://127.0.0.1:" + db.port + "/postgres", "wt", "", "postgresql"))) {
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "300s", "-i", "lo", "--slow", "200ms",
                    "tcp port " + app.port + " or tcp port " + db.port);
            collect.awaitOutput("collecting from " + app.pid());
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.LongAdder done = new java.util.concurrent.atomic.LongAdder();
            java.util.concurrent.ExecutorService load = java.util.concurrent.Executors.newFixedThreadPool(12);
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            java.net.http.HttpRequest fast = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + app.port + "/fast")).build();
            long began = System.nanoTime();
            String[] status = {""};
            try {
                for (int i = 0; i < 12; i++) {
                    load.submit(() -> {
                        while (!stop.get()) {
                            client.send(fast, java.net.http.HttpResponse.BodyHandlers.discarding());
                            done.increment();
                        }
                        return null;
                    });
                }
                assertTrue(Harness.await(Harness.DEADLINE, () -> done.sum() > 2000), "the load never got going");
                for (int i = 0; i < 3; i++) {
                    assertTrue(Harness.get(app.port, "/orders")[1].startsWith("HTTP/1.1 200"));
                }
                // the load goes on until the slow queries and their requests are explained
                java.util.regex.Pattern think = java.util.regex.Pattern.compile("SERVER_THINK (\\d+)");
                assertTrue(Harness.await(Harness.DEADLINE, () -> {
                    java.util.regex.Matcher m = think.matcher(status[0] = Harness.cli("status", app.pid()).expect(0).out);
                    return m.find() && Integer.parseInt(m.group(1)) >= 6;
                }), status[0]);
            } finally {
                stop.set(true);
                load.shutdown();
                assertTrue(load.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            assertTrue(status[0].contains("evidence: ") && !status[0].contains("given up"), status[0]);
            Path files = CollectIT.interruptAndUnpack(collect, tmp.resolve("unpacked"));
            List<RecordedEvent> events = Evidence.events(files.resolve("recording.jfr"));
            List<RecordedEvent> slow = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                    .collect(Collectors.toList());
            String seen = slow.stream().map(RecordedEvent::toString).collect(Collectors.joining("\n"));
            List<RecordedEvent> queries = slow.stream().filter(e -> sleep.equals(e.getString("request")))
                    .collect(Collectors.toList());
            Accuracy.load("queries under a pool's load", "17", "SERVER_THINK", queries);
            assertEquals(3, queries.size(), seen);
            for (RecordedEvent q : queries) {
                assertEquals("SERVER_THINK", q.getString("verdict"), seen);
                assertEquals("bytes", q.getString("join"), seen);
            }
            List<RecordedEvent> orders = slow.stream().filter(e -> "GET /orders".equals(e.getString("request")))
                    .collect(Collectors.toList());
            assertEquals(3, orders.size(), seen);
            for (RecordedEvent r : orders) {
                assertEquals("SERVER_THINK", r.getString("verdict"), seen);
            }
            assertFalse(seen.contains("no longer kept"), seen);
            Map<?, ?> capture = (Map<?, ?>) CollectIT.json(files.resolve("report.json")).get("capture");
            Object packets = capture.get("packets");
            Object dropped = capture.get("dropped");
            System.out.printf(java.util.Locale.ROOT, "under load: %d requests in %.1f s (%.0f/s), %s packets captured,"
                    + " %s dropped; %d slow calls%n", done.sum(), seconds, done.sum() / seconds, packets,
                    dropped, slow.size());
        }
    }

    private static RecordedEvent query(List<RecordedEvent> events, String statement, String seen) {
        List<RecordedEvent> found = queries(events, statement);
        assertEquals(1, found.size(), "one query " + statement + " expected:\n" + seen);
        return found.get(0);
    }

    private static List<RecordedEvent> queries(List<RecordedEvent> events, String statement) {
        return events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.DatabaseQuery"))
                .filter(e -> statement.equals(e.getString("statement"))).collect(Collectors.toList());
    }

    /** The slow call of {@code request}, not its wait to be read (see Accuracy.ownCall). */
    private static RecordedEvent slowCall(List<RecordedEvent> events, String request, String seen) {
        List<RecordedEvent> found = events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                .filter(e -> request.equals(e.getString("request")) && Accuracy.ownCall(e))
                .collect(Collectors.toList());
        assertEquals(1, found.size(), "one slow call " + request + " expected:\n" + seen);
        return found.get(0);
    }
}
