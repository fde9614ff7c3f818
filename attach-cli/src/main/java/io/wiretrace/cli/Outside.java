package io.wiretrace.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Packets captured outside the target JVM, for a target that may not capture itself (an app user
 * without CAP_NET_RAW, a container without libpcap) when this CLI may: per interface, tcpdump
 * runs as this CLI's user in the target's network namespace and writes classic pcap into a FIFO
 * that the agent reads, so that the agent still owns the correlation and the files and needs
 * neither libpcap nor JNA. Each tcpdump is watched by a {@link Producer}, which ends it with the
 * capture, with the target, or at the deadline.
 *
 * <p>The FIFOs are in {@code packets-<session>} in the staging folder: a directory of this user's
 * (0711) that the target cannot change, each FIFO the target user's, 0600.
 */
final class Outside {
    private static final String[] TCPDUMP = {"/usr/sbin/tcpdump", "/usr/bin/tcpdump", "/sbin/tcpdump", "/bin/tcpdump"};

    final Path dir;
    final String remote;
    final List<Process> producers = new ArrayList<>();
    final String tcpdump;

    private Outside(Path dir, String remote, String tcpdump) {
        this.dir = dir;
        this.remote = remote;
        this.tcpdump = tcpdump;
    }

    /** Whether {@code pid} ("self" for this process) has CAP_NET_RAW in its effective set. */
    static boolean mayCapture(String pid) {
        Proc p = pid.equals("self") ? Proc.self() : Proc.read(Long.parseLong(pid));
        return p != null && p.mayCapture();
    }

    /** Where a target's libpcap would be, seen through /proc/PID/root. */
    private static final String[] LIB_DIRS = {"usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu",
        "lib/aarch64-linux-gnu", "usr/lib64", "lib64", "usr/lib", "lib", "usr/local/lib"};

