package io.wiretrace.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.pcap.CaptureFile;
import io.wiretrace.analysis.pcap.SavefileWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packets from a capture outside the JVM: classic pcap in a FIFO, as tcpdump -w - writes it, in
 * either byte order, read without libpcap into the capture files; a writer that never comes or
 * goes away is named.
 */
class StreamCaptureTest {
    private static final int SLL2 = 276;

    @TempDir
    Path tmp;

    private Path fifos() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("packets"));
        Process p = new ProcessBuilder("mkfifo", "-m", "600", dir.resolve("0").toString()).start();
        assertEquals(0, p.waitFor());
        return dir;
    }

    private SavefileWriter files() throws IOException {
        return new SavefileWriter(Files.createDirectory(tmp.resolve("out")), "trace.pcapng", SavefileWriter.Format.PCAPNG,
                0, 0, 0, "test");
    }

    /** An hour from now, in seconds since the epoch: packets stamped after any stream's header came. */
    private static final int LATER = (int) (System.currentTimeMillis() / 1000 + 3600);

    /**
     * A pcap file header and {@code n} records of 20 bytes, nanosecond timestamps (second
     * {@code second} + i, 123456789 ns), in {@code order}.
     */
    private static byte[] stream(ByteOrder order, int n, int second) {
        ByteBuffer b = ByteBuffer.allocate(24 + n * 36).order(order);
        b.putInt(0xa1b23c4d).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262144).putInt(SLL2);
        for (int i = 0; i < n; i++) {
            b.putInt(second + i).putInt(123_456_789).putInt(20).putInt(20);
            b.put(new byte[20]);
        }
        return b.array();
    }

    private static long nanos(int second) {
        return second * 1_000_000_000L + 123_456_789;
    }

    private static CompletableFuture<OutputStream> writer(Path fifo) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new FileOutputStream(fifo.toFile()); // waits for the reader
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private List<Long> packets(Path file) throws IOException {
        List<Long> seen = new ArrayList<>();
        CaptureFile.read(file, (iface, linkType, nanos, buf, off, cap, orig) -> {
            assertEquals(SLL2, linkType);
            seen.add(nanos);
        });
        return seen;
    }

    @Test
    void aStreamInEitherByteOrderReachesTheFiles() throws Exception {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            Path dir = fifos();
            CompletableFuture<OutputStream> out = writer(dir.resolve("0"));
            byte[] bytes = stream(order, 3, LATER);
            CompletableFuture<Void> header = out.thenAccept(o -> write(o, bytes, 0, 24));
            SavefileWriter files = files();
            Capture c = new Capture(List.of("any"), 0, 1024, "", files, dir.toString());
            header.get(10, TimeUnit.SECONDS);
            c.start();
            write(out.get(), bytes, 24, bytes.length - 24);
            awaitCaptured(c, 3);
            Capture.Stats st = c.stop();
            out.get().close();
            assertEquals(3, st.captured, order + ": " + st.lines());
            assertTrue(st.lines().contains("counted by the capture outside the JVM"), st.lines());
            assertEquals(List.of(nanos(LATER), nanos(LATER + 1), nanos(LATER + 2)), packets(files.files().get(0)),
                    order.toString());
            clean();
        }
    }

    @Test
    void aWriterThatEndsHaltsTheCaptureWithTheReason() throws Exception {
        Path dir = fifos();
        CompletableFuture<OutputStream> out = writer(dir.resolve("0"));
        byte[] bytes = stream(ByteOrder.LITTLE_ENDIAN, 1, LATER);
        out.thenAccept(o -> write(o, bytes, 0, bytes.length));
        Capture c = new Capture(List.of("any"), 0, 1024, "", files(), dir.toString());
        c.start();
        out.get(10, TimeUnit.SECONDS).close();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.halted() == null && System.nanoTime() < end) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertNotNull(c.halted(), "the capture ran on after its stream ended");
        assertTrue(c.halted().contains("the capture outside the JVM ended"), c.halted());
        assertEquals(1, c.stop().captured);
    }

    /**
     * tcpdump swaps its filter in before it writes its file header, and libpcap's swap loses
     * what arrives meanwhile while it keeps what came before: packets stamped before the header
     * came are not kept, so that the file has no hole at its start.
     */
    @Test
    void packetsStampedBeforeTheHeaderCameAreNotKept() throws Exception {
        Path dir = fifos();
        CompletableFuture<OutputStream> out = writer(dir.resolve("0"));
        int before = LATER - 7200;
        byte[] early = stream(ByteOrder.LITTLE_ENDIAN, 2, before);
        byte[] late = stream(ByteOrder.LITTLE_ENDIAN, 2, LATER);
        CompletableFuture<Void> header = out.thenAccept(o -> write(o, early, 0, early.length));
        SavefileWriter files = files();
        Capture c = new Capture(List.of("any"), 0, 1024, "", files, dir.toString());
        header.get(10, TimeUnit.SECONDS);
        c.start();
        write(out.get(), late, 24, late.length - 24);
        awaitCaptured(c, 2);
        Capture.Stats st = c.stop();
        out.get().close();
        assertEquals(2, st.captured, st.lines());
        assertEquals(List.of(nanos(LATER), nanos(LATER + 1)), packets(files.files().get(0)));
    }

    @Test
    void noWriterIsNamedInsteadOfWaitingForever() throws Exception {
        Path dir = fifos();
        Capture.CaptureException e = assertThrows(Capture.CaptureException.class,
                () -> Source.fromStream("any", dir.resolve("0"), 300, files(), null));
        assertTrue(e.getMessage().contains("no packets came from the capture outside the JVM"), e.getMessage());
    }

    /** Waits, at most 10 s, until {@code c} has written {@code n} packets. */
    private static void awaitCaptured(Capture c, int n) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.stats().captured < n && System.nanoTime() < end) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    private static void write(OutputStream o, byte[] b, int off, int len) {
        try {
            o.write(b, off, len);
            o.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void clean() throws IOException {
        try (var walk = Files.walk(tmp)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                if (!p.equals(tmp)) {
                    Files.delete(p);
                }
            }
        }
    }
}
