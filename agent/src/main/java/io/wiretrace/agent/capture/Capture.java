package io.wiretrace.agent.capture;

import io.wiretrace.agent.events.CaptureStatisticsEvent;
import io.wiretrace.analysis.pcap.SavefileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The packet capture: one {@link Source} per interface, all writing into one set of
 * {@link SavefileWriter}, and a thread that keeps the files at most a fraction of a second behind.
 */
public final class Capture {
    static final int MAX_SNAPLEN = 262144;
    /** libpcap's default 2 MiB ring loses packets while Java is paused; see the docs. */
    private static final long FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    public final List<String> interfaces;
    public final int snaplen;
    public final int bufferKiB;
    public final String filter;
    public final SavefileWriter files;
    /** Where the packets come from when a process outside captures them, or null. */
    public final String outside;
    /** How long the first bytes from a capture outside may take. */
    private static final long STREAM_WAIT_MILLIS = 15_000;
    private final List<Source> sources = new ArrayList<>();
    private final AtomicReference<String> halted = new AtomicReference<>();
    private volatile Instant haltedAt;
    private volatile boolean stopping;
    /** The JVM is exiting: stop without waiting for the kernel's last block. */
    private volatile boolean hurry;
    private volatile Thread draining;
    private Thread flusher;
    /** The flusher's wait: made with it, closed by it. */
    private Ticker flushTicks;
    private boolean started;
    /** Where each packet goes on its way to the files (the correlator); null: nowhere. */
    public volatile PacketSink sink;

    public Capture(List<String> requested, int snaplen, int bufferKiB, String filter, SavefileWriter files)
            throws CaptureException {
        this(requested, snaplen, bufferKiB, filter, files, null);
    }

    /**
     * With {@code outside} (a directory holding a FIFO per interface, see StartOptions.packets),
     * the packets come from a capture process outside this JVM, which applied the filter; neither
     * libpcap nor JNA is touched here.
     */
    public Capture(List<String> requested, int snaplen, int bufferKiB, String filter, SavefileWriter files, String outside)
            throws CaptureException {
        this.snaplen = snaplen <= 0 || snaplen > MAX_SNAPLEN ? MAX_SNAPLEN : snaplen;
        this.bufferKiB = bufferKiB;
        this.filter = filter == null ? "" : filter.trim();
        this.files = files;
        this.outside = outside;
        if (outside != null) {
            this.interfaces = List.copyOf(requested);
            try {
                for (int i = 0; i < requested.size(); i++) {
                    Source s = Source.fromStream(requested.get(i), Paths.get(outside, String.valueOf(i)), STREAM_WAIT_MILLIS,
                            files, this);
                    sources.add(s);
                    files.addInterface(s.linkType(), s.snaplen, s.iface);
                }
                files.open(Instant.now().getEpochSecond());
                return;
            } catch (CaptureException e) {
                abort();
                throw e;
            } catch (Exception e) {
                abort();
                throw new CaptureException((files.current() != null ? "cannot write " + files.current()
                        : "cannot set up the capture") + ": " + e.getMessage());
            }
        }
        List<Interfaces.Nif> all = Interfaces.list();
        List<String> names = new ArrayList<>();
        for (String r : requested) {
            String name = Interfaces.resolve(r.trim(), all);
            if (names.contains(name)) {
                throw new CaptureException("interface " + name + " is given twice", true);
            }
            names.add(name);
        }
        this.interfaces = names;
        Path fifoDir = null;
        try {
            // The pipes libpcap writes into are named only until both ends are open.
            fifoDir = Files.createTempDirectory("wiretrace-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            for (String name : names) {
                Source s = new Source(name, this.snaplen, bufferKiB * 1024, this.filter, fifoDir, files, this);
                sources.add(s);
                files.addInterface(s.linkType(), this.snaplen, name);
            }
            files.open(Instant.now().getEpochSecond());
        } catch (CaptureException e) {
            abort();
            if (e.unavailable) {
                Source.checkFilter(this.filter, names, this.snaplen); // a bad filter is still a usage error
            }
            throw e;
        } catch (IllegalArgumentException e) {
            abort();
            throw e;
        } catch (LinkageError e) { // pcap4j's or JNA's native part
            abort();
            throw CaptureException.noLibpcap(e);
        } catch (Exception e) {
            abort();
            throw new CaptureException((files.current() != null ? "cannot write " + files.current()
                    : "cannot set up the capture") + ": " + e.getMessage());
        } finally {
            if (fifoDir != null) {
                try {
                    Files.deleteIfExists(fifoDir);
                } catch (IOException ignored) {
                    // a leftover empty 0700 directory in the temp dir
                }
            }
        }
    }

