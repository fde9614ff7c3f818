import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Child processes, and the CPU time of processes and their threads. */
final class Proc {
    static Path cpuclock; // the compiled cpuclock.c

    private Proc() {
    }

    record Result(int code, String out) {
    }

    /** Runs a command to its end (stdout and stderr together); kills it after timeoutS. */
    static Result run(long timeoutS, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly(); // a child this benchmark started
            return new Result(-1, out.get(10, TimeUnit.SECONDS) + "\n(killed after " + timeoutS + " s)");
        }
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS));
    }

    static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** CPU time of a whole process so far (all threads, also ended ones), in ns; -1 if it is gone. */
    static long cpuNanos(long pid) throws Exception {
        return cpuNanos(new long[] {pid})[0];
    }

    /** cpuNanos of several processes, read at (nearly) the same instant. */
    static long[] cpuNanos(long... pids) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(cpuclock.toString()));
        for (long pid : pids) {
            cmd.add(String.valueOf(pid));
        }
        String out = run(10, cmd).out();
        long[] ns = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            ns[i] = grab(out, "^" + pids[i] + " (-?\\d+)");
        }
        return ns;
    }

    /** A process's resident memory and its proportional share of it (shared pages divided among their users), in KiB. */
    static long[] memoryKiB(long pid) throws IOException {
        String rollup = Files.readString(Path.of("/proc", String.valueOf(pid), "smaps_rollup"));
        return new long[] {grab(rollup, "^Rss:\\s+(\\d+) kB"), grab(rollup, "^Pss:\\s+(\\d+) kB")};
    }

    record Task(String comm, long nanos) {
    }

    /** The live threads of a process: thread id to name (/proc comm, at most 15 characters) and CPU ns. */
    static Map<Long, Task> tasks(long pid) throws IOException {
        Map<Long, Task> tasks = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path t : ds) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    // schedstat: time on the CPU (ns), time waiting to run (ns), timeslices
                    long ns = Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
                    tasks.put(Long.parseLong(t.getFileName().toString()), new Task(comm, ns));
                } catch (NoSuchFileException ended) {
                    // the thread ended while being listed
                }
            }
        }
        return tasks;
    }

    /** The first group of the first match of re in s, as a number; -1 if there is none. */
    static long grab(String s, String re) {
        Matcher m = Pattern.compile(re, Pattern.MULTILINE).matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
