import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The load benchmark's driver: loads the app (Generator, in this JVM) for the whole run and
 * measures rounds of it in four arms, starting and stopping tcpdump and wiretrace between rounds.
 * Arms: none (no agent ever loaded), tcpdump (beside the app), wiretrace (running, after a warm-up
 * since start), stopped (after `wiretrace stop`, the agent still loaded). None can only come
 * before the first attach, so the run has two phases, each interleaved, bridged by tcpdump:
 * phase 1 repeats "none tcpdump tcpdump none", phase 2 "wiretrace stopped tcpdump tcpdump stopped wiretrace".
 * Settings come as system properties from bench/load/run.
 */
public final class Load {
    static final String NONE = "none";
    static final String TCPDUMP = "tcpdump";
    static final String WIRETRACE = "wiretrace";
    static final String STOPPED = "stopped";
    /** wiretrace started with BEFORE_OPTS (the defaults of an earlier version, say), beside the wiretrace arm. */
    static final String BEFORE = "before";
    /** The windows right after a start (START_WARMUP_MS) and after a stop (SETTLE_MS): the JIT's work, not in the ratios. */
    static final String STARTED = "+start";
    static final String STOPPING = "+stop";
    static final List<String> ARMS = List.of(NONE, TCPDUMP, WIRETRACE, BEFORE, STOPPED, STARTED, STOPPING);

    /** One measured round. CPU in microseconds per request; busy in cores. */
    record Row(int phase, int cycle, String arm, double rps, double p50, double p99, double p999, long errors,
            double appCpu, double upCpu, double tcpdumpCpu, double busy, String drops) {
    }

    private final Path work = Path.of(prop("work"));
    private final String java = prop("java");
    private final String jar = prop("wiretraceJar");
    private final long appPid = Long.parseLong(prop("appPid"));
    private final long upPid = Long.parseLong(prop("upstreamPid"));
    private final List<String> filter;
    private final long roundNanos = millis("roundMs") * 1_000_000L;
    private final long startWarmupMs = millis("startWarmupMs");
    private final long settleMs = millis("settleMs");
    private final List<Row> rows = new ArrayList<>();
    private Process tcpdump;
    private boolean attached;
    private boolean running;
    /** The arm the running capture was started for (WIRETRACE or BEFORE). */
    private String runningArm;
    private int captures;
    private long jitCpu0;
    private final List<String> wiretraceOpts = opts("wiretraceOpts");
    private final List<String> beforeOpts = opts("beforeOpts");
    private final boolean before = !System.getProperty("load.beforeOpts", "").isBlank();
    /** async-profiler's library, for run --profile; empty otherwise. */
    private final String profiler = System.getProperty("load.profiler", "");
    private Generator gen;
    private int phase;
    private int cycle;

    Load() {
        int appPort = Integer.parseInt(prop("appPort"));
        int upPort = Integer.parseInt(prop("upstreamPort"));
        filter = System.getProperty("load.filter", "").isBlank()
                ? List.of("tcp", "port", String.valueOf(appPort), "or", "tcp", "port", String.valueOf(upPort))
                : opts("filter");
    }

    public static void main(String[] args) throws Exception {
        Load load = new Load();
        Runtime.getRuntime().addShutdownHook(new Thread(load::cleanUp));
        load.run();
    }

