package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** tcpdump, the reference capturer, run beside wiretrace on the same traffic. */
final class Tcpdump implements AutoCloseable {
    private final Process process;
    private final StringBuffer stderr = new StringBuffer();
    /** Done once tcpdump's stderr is read to its end. */
    private final CompletableFuture<Void> read;

    /** Starts {@code tcpdump -Z root -U ARGS} and waits until it listens. */
    Tcpdump(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tcpdump", "-Z", "root", "-U", "-n"));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).start();
        CountDownLatch listening = new CountDownLatch(1);
        read = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    stderr.append(line).append('\n');
                    if (line.contains("listening on")) {
                        listening.countDown();
                    }
                }
            } catch (IOException ignored) {
                // tcpdump ended
            }
            listening.countDown();
        });
        if (!listening.await(30, TimeUnit.SECONDS) || !process.isAlive()) {
            close();
            fail("tcpdump did not start listening: " + cmd + "\n" + stderr);
        }
    }

    /** Ends tcpdump as Ctrl+C would and returns what it printed (its statistics). */
    String stop() throws Exception {
        process.destroy(); // SIGTERM: tcpdump closes its file and prints its counts
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "tcpdump did not exit");
        read.get(30, TimeUnit.SECONDS); // its last lines, the counts, may still be on their way
        return stderr.toString();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
