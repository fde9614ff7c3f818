import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
 * wiretrace is measured in each of the modes asked for (bench.modes, those of its --packets):
 * "app" (the capture in the target JVM) is the row "wiretrace", "outside" (tcpdump outside the
 * JVM, watched by a guard JVM) the row "wt-outside". Each mode is one more capturer in the alone
 * phase's alternating order, and one more sender run, with tcpdump, in the together phase.
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
    static final List<String> modes = List.of(System.getProperty("bench.modes", "app").trim().split("\\s*,\\s*"));
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
        List<Wiretrace> wiretraces = new ArrayList<>();
        try (Target target = new Target(java, shopJar, words(System.getProperty("bench.targetOpts", "")))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                tcpdump.close();
                wiretraces.forEach(Wiretrace::close);
                target.close();
            }));
            for (String mode : modes) {
                wiretraces.add(new Wiretrace(java, cliJar, target, mode, words(System.getProperty("bench.wiretraceOpts", "")),
                        filter, bufferKiB, work));
            }
            System.out.printf(Locale.ROOT, "rates %s packets/s, %s s each; UDP, 64-byte payloads (106-byte frames) to"
                    + " 127.0.0.1:%d; filter '%s'%n", Arrays.toString(rates), seconds, port, String.join(" ", filter));
            System.out.println("wiretrace.jar: " + describe(cliJar));
            System.out.println("target JVM: pid " + target.pid() + ", " + String.join(" ", target.process.info()
                    .arguments().map(List::of).orElse(List.of("?"))));
            System.out.println("kernel buffer: tcpdump -B " + bufferKiB + ", " + wiretraces.get(0).bufferNote);
            System.out.println("  " + String.join(" ", tcpdump.command(Path.of("FILE"))));
            for (Wiretrace w : wiretraces) {
                System.out.println("  " + String.join(" ", w.startCommand(Path.of("DIR"))));
            }
            try {
                run(tcpdump, wiretraces, target);
            } finally {
                wiretraces.forEach(Wiretrace::close);
            }
            code = report();
            if (target.output.length() > 0) {
                System.out.println();
                System.out.println("the target JVM printed:");
                target.output.toString().lines().forEach(l -> System.out.println("  " + l));
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

    static void run(Tcpdump tcpdump, List<Wiretrace> wiretraces, Target target) throws Exception {
        idleBefore = idle(target, "before wiretrace was attached");
        if (warmup > 0) {
            long rate = Math.min(200_000, Arrays.stream(rates).max().orElse(200_000));
            for (Wiretrace w : wiretraces) {
                List<Row> rs = measure("warm-up", rate, warmup, List.of(w));
                progress(rs);
                deleteFiles(rs);
            }
        }
        List<Capturer> all = new ArrayList<>(List.of(tcpdump));
        all.addAll(wiretraces);
        for (int i = 0; i < rates.length; i++) {
            long rate = rates[i];
            for (int round = 0; round < rounds && phases.contains("alone"); round++) {
                // alternate the order per round and rate (ABBA, ABCCBA), so that a drift of the machine favours none
                List<Capturer> order = new ArrayList<>(all);
                if ((i + round) % 2 != 0) {
                    Collections.reverse(order);
                }
                for (Capturer c : order) {
                    List<Row> rs = measureUndisturbed("alone", rate, List.of(c));
                    rows.addAll(rs);
                    progress(rs);
                    deleteFiles(rs);
                }
            }
            for (int m = 0; m < wiretraces.size() && phases.contains("together"); m++) {
                Wiretrace w = wiretraces.get((i + m) % wiretraces.size());
                List<Row> rs = measureUndisturbed("together", rate, List.of(tcpdump, w));
                rs.get(0).pair = w.name();
                rows.addAll(rs);
                progress(rs);
                checkFiles(rate, rs.get(0), rs.get(1));
                deleteFiles(rs);
            }
        }
        idleAfter = idle(target, "after wiretrace's last stop");
    }

    /** The target JVM's CPU with no capture, in ns per ns, over as long as a measurement's window. */
    static double idle(Target target, String when) throws Exception {
        long window = (long) (seconds * 1e9) + TimeUnit.MILLISECONDS.toNanos(DRAIN_MS);
        long cpu = target.idleCpu(window);
        System.out.printf(Locale.ROOT, "idle     target JVM %5.1f ms CPU in %.1f s, %s%s%n", cpu / 1e6, window / 1e9, when,
                target.idleThreads.isEmpty() ? "" : "; busiest threads: " + target.idleThreads);
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
        String tag = String.format(Locale.ROOT, "%7d/s %s", rate, wiretrace.capturer);
        fileChecks.add(tag + ": " + wiretrace.content.format + " vs tcpdump's " + tcpdump.content.format + ": "
                + wiretrace.content.compareWith(tcpdump.content));
        if (wiretrace.file != null) {
            fileChecks.add(tag + ": " + tshark(wiretrace.file, wiretrace.content));
        }
        if (!wiretrace.stopCounts.isEmpty()) {
            fileChecks.add(tag + ": wiretrace stop printed: " + String.join(" / ", wiretrace.stopCounts));
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
            System.out.printf(Locale.ROOT, "%-8s %7d/s %-10s offered %8d written %8s kernel drops %4s wiretrace drops %4s"
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
        return find(phase, rate, capturer, "");
    }

    /** find, for the tcpdump that shared its sender runs with the capturer pair in the together phase. */
    static Row find(String phase, long rate, String capturer, String pair) {
        List<Row> rs = rows(phase, rate, capturer, pair);
        return rs.isEmpty() ? null : Row.pool(rs);
    }

    static List<Row> rows(String phase, long rate, String capturer, String pair) {
        return rows.stream().filter(r -> r.phase.equals(phase) && r.rate == rate && r.capturer.equals(capturer)
                && r.pair.equals(pair)).toList();
    }

    /** The capturers' names in the tables: tcpdump, then wiretrace in each mode. */
    static List<String> modeNames() {
        return modes.stream().map(Wiretrace::name).toList();
    }

    static final String COLUMNS = "%-5s %-10s %8s %8s %6s %6s %6s %6s %6s %7s %6s %7s %7s %6s %5s %5s %6s%n";

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
            if (phase.equals("together")) { // one sender run per mode, each with its own tcpdump
                for (String m : modeNames()) {
                    Row t = find(phase, rate, "tcpdump", m);
                    tableRow(t, t);
                    tableRow(find(phase, rate, m), t);
                }
            } else {
                Row t = find(phase, rate, "tcpdump");
                tableRow(t, t);
                modeNames().forEach(m -> tableRow(find(phase, rate, m), t));
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
                System.out.printf(Locale.ROOT, "  %-5s %-10s %s%n", (r.rate / 1000) + "k", r.capturer, String.join("; ", d));
            }
        }
    }

    /** One line of a table: r (none if null), its CPU per packet compared with the tcpdump row t. */
    static void tableRow(Row r, Row t) {
        if (r == null) {
            return;
        }
        boolean wt = !r.capturer.equals("tcpdump");
        System.out.printf(Locale.ROOT, COLUMNS, (r.rate / 1000) + "k", r.capturer, r.offered, count(r.written),
                count(r.missed()), r.received < 0 || r.offered <= 0 ? "?" : String.format(Locale.ROOT, "%.2f",
                        (double) r.received / r.offered), count(r.kernelDrops), count(r.interfaceDrops),
                wt ? count(r.wiretraceDrops) : "-", perPacket(r.captureCpu, r.written),
                wt ? ratio(r.captureCpu, r.written, t) : "1", wt ? perPacket(r.jvmCpu, r.written) : "-",
                wt ? perPacket(r.jvmNetCpu(), r.written) : "-", wt ? ratio(r.jvmNetCpu(), r.written, t) : "1",
                String.format(Locale.ROOT, "%.2f", r.busyCores), String.format(Locale.ROOT, "%.2f", r.otherCores),
                perPacket(r.senderCpu, r.offered));
    }

    static final String MODE_COLUMNS = "%-5s %-10s %8s %8s %6s %6s %6s %8s %6s %8s %6s %11s %11s %11s%n";

    /**
     * wiretrace's modes side by side, from the alone phase (else the together one): what each wrote
     * and dropped, its CPU per 1000 packets, the first mode's as the reference, and the memory of the
     * processes it used (the largest of the rounds).
     */
    static void modesTable() {
        if (modes.size() < 2) {
            return;
        }
        String phase = rows.stream().anyMatch(r -> r.phase.equals("alone")) ? "alone" : "together";
        List<String> names = modeNames();
        System.out.println();
        System.out.println("MODES: wiretrace's --packets " + String.join(" and ", modes) + " side by side (" + phase
                + " phase, counts and CPU summed over the rounds); x " + modes.get(0) + ": as a multiple of " + names.get(0) + "'s");
        System.out.printf(Locale.ROOT, MODE_COLUMNS, "rate", "mode", "offered", "written", "missed", "k.drop", "wt.drp",
                "capCPU", "x " + modes.get(0), "all CPU", "x " + modes.get(0), "target", "guard", "tcpdump");
        System.out.printf(Locale.ROOT, MODE_COLUMNS, "/s", "", "pkts", "pkts", "", "", "", "ms/1000", "", "ms/1000", "",
                "RSS/PSS MiB", "RSS/PSS MiB", "RSS/PSS MiB");
        for (long rate : rates) {
            Row ref = find(phase, rate, names.get(0));
            for (int i = 0; i < names.size(); i++) {
                Row r = find(phase, rate, names.get(i));
                if (r == null) {
                    continue;
                }
                System.out.printf(Locale.ROOT, MODE_COLUMNS, (rate / 1000) + "k", modes.get(i), r.offered, count(r.written),
                        count(r.missed()), count(r.kernelDrops), count(r.wiretraceDrops), perThousand(r.captureCpu, r.written),
                        modeRatio(r.captureCpu, r.written, ref == null ? -1 : ref.captureCpu, ref == null ? -1 : ref.written),
                        perThousand(r.jvmNetCpu(), r.written),
                        modeRatio(r.jvmNetCpu(), r.written, ref == null ? -1 : ref.jvmNetCpu(), ref == null ? -1 : ref.written),
                        memory(r, "target"), memory(r, "guard"), memory(r, "tcpdump"));
            }
            if (ref != null) { // the spread: each round's ratio against the reference's round of the same index
                List<Row> refRounds = rows(phase, rate, names.get(0), "");
                for (int i = 1; i < names.size(); i++) {
                    List<Row> rounds = rows(phase, rate, names.get(i), "");
                    List<String> each = new ArrayList<>();
                    for (int k = 0; k < Math.min(rounds.size(), refRounds.size()); k++) {
                        each.add(modeRatio(rounds.get(k).captureCpu, rounds.get(k).written, refRounds.get(k).captureCpu,
                                refRounds.get(k).written));
                    }
                    System.out.printf(Locale.ROOT, "  %-5s %-10s capCPU per round, x %s: %s%n", (rate / 1000) + "k", modes.get(i),
                            modes.get(0), String.join(" ", each));
                }
            }
        }
        System.out.println("capCPU: the target's wiretrace-* threads, and outside the guard JVM and its tcpdump (over the"
                + " window, so without starting and stopping them). all CPU: the whole target JVM less its idle CPU, and"
                + " the guard and tcpdump. RSS/PSS: during the capture; PSS shares pages among the processes using them.");
    }

    static String perThousand(long cpu, long packets) {
        return cpu < 0 || packets <= 0 ? "-" : String.format(Locale.ROOT, "%.3f", cpu / 1e6 / packets * 1000);
    }

    static String modeRatio(long cpu, long packets, long refCpu, long refPackets) {
        if (cpu < 0 || packets <= 0 || refCpu <= 0 || refPackets <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "x%.2f", ((double) cpu / packets) / ((double) refCpu / refPackets));
    }

    static String memory(Row r, String process) {
        long[] m = r.memory.get(process);
        return m == null ? "-" : String.format(Locale.ROOT, "%.0f/%.0f", m[0] / 1024.0, m[1] / 1024.0);
    }

    /** Prints the tables and the verdict; returns the exit code (1 if a measurement failed). */
    static int report() {
        table("alone", "ALONE: each capturer by itself on the traffic, " + rounds + (rounds == 1 ? " round" : " rounds")
                + " per rate in alternating order"
                + (rounds > 1 ? ", counts and CPU summed over the rounds" : "") + "; CPU from this table");
        table("together", "TOGETHER: both capturers on the same sender run" + (modes.size() > 1 ? ", one run per mode" : ""));
        modesTable();
        System.out.println();
        System.out.println("capCPU: tcpdump's process; wiretrace's threads named wiretrace-* in the target JVM"
                + (modes.contains("outside") ? ", and for wt-outside its guard JVM and tcpdump" : "") + "."
                + " jvmCPU: the whole target JVM" + (modes.contains("outside") ? " (wt-outside: and the guard and tcpdump)" : "")
                + "; jvmNet: minus its idle CPU over as long a window.");
        System.out.printf(Locale.ROOT, "The target JVM's idle CPU: %.1f ms/s before wiretrace was attached, %.1f ms/s after its"
                + " last stop.%n", idleBefore * 1e3, idleAfter * 1e3);
        System.out.println("x tcpd: CPU per packet written, as a multiple of tcpdump's in the same phase and rate."
                + " k.recv, k.drop: libpcap's counts, which on lo see every packet twice, leaving and arriving, where the"
                + " capture's ring gets both copies (tcpdump's; wiretrace's filter keeps the leaving one out). busy: the machine's busy"
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
        Row tr = find(phase, rate, "tcpdump", phase.equals("together") ? "wiretrace" : "");
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
