package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.wiretrace.analysis.pcap.PacketComments;
import io.wiretrace.analysis.pcap.SavefileWriter;
import io.wiretrace.analysis.report.AgentEvents;
import io.wiretrace.analysis.tcp.Packets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code analyze} against thousands of mutated captures (pcap, pcapng), recordings and bundles,
 * each run in-process as the CLI runs it, with {@code -o}: every case ends, within its deadline,
 * in a report or in the CLI's clear failure (exit 1, "wiretrace: …", from a reader's
 * IOException, never from a runtime exception or an error), and writes nothing outside
 * {@code -o} (the unpacked bundle's private directory is gone again). Case {@code i} is made
 * from {@code new Random(SEED + i)} alone, so a failure names the case to run again.
 */
class AnalyzeFuzzTest {
    private static final long SEED = 0x5EED_0F_F11E5L;
    private static final int CASES = 4_000;
    /**
     * The run stops early at this budget: an idle machine runs all the cases in about 40 s, a busy
     * one fewer (a few hundred when two benchmarks held both cores), never fewer than MIN_CASES.
     * 30 s since the whole test run neared its 30 minutes (60, then 45 before); about 2,000 cases then.
     */
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final int MIN_CASES = 100;
    /** Far more than any case takes (tens of ms; the first, which loads the classes, a second): past it, a hang. */
    private static final long CASE_SECONDS = 30;
    private static final int[] INTERESTING = {0, 1, -1, 12, 16, 28, 32, 65535, 65536, 262145, 0x7FFFFFFF, 0x80000000,
        16 << 20, 256 << 20, 0x0A0D0D0A, 0x1A2B3C4D, 0xa1b2c3d4};

    @TempDir
    Path tmp;

    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "analyze-fuzz");
        t.setDaemon(true); // a case that hangs fails the test and must not keep the JVM
        return t;
    });

    @AfterEach
    void stop() {
        runner.shutdownNow();
    }

    @Test
    void mutatedInputsEndInAReportOrAClearFailureAndWriteOnlyIntoO() throws Exception {
        byte[] pcap = capture(false);
        byte[] pcapng = capture(true);
        Path jfr = tmp.resolve("seed.jfr");
        AgentEvents.record(jfr, 30);
        byte[] recording = Files.readAllBytes(jfr);
        Files.delete(jfr);
        byte[][] seeds = {pcap, pcapng, recording};

        Path cwd = Path.of("").toAbsolutePath();
        Set<String> cwdBefore = names(cwd);
        List<Path> unpackedBefore = BundleTest.unpackedDirs();
        long start = System.nanoTime();
        int[] kinds = new int[6];
        int reports = 0;
        int ran = 0;
        for (; ran < CASES && System.nanoTime() - start < BUDGET_NANOS; ran++) {
            Random r = new Random(SEED + ran);
            Path dir = Files.createDirectory(tmp.resolve("case" + ran));
            int kind = r.nextInt(kinds.length);
            kinds[kind]++;
            Path input = input(kind, r, seeds, dir);
            Set<String> inputs = tree(tmp);
            Path out = dir.resolve("out");
            String what = "case " + ran + " (new Random(" + SEED + "L + " + ran + "), kind " + kind + ", " + input + ")";
            Outcome o = run(what, input, out);
            if (o.code == Wiretrace.OK) {
                reports++;
                assertEquals(Set.of("report.html", "report.json"), names(out), what);
            } else {
                assertEquals(Wiretrace.FAILED, o.code, what + ": " + o.err);
                assertTrue(o.err.startsWith("wiretrace: ") && o.err.lines().count() == 1, what + ": " + o.err);
                Throwable cause = o.thrown.getCause();
                if (!(o.thrown instanceof Wiretrace.Failure) || (cause != null && !(cause instanceof IOException))) {
                    throw new AssertionError(what + ": not a clear failure", o.thrown);
                }
            }
            Set<String> after = tree(tmp);
            after.removeIf(p -> p.startsWith(tmp.relativize(out) + "/"));
            after.remove(tmp.relativize(out).toString());
            assertEquals(inputs, after, what + ": wrote outside -o");
            PrivateFiles.deleteTree(dir);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        System.out.println("analyze fuzz: " + ran + " cases in " + seconds + " s (kinds " + Arrays.toString(kinds)
                + "), " + reports + " reports, " + (ran - reports) + " clear failures");
        assertTrue(ran >= MIN_CASES, "only " + ran + " cases in " + seconds + " s");
        assertTrue(reports > 0 && reports < ran, reports + " reports of " + ran + ": the mutations test nothing");
        assertEquals(cwdBefore, names(cwd), "analyze wrote into the working directory");
        assertEquals(unpackedBefore, BundleTest.unpackedDirs(), "an unpacked bundle was left behind");
        for (Path p : List.of(tmp.getParent().resolve("escaped"), Path.of(System.getProperty("java.io.tmpdir"), "escaped"),
                Path.of("/escaped"))) {
            assertTrue(Files.notExists(p), "a bundle's entry climbed out to " + p);
        }
    }

    private static final class Outcome {
        int code;
        String err;
        Throwable thrown;
    }

    private Outcome run(String what, Path input, Path out) throws Exception {
        Future<Outcome> f = runner.submit(() -> {
            Outcome o = new Outcome();
            StringWriter err = new StringWriter();
            CommandLine cl = Wiretrace.commandLine();
            CommandLine.IExecutionExceptionHandler clear = cl.getExecutionExceptionHandler();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            cl.setExecutionExceptionHandler((e, line, parsed) -> {
                thrown.set(e);
                return clear.handleExecutionException(e, line, parsed);
            });
            cl.setOut(new PrintWriter(new StringWriter()));
            cl.setErr(new PrintWriter(err));
            o.code = cl.execute("analyze", input.toString(), "-o", out.toString());
            o.err = err.toString();
            o.thrown = thrown.get();
            return o;
        });
        try {
            return f.get(CASE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError(what + ": still running after " + CASE_SECONDS + " s");
        } catch (ExecutionException e) {
            throw new AssertionError(what + ": escaped the CLI", e.getCause());
        }
    }

    /** One case's input in {@code dir}: a capture, a directory with a capture and a recording, or a bundle. */
    private Path input(int kind, Random r, byte[][] seeds, Path dir) throws IOException {
        switch (kind) {
            case 0:
                return Files.write(dir.resolve("trace.pcap"), mutate(seeds[0], r));
            case 1:
                return Files.write(dir.resolve("trace.pcapng"), mutate(seeds[1], r));
            case 2: { // a directory start/stop wrote, the recording mutated
                Path in = Files.createDirectory(dir.resolve("in"));
                Files.write(in.resolve("trace.pcapng"), r.nextBoolean() ? seeds[1] : mutate(seeds[1], r));
                Files.write(in.resolve("recording.jfr"), mutate(seeds[2], r));
                return in;
            }
            case 3: // the bundle's bytes mutated
                return Files.write(dir.resolve("bundle.zip"), mutate(bundle(r, seeds, false), r));
            default: // a bundle of mutated files, some with hostile names
                return Files.write(dir.resolve("bundle.zip"), bundle(r, seeds, true));
        }
    }

    private byte[] bundle(Random r, byte[][] seeds, boolean mutated) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        String[] hostile = {"../escaped", "../../escaped", tmp.getParent().resolve("escaped").toString(),
            "w/../../escaped", "v/trace.pcapng", "w\\..\\escaped", "w/", "w/.", "", "v/recording.jfr"};
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            List<String> names = new ArrayList<>(List.of("w/trace.pcapng", "w/recording.jfr"));
            if (mutated && r.nextInt(3) == 0) {
                names.add(r.nextInt(names.size() + 1), hostile[r.nextInt(hostile.length)]);
            }
            for (String name : names) {
                byte[] seed = name.endsWith(".jfr") ? seeds[2] : seeds[1];
                z.putNextEntry(new ZipEntry(name.isEmpty() ? "/" : name));
                if (!name.endsWith("/")) {
                    z.write(mutated && r.nextBoolean() ? mutate(seed, r) : seed);
                }
                z.closeEntry();
            }
        }
        return b.toByteArray();
    }

    /** A few random edits: bits flipped, lengths made extreme, slices cut, repeated or dropped, the end cut off. */
    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        for (int n = 1 + r.nextInt(6); n > 0 && b.length > 8; n--) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(6)) {
                case 0:
                    b[at] ^= (byte) (1 << r.nextInt(8));
                    break;
                case 1:
                    b[at] = (byte) r.nextInt(256);
                    break;
                case 2: {
                    int pos = Math.min(at & ~3, b.length - 4);
                    ByteBuffer.wrap(b, pos, 4).order(r.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                            .putInt(INTERESTING[r.nextInt(INTERESTING.length)]);
                    break;
                }
                case 3:
                    b = Arrays.copyOf(b, at);
                    break;
                case 4: { // a slice repeated
                    int len = Math.min(b.length - at, 1 + r.nextInt(256));
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                    break;
                }
                default: { // a slice dropped
                    int len = Math.min(b.length - at, 1 + r.nextInt(256));
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                    break;
                }
            }
        }
        return b;
    }

    /**
     * A capture, written as the agent writes them, with something in it for every reader: a connect
     * refused, a connect answered, a request and its response 300 ms later (SERVER_THINK), a
     * reset, and, in the pcapng, wiretrace's comments.
     */
    private byte[] capture(boolean ng) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "seed");
        SavefileWriter w = new SavefileWriter(dir, "trace", ng ? SavefileWriter.Format.PCAPNG
                : SavefileWriter.Format.PCAP, 0, 0, 0, "wiretrace-test");
        w.addInterface(1, 65535, "lo");
        long t = 1_790_000_000_000_000_000L;
        long ms = 1_000_000L;
        w.open(t / 1_000_000_000L);
        String conn = PacketComments.connection(42, "worker-1 · GET /item");
        int c = 0x7f000001;
        int s = 0x7f000002;
        String req = "GET /item HTTP/1.1\r\nHost: x\r\n\r\n";
        String resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        packet(w, t, c, 40000, s, 81, 100, 0, 0x02, "", "conn 41 · worker-1");
        packet(w, t + ms, s, 81, c, 40000, 0, 101, 0x14, "", null);
        packet(w, t + 10 * ms, c, 40001, s, 80, 1000, 0, 0x02, "", conn);
        packet(w, t + 11 * ms, s, 80, c, 40001, 5000, 1001, 0x12, "", null);
        packet(w, t + 12 * ms, c, 40001, s, 80, 1001, 5001, 0x10, "", conn);
        packet(w, t + 13 * ms, c, 40001, s, 80, 1001, 5001, 0x18, req, conn);
        packet(w, t + 313 * ms, s, 80, c, 40001, 5001, 1001 + req.length(), 0x18, resp, conn);
        packet(w, t + 314 * ms, c, 40001, s, 80, 1001 + req.length(), 5001 + resp.length(), 0x11, "", null);
        packet(w, t + 315 * ms, s, 80, c, 40001, 5001 + resp.length(), 1002 + req.length(), 0x04, "", null);
        w.close();
        byte[] bytes = Files.readAllBytes(dir.resolve("trace"));
        PrivateFiles.deleteTree(dir);
        return bytes;
    }

    private static void packet(SavefileWriter w, long nanos, int src, int sport, int dst, int dport, int seq, int ack,
            int flags, String data, String comment) {
        byte[] payload = data.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer frame = Packets.tcp(src, sport, dst, dport, seq, ack, flags, 64240, payload.length);
        frame.put(frame.limit() - payload.length, payload);
        w.packet(0, nanos, frame, frame.remaining(), comment == null ? null : comment.getBytes(StandardCharsets.UTF_8),
                false);
    }

    /** The names in a directory (none if it does not exist). */
    private static Set<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Every path under {@code root}, relative to it. */
    private static Set<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
