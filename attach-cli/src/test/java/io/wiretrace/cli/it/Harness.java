package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.tools.attach.VirtualMachine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts real JVMs and the real CLI for the end-to-end tests, and always cleans up after them. */
final class Harness {
    static final Path CLI_JAR = path("wiretrace.jar");
    static final Path AGENT_JAR = path("wiretrace.agentJar");
    static final Path PROBE_JAR = path("wiretrace.probeJar");
    static final Path SHOP_JAR = path("wiretrace.shopJar");
    static final Path LEGACY_JAR = path("wiretrace.legacyJar");
    static final Duration DEADLINE = Duration.ofSeconds(60);

    private Harness() {
    }

    private static Path path(String property) {
        String v = System.getProperty(property);
        if (v == null) {
            throw new IllegalStateException("system property " + property + " is not set (run through Maven)");
        }
        return Paths.get(v).toAbsolutePath().normalize();
    }

    static String java(String home) {
        Path java = Paths.get(home, "bin", "java");
        if (!Files.isExecutable(java)) {
            fail("no JDK at " + home + " (src/scripts/install-test-deps.sh installs the JDKs the tests use)");
        }
        return java.toString();
    }

    static String currentJava() {
        return java(System.getProperty("java.home"));
    }

    /** A child JVM that printed {@code READY port=N ...}; destroyed on close. */
    static final class App implements AutoCloseable {
        final Process process;
        final int port;
        final String ready;
        final StringBuffer stderr = new StringBuffer();