    private void run() throws Exception {
        int appPort = Integer.parseInt(prop("appPort"));
        int connections = Integer.parseInt(prop("connections"));
        Generator gen = new Generator(appPort, prop("path"), connections);
        this.gen = gen;
        System.out.printf("load: %d connections to 127.0.0.1:%d%s, rounds of %d ms, capture filter: %s%n", connections,
                appPort, prop("path"), roundNanos / 1_000_000, String.join(" ", filter));
        System.out.printf("wiretrace start options: %s%s%n", wiretraceOpts.isEmpty() ? "(defaults)" : String.join(" ", wiretraceOpts),
                before ? "; before: " + String.join(" ", beforeOpts) : "");
        gen.start();
        warmUp(gen);
        if (!profiler.isEmpty()) {
            profile(gen);
            return;
        }

        List<List<String>> phase1 = List.of(List.of(NONE, TCPDUMP, TCPDUMP, NONE));
        List<List<String>> phase2 = List.of(before
                ? List.of(WIRETRACE, STOPPED, BEFORE, TCPDUMP, TCPDUMP, BEFORE, STOPPED, WIRETRACE)
                : List.of(WIRETRACE, STOPPED, TCPDUMP, TCPDUMP, STOPPED, WIRETRACE));
        if (Boolean.getBoolean("short")) {
            phase1 = List.of(List.of(NONE, TCPDUMP));
            phase2 = List.of(before ? List.of(WIRETRACE, STOPPED, BEFORE, TCPDUMP) : List.of(WIRETRACE, STOPPED, TCPDUMP));
        }
        System.out.printf("%n%-5s %-5s %-9s %8s %8s %8s %8s %6s %8s %8s %8s %5s  %s%n", "phase", "cycle", "arm",
                "req/s", "p50", "p99", "p99.9", "errors", "appCPU", "upCPU", "tcpdCPU", "busy", "capture");
        System.out.printf("%-5s %-5s %-9s %8s %8s %8s %8s %6s %8s %8s %8s %5s%n", "", "", "", "", "us", "us", "us", "",
                "us/req", "us/req", "us/req", "cores");
        int cycles1 = Integer.parseInt(prop("cycles1"));
        int cycles2 = Integer.parseInt(prop("cycles2"));
        for (int c = 1; c <= cycles1; c++) {
            for (String arm : phase1.get(0)) {
                round(gen, 1, c, arm);
            }
        }
        for (int c = 1; c <= cycles2; c++) {
            for (String arm : phase2.get(0)) {
                round(gen, 2, c, arm);
            }
        }
        if (running) {
            stopWiretrace();
        }
        gen.close();
        report();
    }

    /**
     * run --profile: the app profiled for profileMs with no agent, with tcpdump beside it, with
     * wiretrace running (once its JIT is quiet after the start), and after its stop; then where its
     * CPU went, per request.
     */
    private void profile(Generator gen) throws Exception {
        long nanos = millis("profileMs") * 1_000_000L;
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, Long> requests = new LinkedHashMap<>();
        profiled(gen, NONE, nanos, files, requests);
        startTcpdump(); // what a capture beside the app costs the app itself: its kernel's copies, its caches
        profiled(gen, TCPDUMP, nanos, files, requests);
        System.out.println("  tcpdump: " + stopTcpdump());
        startWiretrace(WIRETRACE);
        profiled(gen, WIRETRACE, nanos, files, requests);
        stopWiretrace();
        profiled(gen, STOPPED, nanos, files, requests);
        gen.close();
        Profile.print(files, requests);
    }

    private void profiled(Generator gen, String arm, long nanos, Map<String, Path> files, Map<String, Long> requests)
            throws Exception {
        Path file = work.resolve("profile-" + arm + ".collapsed");
        Profile.start(appPid, profiler);
        Generator.Round r = gen.measure(nanos);
        Profile.stop(appPid, profiler, file);
        files.put(arm, file);
        requests.put(arm, count(r));
        System.out.printf("profiled %s: %.0f req/s over %d ms%n", arm, rate(r), nanos / 1_000_000);
    }

    /**
     * At least warmupMs of load, then windows of 5 s until one sets no new high by more than 2 %
     * (the JIT of three JVMs takes a minute or more here), at most warmupMaxMs in all.
     */
    private void warmUp(Generator gen) throws InterruptedException {
        long t0 = System.nanoTime();
        Generator.Round first = gen.measure(millis("warmupMs") * 1_000_000L);
        double best = rate(first);
        StringBuilder seen = new StringBuilder(String.format("%.0f", best));
        long max = millis("warmupMaxMs") * 1_000_000L;
        while (System.nanoTime() - t0 < max) {
            double r = rate(gen.measure(Math.min(5_000_000_000L, millis("warmupMs") * 1_000_000L)));
            seen.append(String.format(" %.0f", r));
            if (r <= best * 1.02) {
                break;
            }
            best = r;
        }
        System.out.printf("warm-up: %.0f s, req/s per window: %s%n", (System.nanoTime() - t0) / 1e9, seen);
    }