    public static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public void start() {
        started = true;
        for (int i = 0; i < sources.size(); i++) {
            sources.get(i).start(i);
        }
        flushTicks = new Ticker();
        flusher = daemon("wiretrace-flush", this::flushLoop);
        flusher.start();
    }

    private void flushLoop() {
        try {
            while (!stopping && halted.get() == null) {
                flushTicks.await(FLUSH_NANOS);
                for (Source s : sources) {
                    s.flush();
                }
                // The readers block while their pipes are empty: write out what they left behind.
                files.flushIfOlder(Source.WRITE_AFTER_NANOS);
            }
        } finally {
            flushTicks.close();
        }
    }

    /**
     * Ends the capture by itself (a write error, the -W limit): the loops break, the readers
     * drain their pipes, the files stay as written. Cheap and idempotent: readers call it per record.
     */
    void halt(String reason) {
        if (halted.get() == null && halted.compareAndSet(null, reason != null ? reason : "the capture ended")) {
            haltedAt = Instant.now();
            for (Source s : sources) {
                s.breakLoop();
            }
        }
    }

    /** Why and when the capture ended before stop, or null while it runs. */
    public String halted() {
        String why = halted.get();
        return why == null ? null : "stopped at " + haltedAt + ": " + why;
    }

    /** Closes the sources of a capture that never started. */
    private void abort() {
        for (Source s : sources) {
            try {
                s.abort();
            } catch (RuntimeException | LinkageError e) {
                // nothing was captured on it
            }
        }
    }

