package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Commands for the tests' network namespaces (see src/docs/fault-lab.md), and the JVMs run in them. */
final class Netns {
    static final Duration DEADLINE = Duration.ofSeconds(30);

    private Netns() {
    }

    /** Runs a command that must succeed. */
    static void sh(String... cmd) {
        String out = run(cmd);
        if (!out.startsWith("exit 0\n")) {
            fail(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** Runs a command; returns "exit N" and its output, whatever N is (for idempotent clean-ups). */
    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " did not finish");
            }
            return "exit " + p.exitValue() + "\n" + out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(String.join(" ", cmd), e);
        }
    }

    static void nft(String ns, String... commands) {
        for (String c : commands) {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "nft"));
            cmd.addAll(Arrays.asList(c.split(" ")));
            sh(cmd.toArray(new String[0]));
        }
    }

    /** The packets the first counter of an nft table has counted, -1 if there is none. */
    static long nftCounter(String ns, String table) {
        String list = run("ip", "netns", "exec", ns, "nft", "list", "table", "inet", table);
        Matcher m = Pattern.compile("counter packets (\\d+)").matcher(list);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Ends the processes in the namespace (only this run's live there), then deletes it. */
    static void delete(String ns) {
        for (String pid : run("ip", "netns", "pids", ns).split("\n")) {
            if (pid.matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        run("ip", "netns", "del", ns); // idempotent: it may not exist
    }

    /**
     * A JVM of the current JDK in namespace {@code ns}, with only the test classes on its class path:
     * with the agent's classes there too (they are on the test class path), the agent fails to load.
     */
    static Child java(String ns, List<String> jvmOptions, Class<?> main, String... args) throws Exception {
        return java(ns, System.getProperty("java.home"), jvmOptions, main, args);
    }

    /** The same with the JDK at {@code javaHome}. */
    static Child java(String ns, String javaHome, List<String> jvmOptions, Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, Harness.java(javaHome)));
        cmd.addAll(jvmOptions);
        String classes = Paths.get(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        cmd.addAll(List.of("-cp", classes, main.getName()));
        cmd.addAll(Arrays.asList(args));
        return new Child(main.getSimpleName(), new ProcessBuilder(cmd).start());
    }

    /** A process the test started; its output is kept, its stdin takes lines, it is ended by its pid. */
    static final class Child implements AutoCloseable {
        final String name;
        final Process process;
        private final OutputStream stdin;
        private final StringBuffer out = new StringBuffer();
        private final StringBuffer err = new StringBuffer();

        Child(String name, Process process) {
            this.name = name;
            this.process = process;
            this.stdin = process.getOutputStream();
            drain(process.getInputStream(), out);
            drain(process.getErrorStream(), err);
        }

        private static void drain(InputStream in, StringBuffer to) {
            CompletableFuture.runAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        to.append(l).append('\n');
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
        }

        String output() {
            return name + " stdout:\n" + out + name + " stderr:\n" + err;
        }

        void send(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        /** Waits for the first line of stdout that starts with one of {@code prefixes}, and returns it. */
        String awaitLine(Duration deadline, String... prefixes) throws Exception {
            String[] found = {null};
            boolean seen = Harness.await(deadline, () -> {
                Optional<String> l = out.toString().lines()
                        .filter(x -> Arrays.stream(prefixes).anyMatch(x::startsWith)).findFirst();
                l.ifPresent(x -> found[0] = x);
                return l.isPresent() || !process.isAlive();
            });
            assertTrue(seen && found[0] != null, "no line " + Arrays.toString(prefixes) + "... within " + deadline + "\n" + output());
            return found[0];
        }

        long count(String prefix) {
            return out.toString().lines().filter(x -> x.startsWith(prefix)).count();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