    private static double rate(Generator.Round r) {
        return count(r) * 1e9 / (r.end - r.start);
    }

    private void round(Generator gen, int phase, int cycle, String arm) throws Exception {
        this.phase = phase;
        this.cycle = cycle;
        switch (arm) {
            case NONE -> {
                if (attached) {
                    throw new IllegalStateException("none after an attach");
                }
            }
            case TCPDUMP -> {
                if (running) {
                    stopWiretrace();
                }
                startTcpdump();
            }
            case WIRETRACE, BEFORE -> {
                if (running && !arm.equals(runningArm)) {
                    stopWiretrace();
                }
                if (!running) {
                    startWiretrace(arm);
                }
            }
            case STOPPED -> {
                if (running) {
                    stopWiretrace();
                }
            }
            default -> throw new IllegalArgumentException(arm);
        }
        measure(arm, roundNanos);
    }

    /** One window of load, as a row of the arm. */
    private void measure(String arm, long nanos) throws Exception {
        String drops = "";
        long tcpdPid = tcpdump == null ? -1 : tcpdump.pid();
        long app0 = cpuNanos(appPid);
        long up0 = cpuNanos(upPid);
        long tcpd0 = tcpdPid < 0 ? 0 : cpuNanos(tcpdPid);
        long busy0 = busyTicks();
        Generator.Round r = gen.measure(nanos);
        long busy1 = busyTicks();
        long app1 = cpuNanos(appPid);
        long up1 = cpuNanos(upPid);
        long tcpd1 = tcpdPid < 0 ? 0 : cpuNanos(tcpdPid);
        if (arm.equals(TCPDUMP)) {
            drops = stopTcpdump();
        }
        if (arm.equals(WIRETRACE) || arm.equals(BEFORE)) {
            drops = "(at stop)";
        }
        Histogram h = new Histogram();
        Arrays.stream(r.latencies).forEach(h::add);
        double seconds = (r.end - r.start) / 1e9;
        long n = h.total();
        Row row = new Row(phase, cycle, arm, n / seconds, h.quantile(0.5) / 1e3, h.quantile(0.99) / 1e3,
                h.quantile(0.999) / 1e3, errors(r), perRequest(app1 - app0, n), perRequest(up1 - up0, n),
                perRequest(tcpd1 - tcpd0, n), (busy1 - busy0) / 100.0 / seconds, drops);
        rows.add(row);
        System.out.printf("%-5d %-5d %-9s %8.0f %8.0f %8.0f %8.0f %6d %8.1f %8.1f %8.1f %5.2f  %s%n", phase, cycle, arm,
                row.rps, row.p50, row.p99, row.p999, row.errors, row.appCpu, row.upCpu, row.tcpdumpCpu, row.busy,
                row.drops);
    }

    private static double perRequest(long cpuNanos, long requests) {
        return requests == 0 ? 0 : cpuNanos / 1e3 / requests;
    }

    private void startTcpdump() throws Exception {
        Path file = work.resolve("tcpdump.pcap");
        Path err = work.resolve("tcpdump.err");
        List<String> cmd = new ArrayList<>(List.of("tcpdump", "-i", "lo", "-s0", "-w", file.toString()));
        cmd.addAll(filter);
        tcpdump = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        Files.writeString(work.resolve("tcpdump.pid"), tcpdump.pid() + "\n");
        long give = System.currentTimeMillis() + 10_000;
        while (!Files.readString(err).contains("listening on")) {
            if (!tcpdump.isAlive() || System.currentTimeMillis() > give) {
                throw new IOException("tcpdump did not start: " + Files.readString(err));
            }
            Thread.sleep(20);
        }
        Thread.sleep(settleMs / 4); // its start-up is not what we measure
    }