    /**
     * Why {@code pid} could not capture itself: no CAP_NET_RAW, no libpcap in its file system, or
     * a musl libc (JNA's native part is built for glibc); null when nothing speaks against it.
     */
    static String whyNotInside(String pid) {
        if (!mayCapture(pid)) {
            return "may not capture: no CAP_NET_RAW";
        }
        Path root = Paths.get("/proc", pid, "root");
        boolean libpcap = false;
        for (String d : LIB_DIRS) {
            try (var files = Files.newDirectoryStream(root.resolve(d), "l*.so*")) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (name.startsWith("ld-musl-")) {
                        return "runs on musl libc, where JNA cannot load";
                    }
                    libpcap |= name.startsWith("libpcap.so") && Files.isRegularFile(f);
                }
            } catch (IOException | RuntimeException e) {
                // no such directory there, or not readable: look on
            }
        }
        return libpcap ? null : "has no libpcap in its file system";
    }

    static String tcpdump() {
        for (String t : TCPDUMP) {
            if (Files.isExecutable(Paths.get(t))) {
                return t;
            }
        }
        return null;
    }

    /**
     * Starts the capture outside for the agent options {@code options} (interfaces, snaplen,
     * buffer, filter), ending at {@code untilMillis} (0: no deadline), and points the agent to
     * it with the {@code packets} key. A filter tcpdump rejects is a usage error.
     */
    static Outside start(Staging staging, String session, Map<String, String> options, long untilMillis) {
        String tcpdump = tcpdump();
        if (tcpdump == null) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "capturing outside the JVM needs tcpdump (apt install tcpdump)");
        }
        Path dir = staging.dir.resolve("packets-" + session);
        Outside o = new Outside(dir, staging.remote(dir), tcpdump);
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            Staging.view(dir).setPermissions(PosixFilePermissions.fromString("rwx--x--x"));
            String[] ifaces = options.getOrDefault("i", "any").split(",");
            String filter = options.getOrDefault("filter", "");
            check(staging.pid, tcpdump, ifaces[0], filter);
            String started = Proc.started(Long.parseLong(staging.pid));
            for (int i = 0; i < ifaces.length; i++) {
                Path fifo = dir.resolve(String.valueOf(i));
                // mkfifo -m sets the mode whatever the umask; chown -h does not open the FIFO
                // (an open of it for its attributes would wait for a writer)
                String failed = run(List.of("mkfifo", "-m", "600", fifo.toString()));
                if (failed == null && staging.separate) {
                    failed = run(List.of("chown", "-h", staging.targetUid + ":" + staging.targetGid, fifo.toString()));
                }
                if (failed != null) {
                    throw new IOException(failed.strip());
                }
                List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx24m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-Xss512k", "-cp", cliJar(), Producer.class.getName(), staging.pid, started,
                        String.valueOf(untilMillis), fifo.toString(), dir.resolve(i + ".log").toString(), "--"));
                cmd.addAll(inNetns(staging.pid, List.of(tcpdump, "-i", ifaces[i], "-s", options.getOrDefault("s", "0"),
                        "-B", options.getOrDefault("B", "32768"), "-U", "-n", "-Z", "root", "--time-stamp-precision=nano",
                        "-w", "-")));
                if (!filter.isEmpty()) {
                    cmd.add(filter);
                }
                List<String> detached = new ArrayList<>(List.of("setsid"));
                detached.addAll(cmd);
                o.producers.add(new ProcessBuilder(detached).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start());
            }
            options.put("packets", o.remote);
            return o;
        } catch (IOException e) {
            o.abort();
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot start the capture outside the JVM: " + e.getMessage());
        } catch (RuntimeException e) {
            o.abort();
            throw e;
        }
    }

    /** tcpdump -d: compiles the filter for the interface, so that a bad one fails before anything runs. */
    private static void check(String pid, String tcpdump, String iface, String filter) throws IOException {
        List<String> cmd = new ArrayList<>(inNetns(pid, List.of(tcpdump, "-i", iface, "-d")));
        if (!filter.isEmpty()) {
            cmd.add(filter);
        }
        String err = run(cmd);
        if (err != null) {
            String text = err.lines().filter(l -> l.startsWith("tcpdump:")).findFirst().orElse(err.strip());
            throw new Wiretrace.Failure(text.contains("syntax error") || text.contains("can't parse") || text.contains("filter")
                    ? Wiretrace.USAGE : Wiretrace.FAILED, "tcpdump, capturing for the JVM, refused -i " + iface
                    + (filter.isEmpty() ? "" : " '" + filter + "'") + ": " + text);
        }
    }

    /** The command in the network namespace of {@code pid}, unless this process shares it. */
    private static List<String> inNetns(String pid, List<String> command) {
        if (Staging.sameNamespace(pid, "net")) {
            return command;
        }
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/proc/" + pid + "/ns/net", "--"));
        cmd.addAll(command);
        return cmd;
    }

    /** Runs {@code cmd}; null if it succeeded, else what it printed. */
    private static String run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", cmd) + " did not finish";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return p.exitValue() == 0 ? null : out;
    }

    /** Ends the producers and removes the FIFOs: the start failed. */
    void abort() {
        for (Process p : producers) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        remove();
    }

    /**
     * What the capture processes of {@code session} said (tcpdump's counters at its end), once they
     * ended (waiting a few seconds for that), and removes their directory; null if there was none.
     */
    static String finish(Staging staging, String session) {
        Path dir = staging.dir.resolve("packets-" + session);
        if (!Files.isDirectory(dir)) {
            return null;
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        StringBuilder said = new StringBuilder();
        for (int i = 0; Files.exists(dir.resolve(i + ".log")); i++) {
            Path log = dir.resolve(i + ".log");
            try {
                while (Files.exists(dir.resolve(String.valueOf(i))) && System.nanoTime() < end) {
                    TimeUnit.MILLISECONDS.sleep(50); // the producer removes its FIFO when it ends
                }
                said.append(Files.readString(log));
            } catch (IOException | InterruptedException ignored) {
                // nothing to add
            }
        }
        new Outside(dir, null, null).remove();
        return said.toString().strip();
    }

    private void remove() {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a producer still holds its FIFO: it removes it when it ends
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String cliJar() {
        try {
            return Paths.get(Producer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell where the wiretrace jar is", e);
        }
    }
}
