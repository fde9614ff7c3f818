package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root operates the JVM of another user, as on a production host: the app runs as {@code nobody}
 * (here with CAP_NET_RAW granted, so that it captures itself). The agent jar and the arguments
 * reach it through a staging folder it can read and nobody else can write, its capture is
 * written there, and stop (or collect) hands the files to root, private to root.
 */
class OtherUserIT {
    @TempDir
    static Path tmp;
    private static Path shop;

    @BeforeAll
    static void setUp() throws Exception {
        shop = Harness.shopReadableByAll(tmp);
    }

    /** The shop with its upstream in one JVM, run by setpriv (which execs in place) as nobody. */
    static Harness.App shopAsNobody(String... caps) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
        cmd.addAll(List.of(caps));
        cmd.addAll(List.of(Harness.currentJava(), "-jar", shop.toString(), "all"));
        return new Harness.App(cmd);
    }

    static final String[] NET_RAW = {"--inh-caps=+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin"};

    @Test
    void rootStartsAndStopsTheCaptureOfAnotherUsersJvm() throws Exception {
        try (Harness.App app = shopAsNobody(NET_RAW)) {
            Path out = tmp.resolve("start-out");
            Harness.Result started = Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString()).expect(0);
            assertTrue(started.out.contains("runs as uid 65534") && started.out.contains("output: " + out), started.out);
            String session = started.out.lines().filter(l -> l.startsWith("session: ")).findFirst().orElseThrow()
                    .substring("session: ".length());
            Path staging = Paths.get("/tmp/wiretrace-root-staging");
            assertEquals("rwx--x--x", mode(staging), "the staging folder: others may pass, not list or write");
            Path staged = staging.resolve("session-" + session);
            assertEquals("rwx------", mode(staged));
            assertEquals("nobody", Files.getOwner(staged, LinkOption.NOFOLLOW_LINKS).getName());
            try (Stream<Path> jars = Files.list(staging)) {
                for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).toList()) {
                    assertEquals("rw-r--r--", mode(jar), jar.toString());
                    assertEquals("root", Files.getOwner(jar, LinkOption.NOFOLLOW_LINKS).getName());
                }
            }
            for (int i = 0; i < 5; i++) {
                assertTrue(Harness.get(app.port, "/orders?item=other" + i)[1].startsWith("HTTP/1.1 200"));
            }
            // the shop's own calls to its upstream (in the same JVM) are accepted too: 5 or more
            String status = Harness.awaitStatus(app.pid(), "accepted");
            assertTrue(Harness.await(Harness.DEADLINE, () -> accepted(Harness.cli("status", app.pid()).out) >= 5), status);
            assertTrue(status.contains("session: " + session) && status.contains("output: " + out), status);

            // the app's user owns the staged directory: a link it plants there is not followed by root
            Path secret = Files.writeString(tmp.resolve("root-secret"), "root's secret");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            Process ln = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "ln", "-s",
                    secret.toString(), staged.resolve("planted.pcapng").toString()).redirectErrorStream(true).start();
            assertEquals(0, ln.waitFor(), new String(ln.getInputStream().readAllBytes()));

            Harness.Result stopped = Harness.cli("stop", app.pid()).expect(0);
            assertFalse(Files.exists(staged, LinkOption.NOFOLLOW_LINKS), "the staged files stayed: " + stopped);
            assertTrue(stopped.out.contains("left out " + staged.resolve("planted.pcapng")), stopped.out);
            assertFalse(Files.exists(out.resolve("planted.pcapng"), LinkOption.NOFOLLOW_LINKS), "a planted link was followed");
            for (String name : List.of("trace.pcapng", "recording.jfr")) {
                Path f = out.resolve(name);
                assertTrue(stopped.out.contains(f.toString()), stopped.out);
                assertEquals("rw-------", mode(f), f.toString());
                assertEquals("root", Files.getOwner(f, LinkOption.NOFOLLOW_LINKS).getName());
            }
            assertEquals("rwx------", mode(out));
            assertTrue(Evidence.pcapPackets(out.resolve("trace.pcapng")) > 20, "too few packets");
            List<RecordedEvent> events = Evidence.events(out.resolve("recording.jfr"));
            assertTrue(events.stream().filter(e -> Evidence.type(e).equals("HttpExchange")).count() >= 5,
                    "HTTP exchanges missing from the recording");
            Harness.assertServes(app.port);
            assertTrue(Harness.agentThreads(app.pid()).isEmpty(), "agent threads after stop");
        }
    }

    @Test
    void rootCollectsFromAnotherUsersJvm() throws Exception {
        try (Harness.App app = shopAsNobody(NET_RAW)) {
            Path bundles = Files.createDirectory(tmp.resolve("bundles"));
            List<Path> before = sessions();
            // requests all through the collect, which takes a while to start on a busy machine
            java.util.concurrent.atomic.AtomicBoolean collecting = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread traffic = new Thread(() -> {
                for (int i = 0; collecting.get(); i++) {
                    try {
                        Harness.get(app.port, "/orders?item=collect" + i);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            traffic.start();
            Harness.Result r;
            try {
                r = Harness.cli("collect", app.pid(), "-d", "3s", "-i", "lo", "-o", bundles.toString()).expect(0);
            } finally {
                collecting.set(false);
                traffic.join();
            }
            Path bundle = Paths.get(r.out.strip().lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("rw-------", mode(bundle));
            assertEquals("root", Files.getOwner(bundle).getName());
            try (ZipFile zip = new ZipFile(bundle.toFile())) {
                List<String> names = zip.stream().map(e -> e.getName().replaceAll(".*/", "")).toList();
                assertTrue(names.containsAll(List.of("trace.pcapng", "recording.jfr", "report.json", "environment.txt")),
                        names.toString());
                assertTrue(zip.stream().filter(e -> e.getName().endsWith("trace.pcapng")).findFirst().orElseThrow()
                        .getSize() > 1000, "an empty capture");
            }
            assertEquals(before, sessions(), "collect left its staged files");
            Harness.assertServes(app.port);
        }
    }

    static int accepted(String status) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) accepted").matcher(status);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The staged session directories now. */
    private static List<Path> sessions() throws Exception {
        Path staging = Paths.get("/tmp/wiretrace-root-staging");
        if (!Files.isDirectory(staging)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(staging)) {
            return s.filter(p -> p.getFileName().toString().startsWith("session-")).sorted().toList();
        }
    }

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
