import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** tcpdump -w, with the settings wiretrace uses: lo, not promiscuous, nanosecond timestamps. */
final class Tcpdump implements Capturer, AutoCloseable {
    private final Path work;
    private final List<String> filter;
    private final int bufferKiB;
    private Process process;
    private Path err;
    private long mark;

    Tcpdump(Path work, List<String> filter, int bufferKiB) {
        this.work = work;
        this.filter = filter;
        this.bufferKiB = bufferKiB;
    }

    @Override
    public String name() {
        return "tcpdump";
    }

    List<String> command(Path file) {
        List<String> cmd = new ArrayList<>(List.of("tcpdump", "-i", "lo", "-p", "-n", "-s", "262144",
                "-B", String.valueOf(bufferKiB), "--time-stamp-precision=nano", "-Z", "root", "-w", file.toString()));
        cmd.addAll(filter);
        return cmd;
    }

    @Override
    public void start(Row r) throws Exception {
        r.file = work.resolve(r.name + ".pcap");
        err = work.resolve("tcpdump.err");
        process = new ProcessBuilder(command(r.file)).redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(err).contains("listening on")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                process = null;
                throw new IllegalStateException("tcpdump did not start: " + Files.readString(err).strip());
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void mark() throws Exception {
        mark = Proc.cpuNanos(process.pid());
    }

    @Override
    public void end(Row r) throws Exception {
        r.captureCpu = Proc.cpuNanos(process.pid()) - mark;
    }

    @Override
    public void stop(Row r) throws Exception {
        if (process == null) {
            return;
        }
        process.destroy(); // SIGTERM to the tcpdump this benchmark started: it prints its counts and exits
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            r.errors.add("tcpdump did not exit on SIGTERM");
        }
        process = null;
        String e = Files.readString(err);
        r.counts(e);
        if (r.captured >= 0 && r.interfaceDrops < 0) {
            r.interfaceDrops = 0; // tcpdump prints that line only when the count is not 0
        }
        if (r.captured < 0) {
            r.errors.add("no counts from tcpdump: " + e.replaceAll("\\s+", " ").strip());
        }
        Files.delete(err);
    }

    /** Ends a capture left running (the benchmark was interrupted). */
    @Override
    public void close() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly(); // the tcpdump this benchmark started
        }
    }
}