        App(List<String> command) throws Exception {
            process = new ProcessBuilder(command).start();
            CompletableFuture.runAsync(() -> drain(process.getErrorStream(), stderr));
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    // JVM options such as -XX:StartFlightRecording log to stdout before the app.
                    String l;
                    while ((l = out.readLine()) != null && !l.startsWith("READY port=")) {
                        stderr.append(l).append('\n');
                    }
                    return l;
                } catch (IOException e) {
                    return null;
                }
            });
            String first;
            try {
                first = line.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                close();
                throw new AssertionError("app did not get ready: " + command + "\n" + stderr, e);
            }
            if (first == null || !first.startsWith("READY port=")) {
                close();
                throw new AssertionError("app did not get ready: " + first + "\n" + stderr);
            }
            ready = first;
            port = Integer.parseInt(first.replaceAll("READY port=(\\d+).*", "$1"));
        }

        String pid() {
            return String.valueOf(process.pid());
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static App shop(String java, int upstreamPort, String... jvmOptions) throws Exception {
        return shop(java, SHOP_JAR, upstreamPort, jvmOptions);
    }

    /** The shop started from {@code jar}, e.g. a {@link #uniqueShopJar}. */
    static App shop(String java, Path jar, int upstreamPort, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-jar", jar.toString(), "shop", "--upstream", "http://127.0.0.1:" + upstreamPort));
        return new App(cmd);
    }

    /**
     * A copy of the sample shop's jar at {@code <dir>/<marker>/sample-shop.jar}, the marker made of
     * this JVM's pid and a random part. A JVM's name (its main class or jar, as `list` shows it and
     * a name target matches it) holds the jar's path: a JVM started from this copy is the only one
     * on the machine whose name holds the marker, whatever other builds run there. The tests that
     * check name targets name it by {@link #uniqueName}.
     */
    static Path uniqueShopJar(Path dir) throws IOException {
        String marker = "wt-" + ProcessHandle.current().pid() + "-"
                + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1, 36);
        return Files.copy(SHOP_JAR, Files.createDirectory(dir.resolve(marker)).resolve("sample-shop.jar"));
    }

    /**
     * A copy of the sample shop's jar in {@code dir} (made traversable to all) that every user can
     * read: an app run as another user, whom the build tree (under /root, say) keeps out.
     */
    static Path shopReadableByAll(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path shop = Files.copy(SHOP_JAR, dir.resolve("sample-shop.jar"));
        Files.setPosixFilePermissions(shop, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        return shop;
    }

    /** A substring of the name of the JVMs started from {@code uniqueShopJar}, and of no other JVM's. */
    static String uniqueName(Path uniqueShopJar) {
        return uniqueShopJar.getParent().getFileName() + "/sample-shop";
    }

    /** The sample app in its upstream role: a JVM that serves HTTP and otherwise idles. */
    static App idle() throws Exception {
        return new App(List.of(currentJava(), "-jar", SHOP_JAR.toString(), "upstream"));
    }

    /** Polls {@code condition} until it holds or the deadline passes; returns whether it held. */
    static boolean await(Duration deadline, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            if (condition.call()) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
    }

    /**
     * Waits, at most 30 s, until the JVM {@code pid}'s compiler threads are quiet: under 5 % of a
     * core over the last half second. A start's retransformation throws compiled code away, and
     * the app's requests in the seconds after it wait for the JIT (read 200 ms late, say, and
     * rightly called APP_READ_LATE) unless a test waits this out.
     */
    static void awaitJitQuiet(String pid) throws Exception {
        long[] last = {jitNanos(pid), System.nanoTime()};
        await(Duration.ofSeconds(30), () -> {
            long now = System.nanoTime();
            if (now - last[1] < 500_000_000L) {
                return false;
            }
            long jit = jitNanos(pid);
            boolean quiet = (jit - last[0]) * 20 < now - last[1];
            last[0] = jit;
            last[1] = now;
            return quiet;
        });
    }

    /** CPU time (ns) of the JVM's C1 and C2 compiler threads, from /proc/PID/task. */
    private static long jitNanos(String pid) throws IOException {
        long sum = 0;
        long tick = 10_000_000L; // USER_HZ 100
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", pid, "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * tick; // utime, stime
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        }
        return sum;
    }

    /** What the CLI process printed and returned. */
    static final class Result {
        final int code;
        final String out;
        final String err;

        Result(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }

        Result expect(int expected) {
            assertEquals(expected, code, "exit code; stdout:\n" + out + "\nstderr:\n" + err);
            return this;
        }

        /** The error is one line that names what is wrong. */
        Result oneLineError(String contains) {
            List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), "expected one line on stderr, got:\n" + err);
            assertTrue(lines.get(0).contains(contains), "expected '" + contains + "' in: " + lines.get(0));
            return this;
        }

        @Override
        public String toString() {
            return "exit " + code + "\n" + out + err;
        }
    }

    static Result cli(String... args) throws Exception {
        return cli(CLI_JAR, args);
    }

    /** The CLI of another jar (another build). */
    static Result cli(Path jar, String... args) throws Exception {
        return cli(List.of(), jar, args);
    }

    /** The CLI with options for its own JVM ({@code -Djava.io.tmpdir=…}). */
    static Result cli(List<String> jvmOptions, Path jar, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(currentJava()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs {@code cmd} (a CLI, as another user say) to its end, within the deadline. */
    static Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        StringBuffer out = new StringBuffer();
        StringBuffer err = new StringBuffer();
        CompletableFuture<Void> o = CompletableFuture.runAsync(() -> drain(p.getInputStream(), out));
        CompletableFuture<Void> e = CompletableFuture.runAsync(() -> drain(p.getErrorStream(), err));
        if (!p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish within " + DEADLINE);
        }
        o.get(10, TimeUnit.SECONDS);
        e.get(10, TimeUnit.SECONDS);
        return new Result(p.exitValue(), out.toString(), err.toString());
    }

    private static void drain(InputStream in, StringBuffer into) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                into.append(line).append('\n');
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** One HTTP/1.1 GET on a new connection; returns the local port it used and the response. */
    static String[] get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new String[] {String.valueOf(s.getLocalPort()), response};
        }
    }

    static void assertServes(int port) throws IOException {
        String response = get(port, "/orders?item=check")[1];
        assertTrue(response.startsWith("HTTP/1.1 200"), "the app no longer serves: " + response);
    }

    /** Asks {@code status} until its output contains {@code text}; returns that output. */
    static String awaitStatus(String pid, String text) throws Exception {
        return awaitStatusWith(() -> cli("status", pid).expect(0).out, text);
    }

    /** Asks {@code status} (as {@code status} runs it) until its output contains {@code text}; returns that output. */
    static String awaitStatusWith(java.util.concurrent.Callable<String> status, String text) throws Exception {
        String[] last = {""};
        assertTrue(await(DEADLINE, () -> (last[0] = status.call()).contains(text)),
                "status never said '" + text + "':\n" + last[0]);
        return last[0];
    }

    /**
     * Asks {@code status} until at least {@code calls} slow or failed calls are explained: the
     * ones a test makes, and others the app may add (a TLS handshake a busy machine made slow, a
     * write that failed as a driver closed its connection). Waits to be read are not counted: one
     * may come beside a test's call and end the wait before it (see Accuracy.ownCall).
     */
    static String awaitExplained(String pid, int calls) throws Exception {
        java.util.regex.Pattern explained = java.util.regex.Pattern.compile("slow or failed calls: (\\d+) explained");
        java.util.regex.Pattern lateReads = java.util.regex.Pattern.compile("(?:\\(|, )" + Accuracy.LATE_READ + " (\\d+)");
        String[] last = {""};
        assertTrue(await(DEADLINE, () -> {
            java.util.regex.Matcher m = explained.matcher(last[0] = cli("status", pid).expect(0).out);
            java.util.regex.Matcher late = lateReads.matcher(last[0]);
            return m.find() && Integer.parseInt(m.group(1)) - (late.find() ? Integer.parseInt(late.group(1)) : 0) >= calls;
        }), "status never said " + calls + " slow or failed calls explained (but for waits to be read):\n" + last[0]);
        return last[0];
    }

    /** Calls advice made since the probe was installed in the target; see ProbeAgent. */
    static long probe(String pid, String command) throws Exception {
        Path file = Files.createTempFile("probe", ".txt");
        try {
            VirtualMachine vm = VirtualMachine.attach(pid);
            try {
                vm.loadAgent(PROBE_JAR.toString(), command.equals("read") ? "read," + file : command);
            } finally {
                vm.detach();
            }
            return command.equals("read") ? Long.parseLong(Files.readString(file).trim()) : -1;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static String threads(String pid) throws Exception {
        return jcmd(pid, "Thread.print");
    }

    /** Names of the agent's threads alive in the target ("wiretrace-pcap-lo", "wiretrace-flush", ...). */
    static List<String> agentThreads(String pid) throws Exception {
        String dump = threads(pid);
        assertTrue(dump.contains("Full thread dump"), "no thread dump from " + pid + ":\n" + dump);
        return dump.lines().filter(l -> l.startsWith("\"wiretrace-"))
                .map(l -> l.substring(1, l.indexOf('"', 1))).toList();
    }

    /**
     * A PKCS12 keystore made in {@code dir} with a self-signed key for localhost and 127.0.0.1, password
     * {@code changeit}: what a test's TLS server presents and its clients trust.
     */
    static Path keystore(Path dir) throws Exception {
        Path keystore = dir.resolve("tls.p12");
        Process keytool = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "tls", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-ext",
                "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String made = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), made);
        return keystore;
    }

    static String jcmd(String pid, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString(), pid));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
