package io.wiretrace.analysis.tcp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces {@code a} and {@code b} of this run only, joined by a veth pair (the
 * same as attach-cli's Netns.Lab, without /etc/netns). Several runs of the tests share the
 * machine (two builds, two checkouts): the names carry this JVM's pid and a random part,
 * {@code ip netns add} fails on a name that exists (so a name is never taken over), and the
 * pair's /30 within 10.231.0.0/16 is picked at random (the veth ends live in the namespaces
 * only, so an address could not clash anyway). The ports in the namespaces are theirs alone.
 * {@link #close} deletes what this run made and nothing else; a JVM that exits before it got
 * there (a killed fork, Ctrl+C) does so in a shutdown hook.
 */
final class NetnsLab implements AutoCloseable {
    static final int PREFIX = 30;
    private static final long TIMEOUT_SECONDS = 30;

    /** Namespace names, veth names ({@code <tag><id><side>}: at most 15 characters), addresses. */
    final String a;
    final String b;
    final String vethA;
    final String vethB;
    final String addressA;
    final String addressB;
    private final List<String> namespaces = new ArrayList<>();
    private boolean closed;
    private final Thread hook = new Thread(this::cleanUp, "netns-lab-cleanup");

    /** Creates the pair; {@code tag} (two or three letters) says whose it is, e.g. "tcp" for TcpAnalysisIT. */
    NetnsLab(String tag) {
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
                    throw new AssertionError("namespace wt-" + tag + "-" + id + "-b exists, although its -a did not");
                }
                return id;
            }
            if (attempt >= 5) {
                throw new AssertionError("no free namespace name for wt-" + tag + "-*");
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

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs, or ran, the same clean-up
        }
        Throwable failed = cleanUp();
        if (failed != null) {
            throw new AssertionError("cleaning up " + namespaces, failed);
        }
    }

    /** Ends the processes in each namespace (only this run's live there), then deletes it; returns the first failure. */
    private synchronized Throwable cleanUp() {
        if (closed) {
            return null;
        }
        closed = true;
        Throwable failed = null;
        for (String ns : namespaces) {
            try {
                for (String pid : run("ip", "netns", "pids", ns).split("\n")) {
                    if (pid.matches("\\d+")) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                String out = run("ip", "netns", "del", ns); // its nft tables and veth end go with it
                if (!out.startsWith("exit 0\n")) {
                    throw new AssertionError("ip netns del " + ns + " failed: " + out);
                }
            } catch (RuntimeException | AssertionError e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            System.err.println("netns clean-up: " + failed);
        }
        return failed;
    }

    private static void sh(String... cmd) {
        String out = run(cmd);
        if (!out.startsWith("exit 0\n")) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** Runs a command; returns "exit N" and its output, whatever N is. */
    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish");
            }
            return "exit " + p.exitValue() + "\n" + out;
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(String.join(" ", cmd), e);
        }
    }
}
