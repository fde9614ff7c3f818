package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
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
     * Two namespaces {@code a} and {@code b} of this run only, joined by a veth pair, and what goes
     * with them. Several runs of the tests share the machine (two builds, two checkouts): the names
     * carry this JVM's pid and a random part, {@code ip netns add} fails on a name that exists (so a
     * name is never taken over), and the pair's /30 within 10.231.0.0/16 is picked at random (the
     * veth ends live in the namespaces only, so an address could not clash anyway). The ports in the
     * namespaces are theirs alone. {@link #close} deletes what this run made and nothing else; a JVM
     * that exits before it got there (a killed fork, Ctrl+C) does so in a shutdown hook.
     */
    static final class Lab implements AutoCloseable {
        private static final Path ETC_NETNS = Paths.get("/etc/netns");

        /** Namespace names, veth names ({@code <tag><id><side>}: at most 15 characters), addresses. */
        final String a;
        final String b;
        final String vethA;
        final String vethB;
        final String addressA;
        final String addressB;
        static final int PREFIX = 30;
        private final List<String> namespaces = new ArrayList<>();
        private final List<Path> etcDirs = new ArrayList<>();
        private boolean madeEtcNetns;
        private boolean closed;
        private final Thread hook = new Thread(this::cleanUp, "netns-lab-cleanup");

        /** Creates the pair; {@code tag} (two letters) says whose it is, e.g. "vd" for VerdictIT. */
        Lab(String tag) {
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                String id = pair(tag);
                a = "wt-" + tag + "-" + id + "-a";
                b = "wt-" + tag + "-" + id + "-b";
                vethA = tag + id + "a";
                vethB = tag + id + "b";
                int net = ThreadLocalRandom.current().nextInt(1 << 14) << 2; // a /30 within the /16
                addressA = "10.231." + (net >> 8) + "." + ((net & 0xff) + 1);
                addressB = "10.231." + (net >> 8) + "." + ((net & 0xff) + 2);
                System.out.println("namespaces " + a + " " + b + ", veth " + vethA + " " + vethB + ", "
                        + addressA + " <-> " + addressB + "/" + PREFIX);
                sh("ip", "link", "add", vethA, "netns", a, "type", "veth", "peer", "name", vethB, "netns", b);
                sh("ip", "-n", a, "addr", "add", addressA + "/" + PREFIX, "dev", vethA);
                sh("ip", "-n", b, "addr", "add", addressB + "/" + PREFIX, "dev", vethB);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /** Creates namespaces wt-TAG-ID-a and -b for a fresh ID (this JVM's pid, base 36, and a random part); returns ID. */
        private String pair(String tag) {
            for (int attempt = 0; ; attempt++) {
                String id = Long.toString(ProcessHandle.current().pid(), 36)
                        + Integer.toString(36 * 36 * 36 * 36 + ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36).substring(1);
                if (claim("wt-" + tag + "-" + id + "-a")) {
                    if (!claim("wt-" + tag + "-" + id + "-b")) {
                        fail("namespace wt-" + tag + "-" + id + "-b exists, although its -a did not");
                    }
                    return id;
                }
                if (attempt >= 5) {
                    fail("no free namespace name for wt-" + tag + "-*");
                }
            }
        }

        /** Creates namespace {@code ns}; false if it exists (another run's, or a killed run's). */
        private boolean claim(String ns) {
            String out = run("ip", "netns", "add", ns);
            if (out.startsWith("exit 0\n")) {
                namespaces.add(ns);
                return true;
            }
            if (out.contains("File exists")) {
                return false;
            }
            throw new AssertionError("ip netns add " + ns + " failed: " + out);
        }

        /**
         * /etc/netns/{@code ns}, whose files {@code ip netns exec ns} mounts over those of /etc;
         * created here and deleted with the namespaces.
         */
        Path etc(String ns) throws IOException {
            Path dir = ETC_NETNS.resolve(ns);
            // another run may delete /etc/netns when it finds it empty: then make it again
            for (int attempt = 0; ; attempt++) {
                try {
                    if (!Files.isDirectory(ETC_NETNS)) {
                        Files.createDirectory(ETC_NETNS);
                        madeEtcNetns = true;
                    }
                    Files.createDirectory(dir);
                    etcDirs.add(dir);
                    return dir;
                } catch (NoSuchFileException | FileAlreadyExistsException e) {
                    if (attempt >= 10 || Files.exists(dir)) {
                        throw e;
                    }
                }
            }
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, or ran, the same clean-up
            }
            Throwable failed = cleanUp();
            if (failed != null) {
                throw new AssertionError("cleaning up " + namespaces + " " + etcDirs, failed);
            }
        }

        /** Deletes what this run made, each part even if another failed; returns the first failure. */
        private synchronized Throwable cleanUp() {
            if (closed) {
                return null;
            }
            closed = true;
            Throwable failed = null;
            for (String ns : namespaces) {
                try {
                    delete(ns); // its nft tables and veth end go with it
                } catch (RuntimeException | AssertionError e) {
                    failed = failed == null ? e : failed;
                }
            }
            for (Path dir : etcDirs) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(dir);
                } catch (NoSuchFileException gone) {
                    // nothing to delete
                } catch (IOException | RuntimeException e) {
                    failed = failed == null ? e : failed;
                }
            }
            if (madeEtcNetns) {
                try {
                    Files.deleteIfExists(ETC_NETNS); // only if no other run's directory is in it
                } catch (DirectoryNotEmptyException othersInIt) {
                    // theirs to delete
                } catch (IOException e) {
                    failed = failed == null ? e : failed;
                }
            }
            if (failed != null) {
                System.err.println("netns clean-up: " + failed);
            }
            return failed;
        }
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
