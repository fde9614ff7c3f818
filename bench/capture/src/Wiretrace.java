import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * wiretrace's capture of the target JVM's packets, started and stopped through the real CLI, with
 * the packets captured in one of the modes of {@code --packets}: "app" (libpcap in the target
 * JVM) or "outside" (tcpdump, watched by a guard JVM, writing into a FIFO the agent reads). Its
 * capture CPU is that of the target's threads named wiretrace-*, plus, outside, the whole guard
 * JVM's and its tcpdump's; the whole target JVM's CPU is measured too.
 */
final class Wiretrace implements Capturer, AutoCloseable {
    private static final String THREAD_PREFIX = "wiretrace-";
    /** Words in the CLI's output that say something went wrong ("0 failed connects" is a count). */
    private static final Pattern PROBLEM =
            Pattern.compile("(?i)\\b(error|warning|exception|cannot|could not|failed(?! connects))\\b");
    /** Where stop's output turns to what the capture outside the JVM printed (tcpdump's counts). */
    private static final String OUTSIDE_SECTION = "[the capture outside the JVM]";
    private final List<String> cli;
    private final Path work;
    private final Target target;
    final String mode;
    private final List<String> startOptions = new ArrayList<>(List.of("-i", "lo"));
    private final List<String> filter;
    final String bufferNote;
    private Path dir;
    private long[] cpuMark;
    private Map<Long, Proc.Task> tasksMark;
    private boolean running;
    private long guard = -1; // outside: the guard JVM, and the tcpdump it runs
    private long tcpdump = -1;

