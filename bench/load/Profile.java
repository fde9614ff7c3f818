import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the app JVM's CPU goes, from async-profiler's CPU samples (1 ms, per thread) taken in
 * the app under the bench's load, with and without wiretrace: each sample is put in one part
 * (wiretrace's threads by name, JFR's threads, the JIT, GC, the VM's own threads, the app's
 * threads in wiretrace's advice, the app's threads otherwise) and the parts are printed in µs of
 * CPU per request, side by side. Within the advice: its entry points, the JFR event commits and
 * JFR's stack walks, whichever thread pays them. Within the app's own work: what it spent in the
 * kernel, and of that the kernel's copies of its packets to a capture's ring, which tcpdump's
 * capture costs the app as much as wiretrace's.
 */
final class Profile {
    private Profile() {
    }

    /** Loads async-profiler ({@code lib}) into the JVM {@code pid}, or tells it {@code command}. */
    static void tell(long pid, String lib, String command) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
        try {
            vm.loadAgentPath(lib, command);
        } finally {
            vm.detach();
        }
    }

    /** CPU samples every 1 ms, or what PROFILE_EVENT asks for instead (async-profiler's options, e.g. {@code event=alloc}). */
    static void start(long pid, String lib) throws Exception {
        tell(pid, lib, "start," + System.getenv().getOrDefault("PROFILE_EVENT", "event=cpu,interval=1000000") + ",threads");
    }

    static void stop(long pid, String lib, Path collapsed) throws Exception {
        tell(pid, lib, "stop,collapsed,threads,ann,file=" + collapsed);
    }

    /** The app's own work in the kernel: its sends, receives and polls. */
    private static final String OWN_KERNEL = "  of it: in the kernel";
    /**
     * Of that, the kernel handing each packet the app sends to the packet sockets (wiretrace's or
     * tcpdump's ring: on loopback, in the sender's thread), which any capturer costs the app.
     */
    private static final String OWN_TAPS = "  of it: the kernel's copies to a capture";
    /** The app's own work split by thread pool, and into the kernel's and the rest ("user"). */
    private static final String ON_POOL = "  on ";

    /** The parts of one profile, in samples (ms of CPU), in the order they are printed. */
    static Map<String, Long> parts(Path collapsed) throws IOException {
        Map<String, Long> parts = new LinkedHashMap<>();
        for (String line : Files.readAllLines(collapsed)) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            long n = Long.parseLong(line.substring(sp + 1));
            String stack = line.substring(0, sp);
            boolean kernel = stack.endsWith("_[k]"); // ann: the frame's kind, [k] for the kernel's
            String[] frames = stack.replaceAll("_\\[[a-z0-9]\\](?=;|$)", "").split(";");
            String thread = threadGroup(frames[0]);
            parts.merge("all", n, Long::sum);
            parts.merge(thread, n, Long::sum);
            if (!thread.equals("app threads")) {
                addStackWalks(parts, frames, n);
                continue;
            }
            String entry = null;
            for (int i = 1; i < frames.length && entry == null; i++) {
                String f = frames[i];
                if (f.startsWith("io/wiretrace/agent/") && !f.contains("CarriedRunnable.run")) {
                    entry = f.substring(f.lastIndexOf('/') + 1);
                }
            }
            if (entry != null) {
                parts.merge("app threads: in wiretrace's advice", n, Long::sum);
                parts.merge("  advice entry " + entry, n, Long::sum);
                for (String f : frames) {
                    if (f.startsWith("io/wiretrace/agent/events/") && f.endsWith(".commit")) {
                        parts.merge("  of it: JFR event commits", n, Long::sum);
                        break;
                    }
                }
                for (String f : frames) {
                    if (f.startsWith("io/wiretrace/agent/app/HttpExchanges") || f.startsWith("io/wiretrace/agent/app/H2Exchanges")) {
                        parts.merge("  of it: HTTP parsing and exchanges", n, Long::sum);
                        break;
                    }
                }
            } else {
                parts.merge("app threads: the app's own work", n, Long::sum);
                if (kernel) {
                    parts.merge(OWN_KERNEL, n, Long::sum);
                }
                parts.merge(ON_POOL + pool(frames[0]) + (kernel ? ", kernel" : ", user"), n, Long::sum);
                for (String f : frames) {
                    if (f.equals("dev_queue_xmit_nit") || f.equals("tpacket_rcv") || f.equals("packet_rcv")) {
                        parts.merge(OWN_TAPS, n, Long::sum);
                        break;
                    }
                }
            }
            addStackWalks(parts, frames, n);
        }
        return parts;
    }

    /** JFR's stack walks, on whatever thread: at every contended monitor entry while jdk.JavaMonitorEnter has stack traces. */
    private static void addStackWalks(Map<String, Long> parts, String[] frames, long n) {
        for (String f : frames) {
            if (f.equals("jfr_save_stacktrace") || f.endsWith("EventWriter.putStackTrace")) {
                parts.merge("JFR stack walks (any thread)", n, Long::sum);
                return;
            }
        }
    }

    /** An app thread's pool: its name with the numbers in it as N ("XNIO-N I/O-N", "XNIO-N task-N"). */
    private static String pool(String root) {
        return threadName(root).replaceAll("\\d+", "N").strip();
    }

    /** The thread's name from a collapsed stack's first frame ("[name tid=123]"). */
    private static String threadName(String root) {
        return root.replaceAll("^\\[|\\]$", "").replaceAll(" tid=\\d+$", "");
    }

    private static String threadGroup(String root) {
        String t = threadName(root);
        if (t.startsWith("wiretrace-read-") || t.startsWith("wiretrace-pcap-")) {
            return "thread " + t.substring(0, t.lastIndexOf('-')); // one per interface
        }
        if (t.startsWith("wiretrace-")) {
            return "thread " + t;
        }
        if (t.startsWith("JFR ")) {
            return "JFR's threads";
        }
        if (t.contains("CompilerThre")) {
            return "the JIT";
        }
        if (t.startsWith("GC ") || t.startsWith("G1 ")) {
            return "GC";
        }
        if (t.startsWith("VM ") || t.equals("Sweeper thread") || t.startsWith("Monitor Deflati") || t.equals("Service Thread")
                || t.equals("Attach Listener") || t.equals("Signal Dispatcher") || t.equals("Reference Handler")
                || t.equals("Finalizer") || t.equals("Common-Cleaner")) {
            return "the VM's threads";
        }
        return "app threads";
    }

    /** Prints the parts of each profile (name → file, requests in it) in µs of CPU per request. */
    static void print(Map<String, Path> profiles, Map<String, Long> requests) throws IOException {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        TreeMap<String, Long> order = new TreeMap<>();
        for (Map.Entry<String, Path> e : profiles.entrySet()) {
            Map<String, Long> p = parts(e.getValue());
            all.put(e.getKey(), p);
            p.forEach((k, v) -> order.merge(k, v, Long::sum));
        }
        List<String> names = new ArrayList<>(List.of("all", "app threads: the app's own work", OWN_KERNEL, OWN_TAPS));
        order.keySet().stream().filter(k -> k.startsWith(ON_POOL))
                .sorted((a, b) -> Long.compare(order.get(b), order.get(a))).forEach(names::add);
        names.add("app threads: in wiretrace's advice");
        order.keySet().stream().filter(k -> k.startsWith("  ") && !names.contains(k)).forEach(names::add);
        order.keySet().stream().filter(k -> !names.contains(k) && !k.startsWith("  ") && !k.equals("app threads"))
                .sorted((a, b) -> Long.compare(order.get(b), order.get(a))).forEach(names::add);
        String event = System.getenv("PROFILE_EVENT");
        if (event == null) {
            System.out.printf("%nPROFILE: the app JVM's CPU per request, µs (async-profiler, CPU samples every 1 ms per thread)%n");
        } else { // e.g. event=alloc: the parts are samples of that event, not CPU
            System.out.printf("%nPROFILE: async-profiler's samples (%s) per 1000 requests%n", event);
        }
        StringBuilder head = new StringBuilder(String.format("%-45s", "part"));
        for (String arm : all.keySet()) {
            head.append(String.format(" %12s", arm));
        }
        System.out.println(head);
        for (String name : names) {
            if ((name.startsWith("  advice entry ") || name.startsWith(ON_POOL)) && order.get(name) * 1000 < order.get("all")) {
                continue; // under 0.1 % of the samples
            }
            StringBuilder row = new StringBuilder(String.format("%-45s", name.length() > 45 ? name.substring(0, 45) : name));
            for (Map.Entry<String, Map<String, Long>> e : all.entrySet()) {
                long samples = e.getValue().getOrDefault(name, 0L);
                long req = Math.max(1, requests.get(e.getKey()));
                row.append(String.format(Locale.ROOT, " %12.1f", samples * 1000.0 / req));
            }
            System.out.println(row);
        }
        StringBuilder req = new StringBuilder(String.format("%-45s", "(requests in the profile)"));
        for (String arm : all.keySet()) {
            req.append(String.format(" %12d", requests.get(arm)));
        }
        System.out.println(req);
    }
}