    /** Stops tcpdump (SIGTERM, as Ctrl+C would) and returns what it says it captured and dropped. */
    private String stopTcpdump() throws Exception {
        tcpdump.destroy();
        if (!tcpdump.waitFor(10, TimeUnit.SECONDS)) {
            tcpdump.destroyForcibly().waitFor();
        }
        tcpdump = null;
        Files.deleteIfExists(work.resolve("tcpdump.pid"));
        String out = Files.readString(work.resolve("tcpdump.err"));
        String counts = counts(out, "packets captured", "dropped by kernel");
        String written = written(counts, Files.size(work.resolve("tcpdump.pcap")), -1);
        Files.deleteIfExists(work.resolve("tcpdump.pcap"));
        return counts + written;
    }

    private void startWiretrace(String arm) throws Exception {
        Path out = work.resolve("wiretrace-" + (++captures));
        List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar, "start", String.valueOf(appPid), "-i", "lo",
                "-w", out.toString()));
        cmd.addAll(arm.equals(BEFORE) ? beforeOpts : wiretraceOpts);
        cmd.addAll(filter);
        attached = true;
        long t0 = System.nanoTime();
        jitCpu0 = jitNanos(appPid);
        String said = cli(cmd);
        running = true;
        runningArm = arm;
        if (captures == 1) {
            System.out.println("  (first start: " + said.strip().replace('\n', ' ') + ")");
        }
        System.out.printf("  start (%s): %d ms%n", arm, (System.nanoTime() - t0) / 1_000_000);
        if (startWarmupMs > 0) {
            measure(STARTED, startWarmupMs * 1_000_000L); // the retransformation's JIT work: measured, not judged
        }
        awaitJit("start", t0);
    }

    /**
     * Waits, under load, until the app's JIT compiler threads are quiet (under {@code jitQuietPercent}
     * of a core over the last {@link #JIT_WINDOW_S} seconds) or jitMaxMs since {@code t0} passed,
     * and says how much compiler CPU the app spent since {@code t0}: what retransforming classes
     * costs (compiled code that inlined them is thrown away and compiled again), apart from what
     * the arm's rounds measure. The window is long because the compiler works in bursts: after
     * the first start (which throws away all compiled code) a second under 5 % came 25-30 s after
     * it, while the compiler still took 4-5 % of a core for another 30 s.
     */
    private void awaitJit(String after, long t0) throws Exception {
        long jit0 = jitCpu0;
        long max = millis("jitMaxMs") * 1_000_000L;
        double quiet = Double.parseDouble(System.getProperty("load.jitQuietPercent", "2")) / 100;
        long[] window = new long[JIT_WINDOW_S + 1];
        int n = 0;
        while (System.nanoTime() - t0 < max) {
            window[n++ % window.length] = jitNanos(appPid);
            if (n >= window.length
                    && window[(n - 1) % window.length] - window[n % window.length] < quiet * JIT_WINDOW_S * 1e9) {
                break;
            }
            Thread.sleep(1000);
        }
        System.out.printf("  jit after %s: %.1f s of compiler CPU in the app, quiet %.0f s after it%s%n", after,
                (jitNanos(appPid) - jit0) / 1e9, (System.nanoTime() - t0) / 1e9,
                System.nanoTime() - t0 >= max ? " (not quiet: gave up waiting)" : "");
    }

    /** The seconds over which the compiler threads must be quiet. */
    private static final int JIT_WINDOW_S = 5;

    /** CPU time (ns) of the JVM's compiler threads (C1 and C2), from /proc/PID/task. */
    private static long jitNanos(long pid) throws IOException {
        long sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
                        sum += statCpuNanos(stat);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        }
        return sum;
    }

    private void stopWiretrace() throws Exception {
        long t0 = System.nanoTime();
        jitCpu0 = jitNanos(appPid);
        String said = cli(List.of(java, "-jar", jar, "stop", String.valueOf(appPid)));
        running = false;
        for (int i = rows.size() - 1; i >= 0 && rows.get(i).arm.equals(runningArm) && rows.get(i).drops.equals("(at stop)"); i--) {
            Row r = rows.get(i);
            rows.set(i, new Row(r.phase, r.cycle, r.arm, r.rps, r.p50, r.p99, r.p999, r.errors, r.appCpu, r.upCpu,
                    r.tcpdumpCpu, r.busy, counts(said, "packets captured", "dropped by kernel", "dropped by wiretrace")));
        }
        String counts = counts(said, "packets captured", "dropped by kernel", "dropped by wiretrace");
        Path out = work.resolve("wiretrace-" + captures);
        System.out.println("  stop: " + counts + written(counts, bytes(out, ".pcapng"), bytes(out, ".jfr")));
        if (!"1".equals(System.getProperty("load.keep"))) {
            deleteTree(out);
        }
        if (settleMs > 0) {
            measure(STOPPING, settleMs * 1_000_000L); // the JIT's work after the classes are restored
        }
        awaitJit("stop", t0);
    }

    private static String cli(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }

    /** "N word" for each of the words, from tcpdump's or wiretrace's closing counts. */
    private static String counts(String out, String... words) {
        List<String> found = new ArrayList<>();
        for (String w : words) {
            out.lines().filter(l -> l.contains(w)).findFirst()
                    .ifPresent(l -> found.add(l.strip().replaceAll("^(\\d+).*?(" + w + ").*$", "$1 $2")));
        }
        return String.join(", ", found);
    }

    private void cleanUp() {
        if (tcpdump != null && tcpdump.isAlive()) {
            tcpdump.destroy();
        }
        if (running) {
            try {
                cli(List.of(java, "-jar", jar, "stop", String.valueOf(appPid)));
            } catch (Exception e) {
                System.err.println("wiretrace stop at exit: " + e.getMessage());
            }
        }
    }

    private void report() {
        System.out.printf("%nPER ARM: median over rounds [min-max]; x none: ratio of the medians to the none arm's%n");
        System.out.printf("%-9s %6s %22s %22s %22s %22s %8s %8s%n", "arm", "rounds", "req/s", "p50 us", "p99 us",
                "p99.9 us", "appCPU", "errors");
        Map<String, List<Row>> byArm = new LinkedHashMap<>();
        for (String arm : ARMS) {
            byArm.put(arm, rows.stream().filter(r -> r.arm.equals(arm)).collect(Collectors.toList()));
        }
        List<Row> none = byArm.get(NONE);
        for (var e : byArm.entrySet()) {
            List<Row> rs = e.getValue();
            if (rs.isEmpty()) {
                continue;
            }
            System.out.printf("%-9s %6d %22s %22s %22s %22s %8.1f %8d%n", e.getKey(), rs.size(), spread(rs, Row::rps),
                    spread(rs, Row::p50), spread(rs, Row::p99), spread(rs, Row::p999), median(rs, Row::appCpu),
                    rs.stream().mapToLong(Row::errors).sum());
        }
        System.out.printf("%n%-9s %10s %10s %10s %10s %10s%n", "x none", "req/s", "p50", "p99", "p99.9", "appCPU");
        for (var e : byArm.entrySet()) {
            List<Row> rs = e.getValue();
            if (rs.isEmpty() || none.isEmpty()) {
                continue;
            }
            System.out.printf("%-9s %10s %10s %10s %10s %10s%n", e.getKey(), ratio(rs, none, Row::rps),
                    ratio(rs, none, Row::p50), ratio(rs, none, Row::p99), ratio(rs, none, Row::p999),
                    ratio(rs, none, Row::appCpu));
        }

        System.out.printf("%nPAIRED: per cycle, the arm's mean over the cycle's rounds / the reference's; median over cycles [min-max]%n");
        System.out.printf("%-28s %6s %20s %20s %20s %20s%n", "", "cycles", "req/s", "p50", "p99", "p99.9");
        paired(1, TCPDUMP, NONE);
        paired(2, WIRETRACE, TCPDUMP);
        paired(2, BEFORE, TCPDUMP);
        paired(2, WIRETRACE, BEFORE);
        paired(2, WIRETRACE, STOPPED);
        paired(2, STOPPED, TCPDUMP);
        paired(1, NONE, NONE);
        paired(2, TCPDUMP, TCPDUMP);
        paired(2, STOPPED, STOPPED);
        paired(2, WIRETRACE, WIRETRACE);
        System.out.println("(X / X: the cycle's second round of the arm over its first: the noise between neighbouring rounds)");

        double b1 = median(rows.stream().filter(r -> r.phase == 1 && r.arm.equals(TCPDUMP)).toList(), Row::rps);
        double b2 = median(rows.stream().filter(r -> r.phase == 2 && r.arm.equals(TCPDUMP)).toList(), Row::rps);
        double noneRps = median(none, Row::rps);
        System.out.printf("%nNOISE: none's req/s over its %d rounds: %s of the median; tcpdump's req/s, phase 2 / phase 1: x%.3f (drift between the phases)%n",
                none.size(), range(none, Row::rps, noneRps), b2 / b1);
        List<Double> tn = cycleRatios(1, TCPDUMP, NONE, Row::rps);
        for (String arm : List.of(WIRETRACE, BEFORE, STOPPED, STARTED, STOPPING)) {
            List<Double> wt = cycleRatios(2, arm, TCPDUMP, Row::rps);
            if (!wt.isEmpty() && !tn.isEmpty()) {
                System.out.printf("%s x none through tcpdump (median %s/tcpdump x median tcpdump/none), req/s: x%.3f%n",
                        arm, arm, med(wt) * med(tn));
            }
        }
        cpuCost(byArm);
    }

    /**
     * The app's CPU per request over the upstream's in the same round. The machine's speed moves
     * both alike (it drifted by ±15 % within minutes here, more than any arm's cost), while the
     * upstream's work per request is the same whatever runs in the app: the ratio is the app's
     * cost with that drift taken out. The app being CPU-bound on the shared cores, req/s falls by
     * about its share of the machine's CPU (some 55 % here) times the rise.
     */
    private static void cpuCost(Map<String, List<Row>> byArm) {
        ToDoubleFunction<Row> f = r -> r.upCpu > 0 ? r.appCpu / r.upCpu : Double.NaN;
        List<Row> tcpdump = byArm.get(TCPDUMP).stream().filter(r -> r.upCpu > 0).toList();
        List<Row> none = byArm.get(NONE).stream().filter(r -> r.upCpu > 0).toList();
        System.out.printf("%nCPU COST: the app JVM's CPU per request over the upstream JVM's in the same round (the"
                + " machine's drift taken out): median over rounds [min-max]%n");
        System.out.printf("%-9s %6s %20s %10s %10s%n", "arm", "rounds", "app/upstream", "x tcpdump", "x none");
        for (var e : byArm.entrySet()) {
            List<Row> rs = e.getValue().stream().filter(r -> r.upCpu > 0).toList();
            if (rs.isEmpty()) {
                continue;
            }
            System.out.printf("%-9s %6d %20s %10s %10s%n", e.getKey(), rs.size(),
                    String.format("%.3f [%.3f-%.3f]", median(rs, f), rs.stream().mapToDouble(f).min().orElse(0),
                            rs.stream().mapToDouble(f).max().orElse(0)),
                    tcpdump.isEmpty() ? "-" : ratio(rs, tcpdump, f), none.isEmpty() ? "-" : ratio(rs, none, f));
        }
    }

    private void paired(int phase, String arm, String ref) {
        String label = arm + " / " + ref;
        List<ToDoubleFunction<Row>> fs = List.of(Row::rps, Row::p50, Row::p99, Row::p999);
        StringBuilder sb = new StringBuilder();
        int cycles = 0;
        for (ToDoubleFunction<Row> f : fs) {
            List<Double> r = cycleRatios(phase, arm, ref, f);
            cycles = r.size();
            if (r.isEmpty()) {
                return;
            }
            sb.append(String.format(" %20s", String.format("x%.3f [%.3f-%.3f]", med(r), min(r), max(r))));
        }
        System.out.printf("%-28s %6d%s%n", label + " (ph. " + phase + ")", cycles, sb);
    }

    /** For each cycle of the phase: mean of arm's rounds / mean of ref's; for arm == ref: second round / first. */
    private List<Double> cycleRatios(int phase, String arm, String ref, ToDoubleFunction<Row> f) {
        Map<Integer, List<Row>> cycles = rows.stream().filter(r -> r.phase == phase)
                .collect(Collectors.groupingBy(Row::cycle, LinkedHashMap::new, Collectors.toList()));
        List<Double> out = new ArrayList<>();
        for (List<Row> c : cycles.values()) {
            List<Row> a = c.stream().filter(r -> r.arm.equals(arm)).toList();
            List<Row> b = c.stream().filter(r -> r.arm.equals(ref)).toList();
            if (arm.equals(ref)) {
                if (a.size() >= 2) {
                    out.add(f.applyAsDouble(a.get(1)) / f.applyAsDouble(a.get(0)));
                }
            } else if (!a.isEmpty() && !b.isEmpty()) {
                out.add(mean(a, f) / mean(b, f));
            }
        }
        return out;
    }

    private static String spread(List<Row> rs, ToDoubleFunction<Row> f) {
        return String.format("%.0f [%.0f-%.0f]", median(rs, f), rs.stream().mapToDouble(f).min().orElse(0),
                rs.stream().mapToDouble(f).max().orElse(0));
    }

    private static String range(List<Row> rs, ToDoubleFunction<Row> f, double m) {
        return String.format("%+.1f%% .. %+.1f%%", (rs.stream().mapToDouble(f).min().orElse(0) / m - 1) * 100,
                (rs.stream().mapToDouble(f).max().orElse(0) / m - 1) * 100);
    }

    private static String ratio(List<Row> a, List<Row> b, ToDoubleFunction<Row> f) {
        return String.format("x%.3f", median(a, f) / median(b, f));
    }

    private static double mean(List<Row> rs, ToDoubleFunction<Row> f) {
        return rs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static double median(List<Row> rs, ToDoubleFunction<Row> f) {
        return med(rs.stream().map(r -> f.applyAsDouble(r)).toList());
    }

    private static double med(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static long count(Generator.Round r) {
        return Arrays.stream(r.latencies).mapToLong(Histogram::total).sum();
    }

    private static long errors(Generator.Round r) {
        return Arrays.stream(r.errors).sum();
    }

    /** A process's CPU time (user + system) in ns, from /proc/PID/stat (clock ticks of 10 ms). */
    private static long cpuNanos(long pid) {
        try {
            return statCpuNanos(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException e) {
            throw new IllegalStateException("process " + pid + " is gone", e);
        }
    }

    /** User + system time in ns from a process's or thread's stat line (clock ticks of 10 ms). */
    private static long statCpuNanos(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    /** The machine's busy clock ticks (user, nice, system, irq, softirq) from /proc/stat. */
    private static long busyTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                + Long.parseLong(f[7]);
    }

    /**
     * What a capture wrote, for comparing the files' sizes: "; 41.2 MB capture, 162 B a packet" (and
     * the recording's MB when {@code recording >= 0}); the packets are the first number of {@code counts}.
     */
    static String written(String counts, long capture, long recording) {
        Matcher m = Pattern.compile("(\\d+)").matcher(counts);
        long packets = m.find() ? Long.parseLong(m.group(1)) : 0;
        return String.format("; %.1f MB capture%s%s", capture / 1e6,
                packets > 0 ? String.format(", %d B a packet", capture / packets) : "",
                recording >= 0 ? String.format(", %.1f MB recording", recording / 1e6) : "");
    }

    /** The bytes of the files under {@code dir} whose names end in {@code suffix}. */
    private static long bytes(Path dir, String suffix) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            long sum = 0;
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(suffix) && Files.isRegularFile(f)).toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String prop(String name) {
        String v = System.getProperty("load." + name);
        if (v == null) {
            throw new IllegalArgumentException("missing -Dload." + name);
        }
        return v;
    }

    /** Options from a property, split on spaces; none when it is empty or not set. */
    private static List<String> opts(String name) {
        String v = System.getProperty("load." + name, "").strip();
        return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
    }

    private static long millis(String name) {
        return Long.parseLong(prop(name));
    }
}
