import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;

/**
 * What the benchmark's capture variants share: the handle, opened exactly as the agent opens it
 * (pcap4j PcapHandle.Builder, NANO, snaplen 262144, 32 MiB buffer, 100 ms timeout,
 * non-promiscuous, an optimized BPF filter), and per-thread accounting.
 */
abstract class CaptureBase {
    static final int BUFFER_BYTES = 32 << 20;
    static final int SNAPLEN = 262144;
    static final int TIMEOUT_MILLIS = 100;

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** cpu ns and allocated bytes of capture threads, recorded by each thread itself as it ends. */
    static final Map<Long, long[]> FINAL = new ConcurrentHashMap<>();
    static final Map<Long, String> NAMES = new ConcurrentHashMap<>();

    final String iface;
    final String filter;
    final Path file;
    final PcapHandle handle;
    final List<Thread> threads = new CopyOnWriteArrayList<>();
    volatile Throwable failure;
    volatile long packets;
    volatile long bytes;

    CaptureBase(String iface, String filter, Path file) throws Exception {
        this.iface = iface;
        this.filter = filter;
        this.file = file;
        handle = new PcapHandle.Builder(iface)
                .snaplen(SNAPLEN)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(TIMEOUT_MILLIS)
                .bufferSize(BUFFER_BYTES)
                .timestampPrecision(PcapHandle.TimestampPrecision.NANO)
                .build();
        handle.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN);
    }

    /** A capture thread; when its body ends it records its own CPU and allocation. */
    Thread thread(String name, Runnable body) {
        Thread t = new Thread(() -> {
            NAMES.put(Thread.currentThread().getId(), Thread.currentThread().getName());
            try {
                body.run();
            } finally {
                FINAL.put(Thread.currentThread().getId(), new long[] {
                        THREADS.getCurrentThreadCpuTime(), THREADS.getThreadAllocatedBytes(Thread.currentThread().getId())});
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        return t;
    }

    abstract void start() throws Exception;

    /** Stops capturing (after letting the ring drain), closes everything. */
    abstract void stop() throws Exception;

    /** recv, drop, ifdrop from pcap_stats; -1 if unavailable. */
    long[] pcapStats() {
        try {
            PcapStat st = handle.getStats();
            return new long[] {st.getNumPacketsReceived(), st.getNumPacketsDropped(), st.getNumPacketsDroppedByIf()};
        } catch (Exception e) {
            return new long[] {-1, -1, -1};
        }
    }

    /** Closes the handle once no capture thread uses it any more (pcap4j's close() would wait for a running loop). */
    void close() {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return;
            }
        }
        handle.close();
    }

    /** Most a packet waited, from its capture timestamp until the bench handed it to the output file; -1 if not tracked. */
    long maxLagNanos() {
        return -1;
    }

    static void fail(CaptureBase c, Throwable t) {
        if (c.failure == null) {
            c.failure = t;
        }
    }
}
