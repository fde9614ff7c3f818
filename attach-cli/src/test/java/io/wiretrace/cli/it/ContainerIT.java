package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM in a container made with unshare: its own pid, mount and network namespaces and a
 * private /tmp, as Docker or Kubernetes would give it. wiretrace on the host attaches by the
 * host pid, captures in the container's network namespace, and leaves the files on the host.
 */
class ContainerIT {
    @TempDir
    Path tmp;

    /**
     * The shop (with its upstream) as pid 1 of new namespaces, its /tmp a fresh tmpfs. The jar is
     * opened before the tmpfs hides the host's /tmp, and run as /proc/self/fd/9. The JVM is
     * unshare's child, not unshare: ending unshare ends it (--kill-child) unless setpriv changed its
     * user, which clears that signal, so it is also ended by its host pid after the test.
     */
    private Harness.App container(String user) throws Exception {
        return container(user, "mode=1777");
    }

    private Harness.App container(String user, String tmpOptions) throws Exception {
        return container(user, tmpOptions, "");
    }

    /** {@code setUp}: shell commands run in the container before the JVM starts. */
    private Harness.App container(String user, String tmpOptions, String setUp) throws Exception {
        Path shop = Harness.shopReadableByAll(tmp);
        String run = Harness.currentJava() + " -jar /proc/self/fd/9 all";
        if (user != null) {
            run = "setpriv --reuid=" + user + " --regid=nogroup --clear-groups " + run;
        }
        Harness.App app = new Harness.App(List.of("unshare", "--pid", "--fork", "--kill-child", "--mount", "--net",
                "--mount-proc", "sh", "-c", "exec 9< " + shop + " && mount -t tmpfs -o " + tmpOptions
                + " tmpfs /tmp && ip link set lo up && " + setUp + "exec " + run));
        jvms.add(Long.parseLong(jvmPid(app)));
        return app;
    }

    /** The containers' JVMs, by host pid: ended after each test (see {@link #container}). */
    private final List<Long> jvms = new java.util.ArrayList<>();

    @AfterEach
    void endJvms() {
        for (long pid : jvms) {
            ProcessHandle.of(pid).filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** The JVM's pid on the host: unshare's child (sh, which became java). */
    private static String jvmPid(Harness.App app) throws Exception {
        String[] pid = {""};
        Path children = Paths.get("/proc", app.pid(), "task", app.pid(), "children");
        assertTrue(Harness.await(Duration.ofSeconds(30), () -> {
            pid[0] = Files.readString(children).trim();
            return !pid[0].isEmpty() && Files.readString(Paths.get("/proc", pid[0], "comm")).trim().equals("java");
        }), "no JVM under unshare " + app.pid());
        return pid[0];
    }

    /** Requests from inside the container's network namespace (bash's /dev/tcp). */
    private static void requests(String pid, int port, int n) throws Exception {
        String one = "exec 3<>/dev/tcp/127.0.0.1/" + port + "; printf 'GET /orders?item=box HTTP/1.1\\r\\nHost: x\\r\\n"
                + "Connection: close\\r\\n\\r\\n' >&3; cat <&3";
        for (int i = 0; i < n; i++) {
            Process p = new ProcessBuilder("nsenter", "--target", pid, "--net", "bash", "-c", one).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS) && out.startsWith("HTTP/1.1 200"), out);
        }
    }