    Wiretrace(String java, Path cliJar, Target target, String mode, List<String> options, List<String> filter,
            int bufferKiB, Path work) throws Exception {
        this.cli = List.of(java, "-jar", cliJar.toString());
        this.work = work;
        this.target = target;
        this.mode = mode;
        this.filter = filter;
        String help = Proc.run(60, concat(cli, List.of("help", "start"))).out();
        if (Pattern.compile("[\\s\\[,]-B\\b").matcher(help).find()) {
            startOptions.addAll(List.of("-B", String.valueOf(bufferKiB)));
            bufferNote = "wiretrace -B " + bufferKiB;
        } else {
            bufferNote = "wiretrace its default (32 MiB; this build has no -B)";
        }
        if (help.contains("--packets")) {
            startOptions.addAll(List.of("--packets", watch() ? "app" : mode));
        } else if (!mode.equals("app")) {
            throw new IllegalStateException("this build of wiretrace has no --packets: it cannot capture " + mode);
        }
        startOptions.addAll(options);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    private boolean outside() {
        return mode.equals("outside");
    }

    /**
     * The capture in the JVM as a watch whose trigger never fires (a call slower than an hour): a
     * ring in one file (-C 1000 of --disk 3GB), what a watch costs while it waits.
     */
    private boolean watch() {
        return mode.equals("watch");
    }

    @Override
    public String name() {
        return name(mode);
    }

    /** "wiretrace" for the capture in the JVM (the rows and checks that came before the modes), else "wt-MODE". */
    static String name(String mode) {
        return mode.equals("app") ? "wiretrace" : "wt-" + mode;
    }

    List<String> startCommand(Path out) {
        List<String> command = watch()
                ? List.of("watch", String.valueOf(target.pid()), "-w", out.toString(), "--trigger", "slow>1h",
                        "--keep", "1h", "--disk", "3GB", "-C", "1000", "--for", "1h")
                : List.of("start", String.valueOf(target.pid()), "-w", out.toString());
        return concat(concat(cli, command), concat(startOptions, filter));
    }

    @Override
    public void start(Row r) throws Exception {
        dir = work.resolve(r.name);
        long t0 = System.nanoTime();
        Proc.Result s = Proc.run(60, startCommand(dir));
        if (s.code() != 0) {
            throw new IllegalStateException("wiretrace start failed (exit " + s.code() + "): " + s.out().strip());
        }
        running = true;
        r.timing = String.format("start %.1f s", (System.nanoTime() - t0) / 1e9);
        remarks(s.out(), "start", r);
        if (outside()) {
            awaitOutside(s.out(), r);
        }
        awaitQuietJit(r);
    }

    /**
     * Waits until the target's JIT compiler threads are quiet (under 2 % of a core over the last
     * {@link #JIT_WINDOW_S} seconds, as bench/load judges it), at most {@code bench.jitMax}
     * seconds: start retransforms the socket classes, and the JVM compiles again the code that had
     * inlined them, and the start's own code (Byte Buddy's, JFR's) once it has run often enough.
     * That is a cost of the start, not of the packets; it goes into the row's timing, and the
     * measurement window begins after it. The window is long because the compiler works in
     * bursts: with half a second under 5 %, 129-654 ms of C2's work on the start's code still fell
     * into the first window at 50,000 packets/s (results-2026-12-07-loopback-window20-2.txt).
     */
    private void awaitQuietJit(Row r) throws Exception {
        long max = TimeUnit.SECONDS.toNanos(Long.getLong("bench.jitMax", 60));
        if (max <= 0) {
            return;
        }
        long t0 = System.nanoTime();
        long first = compilerNanos();
        long[] window = new long[JIT_WINDOW_S * 2 + 1]; // samples every 500 ms
        int n = 0;
        boolean quiet = false;
        while (System.nanoTime() - t0 < max) {
            window[n++ % window.length] = compilerNanos();
            if (n >= window.length && window[(n - 1) % window.length] - window[n % window.length]
                    < JIT_QUIET_SHARE * JIT_WINDOW_S * 1e9) {
                quiet = true;
                break;
            }
            Thread.sleep(500);
        }
        long last = compilerNanos();
        r.timing += String.format(", JIT after start %.0f ms, %s %.1f s", (last - first) / 1e6,
                quiet ? "quiet after" : "NOT quiet after", (System.nanoTime() - t0) / 1e9);
    }

    /** The seconds over which the compiler threads must be quiet, and the share of a core they may take. */
    private static final int JIT_WINDOW_S = 5;
    private static final double JIT_QUIET_SHARE = 0.02;

    private long compilerNanos() throws Exception {
        long sum = 0;
        for (Proc.Task t : Proc.tasks(target.pid()).values()) {
            if (t.comm().startsWith("C1 CompilerThre") || t.comm().startsWith("C2 CompilerThre")) {
                sum += t.nanos();
            }
        }
        return sum;
    }

    /**
     * The guard that start names, and its tcpdump once that listens (its log in the FIFOs'
     * directory says so): the packets are captured only from then on.
     */
    private void awaitOutside(String startOut, Row r) throws Exception {
        guard = Proc.grab(startOut, "watched by pid (\\d+)");
        String fifos = startOut.replaceAll("(?s).*through (\\S+)\\).*", "$1");
        if (guard < 0 || fifos.equals(startOut)) {
            throw new IllegalStateException("wiretrace start named no guard pid or FIFO directory: " + startOut.strip());
        }
        Path log = Path.of(fifos, "0.log");
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
        tcpdump = -1;
        while (tcpdump < 0 || !(Files.exists(log) && Files.readString(log).contains("listening on"))) {
            Optional<ProcessHandle> child = ProcessHandle.of(guard).flatMap(g -> g.children().findFirst());
            tcpdump = child.map(ProcessHandle::pid).orElse(-1L);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the capture outside did not start listening within 10 s (guard " + guard
                        + ", tcpdump " + tcpdump + ")");
            }
            Thread.sleep(10);
        }
        double waited = (System.nanoTime() - t0) / 1e9;
        if (waited > 0.05) {
            r.remarks.add(String.format("tcpdump listened only %.2f s after start returned", waited));
        }
    }

    @Override
    public void mark() throws Exception {
        tasksMark = Proc.tasks(target.pid());
        cpuMark = outside() ? Proc.cpuNanos(target.pid(), guard, tcpdump) : Proc.cpuNanos(new long[] {target.pid()});
    }

