import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * wiretrace's capture in a target JVM (the sample shop's upstream, which idles), started and
 * stopped through the real CLI. Its capture CPU is that of the target's threads named
 * wiretrace-*; the whole JVM's CPU is measured too.
 */
final class Wiretrace implements Capturer, AutoCloseable {
    private static final String THREAD_PREFIX = "wiretrace-";
    /** Words in the CLI's output that say something went wrong ("0 failed connects" is a count). */
    private static final Pattern PROBLEM =
            Pattern.compile("(?i)\\b(error|warning|exception|cannot|could not|failed(?! connects))\\b");
    private final List<String> cli;
    private final Path work;
    private final List<String> startOptions = new ArrayList<>(List.of("-i", "lo"));
    private final List<String> filter;
    final String bufferNote;
    final Process target;
    final StringBuffer targetOutput = new StringBuffer();
    private Path dir;
    private long cpuMark;
    private Map<Long, Proc.Task> tasksMark;
    private boolean running;

    Wiretrace(String java, Path cliJar, Path shopJar, List<String> targetOptions, List<String> options,
            List<String> filter, int bufferKiB, Path work) throws Exception {
        this.cli = List.of(java, "-jar", cliJar.toString());
        this.work = work;
        this.filter = filter;
        String help = Proc.run(60, concat(cli, List.of("help", "start"))).out();
        if (Pattern.compile("[\\s\\[,]-B\\b").matcher(help).find()) {
            startOptions.addAll(List.of("-B", String.valueOf(bufferKiB)));
            bufferNote = "wiretrace -B " + bufferKiB;
        } else {
            bufferNote = "wiretrace its default (32 MiB; this build has no -B)";
        }
        startOptions.addAll(options);

        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(targetOptions);
        cmd.addAll(List.of("-jar", shopJar.toString(), "upstream"));
        target = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(target.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try {
                String l;
                while ((l = out.readLine()) != null) {
                    if (l.startsWith("READY port=")) {
                        ready.complete(null);
                    } else {
                        targetOutput.append(l).append('\n');
                    }
                }
            } catch (IOException ended) {
                // the target exited
            }
            ready.completeExceptionally(new IllegalStateException("the target JVM exited: " + targetOutput));
        }, "target-output");
        drain.setDaemon(true);
        drain.start();
        try {
            ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("the target JVM did not print READY: " + cmd + "\n" + targetOutput, e);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    long pid() {
        return target.pid();
    }

    @Override
    public String name() {
        return "wiretrace";
    }

    List<String> startCommand(Path out) {
        return concat(concat(cli, List.of("start", String.valueOf(pid()), "-w", out.toString())),
                concat(startOptions, filter));
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
    }

    @Override
    public void mark() throws Exception {
        tasksMark = Proc.tasks(pid());
        cpuMark = Proc.cpuNanos(pid());
    }

    @Override
    public void end(Row r) throws Exception {
        r.jvmCpu = Proc.cpuNanos(pid()) - cpuMark;
        Map<Long, Proc.Task> now = Proc.tasks(pid());
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
        r.captureCpu = capCpu;
        r.threads = "capture " + millis(capture, 0) + "; other threads " + millis(other, 3_000_000);
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
        Proc.Result s = Proc.run(60, concat(cli, List.of("stop", String.valueOf(pid()))));
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
        try (Stream<Path> files = Files.list(dir)) {
            r.file = files.filter(f -> f.getFileName().toString().startsWith("trace.")).findFirst().orElse(null);
        }
    }

    private static void remarks(String out, String command, Row r) {
        out.lines().filter(l -> PROBLEM.matcher(l).find())
                .forEach(l -> r.remarks.add("wiretrace " + command + " said: " + l.strip()));
    }

    /** The target JVM's CPU over an idle window of the given length, with no capture running. */
    long idleCpu(long nanos) throws Exception {
        long c0 = Proc.cpuNanos(pid());
        long t0 = System.nanoTime();
        TimeUnit.NANOSECONDS.sleep(nanos);
        long c1 = Proc.cpuNanos(pid());
        return (long) ((c1 - c0) * ((double) nanos / (System.nanoTime() - t0)));
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
        target.destroy(); // the target JVM this benchmark started
        try {
            if (!target.waitFor(10, TimeUnit.SECONDS)) {
                target.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
