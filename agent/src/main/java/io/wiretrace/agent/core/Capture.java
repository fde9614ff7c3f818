package io.wiretrace.agent.core;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.Pcaps;

/**
 * The packet capture: one libpcap handle read by one daemon thread that writes pcapng.
 * Every packet libpcap delivers is written with its original length and nanosecond timestamp.
 */
final class Capture implements Runnable {
    /** libpcap's default 2 MiB ring loses packets during JIT and GC pauses; see the docs. */
    static final int BUFFER_BYTES = 32 << 20;
    static final int MAX_SNAPLEN = 262144;
    private static final long FLUSH_NANOS = 500_000_000L;
    private static final int TIMEOUT_MILLIS = 100;

    final String iface;
    final int snaplen;
    final String filter;
    final Path file;
    private final PcapHandle handle;
    private final Pcapng out;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean draining;
    private volatile long packets;
    private volatile long bytes;
    private volatile Throwable failure;
    private long lastFlush = System.nanoTime();

    Capture(String iface, int snaplen, String filter, Path file) throws CaptureException {
        this.iface = iface;
        this.snaplen = snaplen <= 0 || snaplen > MAX_SNAPLEN ? MAX_SNAPLEN : snaplen;
        this.filter = filter == null ? "" : filter.trim();
        this.file = file;
        checkInterface(iface);
        try {
            handle = new PcapHandle.Builder(iface)
                    .snaplen(this.snaplen)
                    .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                    .timeoutMillis(TIMEOUT_MILLIS)
                    .bufferSize(BUFFER_BYTES)
                    .timestampPrecision(PcapHandle.TimestampPrecision.NANO)
                    .build();
        } catch (PcapNativeException e) {
            String m = String.valueOf(e.getMessage());
            boolean denied = m.contains("permission") || m.contains("not permitted");
            throw new CaptureException("cannot open interface " + iface + ": " + m
                    + (denied ? " (capturing needs CAP_NET_RAW: run the app as root or grant its java binary"
                            + " cap_net_raw,cap_net_admin)" : ""));
        }
        try {
            if (!this.filter.isEmpty()) {
                handle.setFilter(this.filter, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN);
            }
            out = new Pcapng(file, "wiretrace");
            out.addInterface(handle.getDlt().value(), this.snaplen, iface);
        } catch (PcapNativeException e) {
            handle.close();
            throw new CaptureException("invalid filter '" + this.filter + "': " + libpcapError(e), true);
        } catch (Exception e) {
            handle.close();
            throw new CaptureException("cannot write " + file + ": " + e);
        }
        thread = new Thread(this, "wiretrace-capture");
        thread.setDaemon(true);
    }

    private static void checkInterface(String name) throws CaptureException {
        List<String> names = new ArrayList<>();
        try {
            for (PcapNetworkInterface nif : Pcaps.findAllDevs()) {
                names.add(nif.getName());
            }
        } catch (PcapNativeException e) {
            throw new CaptureException("cannot list capture interfaces: " + e.getMessage());
        } catch (LinkageError e) {
            throw new CaptureException("libpcap cannot be loaded in the target JVM (" + e.getMessage()
                    + "); install it, e.g. apt-get install libpcap0.8");
        }
        if (!names.contains(name)) {
            throw new CaptureException("no capture interface named '" + name + "'; this host has: "
                    + String.join(", ", names), true);
        }
    }

    private static String libpcapError(PcapNativeException e) {
        String m = String.valueOf(e.getMessage());
        // pcap4j wraps libpcap's text as "<text> <filter>" or "Error occurred in pcap_compile: <text>"
        int i = m.indexOf("pcap_compile:");
        return i >= 0 ? m.substring(i + "pcap_compile:".length()).trim() : m;
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        try {
            while (running) {
                byte[] data;
                try {
                    data = handle.getNextRawPacketEx();
                } catch (TimeoutException e) {
                    if (draining) {
                        break; // a read timeout passed without a packet: the ring is empty
                    }
                    flushIfDue(true);
                    continue;
                } catch (EOFException e) {
                    break; // breakLoop() from stop()
                }
                Timestamp ts = handle.getTimestamp();
                long nanos = Math.floorDiv(ts.getTime(), 1000L) * 1_000_000_000L + ts.getNanos();
                Integer original = handle.getOriginalLength();
                out.packet(0, nanos, data, original != null ? original : data.length);
                packets++;
                bytes += data.length;
                flushIfDue(false);
            }
        } catch (Throwable t) {
            if (running) {
                failure = t;
            }
        } finally {
            try {
                out.flush();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
    }

    private void flushIfDue(boolean idle) throws IOException {
        long now = System.nanoTime();
        if (idle || now - lastFlush > FLUSH_NANOS) {
            out.flush();
            lastFlush = now;
        }
    }

    /** Stops the thread, closes the handle and the file; returns the final statistics. */
    Stats stop() {
        // Packets the kernel holds in a block it has not handed over yet arrive within the read
        // timeout; wait that long for them before breaking the loop, so the last packets (a
        // connection's FINs, say) are not lost.
        draining = true;
        try {
            thread.join(2L * TIMEOUT_MILLIS + 50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = false;
        try {
            // libpcap 1.10 (TPACKET_V3) can block in pcap_next_ex forever without traffic;
            // pcap_breakloop wakes it through an eventfd.
            handle.breakLoop();
        } catch (Exception ignored) {
            // the handle is closed below either way
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Stats s = stats();
        if (!thread.isAlive()) {
            handle.close();
        }
        try {
            out.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        return s;
    }

    Stats stats() {
        long recv = -1;
        long drop = -1;
        long ifdrop = -1;
        try {
            PcapStat st = handle.getStats();
            recv = st.getNumPacketsReceived();
            drop = st.getNumPacketsDropped();
            ifdrop = st.getNumPacketsDroppedByIf();
        } catch (Exception ignored) {
            // the handle may already be closed
        }
        return new Stats(packets, bytes, recv, drop, ifdrop, failure);
    }

    static final class Stats {
        final long packets;
        final long bytes;
        final long received;
        final long dropped;
        final long ifDropped;
        final Throwable failure;

        Stats(long packets, long bytes, long received, long dropped, long ifDropped, Throwable failure) {
            this.packets = packets;
            this.bytes = bytes;
            this.received = received;
            this.dropped = dropped;
            this.ifDropped = ifDropped;
            this.failure = failure;
        }

        @Override
        public String toString() {
            return packets + " packets captured (" + bytes + " bytes), " + received + " received by filter, "
                    + dropped + " dropped by kernel, " + ifDropped + " dropped by interface"
                    + (failure != null ? "; capture failed: " + failure : "");
        }
    }

    static final class CaptureException extends Exception {
        /** True when the user's input was wrong (an unknown interface, a bad filter): exit code 2. */
        final boolean usage;

        CaptureException(String message) {
            this(message, false);
        }

        CaptureException(String message, boolean usage) {
            super(message);
            this.usage = usage;
        }
    }
}