    @Test
    void collectFromTheHostLeavesTheBundleOnTheHost() throws Exception {
        try (Harness.App app = container(null)) {
            String pid = jvmPid(app);
            // found by list, by its host pid, though its perfdata is in its own /tmp
            String listing = Harness.cli("list").expect(0).out;
            assertTrue(listing.lines().anyMatch(l -> l.startsWith(pid + " ") && !l.contains("not a JVM")), listing);
            Path bundles = Files.createDirectory(tmp.resolve("bundles"));
            // requests all through the collect, which takes a while to start on a busy machine
            java.util.concurrent.atomic.AtomicBoolean collecting = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
            Thread traffic = new Thread(() -> {
                try {
                    while (collecting.get()) {
                        requests(pid, app.port, 1);
                        made.incrementAndGet();
                    }
                } catch (Throwable e) {
                    throw new AssertionError(e);
                }
            });
            traffic.start();
            Harness.Result r;
            try {
                r = Harness.cli("collect", pid, "-d", "4s", "-o", bundles.toString()).expect(0);
            } finally {
                collecting.set(false);
                traffic.join();
            }
            assertTrue(made.get() >= 10, "only " + made.get() + " requests");
            Path bundle = Paths.get(r.out.strip().lines().reduce((a, b) -> b).orElseThrow());
            assertTrue(bundle.startsWith(bundles) && Files.isRegularFile(bundle), r.out);
            try (ZipFile zip = new ZipFile(bundle.toFile())) {
                Path pcap = extract(zip, "trace.pcapng");
                Path jfr = extract(zip, "recording.jfr");
                // the container's loopback: only the app's own connections are on it
                Set<String> flows = Evidence.pcapFlows(pcap);
                assertTrue(flows.stream().anyMatch(f -> f.contains(":" + app.port)), flows.toString());
                List<RecordedEvent> events = Evidence.events(jfr);
                assertTrue(events.stream().filter(e -> Evidence.type(e).equals("HttpExchange")).count() >= 2,
                        "HTTP exchanges missing");
                assertTrue(new String(zip.getInputStream(zip.getEntry(zip.stream().map(ZipEntry::getName)
                        .filter(n -> n.endsWith("environment.txt")).findFirst().orElseThrow())).readAllBytes(),
                        StandardCharsets.UTF_8).contains("lo"), "the container's interfaces");
            }
            Path staging = Paths.get("/proc", pid, "root", "tmp", "wiretrace-root-staging");
            try (var left = Files.list(staging)) {
                assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("session-")).toList());
            }
        }
    }

    @Test
    void startAndStopFromTheHostForAContainerUserWithoutCaptureRights() throws Exception {
        try (Harness.App app = container("nobody")) {
            String pid = jvmPid(app);
            Path out = tmp.resolve("out");
            Harness.Result started = Harness.cli("start", pid, "-w", out.toString()).expect(0);
            // nobody inside may not capture: tcpdump does, in the container's network namespace
            assertTrue(started.out.contains("packets: captured outside the JVM"), started.out);
            requests(pid, app.port, 3);
            assertTrue(Harness.await(Harness.DEADLINE, () -> OtherUserIT.accepted(Harness.cli("status", pid).out) >= 3));
            Harness.Result stopped = Harness.cli("stop", pid).expect(0);
            Path jfr = out.resolve("recording.jfr");
            assertTrue(stopped.out.contains(jfr.toString()), stopped.out);
            assertEquals("root", Files.getOwner(jfr, LinkOption.NOFOLLOW_LINKS).getName());
            assertTrue(Evidence.events(jfr).stream().filter(e -> Evidence.type(e).equals("HttpExchange")).count() >= 3);
            Set<String> flows = Evidence.pcapFlows(out.resolve("trace.pcapng"));
            assertTrue(flows.stream().anyMatch(f -> f.contains(":" + app.port)), "the container's packets: " + flows);
        }
    }

    @Test
    void aContainerWhoseTmpIsReadOnlyIsNamedAsTheCause() throws Exception {
        try (Harness.App app = container(null, "ro")) {
            String pid = jvmPid(app);
            Harness.Result r = Harness.cli("start", pid, "-w", tmp.resolve("ro-out").toString()).expect(1);
            r.oneLineError("its /tmp is read-only");
            assertFalse(Files.exists(tmp.resolve("ro-out")), "a failed start left its output directory");
        }
    }

    @Test
    void aContainerWithoutLibpcapGetsItsPacketsFromOutside() throws Exception {
        // an image without libpcap (distroless, say): the library's files are not there for the JVM
        String hide = "for f in /usr/lib/*/libpcap.so.* /lib/*/libpcap.so.*; do [ -f \"$f\" ] && mount --bind /dev/null"
                + " \"$f\"; done; ";
        try (Harness.App app = container(null, "mode=1777", hide)) {
            String pid = jvmPid(app);
            Path out = tmp.resolve("no-libpcap");
            Harness.Result started = Harness.cli("start", pid, "-w", out.toString()).expect(0);
            assertTrue(started.out.contains("packets: captured outside the JVM") && started.out.contains("has no libpcap"),
                    started.out);
            requests(pid, app.port, 3);
            Harness.cli("stop", pid).expect(0);
            Set<String> flows = Evidence.pcapFlows(out.resolve("trace.pcapng"));
            assertTrue(flows.stream().anyMatch(f -> f.contains(":" + app.port)), "the container's packets: " + flows);
        }
    }

    private Path extract(ZipFile zip, String name) throws Exception {
        ZipEntry e = zip.stream().filter(x -> x.getName().endsWith("/" + name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in the bundle"));
        Path to = tmp.resolve(name);
        Files.write(to, zip.getInputStream(e).readAllBytes());
        return to;
    }
}
