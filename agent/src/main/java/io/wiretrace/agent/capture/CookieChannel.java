package io.wiretrace.agent.capture;

import com.sun.jna.Callback;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * libpcap's stream to the reader without a pipe: a stdio stream made with glibc's
 * {@code fopencookie}, whose writes (one per stdio buffer, on the thread that fills or flushes
 * it) copy into a ring in the JVM, which the reader reads as a channel. A pipe cost a write(2) and
 * a read(2) per buffer, the kernel's two copies and a page allocated per 4 KiB written (in a load
 * bench's profile, 17 % of the two capture threads' CPU); this costs two memory copies and a call
 * from native code into Java per buffer.
 *
 * <p>As with the pipe: a full ring blocks the writer (libpcap's thread, and then the kernel's ring
 * holds the packets); a read blocks until bytes came or the writer closed; once the reader has
 * closed its end, writes fail at once. stdio calls the write of one stream from one thread at a
 * time (its lock), and there is one reader.
 */
final class CookieChannel implements ReadableByteChannel {
    /** Longest a writer waiting for room sleeps before it looks again, should a wake-up go astray. */
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * The same for the reader of an empty ring. The writer wakes it after each write (and no
     * wake-up can go astray: each side publishes before it looks at the other's volatile), so this
     * is a safety net only. It is long because a quiet capture waits here for good: at 10 ms, the
     * 100 timed waits a second cost the JVM about 7 ms of CPU a second on a 2-core VM, more than
     * any other of wiretrace's threads while no packet comes.
     */
    private static final long READER_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int capacity;
    /** The ring's memory, freed once the channel is collected. */
    private final Memory memory;
    private final ByteBuffer in; // the writer's view of the ring
    private final ByteBuffer out; // the reader's
    /** Bytes written and read since the start; the ring holds {@code written - read}. */
    private volatile long written;
    private volatile long read;
    private volatile boolean writerClosed;
    private volatile boolean readerClosed;
    private volatile Thread blockedWriter;
    private volatile Thread blockedReader;
    /** The FILE*, and the callbacks it calls (held here: JNA frees a callback that is collected). */
    private Pointer file;
    private final Write writeFn = new Write() {
        @Override
        public long invoke(Pointer cookie, Pointer buf, long size) {
            return write(buf, size);
        }
    };
    private final Close closeFn = new Close() {
        @Override
        public int invoke(Pointer cookie) {
            closeWrite();
            return 0;
        }
    };

    private CookieChannel(int capacity) {
        this.capacity = capacity;
        // malloc'd, not a direct buffer: those count against the app's -XX:MaxDirectMemorySize
        this.memory = new Memory(capacity);
        ByteBuffer ring = memory.getByteBuffer(0, capacity);
        this.in = ring.duplicate();
        this.out = ring.duplicate();
    }

    /** ssize_t write(void *cookie, const char *buf, size_t size) */
    public interface Write extends Callback {
        long invoke(Pointer cookie, Pointer buf, long size);
    }

    /** int close(void *cookie) */
    public interface Close extends Callback {
        int invoke(Pointer cookie);
    }

    /** cookie_io_functions_t, passed by value. */
    @Structure.FieldOrder({"read", "write", "seek", "close"})
    public static final class Functions extends Structure implements Structure.ByValue {
        public Pointer read;
        public Write write;
        public Pointer seek;
        public Close close;
    }

    /**
     * A channel and the write-only stdio stream ({@link #file}) that feeds it.
     *
     * @throws IOException if the C library has no fopencookie, or it failed
     */
    static CookieChannel open(NativeLibrary c, int capacity) throws IOException {
        CookieChannel ch;
        try {
            ch = new CookieChannel(capacity);
        } catch (OutOfMemoryError e) {
            throw new IOException("no memory for the ring: " + e, e);
        }
        try {
            Functions f = new Functions();
            f.write = ch.writeFn;
            f.close = ch.closeFn;
            Pointer file = c.getFunction("fopencookie").invokePointer(new Object[] {Pointer.NULL, "w", f});
            if (file == null) {
                throw new IOException("fopencookie failed");
            }
            ch.file = file;
            return ch;
        } catch (RuntimeException | LinkageError e) {
            throw new IOException("no fopencookie: " + e, e);
        }
    }

    /** Bytes written into the ring since it was made. */
    long written() {
        return written;
    }

    /** The stdio stream (FILE*) that writes into the ring; libpcap's dump closes it. */
    Pointer file() {
        return file;
    }

    /**
     * The stream's write: copies all of {@code buf}, waiting for room; 0 (stdio's "failed") once
     * the reader has gone. Never negative: glibc's stdio takes the count as unsigned (fopencookie(3)),
     * and -1 had it copy past the caller's buffer.
     */
    private long write(Pointer buf, long size) {
        try {
            long done = 0;
            while (done < size) {
                if (readerClosed) {
                    return 0; // stdio marks the stream failed; nothing waits on it
                }
                long free = capacity - (written - read);
                if (free == 0) {
                    blockedWriter = Thread.currentThread();
                    if (capacity - (written - read) == 0 && !readerClosed) {
                        LockSupport.parkNanos(this, PARK_NANOS);
                    }
                    blockedWriter = null;
                    continue;
                }
                int at = (int) (written % capacity);
                int n = (int) Math.min(Math.min(free, size - done), capacity - at);
                in.limit(at + n).position(at);
                in.put(buf.getByteBuffer(done, n));
                written += n; // publishes the bytes
                done += n;
                Thread r = blockedReader;
                if (r != null) {
                    LockSupport.unpark(r);
                }
            }
            return size;
        } catch (Throwable t) {
            return 0; // nothing may be thrown back into native code
        }
    }

    private void closeWrite() {
        writerClosed = true;
        Thread r = blockedReader;
        if (r != null) {
            LockSupport.unpark(r);
        }
    }

    /** Copies what the ring holds into {@code dst}, waiting until it holds something; -1 at the end. */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (readerClosed) {
            throw new java.nio.channels.ClosedChannelException();
        }
        long held;
        while ((held = written - read) == 0) {
            if (writerClosed) {
                if (written - read == 0) {
                    return -1;
                }
                continue;
            }
            blockedReader = Thread.currentThread();
            if (written - read == 0 && !writerClosed) {
                LockSupport.parkNanos(this, READER_PARK_NANOS);
            }
            blockedReader = null;
        }
        int total = 0;
        while (held > 0 && dst.hasRemaining()) {
            int at = (int) (read % capacity);
            int n = (int) Math.min(Math.min(held, dst.remaining()), capacity - at);
            out.limit(at + n).position(at);
            dst.put(out);
            read += n; // frees the room
            held -= n;
            total += n;
        }
        Thread w = blockedWriter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        return total;
    }

    @Override
    public boolean isOpen() {
        return !readerClosed;
    }

    /** The reader's end: the writer's next write fails rather than wait. */
    @Override
    public void close() {
        readerClosed = true;
        Thread w = blockedWriter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }
}
