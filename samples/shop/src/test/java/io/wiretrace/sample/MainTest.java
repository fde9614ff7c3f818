package io.wiretrace.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The command-line contract other tests rely on, run in a child JVM. */
class MainTest {
    private static final Pattern READY = Pattern.compile("READY port=(\\d+) upstream=(\\d+)");

    @Test
    void allPrintsOneReadyLineAndStopsOnSigterm() throws Exception {
        Process process = java("all", "--port", "0").start();
        try {
            BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String ready = assertTimeoutPreemptively(Duration.ofSeconds(30), out::readLine);
            Matcher m = READY.matcher(String.valueOf(ready));
            assertTrue(m.matches(), "first line: " + ready);

            HttpClient client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
            for (String path : new String[] {"/orders?item=a", "/stock?item=a", "/health"}) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + path))
                        .timeout(Duration.ofSeconds(30)).build();
                assertEquals(200, client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            }

            // Process.destroy() would also close our end of stdout; the handle only signals.
            process.toHandle().destroy(); // SIGTERM
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "did not stop on SIGTERM");
            assertEquals(null, out.readLine(), "stdout must hold only the READY line");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void badArgumentsExitWith2() throws Exception {
        for (String[] args : new String[][] {{}, {"nope"}, {"shop"}, {"upstream", "--port"},
                {"upstream", "--port", "x"}, {"shop", "--upstream", "ftp://x"}}) {
            Process process = java(args).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                assertTrue(process.waitFor(30, TimeUnit.SECONDS));
                assertEquals(2, process.exitValue(), String.join(" ", args));
            } finally {
                process.destroyForcibly();
            }
        }
    }

    private static ProcessBuilder java(String... args) throws Exception {
        Path classes = Paths.get(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(classes.toString());
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    }
}
