import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The JVM wiretrace attaches to: the sample shop's upstream, which idles; one for the whole run. */
final class Target implements AutoCloseable {
    final Process process;
    final StringBuffer output = new StringBuffer();

    Target(String java, Path shopJar, List<String> options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(options);
        cmd.addAll(List.of("-jar", shopJar.toString(), "upstream"));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try {
                String l;
                while ((l = out.readLine()) != null) {
                    if (l.startsWith("READY port=")) {
                        ready.complete(null);
                    } else {
                        output.append(l).append('\n');
                    }
                }
            } catch (IOException ended) {
                // the target exited
            }
            ready.completeExceptionally(new IllegalStateException("the target JVM exited: " + output));
        }, "target-output");
        drain.setDaemon(true);
        drain.start();
        try {
            ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("the target JVM did not print READY: " + cmd + "\n" + output, e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** The busiest threads of the last idle window: "name ms, ..." (names cut to 15 characters by /proc). */
    String idleThreads = "";

    /** The target JVM's CPU over an idle window of the given length, with no capture running. */
    long idleCpu(long nanos) throws Exception {
        Map<Long, Proc.Task> before = Proc.tasks(pid());
        long c0 = Proc.cpuNanos(pid());
        long t0 = System.nanoTime();
        TimeUnit.NANOSECONDS.sleep(nanos);
        long c1 = Proc.cpuNanos(pid());
        Map<String, Long> byName = new HashMap<>();
        for (Map.Entry<Long, Proc.Task> e : Proc.tasks(pid()).entrySet()) {
            Proc.Task was = before.get(e.getKey());
            byName.merge(e.getValue().comm().replaceAll("[0-9#-]+$", ""), e.getValue().nanos() - (was == null ? 0 : was.nanos()),
                    Long::sum);
        }
        idleThreads = byName.entrySet().stream().filter(e -> e.getValue() >= 500_000)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(e -> String.format(Locale.ROOT, "%s %.0f ms", e.getKey(), e.getValue() / 1e6))
                .collect(Collectors.joining(", "));
        return (long) ((c1 - c0) * ((double) nanos / (System.nanoTime() - t0)));
    }

    @Override
    public void close() {
        process.destroy(); // the target JVM this benchmark started
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
