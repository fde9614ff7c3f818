import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;

/**
 * Design A (and A'): libpcap writes, Java reads in bulk.
 *
 * <ul>
 *   <li>thread "dump-loop": {@code handle.loop(-1, dumper)}: libpcap's own pcap_loop calls its own
 *       pcap_dump for every packet (two fwrite()s into the dumper's stdio buffer); no Java runs per
 *       packet. It returns (pcap4j throws InterruptedException) after {@code handle.breakLoop()}.
 *   <li>thread "dump-flush": {@code dumper.flush()} (pcap_dump_flush = fflush) every 200 ms, so
 *       that a quiet capture's last packets do not sit in the 4 KiB stdio buffer.
 *   <li>thread "dump-read": reads what libpcap wrote in big chunks (1 MiB buffer), parses the
 *       classic pcap records and appends pcapng EPBs through {@link PcapngOut}; it allocates
 *       nothing per packet.
 * </ul>
 *
 * <p>{@code FIFO} (A): libpcap writes into a named pipe (mkfifo 0600 in a fresh 0700 directory,
 * unlinked as soon as both ends are open). {@code FILE} (A'): libpcap writes a regular temporary
 * file (unlinked once open) that the reader tails, polling every 50 ms at its end.
 */
final class DumpCapture extends CaptureBase {
    enum Kind { FIFO, FILE }

    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int mkfifo(String path, int mode);

        int open(String path, int flags);

        int fcntl(int fd, int cmd, int arg);