    /** The JVM is exiting: a stop under way, or to come, does not wait for the kernel's last packets. */
    public void hurry() {
        hurry = true;
        Thread t = draining;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Stops the threads, closes the handles and the files; returns the final statistics. */
    public Stats stop() {
        if (!started) {
            abort();
            files.close();
            return stats();
        }
        if (halted.get() == null) {
            // Packets the kernel holds in a block it has not handed over yet arrive within the
            // read timeout; wait for them, so that the last packets (a connection's FINs) are
            // kept, unless the app is exiting meanwhile (hurry)
            draining = Thread.currentThread();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2L * Source.TIMEOUT_MILLIS + 50);
            for (long left; !hurry && (left = end - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(left);
            }
            draining = null;
        }
        for (Source s : sources) {
            s.breakLoop();
        }
        String stuck = null;
        for (Source s : sources) {
            try {
                if (!s.join(10_000)) {
                    stuck = s.iface;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopping = true;
        if (flusher != null) {
            flushTicks.wake();
            try {
                flusher.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        files.close();
        Stats st = stats();
        return stuck == null ? st : st.withNote("warning: the capture thread of " + stuck + " did not end");
    }

    public Stats stats() {
        Stats total = new Stats("all");
        total.outside = outside != null;
        List<Stats> each = new ArrayList<>();
        for (Source s : sources) {
            Stats one = stats(s);
            total.add(one);
            each.add(one);
        }
        if (each.size() > 1) {
            total.parts = each;
        }
        return total;
    }

    private Stats stats(Source s) {
        Stats one = new Stats(s.iface);
        one.outside = s.outside();
        // packets a write error took from the file buffer were handed to it, but never written
        long lost = files.lost(s.id());
        one.captured = s.packets - lost;
        one.bytes = s.bytes;
        one.agentDropped = s.dropped + lost;
        long[] p = s.stats();
        if (p != null) {
            one.received = p[0];
            one.kernelDropped = p[1];
            one.ifDropped = p[2];
        }
        return one;
    }

    /** The recording's threshold for HTTP exchanges (ns), which the statistics events carry for the report. */
    public volatile long exchangeThresholdNanos;
    /** Take the counts of incoming and of outgoing exchanges that ended unrecorded since they were last taken; null: none kept. */
    public volatile java.util.function.LongSupplier incomingUnrecorded;
    public volatile java.util.function.LongSupplier outgoingUnrecorded;

    /** Records one wiretrace.CaptureStatistics event per interface; JFR's periodic thread calls it. */
    public void emitStatistics() {
        Path file = files.current();
        java.util.function.LongSupplier incoming = incomingUnrecorded;
        java.util.function.LongSupplier outgoing = outgoingUnrecorded;
        boolean first = true;
        for (Source s : sources) {
            Stats one = stats(s);
            CaptureStatisticsEvent e = new CaptureStatisticsEvent();
            e.captureInterface = one.iface;
            e.packetsCaptured = one.captured;
            e.bytesCaptured = one.bytes;
            e.packetsReceived = one.received;
            e.packetsDroppedByKernel = one.kernelDropped;
            e.packetsDroppedByInterface = one.ifDropped;
            e.packetsDroppedByWiretrace = one.agentDropped;
            e.file = file == null ? null : file.toString();
            e.exchangeThreshold = exchangeThresholdNanos;
            if (first && incoming != null && outgoing != null) { // once, not per interface
                e.incomingUnrecorded = incoming.getAsLong();
                e.outgoingUnrecorded = outgoing.getAsLong();
            }
            first = false;
            e.commit();
        }
    }

    /** The counters tcpdump prints at exit, plus what wiretrace itself dropped. */
    public static final class Stats {
        final String iface;
        public long captured;
        public long bytes;
        long received;
        public long kernelDropped;
        public long ifDropped;
        public long agentDropped;
        List<Stats> parts = List.of();
        private String note;
        /** The packets came from a capture outside the JVM: its kernel counters are its own. */
        boolean outside;

        Stats(String iface) {
            this.iface = iface;
        }

        void add(Stats o) {
            captured += o.captured;
            bytes += o.bytes;
            received += o.received;
            kernelDropped += o.kernelDropped;
            ifDropped += o.ifDropped;
            agentDropped += o.agentDropped;
        }

        Stats withNote(String n) {
            note = n;
            return this;
        }

        /** tcpdump's exit lines, with a line per interface when there are several. */
        public String lines() {
            StringBuilder sb = new StringBuilder().append(count(captured)).append(" captured\n");
            if (outside) {
                sb.append("packets received by filter and dropped by kernel: counted by the capture outside the JVM"
                        + " (stop prints its counts)\n");
            } else {
                sb.append(count(received)).append(" received by filter\n")
                        .append(count(kernelDropped)).append(" dropped by kernel\n")
                        .append(count(ifDropped)).append(" dropped by interface\n");
            }
            sb.append(count(agentDropped)).append(" dropped by wiretrace");
            for (Stats p : parts) {
                sb.append("\n  ").append(p.iface).append(": ").append(p.oneLine());
            }
            if (note != null) {
                sb.append('\n').append(note);
            }
            return sb.toString();
        }

        String oneLine() {
            return captured + " captured (" + bytes + " bytes), " + received + " received by filter, "
                    + kernelDropped + " dropped by kernel, " + ifDropped + " dropped by interface, "
                    + agentDropped + " dropped by wiretrace";
        }

        private static String count(long n) {
            return n + (n == 1 ? " packet" : " packets");
        }
    }

    public static final class CaptureException extends Exception {
        /** True when the user's input was wrong (an unknown interface, a bad filter): exit code 2. */
        public final boolean usage;
        /**
         * True when this JVM cannot capture at all, whatever the options: its user may not (no
         * CAP_NET_RAW), or libpcap cannot be loaded. The message then says why and what would
         * grant packets; the session runs without them.
         */
        public final boolean unavailable;

        CaptureException(String message) {
            this(message, false, false);
        }

        CaptureException(String message, boolean usage) {
            this(message, usage, false);
        }

        private CaptureException(String message, boolean usage, boolean unavailable) {
            super(message);
            this.usage = usage;
            this.unavailable = unavailable;
        }

        /** The app's user may not capture; {@code detail} is libpcap's text. */
        static CaptureException denied(String detail) {
            return new CaptureException("the app's user may not capture (no CAP_NET_RAW: " + detail + "); for packets,"
                    + " run wiretrace as root (it then captures from outside the JVM with tcpdump), or run the app as"
                    + " root, or grant its java binary the capability and restart the app: setcap"
                    + " cap_net_raw,cap_net_admin+eip " + javaBinary(), false, true);
        }

        /** libpcap, or JNA's native part, cannot be loaded in this JVM. */
        static CaptureException noLibpcap(Throwable cause) {
            String why = String.valueOf(cause.getMessage()).replaceAll("\\s+", " ");
            why = why.length() > 160 ? why.substring(0, 157) + "..." : why;
            boolean jna = why.contains("jnidispatch") || why.contains("com.sun.jna");
            return new CaptureException((jna ? "JNA cannot load its native library in the app's JVM (" + why
                    + "); packets need a glibc-based JVM (not musl/Alpine) with libpcap"
                    : "libpcap cannot be loaded in the app's JVM (" + why + "); for packets, install libpcap"
                    + " (Debian/Ubuntu: apt-get install libpcap0.8) and start again"), false, true);
        }

        private static String javaBinary() {
            Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
            try {
                return java.toRealPath().toString(); // setcap takes the file, not a link to it
            } catch (IOException | RuntimeException e) {
                return java.toString();
            }
        }
    }
}
