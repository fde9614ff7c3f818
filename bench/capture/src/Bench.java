import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The capture benchmark: tcpdump -w and wiretrace's capture (inside a target JVM, started and
 * stopped through the CLI) on the same paced loopback UDP traffic, at rising rates.
 *
 * <ul>
 *   <li>"alone": per rate, tcpdump by itself and wiretrace by itself, order alternated per rate:
 *       the CPU per packet, the whole JVM's less its idle CPU (measured before wiretrace was
 *       first attached, over an equal window);
 *   <li>"together": per rate, both on the same sender run: packets written, drops, and whether
 *       wiretrace's file holds exactly tcpdump's packets (and tshark reads it).
 * </ul>
 *
 * Usage: Bench WORKDIR SENDER CPUCLOCK, from bench/capture/run, which passes the settings as
 * system properties.
 */
public final class Bench {
    static final long SETTLE_MS = 300; // after start, before the window: let the capture settle
    static final long DRAIN_MS = 1200; // after the sender: tcpdump's 1 s packet buffer timeout, and then some

    static Path work;
    static String sender;
    static final long[] rates = Arrays.stream(System.getProperty("bench.rates", "50000,100000,200000,300000").split(","))
            .mapToLong(s -> Long.parseLong(s.trim())).toArray();
    static final double seconds = Double.parseDouble(System.getProperty("bench.seconds", "5"));
    static final double warmup = Double.parseDouble(System.getProperty("bench.warmup", "5"));
    static final String phases = System.getProperty("bench.phases", "alone,together");
    static final int rounds = Integer.getInteger("bench.rounds", 2);
    static final int port = Integer.getInteger("bench.port", 47123);
    static final int bufferKiB = Integer.getInteger("bench.bufferKiB", 32768);
    static final boolean keep = Boolean.getBoolean("bench.keep");
    static final long waitQuiet = Long.getLong("bench.waitQuiet", 60);
    static final double OTHER_LIMIT = 0.25; // cores busy with neither the sender nor a capturer: measure again
    static final int ATTEMPTS = 3;
    static final List<String> filter = List.of("udp", "port", String.valueOf(port));

    static final List<Row> rows = new ArrayList<>();
    static final List<String> fileChecks = new ArrayList<>();
    static double idleBefore = -1; // the target JVM's CPU ns per ns before wiretrace was ever attached
    static double idleAfter = -1; // the same after wiretrace's last stop

