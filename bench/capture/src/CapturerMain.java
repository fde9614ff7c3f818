import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One capture variant in its own JVM (so that its process CPU, GC and allocation are its own),
 * driven by commands on stdin, one per line:
 *
 * <pre>
 *   open IFACE PATH FILTER...   open a handle and start capturing into PATH (pcapng)   -> OPENED
 *   mark                        start of the measured window                           -> MARKED
 *   stop                        stop (drain, breakLoop, close files), print the window -> RESULT k=v ...
 *   stall AT MS                 A/A': the next capture's reader pauses MS ms after AT packets -> OK
 *   quit
 * </pre>
 *
 * Usage: CapturerMain A|A'|B. RESULT keys: packets, bytes (what the variant wrote), recv, drop,
 * ifdrop (pcap_stats), cap_cpu_ns / cap_alloc (the capture threads: ThreadMXBean), proc_cpu_ns
 * (the whole JVM, from its process CPU clock: includes GC, JIT, finalizer...), jvm_alloc (bytes
 * allocated by all Java threads), gcs, gc_ms, wall_ns (mark to stop), lag_ms (A/A': the oldest
 * packet's age, from its capture timestamp, when the pcapng buffer holding it was written to the file), error.
 */
public final class CapturerMain {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        var threads = CaptureBase.THREADS;
        threads.setThreadAllocatedMemoryEnabled(true);
        threads.setThreadCpuTimeEnabled(true);
        System.out.println("READY " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        CaptureBase cap = null;
        Map<Long, long[]> markThreads = new HashMap<>();
        Map<String, Long> markTasks = new HashMap<>();
        long markProc = 0, markWall = 0, markGcs = 0, markGcMs = 0;
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+", 4);
            try {
                switch (w[0]) {
                    case "open": {
                        Path file = Path.of(w[2]);
                        String filter = w[3];
                        CaptureBase.FINAL.clear();
                        CaptureBase.NAMES.clear();
                        switch (mode) {
                            case "A": cap = new DumpCapture(w[1], filter, file, DumpCapture.Kind.FIFO); break;
                            case "A'": cap = new DumpCapture(w[1], filter, file, DumpCapture.Kind.FILE); break;
                            case "B": cap = new PerPacketCapture(w[1], filter, file); break;
                            default: throw new IllegalArgumentException("mode " + mode);
                        }
                        cap.start();
                        System.out.println("OPENED");
                        break;
                    }
                    case "mark": {
                        markThreads.clear();
                        for (long id : threads.getAllThreadIds()) {
                            markThreads.put(id, new long[] {threads.getThreadCpuTime(id), threads.getThreadAllocatedBytes(id)});
                        }
                        markTasks = tasks();
                        markProc = Cpu.selfNanos();
                        long[] g = gc();
                        markGcs = g[0];
                        markGcMs = g[1];
                        markWall = System.nanoTime();
                        System.out.println("MARKED");
                        break;
                    }
                    case "stop": {
                        String err = "-";
                        try {
                            cap.stop();
                        } catch (Throwable t) {
                            err = t.toString();
                        }
                        long wall = System.nanoTime() - markWall;
                        long proc = Cpu.selfNanos() - markProc;
                        long[] g = gc();
                        long[] st = cap.pcapStats();
                        cap.close();
                        long capCpu = 0, capAlloc = 0, jvmAlloc = 0;
                        Map<Long, long[]> now = new HashMap<>();
                        for (long id : threads.getAllThreadIds()) {
                            now.put(id, new long[] {threads.getThreadCpuTime(id), threads.getThreadAllocatedBytes(id)});
                        }
                        now.putAll(CaptureBase.FINAL); // capture threads that have ended
                        java.util.List<String> capThreads = new java.util.ArrayList<>();
                        for (Map.Entry<Long, long[]> e : now.entrySet()) {
                            long[] m = markThreads.getOrDefault(e.getKey(), new long[] {0, 0});
                            long dAlloc = Math.max(0, e.getValue()[1] - m[1]);
                            jvmAlloc += dAlloc;
                            for (Thread t : cap.threads) {
                                if (t.getId() == e.getKey()) {
                                    long dCpu = e.getValue()[0] - m[0];
                                    capCpu += dCpu;
                                    capAlloc += dAlloc;
                                    capThreads.add(t.getName() + ":" + dCpu / 1_000_000);
                                }
                            }
                        }
                        // every other thread of the process (GC, JIT, VM, Java threads), from /proc
                        Map<String, Long> tasksNow = tasks();
                        Map<String, Long> byName = new java.util.TreeMap<>();
                        for (Map.Entry<String, Long> e : tasksNow.entrySet()) {
                            long d = e.getValue() - markTasks.getOrDefault(e.getKey(), 0L);
                            String name = e.getKey().substring(e.getKey().indexOf(' ') + 1).replaceAll("[0-9]+$", "").replace(' ', '_');
                            byName.merge(name, d, Long::sum);
                        }
                        java.util.List<String> others = new java.util.ArrayList<>();
                        byName.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                                .filter(e -> e.getValue() >= 3_000_000L)
                                .forEach(e -> others.add(e.getKey() + ":" + e.getValue() / 1_000_000));
                        if (cap.failure != null && "-".equals(err)) {
                            err = cap.failure.toString();
                        }
                        String extra = "";
                        if (cap instanceof DumpCapture) {
                            DumpCapture d = (DumpCapture) cap;
                            extra = " flushes=" + d.flushes + " reads=" + d.reads + " break_us=" + d.breakMicros + " pipe=" + d.pipeBytes + " magic=" + Integer.toHexString(d.magic);
                        }
                        System.out.println("RESULT mode=" + mode + " packets=" + cap.packets + " bytes=" + cap.bytes
                                + " recv=" + st[0] + " drop=" + st[1] + " ifdrop=" + st[2]
                                + " cap_cpu_ns=" + capCpu + " cap_alloc=" + capAlloc
                                + " proc_cpu_ns=" + proc + " jvm_alloc=" + jvmAlloc
                                + " gcs=" + (g[0] - markGcs) + " gc_ms=" + (g[1] - markGcMs) + " wall_ns=" + wall
                                + " lag_ms=" + (cap.maxLagNanos() < 0 ? -1 : cap.maxLagNanos() / 1_000_000)
                                + extra + " cap_threads_ms=" + String.join(",", capThreads)
                                + " other_threads_ms=" + String.join(",", others) + " error=" + err.replaceAll("\\s+", "_"));
                        cap = null;
                        break;
                    }
                    case "stall": // stall AT MS: the next A/A' reader pauses MS ms after AT packets (-1: never)
                        DumpCapture.stallAt = Long.parseLong(w[1]);
                        DumpCapture.stallMs = Long.parseLong(w[2]);
                        System.out.println("OK");
                        break;
                    case "quit":
                        return;
                    default:
                        System.out.println("ERROR unknown command " + line);
                }
            } catch (Throwable t) {
                System.out.println("ERROR " + t.toString().replaceAll("\\s+", "_"));
            }
            System.out.flush();
        }
    }

    /** "tid comm" -> CPU ns (schedstat) of every live thread of this process. */
    private static Map<String, Long> tasks() {
        Map<String, Long> m = new HashMap<>();
        try (java.nio.file.DirectoryStream<Path> ds = java.nio.file.Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : ds) {
                try {
                    String comm = new String(java.nio.file.Files.readAllBytes(t.resolve("comm"))).trim();
                    String st = new String(java.nio.file.Files.readAllBytes(t.resolve("schedstat"))).trim();
                    m.put(t.getFileName() + " " + comm, Long.parseLong(st.split(" ")[0]));
                } catch (Exception e) {
                    // the thread ended meanwhile
                }
            }
        } catch (Exception e) {
            // no /proc: no breakdown
        }
        return m;
    }

    private static long[] gc() {
        long n = 0, ms = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {n, ms};
    }
}
