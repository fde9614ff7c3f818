package io.wiretrace.agent.capture;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.wiretrace.analysis.pcap.SavefileWriter;
import java.io.IOException;
import java.lang.ref.Reference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * One interface's capture. libpcap does the per-packet work natively: {@code pcap_loop} calls
 * {@code pcap_dump}, which writes classic pcap into a stdio stream, so no Java runs per packet. The
 * stream is a ring in the JVM ({@link CookieChannel}), or a pipe where the ring cannot be made or
 * {@link #RING_PROPERTY} is false. A reader thread takes it in large reads and hands the records
 * to {@link SavefileWriter}, allocating nothing per packet. Measurements and the reasons for each step:
 * src/docs/capture-internals.md.
 */
final class Source {
    static final int TIMEOUT_MILLIS = 100;
    private static final int PCAP_ERROR_PERM_DENIED = -8;
    private static final int O_RDWR = 2;
    private static final int F_SETPIPE_SZ = 1031;
    /** Rings whose stream libpcap may have left open (see {@link #dumpToRing}): kept for the JVM's life. */
    private static final List<CookieChannel> UNCLOSED = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    /** The ring's size, or the pipe's. */
    private static final int PIPE_BYTES = 1 << 20;
    /**
     * A system property of the app's JVM: false takes the pipe instead of the ring. The ring is the
     * default since most of the late reads of a first request after a start that it showed turned
     * out to be hidden by the pipe, not made by the ring; see capture-internals.md.
     */
    static final String RING_PROPERTY = "wiretrace.capture.ring";
    private static final int READ_BUFFER = 1 << 20;
    /** After a read of less than this, nap, so that both sides make fewer calls and wake-ups. */
    private static final int NAP_BELOW = 256 << 10;
    /**
     * The same for a stream from outside: its FIFO keeps the default 64 KiB (nothing here may
     * enlarge it without JNA), so a read of a quarter of that means the writer is busy.
     */
    private static final int STREAM_NAP_BELOW = 16 << 10;
    private static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long WRITE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int WRITE_AT = 512 << 10;
    /** libpcap's stdio buffer for the pipe; see {@link #largerBuffer}. */
    private static final int STDIO_BYTES = 64 << 10;
    /**
     * For the ring: each write of the buffer is a call from native code into Java, about 20 µs of
     * JNA's own, so fewer and larger ones (a 64 KiB write cost 22 µs and a 256 KiB one 26 µs).
     */
    private static final int RING_STDIO_BYTES = 256 << 10;
    private static final int IOFBF = 0;

    final String iface;
    final int snaplen;
    private final PcapHandle handle;
    private final PcapDumper dumper;
    /** The stdio buffer libpcap writes through (native memory): held until the dumper is closed. */
    private final Memory stdio;
    /** libpcap's stream (a {@link CookieChannel}, or a pipe), or the FIFO of a capture outside. */
    private final ReadableByteChannel pipe;
    private final SavefileWriter files;
    private final Capture owner;
    private int id;
    private Thread loop;
    private Thread reader;
    volatile long packets;
    volatile long bytes;
    /** Records that came out of libpcap but could not be written (the capture had ended). */
    volatile long dropped;
    /** The ring's count of bytes written when the flush thread last looked (its alone). */
    private long flushedAt = -1;
    /** libpcap's counters as last read: received, dropped by the kernel, dropped by the interface. */
    private volatile long[] last;
    /** Guards {@link #handleClosed}: no pcap_stats on a closed handle. */
    private final Object statsLock = new Object();
    private boolean handleClosed;
    /** struct pcap_stat (three u_int), read into by {@link Libpcap#pcap_stats}; null: pcap4j's getStats. */
    private final Memory statBuffer;
    private final Pointer pcap;
    /** A stream from a capture outside the JVM: its link type, and its first bytes read already; else null. */
    private final ByteBuffer streamStart;
    private final int streamLinkType;
    /** While the reader waits in read() (the pipe was empty); a stream's stop waits for it. */
    private volatile boolean waiting;
    private volatile boolean ending;
    /**
     * Records stamped before this (ns since the epoch) are not kept; 0 once one after it came.
     * libpcap swaps the filter in by putting a reject-all filter on the socket first, so what
     * arrives in between is lost, and not counted, while what came before is in the ring still:
     * a file would begin with a few packets, a hole, then the rest (tshark: "previous segment
     * not captured"). The capture begins once the filter is in place; a stream from tcpdump, once
     * its file header came. The reader's alone.
     */
    private long from;

    /**
     * A source fed by a capture outside this JVM through the FIFO {@code fifo}: classic pcap, as
     * tcpdump -w - writes it. No libpcap and no JNA here: the FIFO is opened read-write first
     * (which never waits), then read-only; the read-write end is closed once the file header came,
     * or after {@code waitMillis} without it, so that the stream's EOF is the writer's.
     */
    static Source fromStream(String iface, Path fifo, long waitMillis, SavefileWriter files, Capture owner)
            throws Capture.CaptureException {
        FileChannel rw = null;
        FileChannel in = null;
        try {
            rw = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            in = FileChannel.open(fifo, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            FileChannel held = rw;
            Thread guard = Capture.daemon("wiretrace-stream-open", () -> {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(waitMillis));
                closeQuietly(held); // no writer came: the read below sees EOF
            });
            guard.start();
            ByteBuffer buf = readBuffer();
            while (buf.position() < 24) {
                if (in.read(buf) < 0) {
                    throw new IOException("no packets came from the capture outside the JVM within " + waitMillis + " ms");
                }
            }
            // tcpdump swaps its filter in (see from) before it opens its output and writes this
            // header: what it captured before the header came is not kept
            long headerCame = afterNow();
            rw.close();
            guard.interrupt();
            ByteOrder order = magicOrder(buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(0));
            int linkType = buf.duplicate().order(order).getInt(20);
            int snaplen = buf.duplicate().order(order).getInt(16);
            return new Source(iface, snaplen, in, buf, linkType & 0x0FFFFFFF, files, owner, headerCame);
        } catch (IOException | RuntimeException e) {
            closeQuietly(rw);
            closeQuietly(in);
            throw new Capture.CaptureException("cannot read the packets of " + iface + " from " + fifo + ": " + e.getMessage());
        }
    }

    private Source(String iface, int snaplen, FileChannel pipe, ByteBuffer start, int linkType, SavefileWriter files,
            Capture owner, long from) {
        this.from = from;
        this.iface = iface;
        this.snaplen = snaplen;
        this.pipe = pipe;
        this.streamStart = start;
        this.streamLinkType = linkType;
        this.files = files;
        this.owner = owner;
        this.handle = null;
        this.dumper = null;
        this.stdio = null;
        this.statBuffer = null;
        this.pcap = null;
    }

    /**
     * Now, in ns since the epoch, as the kernel stamps packets (CLOCK_REALTIME), plus the
     * microsecond an Instant of microseconds (JDK 11) may lack.
     */
    private static long afterNow() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() + 1_000;
    }

    /** Whether the packets come from a capture outside the JVM (tcpdump's counters are then its own). */
    boolean outside() {
        return handle == null;
    }

    /** The byte order of a pcap file whose first four bytes, read little-endian, are {@code magic}. */
    private static ByteOrder magicOrder(int magic) throws IOException {
        if (magic == 0xa1b23c4d || magic == 0xa1b2c3d4) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        if (Integer.reverseBytes(magic) == 0xa1b23c4d || Integer.reverseBytes(magic) == 0xa1b2c3d4) {
            return ByteOrder.BIG_ENDIAN;
        }
        throw new IOException(String.format("the capture pipe is not pcap: magic 0x%08x", magic));
    }

    private static void closeQuietly(ReadableByteChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing a FIFO end does not fail
            }
        }
    }

    Source(String iface, int snaplen, int bufferBytes, String filter, Path fifoDir, SavefileWriter files, Capture owner)
            throws Capture.CaptureException {
        this.streamStart = null;
        this.streamLinkType = 0;
        this.iface = iface;
        this.snaplen = snaplen;
        this.files = files;
        this.owner = owner;
        try {
            handle = new PcapHandle.Builder(iface)
                    .snaplen(snaplen)
                    .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                    .timeoutMillis(TIMEOUT_MILLIS)
                    .bufferSize(bufferBytes)
                    .timestampPrecision(PcapHandle.TimestampPrecision.NANO)
                    .build();
        } catch (PcapNativeException e) {
            String m = String.valueOf(e.getMessage());
            if (Integer.valueOf(PCAP_ERROR_PERM_DENIED).equals(e.getReturnCode()) || m.contains("permission")
                    || m.contains("not permitted")) {
                throw Capture.CaptureException.denied("cannot open interface " + iface + ": " + m);
            }
            throw new Capture.CaptureException("cannot open interface " + iface + ": " + m);
        }
        PcapDumper d = null;
        Memory buffer = null;
        ReadableByteChannel in = null;
        try {
            if (!filter.isEmpty()) {
                try {
                    handle.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN);
                } catch (PcapNativeException e) {
                    throw new Capture.CaptureException("invalid filter '" + filter + "': " + libpcapError(e), true);
                }
                from = afterNow();
            }
            NativeLibrary c = NativeLibrary.getInstance("c");
            try {
                LoopbackCopies.attach(pcapLibrary(), c, pointer(handle), iface);
            } catch (RuntimeException | LinkageError e) {
                // libpcap's filter stays: each loopback packet is copied twice, as for tcpdump
            }
            Pointer p = !"false".equals(System.getProperty(RING_PROPERTY)) ? pointer(handle) : null;
            Dump opened = p != null ? dumpToRing(p, c) : null;
            if (opened == null) {
                opened = dumpToPipe(fifoDir, c);
            }
            d = opened.dumper;
            in = opened.channel;
            buffer = largerBuffer(c, d, in instanceof CookieChannel ? RING_STDIO_BYTES : STDIO_BYTES);
        } catch (Capture.CaptureException e) {
            close(d, in);
            Reference.reachabilityFence(buffer); // libpcap's fclose wrote through it
            throw e;
        } catch (Exception e) {
            close(d, in);
            Reference.reachabilityFence(buffer);
            throw new Capture.CaptureException("cannot set up the capture on " + iface + ": " + e);
        }
        dumper = d;
        stdio = buffer;
        pipe = in;
        pcap = Libpcap.READY ? pointer(handle) : null;
        statBuffer = pcap != null ? new Memory(16) : null;
    }

    /**
     * libpcap's dump into a {@link CookieChannel}, or null where it cannot be
     * made (no fopencookie, a pcap4j without the constructor used): the caller takes a pipe.
     */
    private Dump dumpToRing(Pointer pcapT, NativeLibrary c) {
        CookieChannel ring;
        try {
            ring = CookieChannel.open(c, PIPE_BYTES);
        } catch (IOException e) {
            return null;
        }
        Pointer dumper = null;
        try {
            dumper = pcapLibrary().getFunction("pcap_dump_fopen").invokePointer(new Object[] {pcapT, ring.file()});
            if (dumper == null) {
                // libpcap closed the stream if it could not write the header; else the stream stays
                // open, unused: its callbacks must outlive it (the C library flushes it at exit)
                UNCLOSED.add(ring);
                return null;
            }
            Constructor<PcapDumper> k =
                    PcapDumper.class.getDeclaredConstructor(Pointer.class, PcapHandle.TimestampPrecision.class);
            k.setAccessible(true);
            return new Dump(k.newInstance(dumper, PcapHandle.TimestampPrecision.NANO), ring);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            try {
                if (dumper != null) {
                    pcapLibrary().getFunction("pcap_dump_close").invoke(new Object[] {dumper});
                } else {
                    c.getFunction("fclose").invokeInt(new Object[] {ring.file()});
                }
            } catch (RuntimeException | LinkageError ignored) {
                // the stream is lost; the pipe is taken instead
            } finally {
                Reference.reachabilityFence(ring); // its callbacks run inside fclose
            }
            return null;
        }
    }

    /** libpcap's dump into a pipe (a FIFO in {@code fifoDir}, removed at once). */
    private Dump dumpToPipe(Path fifoDir, NativeLibrary c) throws Exception {
        Path fifo = fifoDir.resolve("pcap-" + Thread.currentThread().getId() + "-" + System.nanoTime());
        if (c.getFunction("mkfifo").invokeInt(new Object[] {fifo.toString(), 0600}) != 0) {
            throw new IOException("mkfifo " + fifo + ": errno " + Native.getLastError());
        }
        PcapDumper d = null;
        try {
            // Opening a FIFO blocks until the other end opens: libpcap's fopen("w") would wait
            // for a reader, our open for reading for a writer. An O_RDWR open never blocks on
            // Linux, so hold one while both ends open, then drop it, so that EOF comes when
            // libpcap closes its end. It also enlarges the pipe (the size is the pipe's).
            int rw = c.getFunction("open").invokeInt(new Object[] {fifo.toString(), O_RDWR});
            if (rw < 0) {
                throw new IOException("open " + fifo + ": errno " + Native.getLastError());
            }
            try {
                c.getFunction("fcntl").invokeInt(new Object[] {rw, F_SETPIPE_SZ, PIPE_BYTES}); // best effort
                d = handle.dumpOpen(fifo.toString());
                return new Dump(d, FileChannel.open(fifo, StandardOpenOption.READ));
            } finally {
                c.getFunction("close").invokeInt(new Object[] {rw});
            }
        } catch (Exception e) {
            if (d != null) {
                d.close();
            }
            throw e;
        } finally {
            Files.deleteIfExists(fifo);
        }
    }

    /**
     * The reader's buffer, malloc'd: a direct ByteBuffer would count against the app's
     * -XX:MaxDirectMemorySize. The buffer keeps its memory (JNA maps one to the other), and so
     * does each duplicate of it.
     */
    private static ByteBuffer readBuffer() {
        return new Memory(READ_BUFFER).getByteBuffer(0, READ_BUFFER);
    }

    /** libpcap, as pcap4j loaded it (its name may be set with pcap4j's own property). */
    private static NativeLibrary pcapLibrary() {
        return NativeLibrary.getInstance(System.getProperty("org.pcap4j.core.pcapLibName", "pcap"));
    }

    /** libpcap's dump and the channel the reader reads what it writes from. */
    private static final class Dump {
        final PcapDumper dumper;
        final ReadableByteChannel channel;

        Dump(PcapDumper dumper, ReadableByteChannel channel) {
            this.dumper = dumper;
            this.channel = channel;
        }
    }

    /** The pcap_t of {@code h} (pcap4j keeps it private), or null. */
    private static Pointer pointer(PcapHandle h) {
        try {
            Field f = PcapHandle.class.getDeclaredField("handle");
            f.setAccessible(true);
            return (Pointer) f.get(h);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * pcap_stats, mapped directly. pcap4j's getStats makes a JNA Structure per call, and the
     * status thread and JFR's periodic task, which call it three times a second, run interpreted
     * for a long time: it took a third of the status thread's CPU.
     */
    private static final class Libpcap {
        static final boolean READY = register();

        static native int pcap_stats(Pointer pcap, Pointer stats);

        private static boolean register() {
            try {
                Native.register(Libpcap.class, pcapLibrary());
                return true;
            } catch (RuntimeException | LinkageError e) {
                return false;
            }
        }
    }

    /**
     * Gives libpcap's stream a stdio buffer of {@code bytes}: into a pipe 64 KiB instead of the
     * 4 KiB stdio picks for one, a write(2), and a wake-up of the reader, per 64 KiB of packets
     * instead of per 4 KiB; into the ring 256 KiB instead of 8 KiB. glibc's setvbuf writes out
     * what is buffered (the file header) before it switches.
     * The flush thread still empties it every 100 ms, so a quiet capture's packets wait no longer
     * than before. Best effort: null, and stdio's own buffer, when it cannot be set.
     */
    private static Memory largerBuffer(NativeLibrary c, PcapDumper d, int bytes) {
        try {
            Field f = PcapDumper.class.getDeclaredField("dumper");
            f.setAccessible(true);
            Pointer dumper = (Pointer) f.get(d);
            Pointer file = pcapLibrary().getFunction("pcap_dump_file").invokePointer(new Object[] {dumper});
            if (file == null) {
                return null;
            }
            Memory buffer = new Memory(bytes);
            int r = c.getFunction("setvbuf").invokeInt(new Object[] {file, buffer, IOFBF, (long) bytes});
            return r == 0 ? buffer : null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Closes a source that was never started. */
    void abort() {
        if (outside()) {
            closeQuietly(pipe);
            return;
        }
        close(dumper, pipe);
    }

    private void close(PcapDumper d, ReadableByteChannel in) {
        if (d != null) {
            d.close();
        }
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing was read from it
            }
        }
        closingHandle();
        handle.close();
    }

    /**
     * Compiles {@code filter} on a handle that captures nothing (no privilege needed), so that a
     * session without packets still refuses a malformed filter. Skipped if libpcap cannot be loaded.
     */
    static void checkFilter(String filter, List<String> interfaces, int snaplen) throws Capture.CaptureException {
        if (filter.isEmpty()) {
            return;
        }
        for (String iface : interfaces) {
            DataLinkType link = iface.equals("any") ? DataLinkType.LINUX_SLL : DataLinkType.EN10MB;
            PcapHandle dead = null;
            try {
                dead = Pcaps.openDead(link, snaplen);
                dead.compileFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN).free();
            } catch (PcapNativeException e) {
                throw new Capture.CaptureException("invalid filter '" + filter + "': " + libpcapError(e), true);
            } catch (Exception | LinkageError e) {
                return; // libpcap is not usable here: nothing will be captured with the filter anyway
            } finally {
                if (dead != null) {
                    dead.close();
                }
            }
        }
    }

    static String libpcapError(PcapNativeException e) {
        String m = String.valueOf(e.getMessage());
        // pcap4j wraps libpcap's text as "<text> <filter>" or "Error occurred in pcap_compile: <text>"
        int i = m.indexOf("pcap_compile:");
        return i >= 0 ? m.substring(i + "pcap_compile:".length()).trim() : m;
    }

    int id() {
        return id;
    }

    int linkType() {
        return outside() ? streamLinkType : handle.getDlt().value();
    }

    void start(int id) {
        this.id = id;
        reader = Capture.daemon("wiretrace-read-" + iface, this::read);
        reader.start();
        if (!outside()) {
            loop = Capture.daemon("wiretrace-pcap-" + iface, this::loop);
            loop.start();
        }
    }

    /** Ends pcap_loop, traffic or not (libpcap 1.10 wakes it through an eventfd). */
    void breakLoop() {
        if (outside()) {
            endStream();
            return;
        }
        try {
            handle.breakLoop();
        } catch (Exception ignored) {
            // closed already: the loop has ended
        }
    }

    /**
     * Ends the reading of a stream: once the reader waits on an empty pipe (what the capture
     * outside wrote until now is read), or after a second, its end of the FIFO is closed.
     */
    private void endStream() {
        ending = true;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (!waiting && reader != null && reader.isAlive() && System.nanoTime() < end) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        closeQuietly(pipe);
    }

    /** Waits for both threads after breakLoop(); true if they ended. */
    boolean join(long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : new Thread[] {loop, reader}) {
            if (t != null) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            }
        }
        return (loop == null || !loop.isAlive()) && (reader == null || !reader.isAlive());
    }

    /** fflush of libpcap's stdio buffer, so that a quiet capture's last packets reach the pipe. */
    void flush() {
        if (outside()) {
            return;
        }
        if (pipe instanceof CookieChannel) {
            // A buffer that filled and went out since the last tick holds only what came after
            // that: under 100 ms old now, under 200 ms at the next tick. Busy captures skip the
            // call and the partial write; a quiet one is flushed every tick.
            long w = ((CookieChannel) pipe).written();
            if (w != flushedAt) {
                flushedAt = w;
                return;
            }
        }
        try {
            dumper.flush();
        } catch (Exception ignored) {
            // closed by the loop thread at its end; a failed write shows at the reader
        }
        if (pipe instanceof CookieChannel) {
            flushedAt = ((CookieChannel) pipe).written();
        }
    }

    /**
     * libpcap's counters (received, dropped by the kernel, dropped by the interface); the last ones
     * read once the handle is closed, null before any read or for a capture outside.
     */
    long[] stats() {
        if (outside()) {
            return null;
        }
        synchronized (statsLock) {
            if (handleClosed) {
                return last;
            }
            try {
                if (statBuffer != null) {
                    if (Libpcap.pcap_stats(pcap, statBuffer) == 0) {
                        last = new long[] {u32(statBuffer.getInt(0)), u32(statBuffer.getInt(4)), u32(statBuffer.getInt(8))};
                    }
                } else {
                    PcapStat p = handle.getStats();
                    last = new long[] {p.getNumPacketsReceived(), p.getNumPacketsDropped(), p.getNumPacketsDroppedByIf()};
                }
            } catch (Exception | LinkageError ignored) {
                // keep the counters read before
            }
        }
        return last;
    }

    private static long u32(int v) {
        return v & 0xFFFFFFFFL;
    }

    /** The handle is about to close: counters are read no more. */
    private void closingHandle() {
        synchronized (statsLock) {
            handleClosed = true;
        }
    }

    private void loop() {
        try {
            handle.loop(-1, dumper);
        } catch (InterruptedException e) {
            // pcap_loop returned PCAP_ERROR_BREAK: breakLoop()
        } catch (Throwable t) {
            owner.halt("capture on " + iface + " failed: " + t);
        } finally {
            stats();
            closingHandle();
            // Only now, with the loop returned: pcap4j lets a running pcap_loop use a closed
            // dumper, and handle.close() would wait for the loop's lock. fclose writes the last
            // bytes and closes the stream's write end, so the reader reaches EOF.
            dumper.close();
            handle.close();
        }
    }

    /** Hands the whole records in {@code [p, lim)} to the files and the packet sink; returns where the rest starts. */
    private int records(ByteBuffer buf, ByteBuffer view, int p, int lim, boolean nano, PacketSink corr, int linkType)
            throws IOException {
        while (lim - p >= 16) {
            int incl = included(buf, p);
            int orig = buf.getInt(p + 12);
            if (lim - p - 16 < incl) {
                break;
            }
            long nanos = nanos(buf, p, nano);
            byte[] comment = corr != null ? corr.packet(linkType, buf, p + 16, incl, orig, nanos) : null;
            view.clear();
            view.limit(p + 16 + incl).position(p + 16);
            boolean reserve = corr != null && corr.reserve();
            if (files.packet(id, nanos, view, orig, comment, reserve)) {
                if (reserve) {
                    corr.placed(files.lastReservation());
                }
                packets++;
                bytes += incl;
            } else {
                if (!files.limitReached()) {
                    dropped++;
                }
                owner.halt(files.failure());
            }
            p += 16 + incl;
        }
        return p;
    }

    /**
     * Skips the whole records from {@code p} stamped before {@link #from}, and clears it at the
     * first one after it; returns where the records to keep begin. A method of its own, run only
     * until the first record to keep. As a branch in {@link #records}, taken at the start of a
     * capture and never after, the JIT compiled it as a trap: the JVM's next capture threw the
     * compiled loop away at its first packet, with all it had inlined, and compiled it again
     * (once: the JIT makes no trap where one was hit), 50-150 ms of compiler CPU in bench/capture.
     */
    private int early(ByteBuffer buf, int p, int lim, boolean nano) throws IOException {
        while (lim - p >= 16) {
            int incl = included(buf, p);
            if (lim - p - 16 < incl) {
                break;
            }
            if (nanos(buf, p, nano) >= from) {
                from = 0;
                break;
            }
            p += 16 + incl; // came before the filter was in place: see from
        }
        return p;
    }

    /** The captured length of the record at {@code p}. */
    private static int included(ByteBuffer buf, int p) throws IOException {
        int incl = buf.getInt(p + 8);
        if (incl < 0 || incl > READ_BUFFER - 16) {
            throw new IOException("corrupt record in the capture pipe: length " + incl);
        }
        return incl;
    }

    /** The time stamp of the record at {@code p}, in ns since the epoch. */
    private static long nanos(ByteBuffer buf, int p, boolean nano) {
        long sec = buf.getInt(p) & 0xFFFFFFFFL;
        long frac = buf.getInt(p + 4) & 0xFFFFFFFFL;
        return sec * 1_000_000_000L + (nano ? frac : frac * 1000L);
    }

    private void read() {
        ByteBuffer buf = streamStart != null ? streamStart : readBuffer();
        ByteBuffer view = buf.duplicate(); // a window on one packet's bytes, reused
        try {
            while (buf.position() < 24) {
                if (pipe.read(buf) < 0) {
                    throw new IOException("the capture pipe ended before its file header");
                }
            }
            int magic = buf.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            if (Integer.reverseBytes(magic) == 0xa1b23c4d || Integer.reverseBytes(magic) == 0xa1b2c3d4) {
                buf.order(ByteOrder.BIG_ENDIAN);
                magic = Integer.reverseBytes(magic);
            }
            if (magic != 0xa1b23c4d && magic != 0xa1b2c3d4) {
                throw new IOException(String.format("the capture pipe is not pcap: magic 0x%08x", magic));
            }
            boolean nano = magic == 0xa1b23c4d;
            Chunks chunks = new Chunks(buf, view, nano, owner.sink, linkType());
            boolean more = true;
            while (more && from != 0) {
                more = chunks.skipEarly();
            }
            while (more && chunks.next()) {
                // one read of the pipe per call: see Chunks
            }
            if (buf.position() != 0) {
                throw new IOException("the capture pipe ended inside a record");
            }
        } catch (java.nio.channels.AsynchronousCloseException e) {
            // a stream's stop: what had come was read
        } catch (Throwable t) {
            owner.halt("reading the capture of " + iface + " failed: " + t);
        } finally {
            try {
                // If this thread ends early, libpcap's next write fails (the ring's at once, a
                // pipe's with EPIPE) rather than blocking when full; the JVM ignores SIGPIPE.
                pipe.close();
            } catch (IOException ignored) {
                // closing a read end does not fail
            }
        }
    }

    /**
     * The reader's loop body, one chunk of the pipe per {@link #next} call. A method of its own so
     * that the JIT compiles it after a few hundred reads: as the body of the loop in {@link #read},
     * it ran interpreted until an on-stack replacement, tens of thousands of reads (minutes) later.
     */
    private final class Chunks {
        private final ByteBuffer buf;
        private final ByteBuffer view;
        private final boolean nano;
        private final PacketSink corr;
        private final int linkType;
        private int p = 24;
        private int got;

        Chunks(ByteBuffer buf, ByteBuffer view, boolean nano, PacketSink corr, int linkType) {
            this.buf = buf;
            this.view = view;
            this.nano = nano;
            this.corr = corr;
            this.linkType = linkType;
        }

        /** Hands over the whole records read so far, then reads more; false at the pipe's end. */
        boolean next() throws IOException {
            int lim = buf.position();
            if (corr != null) {
                synchronized (corr.lock()) { // a chunk at a time: the lock is taken once per read
                    p = records(buf, view, p, lim, nano, corr, linkType);
                }
            } else {
                p = records(buf, view, p, lim, nano, null, linkType);
            }
            if (files.buffered() >= WRITE_AT) {
                files.flushIfOlder(0);
            } else {
                files.flushIfOlder(WRITE_AFTER_NANOS);
            }
            return refill(lim);
        }

        /** Drops the records that came before {@link #from}, reading more while all did; false at the pipe's end. */
        boolean skipEarly() throws IOException {
            int lim = buf.position();
            p = early(buf, p, lim, nano);
            return from == 0 || refill(lim);
        }

        /** Keeps the partial record at {@code p}, if any, and reads more after it; false at the pipe's end. */
        private boolean refill(int lim) throws IOException {
            buf.limit(lim).position(p);
            buf.compact(); // the partial record, if any, to the front
            p = 0;
            if (got < 0) {
                if (outside() && !ending) {
                    owner.halt("the capture outside the JVM ended (stop prints what it said)");
                }
                return false; // EOF: libpcap closed the dump, and all it wrote has been read
            }
            if (got < (outside() ? STREAM_NAP_BELOW : NAP_BELOW)) {
                // Little was waiting: let the pipe fill a while. libpcap blocks only when it
                // is full, and then the kernel's ring holds the packets.
                LockSupport.parkNanos(NAP_NANOS);
            }
            waiting = true;
            got = pipe.read(buf);
            waiting = false;
            return true;
        }
    }
}
