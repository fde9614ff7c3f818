package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An app that runs its own recording, with secrets in its properties, environment and command
 * line: none of them reaches a file wiretrace writes (the recording's chunks included, which the
 * JVM fills with the app's properties and environment), nor what `list` prints; the recording
 * still reads.
 */
class SecretsIT {
    static final List<String> SECRETS = List.of("hunter2-secret", "env-secret-42", "url-secret-9", "json secret 5",
            "dsn-secret-3");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"current", "11", "25"})
    void noSecretInAnyOutput(String jdk) throws Exception {
        String java = jdk.equals("current") ? Harness.currentJava() : Harness.java(System.getProperty("wiretrace.jdk" + jdk));
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = new Harness.App(List.of("env", "DB_PASSWORD=env-secret-42",
                        "SPRING_APPLICATION_JSON={\"spring\":{\"datasource\":{\"password\":\"json secret 5\"}}}",
                        java, "-XX:StartFlightRecording:name=app,settings=default", "-Dapp.db.password=hunter2-secret",
                        "-Dapp.dsn=dsn-secret-3", "-jar", Harness.SHOP_JAR.toString(), "shop",
                        "--upstream", "http://svc:url-secret-9@127.0.0.1:" + upstream.port()))) {
            String listed = Harness.cli("list").expect(0).out;
            String row = listed.lines().filter(l -> l.startsWith(app.pid() + " ")).findFirst().orElse("");
            assertTrue(row.contains("http://svc:<redacted>@127.0.0.1"), listed);
            noSecret("list", listed);

            Path started = tmp.resolve("started");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", started.toString(), "tcp port " + app.port).expect(0);
            assertTrue(Harness.get(app.port, "/stock?item=a")[1].startsWith("HTTP/1.1 200"));
            noSecret("stop", Harness.cli("stop", app.pid()).expect(0).out);
            readsAndHoldsTheAppsEvents(started.resolve("recording.jfr"));

            Path collected = tmp.resolve("collected");
            Files.createDirectory(collected);
            noSecret("collect", Harness.cli("collect", app.pid(), "-d", "1s", "-i", "lo", "-o", collected.toString(),
                    "--keep-dir", "tcp port " + app.port).expect(0).out);
            Path env;
            try (Stream<Path> files = Files.walk(collected)) {
                env = files.filter(p -> p.getFileName().toString().equals("environment.txt")).findFirst().orElseThrow();
            }
            String environment = Files.readString(env);
            assertTrue(environment.contains("-Dapp.db.password=<redacted>"), environment);
            readsAndHoldsTheAppsEvents(env.resolveSibling("recording.jfr"));

            List<String> checked = new ArrayList<>();
            for (Path root : List.of(started, collected)) {
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                        byte[] bytes = Files.readAllBytes(f);
                        noSecret(f.toString(), new String(bytes, StandardCharsets.ISO_8859_1));
                        checked.add(f.getFileName().toString());
                        if (f.toString().endsWith(".zip")) {
                            checked.addAll(zipEntriesWithoutSecrets(f));
                        }
                    }
                }
            }
            assertTrue(checked.containsAll(List.of("recording.jfr", "environment.txt", "report.json", "trace.pcapng",
                    "zip:recording.jfr", "zip:environment.txt")), checked.toString());
        }
    }

    /** The app's own events are in the file wiretrace wrote (the case at hand), masked, and `jfr` reads it. */
    private static void readsAndHoldsTheAppsEvents(Path recording) throws Exception {
        String jfr = Paths.get(System.getProperty("java.home"), "bin", "jfr").toString();
        Harness.Result summary = Harness.run(List.of(jfr, "summary", recording.toString())).expect(0);
        assertTrue(summary.out.contains("jdk.InitialSystemProperty"), summary.out);
        String printed = Harness.run(List.of(jfr, "print", "--events",
                "jdk.InitialSystemProperty,jdk.InitialEnvironmentVariable,jdk.JVMInformation", recording.toString()))
                .expect(0).out;
        assertTrue(printed.contains("key = \"app.db.password\""), printed);
        assertTrue(printed.contains("value = \"**************\""), printed);
        assertTrue(printed.contains("key = \"DB_PASSWORD\""), printed);
        noSecret(recording + " as jfr prints it", printed);
    }

    private static List<String> zipEntriesWithoutSecrets(Path zip) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                z.transferTo(bytes);
                noSecret(zip + "!" + e.getName(), bytes.toString(StandardCharsets.ISO_8859_1));
                names.add("zip:" + e.getName().substring(e.getName().lastIndexOf('/') + 1));
            }
        }
        return names;
    }

    private static void noSecret(String where, String text) {
        for (String s : SECRETS) {
            assertFalse(text.contains(s), "'" + s + "' in " + where);
        }
    }
}