        int close(int fd);
    }

    static final int O_RDWR = 2;
    static final int F_SETPIPE_SZ = 1031;
    static final int F_GETPIPE_SZ = 1032;
    /** FIFO capacity to ask for (0: leave the default 64 KiB); /proc/sys/fs/pipe-max-size caps it. */
    static final int PIPE_BYTES = Integer.getInteger("bench.pipeBytes", 1 << 20);
    /** After a read of less than NAP_BELOW bytes the reader sleeps this long, so that it reads in big batches. */
    static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(Long.getLong("bench.napMs", 10));
    static final int NAP_BELOW = 256 << 10;
    /** Direct buffers on both sides save ~30 ns/packet of copies to and from the JDK's temporary direct buffers. */
    static final boolean DIRECT = Boolean.parseBoolean(System.getProperty("bench.direct", "true"));
    /** Experiment only: parse but do not write the pcapng, to see what reading alone costs. */
    static final boolean DISCARD = Boolean.getBoolean("bench.discard");

    static final long FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(Long.getLong("bench.flushMs", 200));
    static final int READ_BUFFER = 1 << 20;
    static final int WRITE_AT = 512 << 10;
    static final long WRITE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long TAIL_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /**
     * Test hook: the reader of the next capture stalls for stallMs once after stallAt packets, as
     * in a long GC pause or a disk stall (the native pcap_loop thread goes on meanwhile).
     */
    static volatile long stallAt = Long.getLong("bench.stallReaderAt", -1);
    static volatile long stallMs = Long.getLong("bench.stallReaderMs", 0);
    /** Test hook: the reader throws after this many packets (to see what the loop does then). */
    static final long FAIL_AFTER = Long.getLong("bench.failReaderAfter", -1);

    final Kind kind;
    final PcapDumper dumper;
    private FileChannel in; // set once, by openDump() in the constructor
    private final PcapngOut out;
    private final Thread loopThread;
    private final Thread flushThread;
    private final Thread readThread;
    private volatile boolean stopFlushing;
    private volatile boolean writerClosed;
    private volatile long maxLag = -1;
    /** When the reader last wrote its output buffer to the file; guarded by {@code out}. */
    private long lastWrite = System.nanoTime();
    /** Capture timestamp (epoch ns) of the oldest packet not yet handed to the file, -1 if none; guarded by {@code out}. */
    private long oldestUnwritten = -1;
    /** The dump's magic number as read (0xa1b23c4d: nanosecond timestamps). */
    volatile int magic;
    volatile long flushes;
    int pipeBytes = -1;
    /** How long pcap_loop took to return after handle.breakLoop(), in µs. */
    volatile long breakMicros = -1;
    volatile long reads;

    DumpCapture(String iface, String filter, Path file, Kind kind) throws Exception {
        super(iface, filter, file);
        this.kind = kind;
        try {
            dumper = openDump();
        } catch (Exception | Error e) {
            handle.close();
            throw e;
        }
        try {
            out = new PcapngOut(file, "wiretrace-bench " + (kind == Kind.FIFO ? "A" : "A'"), 1 << 20, DIRECT);
        } catch (IOException e) {
            dumper.close();
            in.close();
            handle.close();
            throw e;
        }
        loopThread = thread("dump-loop", this::loop);
        flushThread = thread("dump-flush", this::flushLoop);
        readThread = thread("dump-read", this::read);
    }

    /** Creates the FIFO (or file), has libpcap open it for writing and opens it for reading (sets in). */
    private PcapDumper openDump() throws Exception {
        PcapDumper d;
        Path dir = Files.createTempDirectory("wiretrace-dump-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path path = dir.resolve(kind == Kind.FIFO ? "capture.fifo" : "capture.pcap");
        try {
            if (kind == Kind.FIFO) {
                if (LibC.INSTANCE.mkfifo(path.toString(), 0600) != 0) {
                    throw new IOException("mkfifo " + path + ": errno " + Native.getLastError());
                }
                // Opening a FIFO blocks until the other end is opened too: libpcap's fopen("w")
                // would hang with no reader, and our open for reading would hang with no writer.
                // Linux never blocks an O_RDWR open of a FIFO, so hold one while libpcap opens its
                // write end, then open the read end (a writer exists now) and drop the O_RDWR fd,
                // so that EOF comes when libpcap closes its end.
                // The O_RDWR fd is opened through libc so that it can also enlarge the pipe
                // (F_SETPIPE_SZ; the size belongs to the pipe, not to the fd).
                int rw = LibC.INSTANCE.open(path.toString(), O_RDWR);
                if (rw < 0) {
                    throw new IOException("open " + path + ": errno " + Native.getLastError());
                }
                try {
                    if (PIPE_BYTES > 0) {
                        LibC.INSTANCE.fcntl(rw, F_SETPIPE_SZ, PIPE_BYTES); // best effort
                    }
                    pipeBytes = LibC.INSTANCE.fcntl(rw, F_GETPIPE_SZ, 0);
                    d = handle.dumpOpen(path.toString());
                    try {
                        in = FileChannel.open(path, StandardOpenOption.READ);
                    } catch (IOException e) {
                        d.close();
                        throw e;
                    }
                } finally {
                    LibC.INSTANCE.close(rw);
                }
            } else {
                d = handle.dumpOpen(path.toString());
                try {
                    in = FileChannel.open(path, StandardOpenOption.READ);
                } catch (IOException e) {
                    d.close();
                    throw e;
                }
            }
        } finally {
            // Both ends are open (or it failed): the names are not needed any more.
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
        return d;
    }

    @Override
    void start() {
        readThread.start();
        loopThread.start();
        flushThread.start();
    }

    private void loop() {
        try {
            handle.loop(-1, dumper);
        } catch (InterruptedException e) {
            // pcap_loop returned PCAP_ERROR_BREAK: handle.breakLoop() from stop()
        } catch (Throwable t) {
            fail(this, t);
        }
    }

    private void flushLoop() {
        while (!stopFlushing) {
            LockSupport.parkNanos(FLUSH_NANOS);
            if (stopFlushing) {
                break;
            }
            try {
                dumper.flush();
                flushes++;
                // The reader blocks in read() while the pipe is empty; write out what it parsed
                // before, so that a capture that goes quiet is on disk within ~0.5 s.
                synchronized (out) {
                    if (out.buffered() > 0 && System.nanoTime() - lastWrite >= WRITE_NANOS) {
                        writeOut();
                    }
                }
            } catch (NotOpenException e) {
                break;
            } catch (Throwable t) {
                fail(this, t); // e.g. EPIPE: the reader is gone
                break;
            }
        }
    }

    private void read() {
        ByteBuffer buf = DIRECT ? ByteBuffer.allocateDirect(READ_BUFFER) : ByteBuffer.allocate(READ_BUFFER);
        byte[] a = DIRECT ? null : buf.array();
        ByteBuffer view = buf.duplicate(); // DIRECT: a window on one packet's bytes, reused
        long n = 0;
        long b = 0;
        final long stallAt = DumpCapture.stallAt;
        final long stallMs = DumpCapture.stallMs;
        try {
            // the 24-byte file header
            // (A': libpcap's stdio has not necessarily written even the header yet)
            while (buf.position() < 24) {
                boolean closed = writerClosed;
                if (fill(buf) < 0) {
                    if (kind == Kind.FIFO || closed) {
                        throw new IOException("end of the dump before its file header (" + buf.position() + " bytes)");
                    }
                    LockSupport.parkNanos(TAIL_POLL_NANOS);
                }
            }
            int magic = buf.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            boolean nano;
            if (magic == 0xa1b23c4d || magic == 0xa1b2c3d4) {
                buf.order(ByteOrder.LITTLE_ENDIAN);
            } else if (Integer.reverseBytes(magic) == 0xa1b23c4d || Integer.reverseBytes(magic) == 0xa1b2c3d4) {
                buf.order(ByteOrder.BIG_ENDIAN);
                magic = Integer.reverseBytes(magic);
            } else {
                throw new IOException(String.format("not a pcap stream: magic 0x%08x", magic));
            }
            nano = magic == 0xa1b23c4d;
            this.magic = magic;
            int snaplen = buf.getInt(16);
            int linktype = buf.getInt(20) & 0x03FFFFFF; // the upper bits may carry FCS information
            synchronized (out) { // the flush thread may write the buffer out meanwhile
                out.addInterface(linktype, snaplen, iface);
            }
            int p = 24;
            int got = buf.position();
            boolean closedBefore = false;
            while (true) {
                int lim = buf.position();
                synchronized (out) {
                    while (lim - p >= 16) {
                        long sec = buf.getInt(p) & 0xFFFFFFFFL;
                        long frac = buf.getInt(p + 4) & 0xFFFFFFFFL;
                        int incl = buf.getInt(p + 8);
                        int orig = buf.getInt(p + 12);
                        if (incl < 0 || incl > snaplen || incl > READ_BUFFER - 16) {
                            throw new IOException("corrupt record after " + n + " packets: incl_len " + incl);
                        }
                        if (lim - p - 16 < incl) {
                            break;
                        }
                        long nanos = sec * 1_000_000_000L + (nano ? frac : frac * 1000L);
                        if (DISCARD) {
                            // experiment: reading and parsing only
                        } else if (DIRECT) {
                            view.clear();
                            view.limit(p + 16 + incl).position(p + 16);
                            out.packet(0, nanos, view, orig);
                        } else {
                            out.packet(0, nanos, a, p + 16, incl, orig);
                        }
                        if (oldestUnwritten < 0) {
                            oldestUnwritten = nanos;
                        }
                        p += 16 + incl;
                        n++;
                        b += incl;
                        if (n == stallAt) {
                            Thread.sleep(stallMs);
                        }
                        if (n == FAIL_AFTER) {
                            throw new IOException("test: reader fails after " + n + " packets");
                        }
                    }
                    if (out.buffered() >= WRITE_AT
                            || (out.buffered() > 0 && (got < 0 || System.nanoTime() - lastWrite >= WRITE_NANOS))) {
                        writeOut();
                    }
                }
                // move the partial record, if any, to the front
                if (p > 0) {
                    if (DIRECT) {
                        buf.limit(lim).position(p);
                        buf.compact();
                    } else {
                        System.arraycopy(a, p, a, 0, lim - p);
                        buf.position(lim - p);
                    }
                    p = 0;
                }
                packets = n;
                bytes = b;
                if (got < 0) {
                    if (kind == Kind.FIFO || closedBefore) {
                        break; // EOF after libpcap closed the dump: everything it wrote has been read
                    }
                    LockSupport.parkNanos(TAIL_POLL_NANOS); // A': at the end of what libpcap wrote so far
                }
                if (kind == Kind.FIFO && got >= 0 && got < NAP_BELOW && NAP_NANOS > 0) {
                    // Little was waiting: let the pipe fill up a while, so that both sides make
                    // fewer system calls and wakeups. libpcap blocks only if the pipe gets full;
                    // then the kernel's ring holds the packets meanwhile.
                    LockSupport.parkNanos(NAP_NANOS);
                }
                // Read the flag before read(): if it was already set, that read sees all libpcap wrote.
                closedBefore = writerClosed;
                got = fill(buf);
            }
            if (buf.position() != 0) {
                throw new IOException("the dump ends inside a record (" + buf.position() + " bytes left)");
            }
        } catch (Throwable t) {
            fail(this, t);
        } finally {
            packets = n;
            bytes = b;
            synchronized (out) {
                try {
                    out.close();
                } catch (IOException e) {
                    fail(this, e);
                }
            }
            try {
                in.close(); // if we fail early, libpcap's writes now get EPIPE instead of blocking
            } catch (IOException e) {
                fail(this, e);
            }
        }
    }

    /** Hands the pcapng buffer to the file and tracks how old its oldest packet was; holds out's lock. */
    private void writeOut() throws IOException {
        out.flush();
        lastWrite = System.nanoTime();
        if (oldestUnwritten >= 0) {
            long age = System.currentTimeMillis() * 1_000_000L - oldestUnwritten;
            if (age > maxLag) {
                maxLag = age;
            }
            oldestUnwritten = -1;
        }
    }

    /** One read() into the free part of buf; -1 at EOF. */
    private int fill(ByteBuffer buf) throws IOException {
        if (!buf.hasRemaining()) {
            throw new IOException("read buffer full");
        }
        int got = in.read(buf);
        reads++;
        return got;
    }

    @Override
    void stop() throws Exception {
        // As the agent does: give the kernel one block timeout to hand over its last packets.
        Thread.sleep(2L * TIMEOUT_MILLIS + 50);
        long t0 = System.nanoTime();
        handle.breakLoop(); // wakes pcap_loop even without traffic (libpcap 1.10: eventfd)
        loopThread.join(2000);
        breakMicros = (System.nanoTime() - t0) / 1000;
        if (loopThread.isAlive()) {
            throw new IllegalStateException("pcap_loop did not return within 2 s of breakLoop()");
        }
        stopFlushing = true;
        LockSupport.unpark(flushThread);
        flushThread.join(2000);
        // pcap_dump_close = fclose: writes what stdio still buffers, closes the write end; the
        // reader then drains the rest and sees EOF. Only after the loop has returned: pcap4j does
        // not stop a running pcap_loop from using a closed dumper.
        dumper.close();
        writerClosed = true;
        readThread.join(10_000);
        if (readThread.isAlive()) {
            throw new IllegalStateException("the reader did not reach EOF within 10 s of dumper.close()");
        }
    }

    @Override
    long maxLagNanos() {
        return maxLag;
    }
}