    @Override
    public void end(Row r) throws Exception {
        long[] cpu = outside() ? Proc.cpuNanos(target.pid(), guard, tcpdump) : Proc.cpuNanos(new long[] {target.pid()});
        r.jvmCpu = cpu[0] - cpuMark[0];
        Map<Long, Proc.Task> now = Proc.tasks(target.pid());
        Map<String, Long> capture = new TreeMap<>();
        Map<String, Long> other = new TreeMap<>();
        long capCpu = 0;
        for (Map.Entry<Long, Proc.Task> e : now.entrySet()) {
            Proc.Task before = tasksMark.get(e.getKey());
            String name = e.getValue().comm();
            long ns = e.getValue().nanos() - (before == null ? 0 : before.nanos());
            if (name.startsWith(THREAD_PREFIX)) {
                capture.merge(name, ns, Long::sum);
                capCpu += ns;
            } else {
                other.merge(name.replaceAll("\\d+$", "*"), ns, Long::sum);
            }
        }
        for (Map.Entry<Long, Proc.Task> e : tasksMark.entrySet()) {
            if (!now.containsKey(e.getKey()) && e.getValue().comm().startsWith(THREAD_PREFIX)) {
                r.remarks.add("thread " + e.getValue().comm() + " ended during the measurement");
            }
        }
        r.memory.put("target", Proc.memoryKiB(target.pid()));
        String outsideNote = "";
        if (outside()) {
            if (cpu[1] < 0 || cpu[2] < 0) {
                r.errors.add("the guard " + guard + " or its tcpdump " + tcpdump + " ended during the measurement");
            }
            long guardNs = cpu[1] - cpuMark[1];
            long tcpdumpNs = cpu[2] - cpuMark[2];
            r.outsideCpu = guardNs + tcpdumpNs;
            capCpu += r.outsideCpu;
            r.jvmCpu += r.outsideCpu;
            r.memory.put("guard", Proc.memoryKiB(guard));
            r.memory.put("tcpdump", Proc.memoryKiB(tcpdump));
            outsideNote = String.format("; outside: guard %.0f ms, tcpdump %.0f ms (before the window: %.0f and %.0f ms)",
                    guardNs / 1e6, tcpdumpNs / 1e6, cpuMark[1] / 1e6, cpuMark[2] / 1e6);
        }
        r.captureCpu = capCpu;
        Map<String, String> mem = new LinkedHashMap<>();
        r.memory.forEach((k, v) -> mem.put(k, String.format("%s RSS %.1f MiB, PSS %.1f MiB", k, v[0] / 1024.0, v[1] / 1024.0)));
        r.threads = "capture " + millis(capture, 0) + outsideNote + "; other threads " + millis(other, 3_000_000)
                + "; " + String.join(", ", mem.values());
    }

    /** "name 12 ms, name 3 ms" for the entries of at least minNs, largest first. */
    private static String millis(Map<String, Long> cpu, long minNs) {
        List<String> l = cpu.entrySet().stream().filter(e -> e.getValue() >= minNs)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> String.format("%s %.0f ms", e.getKey(), e.getValue() / 1e6)).toList();
        return l.isEmpty() ? "none" : String.join(", ", l);
    }

    @Override
    public void stop(Row r) throws Exception {
        if (!running) {
            return;
        }
        long t0 = System.nanoTime();
        Proc.Result s = Proc.run(60, concat(cli, List.of("stop", String.valueOf(target.pid()))));
        running = false;
        r.timing += String.format(", stop %.1f s", (System.nanoTime() - t0) / 1e9);
        if (s.code() != 0) {
            r.errors.add("wiretrace stop failed (exit " + s.code() + "): " + s.out().strip());
        }
        r.counts(s.out());
        if (r.captured < 0) {
            r.remarks.add("wiretrace stop printed no packet counts");
        }
        r.stopCounts = s.out().lines().filter(l -> l.matches(".*\\d+ (packets? )?(captured|received|dropped).*"))
                .map(String::strip).toList();
        remarks(s.out(), "stop", r);
        if (outside()) {
            stopOutside(s.out(), r);
        }
        try (Stream<Path> files = Files.list(dir)) {
            r.file = files.filter(f -> f.getFileName().toString().startsWith("trace.")).findFirst().orElse(null);
        }
    }

    /** tcpdump's own counts, as stop prints them, against the agent's; and whether the guard ended. */
    private void stopOutside(String stopOut, Row r) throws Exception {
        int at = stopOut.indexOf(OUTSIDE_SECTION);
        if (at < 0) {
            r.remarks.add("wiretrace stop printed nothing from the capture outside");
        } else {
            String said = stopOut.substring(at);
            long captured = Proc.grab(said, "(\\d+) packets? captured");
            if (r.interfaceDrops < 0 && captured >= 0) {
                r.interfaceDrops = 0; // tcpdump prints that line only when the count is not 0
            }
            r.remarks.add("tcpdump outside: " + captured + " captured" + (captured == r.captured ? "" : " (NOT the "
                    + r.captured + " the agent counted)"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcessHandle.of(guard).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (ProcessHandle.of(guard).map(ProcessHandle::isAlive).orElse(false)) {
            r.remarks.add("the guard " + guard + " still ran 5 s after stop");
        }
    }

    private static void remarks(String out, String command, Row r) {
        out.lines().filter(l -> PROBLEM.matcher(l).find())
                .forEach(l -> r.remarks.add("wiretrace " + command + " said: " + l.strip()));
    }

    @Override
    public void close() {
        try {
            if (running) {
                stop(new Row("cleanup", name(), 0));
            }
        } catch (Exception e) {
            System.out.println("cleanup: " + e);
        }
    }
}
