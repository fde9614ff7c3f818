package io.wiretrace.analysis.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two namespaces {@code a} and {@code b} of this run only, joined by a veth pair, and what goes
 * with them. Several runs of the tests share the machine (two builds, two checkouts): the names
 * carry this JVM's pid and a random part, {@code ip netns add} fails on a name that exists (so a
 * name is never taken over), and the pair's /30 within 10.231.0.0/16 is picked at random (the
 * veth ends live in the namespaces only, so an address could not clash anyway). The ports in the
 * namespaces are theirs alone. {@link #close} deletes what this run made and nothing else; a JVM
 * that exits before it got there (a killed fork, Ctrl+C) does so in a shutdown hook.
 */
public final class NetnsLab implements AutoCloseable {
    private static final Path ETC_NETNS = Paths.get("/etc/netns");
    private static final long TIMEOUT_SECONDS = 30;

    /** Namespace names, veth names ({@code <tag><id><side>}: at most 15 characters), addresses. */
    public final String a;
    public final String b;
    public final String vethA;
    public final String vethB;
    public final String addressA;
    public final String addressB;
    public static final int PREFIX = 30;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Path> etcDirs = new ArrayList<>();
    private boolean madeEtcNetns;
    private boolean closed;
    private final Thread hook = new Thread(this::cleanUp, "netns-lab-cleanup");

    /** Creates the pair; {@code tag} (two letters) says whose it is, e.g. "vd" for VerdictIT. */
    public NetnsLab(String tag) {
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

    /**
     * /etc/netns/{@code ns}, whose files {@code ip netns exec ns} mounts over those of /etc;
     * created here and deleted with the namespaces.
     */
    public Path etc(String ns) throws IOException {
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
        for (Path dir : etcDirs) {
            try (var files = Files.list(dir)) {
                for (Path f : files.collect(java.util.stream.Collectors.toList())) {
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