    public static void main(String[] args) throws Exception {
        work = Path.of(args[0]);
        sender = args[1];
        Proc.cpuclock = Path.of(args[2]);
        String java = System.getProperty("bench.java", "java");
        Path cliJar = Path.of(System.getProperty("bench.wiretraceJar"));
        Path shopJar = Path.of(System.getProperty("bench.shopJar"));
        long t0 = System.nanoTime();
        int code;
        Tcpdump tcpdump = new Tcpdump(work, filter, bufferKiB);
        try (Wiretrace wiretrace = new Wiretrace(java, cliJar, shopJar, words(System.getProperty("bench.targetOpts", "")),
                words(System.getProperty("bench.wiretraceOpts", "")), filter, bufferKiB, work)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                tcpdump.close();
                wiretrace.close();
            }));
            System.out.printf(Locale.ROOT, "rates %s packets/s, %s s each; UDP, 64-byte payloads (106-byte frames) to"
                    + " 127.0.0.1:%d; filter '%s'%n", Arrays.toString(rates), seconds, port, String.join(" ", filter));
            System.out.println("wiretrace.jar: " + describe(cliJar));
            System.out.println("target JVM: pid " + wiretrace.pid() + ", " + String.join(" ", wiretrace.target.info()
                    .arguments().map(List::of).orElse(List.of("?"))));
            System.out.println("kernel buffer: tcpdump -B " + bufferKiB + ", " + wiretrace.bufferNote);
            System.out.println("  " + String.join(" ", tcpdump.command(Path.of("FILE"))));
            System.out.println("  " + String.join(" ", wiretrace.startCommand(Path.of("DIR"))));
            run(tcpdump, wiretrace);
            code = report();
            if (wiretrace.targetOutput.length() > 0) {
                System.out.println();
                System.out.println("the target JVM printed:");
                wiretrace.targetOutput.toString().lines().forEach(l -> System.out.println("  " + l));
            }
        }
        System.out.printf(Locale.ROOT, "%nmeasured in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        System.exit(code);
    }

    static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    static String describe(Path jar) throws Exception {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar));
        return jar + " (" + Files.getLastModifiedTime(jar).toString().replaceAll("\\.\\d+Z$", "Z") + ", sha256 "
                + HexFormat.of().formatHex(sha).substring(0, 12) + ")";
    }

    static void run(Tcpdump tcpdump, Wiretrace wiretrace) throws Exception {
        idleBefore = idle(wiretrace, "before wiretrace was attached");
        if (warmup > 0) {
            long rate = Math.min(200_000, Arrays.stream(rates).max().orElse(200_000));
            List<Row> w = measure("warm-up", rate, warmup, List.of(wiretrace));
            progress(w);
            deleteFiles(w);
        }
        for (int i = 0; i < rates.length; i++) {
            long rate = rates[i];
            for (int round = 0; round < rounds && phases.contains("alone"); round++) {
                // alternate the order per round and rate (ABBA), so that a drift of the machine favours neither
                List<Capturer> order = (i + round) % 2 == 0 ? List.of(tcpdump, wiretrace) : List.of(wiretrace, tcpdump);
                for (Capturer c : order) {
                    List<Row> rs = measureUndisturbed("alone", rate, List.of(c));
                    rows.addAll(rs);
                    progress(rs);
                    deleteFiles(rs);
                }
            }
            if (phases.contains("together")) {
                List<Row> rs = measureUndisturbed("together", rate, List.of(tcpdump, wiretrace));
                rows.addAll(rs);
                progress(rs);
                checkFiles(rate, rs.get(0), rs.get(1));
                deleteFiles(rs);
            }
        }
        idleAfter = idle(wiretrace, "after wiretrace's last stop");
    }

    /** The target JVM's CPU with no capture, in ns per ns, over as long as a measurement's window. */
    static double idle(Wiretrace wiretrace, String when) throws Exception {
        long window = (long) (seconds * 1e9) + TimeUnit.MILLISECONDS.toNanos(DRAIN_MS);
        long cpu = wiretrace.idleCpu(window);
        System.out.printf(Locale.ROOT, "idle     target JVM %5.1f ms CPU in %.1f s, %s%n", cpu / 1e6, window / 1e9, when);
        return (double) cpu / window;
    }

    /**
     * measure(), and again after the machine has gone quiet if something else kept it busy
     * meanwhile (at most ATTEMPTS times); keeps the least disturbed measurement.
     */
    static List<Row> measureUndisturbed(String phase, long rate, List<Capturer> capturers) throws Exception {
        List<Row> best = null;
        List<String> others = new ArrayList<>();
        while (true) {
            List<Row> rs = measure(phase, rate, seconds, capturers);
            double other = rs.get(0).otherCores;
            others.add(String.format(Locale.ROOT, "%.2f", other));
            if (best == null || other < best.get(0).otherCores) {
                if (best != null) {
                    deleteFiles(best);
                }
                best = rs;
            } else {
                deleteFiles(rs);
            }
            if (other <= OTHER_LIMIT || waitQuiet == 0 || others.size() == ATTEMPTS) {
                break;
            }
            progress(rs);
            System.out.println("again: something else kept " + others.get(others.size() - 1) + " cores busy");
            waitQuiet();
        }
        for (Row r : best) {
            if (others.size() > 1) {
                r.remarks.add("measured " + others.size() + " times, something else keeping " + String.join(", ", others)
                        + " cores busy; kept the least disturbed");
            }
        }
        return best;
    }

    /** Waits (at most waitQuiet seconds) until the machine is less than 0.3 cores busy over a second. */
    static void waitQuiet() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitQuiet);
        double busy;
        do {
            long[] b0 = busyTicks();
            Thread.sleep(1000);
            long[] b1 = busyTicks();
            busy = (b1[0] - b0[0]) / 100.0 / ((b1[1] - b0[1]) / 1e9);
        } while (busy > 0.3 && System.nanoTime() < deadline);
    }

    /** One sender run at rate, captured by the given capturers at the same time. */
    static List<Row> measure(String phase, long rate, double secs, List<Capturer> capturers) throws Exception {
        List<Row> rs = new ArrayList<>();
        List<Capturer> started = new ArrayList<>();
        try {
            for (Capturer c : capturers) {
                Row r = new Row(phase, c.name(), rate);
                rs.add(r);
                try {
                    c.start(r);
                    started.add(c);
                } catch (IllegalStateException e) {
                    r.errors.add(e.getMessage());
                }
            }
            Thread.sleep(SETTLE_MS);
            for (Capturer c : started) {
                c.mark();
            }
            long[] b0 = busyTicks();
            send(rate, secs, rs);
            Thread.sleep(DRAIN_MS);
            long[] b1 = busyTicks();
            for (int i = 0; i < capturers.size(); i++) {
                Row r = rs.get(i);
                r.windowNs = b1[1] - b0[1];
                r.jvmIdleCpu = (long) (idleBefore * r.windowNs);
                r.busyCores = (b1[0] - b0[0]) / 100.0 / (r.windowNs / 1e9); // USER_HZ = 100
                if (started.contains(capturers.get(i))) {
                    capturers.get(i).end(r);
                }
            }
            // what else kept the machine busy: neither the sender nor a capturer (nor the target JVM)
            double known = rs.get(0).senderCpu + rs.stream().mapToLong(r -> Math.max(0, Math.max(r.jvmCpu, r.captureCpu))).sum();
            for (Row r : rs) {
                r.otherCores = r.busyCores - known / r.windowNs;
            }
        } finally {
            for (int i = 0; i < capturers.size(); i++) {
                if (started.contains(capturers.get(i))) {
                    capturers.get(i).stop(rs.get(i));
                }
            }
        }
        for (Row r : rs) {
            r.content = CaptureFile.read(r.file);
            r.written = r.content.error == null ? r.content.packets : -1;
            if (r.content.error != null) {
                r.errors.add("file " + r.file + ": " + r.content.error);
            }
        }
        return rs;
    }

    static void deleteFiles(List<Row> rs) throws Exception {
        if (!keep) {
            for (Row r : rs) {
                if (r.file != null) {
                    Files.deleteIfExists(r.file);
                }
            }
        }
    }

    // ---------------------------------------------------------------- the sender, machine load

    static long[] busyTicks() throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0); // "cpu  user nice system idle iowait irq softirq steal"
        String[] f = cpu.trim().split("\\s+");
        long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                + Long.parseLong(f[7]) + Long.parseLong(f[8]);
        return new long[] {busy, System.nanoTime()};
    }

    static void send(long rate, double secs, List<Row> rs) throws Exception {
        Proc.Result s = Proc.run((long) secs + 60, List.of(sender, String.valueOf(port), String.valueOf(rate), String.valueOf(secs)));
        if (s.code() != 0) {
            throw new IllegalStateException("sender failed: " + s.out());
        }
        long sent = Proc.grab(s.out(), "sent=(\\d+)");
        if (sent < rate * secs * 0.99) {
            System.out.println("WARNING: the sender offered only " + sent + " of " + (long) (rate * secs) + " packets: " + s.out().strip());
        }
        for (Row r : rs) {
            r.offered = sent;
            r.sendSeconds = Double.parseDouble(s.out().replaceAll("(?s).*seconds=([0-9.]+).*", "$1"));
            r.senderCpu = Proc.grab(s.out(), "cpu_ns=(\\d+)");
        }
    }

    // ---------------------------------------------------------------- file checks

    static void checkFiles(long rate, Row tcpdump, Row wiretrace) throws Exception {
        String tag = String.format(Locale.ROOT, "%7d/s", rate);
        fileChecks.add(tag + " wiretrace's " + wiretrace.content.format + " vs tcpdump's " + tcpdump.content.format + ": "
                + wiretrace.content.compareWith(tcpdump.content));
        if (wiretrace.file != null) {
            fileChecks.add(tag + " " + tshark(wiretrace.file, wiretrace.content));
        }
        if (!wiretrace.stopCounts.isEmpty()) {
            fileChecks.add(tag + " wiretrace stop printed: " + String.join(" / ", wiretrace.stopCounts));
        }
    }

    /** tshark's count of a file, and anything it complained about. */
    static String tshark(Path f, CaptureFile content) throws Exception {
        String out = Proc.run(300, List.of("tshark", "-r", f.toString(), "-q", "-z", "io,stat,0")).out();
        Matcher m = Pattern.compile("\\|\\s*0\\.000 <> [0-9.]+\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)\\s*\\|").matcher(out);
        List<String> complaints = out.lines().filter(l -> !l.isBlank() && !l.startsWith("=") && !l.startsWith("|")
                && !l.contains("Running as user") && !l.startsWith("IO Statistics") && !l.startsWith("Duration")
                && !l.startsWith("Interval")).map(String::strip).toList();
        if (!m.find()) {
            return "tshark read no packets from wiretrace's file: " + out.replaceAll("\\s+", " ").strip();
        }
        long n = Long.parseLong(m.group(1));
        return "tshark reads wiretrace's file: " + n + " packets, " + m.group(2) + " bytes"
                + (n == content.packets ? "" : " (NOT the " + content.packets + " packets in it)")
                + (complaints.isEmpty() ? ", no complaints" : "; tshark said: " + String.join(" ", complaints));
    }

    // ---------------------------------------------------------------- report

    static void progress(List<Row> rs) {
        for (Row r : rs) {
            System.out.printf(Locale.ROOT, "%-8s %7d/s %-9s offered %8d written %8s kernel drops %4s wiretrace drops %4s"
                    + " capture CPU %6.1f ms%s%n", r.phase, r.rate, r.capturer, r.offered, count(r.written),
                    count(r.kernelDrops), count(r.wiretraceDrops), r.captureCpu / 1e6,
                    r.errors.isEmpty() ? "" : "  ERROR " + String.join("; ", r.errors));
        }
    }

    static String count(long n) {
        return n < 0 ? "?" : String.valueOf(n);
    }

    static String perPacket(long cpu, long packets) {
        return cpu < 0 || packets <= 0 ? "-" : String.format(Locale.ROOT, "%.0f", (double) cpu / packets);
    }

    static String ratio(long cpu, long packets, Row tcpdump) {
        if (tcpdump == null || tcpdump.captureCpu <= 0 || tcpdump.written <= 0 || cpu < 0 || packets <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "x%.2f", ((double) cpu / packets) / ((double) tcpdump.captureCpu / tcpdump.written));
    }

    /** The rows of a capturer at a rate in a phase, its rounds pooled; null if there are none. */
    static Row find(String phase, long rate, String capturer) {
        List<Row> rs = rows.stream().filter(r -> r.phase.equals(phase) && r.rate == rate && r.capturer.equals(capturer))
                .toList();
        return rs.isEmpty() ? null : Row.pool(rs);
    }

    static final String COLUMNS = "%-5s %-9s %8s %8s %6s %6s %6s %6s %6s %7s %6s %7s %7s %6s %5s %5s %6s%n";

    static void table(String phase, String title) {
        if (rows.stream().noneMatch(r -> r.phase.equals(phase))) {
            return;
        }
        System.out.println();
        System.out.println(title);
        System.out.printf(Locale.ROOT, COLUMNS, "rate", "capturer", "offered", "written", "missed", "k.recv", "k.drop",
                "if.drp", "wt.drp", "capCPU", "x tcpd", "jvmCPU", "jvmNet", "x tcpd", "busy", "other", "sndCPU");
        System.out.printf(Locale.ROOT, COLUMNS, "/s", "", "pkts", "pkts", "", "/offrd", "", "", "", "ns/pkt", "",
                "ns/pkt", "ns/pkt", "", "cores", "cores", "ns/pkt");
        for (long rate : rates) {
            Row t = find(phase, rate, "tcpdump");
            for (String capturer : List.of("tcpdump", "wiretrace")) {
                Row r = find(phase, rate, capturer);
                if (r == null) {
                    continue;
                }
                boolean wt = r.capturer.equals("wiretrace");
                System.out.printf(Locale.ROOT, COLUMNS, (rate / 1000) + "k", r.capturer, r.offered, count(r.written),
                        count(r.missed()), r.received < 0 || r.offered <= 0 ? "?" : String.format(Locale.ROOT, "%.2f",
                                (double) r.received / r.offered), count(r.kernelDrops), count(r.interfaceDrops),
                        wt ? count(r.wiretraceDrops) : "-", perPacket(r.captureCpu, r.written),
                        wt ? ratio(r.captureCpu, r.written, t) : "1", wt ? perPacket(r.jvmCpu, r.written) : "-",
                        wt ? perPacket(r.jvmNetCpu(), r.written) : "-", wt ? ratio(r.jvmNetCpu(), r.written, t) : "1",
                        String.format(Locale.ROOT, "%.2f", r.busyCores), String.format(Locale.ROOT, "%.2f", r.otherCores),
                        perPacket(r.senderCpu, r.offered));
            }
        }
        for (Row r : rows) {
            if (r.phase.equals(phase)) {
                List<String> d = new ArrayList<>();
                d.add("capCPU " + perPacket(r.captureCpu, r.written) + " ns/pkt");
                if (!r.threads.isEmpty()) {
                    d.add(r.threads);
                }
                if (!r.timing.isEmpty()) {
                    d.add(r.timing);
                }
                if (r.jvmCpu >= 0 && r.jvmIdleCpu >= 0) {
                    d.add(String.format(Locale.ROOT, "JVM %.0f ms, idle %.0f ms", r.jvmCpu / 1e6, r.jvmIdleCpu / 1e6));
                }
                d.addAll(r.remarks);
                r.errors.forEach(e -> d.add("ERROR " + e));
                System.out.printf(Locale.ROOT, "  %-5s %-9s %s%n", (r.rate / 1000) + "k", r.capturer, String.join("; ", d));
            }
        }
    }

    /** Prints the tables and the verdict; returns the exit code (1 if a measurement failed). */
    static int report() {
        table("alone", "ALONE: each capturer by itself on the traffic, " + rounds + (rounds == 1 ? " round" : " rounds")
                + " per rate in alternating order"
                + (rounds > 1 ? ", counts and CPU summed over the rounds" : "") + "; CPU from this table");
        table("together", "TOGETHER: both capturers on the same sender run");
        System.out.println();
        System.out.println("capCPU: tcpdump's process; wiretrace's threads named wiretrace-* in the target JVM."
                + " jvmCPU: the whole target JVM; jvmNet: minus its idle CPU over as long a window.");
        System.out.printf(Locale.ROOT, "The target JVM's idle CPU: %.1f ms/s before wiretrace was attached, %.1f ms/s after its"
                + " last stop.%n", idleBefore * 1e3, idleAfter * 1e3);
        System.out.println("x tcpd: CPU per packet written, as a multiple of tcpdump's in the same phase and rate."
                + " k.recv, k.drop: libpcap's counts, which on lo see every packet twice. busy: the machine's busy"
                + " cores over the window; other: those of them that neither the sender nor a capturer used. sndCPU: the sender's CPU per packet, with the kernel's loopback and tap work.");
        if (!fileChecks.isEmpty()) {
            System.out.println();
            System.out.println("file checks (together):");
            fileChecks.forEach(l -> System.out.println("  " + l));
        }
        System.out.println();
        verdict();
        return rows.stream().anyMatch(r -> !r.errors.isEmpty()) ? 1 : 0;
    }

    static void verdict() {
        long best = -1;
        for (long rate : rates) {
            List<Row> t = rows.stream().filter(r -> r.rate == rate && r.capturer.equals("tcpdump")).toList();
            if (!t.isEmpty() && t.stream().allMatch(Row::droppedNothing)) {
                best = Math.max(best, rate);
            }
        }
        if (best < 0) {
            System.out.println("tcpdump dropped packets at every rate: no rate to judge wiretrace at");
            return;
        }
        long rate = best;
        List<Row> w = Stream.of("alone", "together").map(p -> find(p, rate, "wiretrace")).filter(Objects::nonNull).toList();
        boolean clean = !w.isEmpty() && w.stream().allMatch(Row::droppedNothing);
        String phase = find("alone", rate, "wiretrace") != null ? "alone" : "together";
        Row wr = find(phase, rate, "wiretrace");
        Row tr = find(phase, rate, "tcpdump");
        String cap = wr == null ? "-" : ratio(wr.captureCpu, wr.written, tr);
        String jvm = wr == null ? "-" : ratio(wr.jvmNetCpu(), wr.written, tr);
        System.out.println("highest rate at which tcpdump dropped nothing: " + rate + "/s");
        for (Row r : w) {
            System.out.println("  wiretrace there (" + r.phase + "): " + (r.droppedNothing() ? "dropped nothing"
                    : "DROPPED: " + count(r.missed()) + " of " + r.offered + " missing, kernel drops " + count(r.kernelDrops)
                    + ", wiretrace drops " + count(r.wiretraceDrops)) + (r.errors.isEmpty() ? "" : " (errors)"));
        }
        System.out.println("  wiretrace's CPU per packet there (" + phase + "): capture threads " + cap
                + " tcpdump's, whole JVM net " + jvm);
        boolean within = cap.startsWith("x") && Double.parseDouble(cap.substring(1)) <= 2.0;
        System.out.println("  target (no drops there, capture CPU within x2 tcpdump's): "
                + (clean && within ? "MET" : "NOT MET"));
    }
}
