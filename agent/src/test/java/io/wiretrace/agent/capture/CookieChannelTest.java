package io.wiretrace.agent.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The ring libpcap's stdio stream writes into, driven through the C library's own stdio. */
class CookieChannelTest {
    private static final NativeLibrary C = NativeLibrary.getInstance("c");

    private static long fwrite(Pointer file, byte[] data, int from, int n) {
        Memory m = new Memory(Math.max(1, n));
        m.write(0, data, from, n);
        return C.getFunction("fwrite").invokeLong(new Object[] {m, 1L, (long) n, file});
    }

    private static int fflush(Pointer file) {
        return C.getFunction("fflush").invokeInt(new Object[] {file});
    }

    private static int fclose(Pointer file) {
        return C.getFunction("fclose").invokeInt(new Object[] {file});
    }

    private static byte[] readAll(CookieChannel ch) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocateDirect(7_000); // not a divisor of the ring
        while (true) {
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) {
                return all.toByteArray();
            }
            assertTrue(n > 0, "a read returns bytes or the end, never nothing");
            buf.flip();
            byte[] b = new byte[n];
            buf.get(b);
            all.write(b);
        }
    }

    @Test
    void whatStdioWritesIsReadInOrderThroughARingSmallerThanIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            CookieChannel ch = CookieChannel.open(C, 64 << 10);
            byte[] data = new byte[3 << 20];
            new Random(7).nextBytes(data);
            AtomicReference<byte[]> got = new AtomicReference<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    got.set(readAll(ch));
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            reader.start();
            Random sizes = new Random(11);
            int at = 0;
            while (at < data.length) { // pieces of 1 byte to 200 KiB, as records and flushes come
                int n = Math.min(data.length - at, 1 + sizes.nextInt(sizes.nextBoolean() ? 300 : 200 << 10));
                assertEquals(n, fwrite(ch.file(), data, at, n));
                at += n;
                if (sizes.nextInt(20) == 0) {
                    assertEquals(0, fflush(ch.file()));
                }
            }
            assertEquals(0, fclose(ch.file())); // flushes the rest, then the reader sees the end
            reader.join();
            assertEquals(null, failed.get());
            assertArrayEquals(data, got.get());
        });
    }

    /**
     * A quiet capture's reader waits on an empty ring with a timed park of a second, a safety net
     * only: each write must wake it. Were a wake-up lost, each byte here would wait for the net.
     */
    @Test
    void aReaderWaitingOnAnEmptyRingWakesAtTheWriteNotAtItsSafetyNet() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            CookieChannel ch = CookieChannel.open(C, 4096);
            BlockingQueue<Long> readAt = new LinkedBlockingQueue<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(64);
                try {
                    while (true) {
                        b.clear();
                        if (ch.read(b) < 0) {
                            return;
                        }
                        readAt.add(System.nanoTime());
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            reader.start();
            long[] waits = new long[15];
            for (int i = 0; i < waits.length; i++) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (reader.getState() != Thread.State.TIMED_WAITING) { // parked on the empty ring
                    assertTrue(System.nanoTime() < deadline, "the reader never waited: " + reader.getState());
                    Thread.onSpinWait();
                }
                long wrote = System.nanoTime();
                assertEquals(1, fwrite(ch.file(), new byte[] {(byte) i}, 0, 1));
                assertEquals(0, fflush(ch.file()));
                Long at = readAt.poll(10, TimeUnit.SECONDS);
                assertNotNull(at, "the byte was not read");
                waits[i] = at - wrote;
            }
            assertEquals(0, fclose(ch.file()));
            reader.join(TimeUnit.SECONDS.toMillis(10));
            assertTrue(!reader.isAlive(), "the writer's close did not end the read");
            assertEquals(null, failed.get());
            Arrays.sort(waits);
            assertTrue(waits[waits.length / 2] < TimeUnit.MILLISECONDS.toNanos(300),
                    "the median wait from write to read was " + waits[waits.length / 2] / 1_000_000 + " ms");
        });
    }

    @Test
    void aFullRingHoldsTheWriterUntilTheReaderTakesSome() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            CookieChannel ch = CookieChannel.open(C, 4096);
            byte[] data = new byte[4096 * 3];
            new Random(3).nextBytes(data);
            AtomicLong written = new AtomicLong(-1);
            Thread writer = new Thread(() -> {
                fwrite(ch.file(), data, 0, data.length);
                written.set(fflush(ch.file()));
            });
            writer.start();
            // the writer fills the ring and waits; it can end only once the reader took two rings' worth
            ByteBuffer first = ByteBuffer.allocate(4096);
            while (first.hasRemaining()) {
                ch.read(first);
            }
            assertEquals(-1, written.get(), "three rings' worth cannot have passed while one was read");
            ByteBuffer rest = ByteBuffer.allocate(data.length - 4096);
            while (rest.hasRemaining()) {
                ch.read(rest);
            }
            writer.join();
            assertEquals(0, written.get());
            byte[] all = new byte[data.length];
            System.arraycopy(first.array(), 0, all, 0, 4096);
            System.arraycopy(rest.array(), 0, all, 4096, rest.capacity());
            assertArrayEquals(data, all);
            assertEquals(0, fclose(ch.file()));
            assertEquals(-1, ch.read(ByteBuffer.allocate(16)));
        });
    }

    @Test
    void theRingTakesNoneOfTheAppsDirectMemory() throws Exception {
        // an app may cap it (-XX:MaxDirectMemorySize, as Netty's users do): the ring is malloc'd
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        long before = direct.getTotalCapacity();
        CookieChannel ch = CookieChannel.open(C, 8 << 20);
        assertTrue(direct.getTotalCapacity() - before < 1 << 20, (direct.getTotalCapacity() - before) + " bytes more");
        ch.close();
        fclose(ch.file());
    }

    @Test
    void onceTheReaderHasGoneWritesFailInsteadOfWaiting() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CookieChannel ch = CookieChannel.open(C, 4096);
            byte[] data = new byte[1 << 20];
            ch.close();
            assertTrue(!ch.isOpen());
            assertTrue(fwrite(ch.file(), data, 0, data.length) < data.length); // would block for ever on a full ring
            assertTrue(C.getFunction("ferror").invokeInt(new Object[] {ch.file()}) != 0, "the stream reports the failure");
            fclose(ch.file());
        });
    }

    @Test
    void aWriterBlockedOnAFullRingIsFreedWhenTheReaderGoes() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CookieChannel ch = CookieChannel.open(C, 4096);
            byte[] data = new byte[64 << 10];
            Thread writer = new Thread(() -> {
                fwrite(ch.file(), data, 0, data.length);
                fflush(ch.file());
            });
            writer.start();
            ByteBuffer some = ByteBuffer.allocate(100);
            while (some.hasRemaining()) {
                ch.read(some); // the writer has begun
            }
            ch.close();
            writer.join();
            fclose(ch.file());
        });
    }
}
