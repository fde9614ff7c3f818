import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;

/** One capturer's part in one sender run: what was offered, what it wrote and counted, what it cost. */
final class Row {
    final String phase;
    final String capturer;
    final long rate;
    /** Unique in the run: a measurement repeated in the same phase and rate writes other files. */
    final String name;
    /** Together: the capturer that shared the sender run with this tcpdump (one run per wiretrace mode); else "". */
    String pair = "";
    private static final AtomicInteger NUMBER = new AtomicInteger();
    Path file;
    CaptureFile content;

    long offered = -1;
    double sendSeconds;
    long senderCpu = -1;
    double busyCores = -1; // the machine's, over the window
    double otherCores = -1; // busyCores less the sender's and the capturers' (and the target JVM's) CPU
    long windowNs = -1; // from mark to end: the sender's run plus the drain wait

    long written = -1; // packets in the file
    long captured = -1; // the capturer's own counts, -1 where it printed none
    long received = -1;
    long kernelDrops = -1;
    long interfaceDrops = -1;
    long wiretraceDrops = -1;

    long captureCpu = -1; // tcpdump: the process; wiretrace: its wiretrace-* threads in the target
    long jvmCpu = -1; // wiretrace: the whole target JVM
    long jvmIdleCpu = -1; // the target JVM's idle CPU over the same window
    long outsideCpu = -1; // wiretrace capturing outside: its guard JVM and tcpdump (in captureCpu and jvmCpu too)
    final Map<String, long[]> memory = new LinkedHashMap<>(); // process ("target", "guard", "tcpdump") to RSS, PSS in KiB
    String threads = "";
    String timing = "";
    List<String> stopCounts = List.of();
    final List<String> errors = new ArrayList<>();
    final List<String> remarks = new ArrayList<>();

    Row(String phase, String capturer, long rate) {
        this.phase = phase;
        this.capturer = capturer;
        this.rate = rate;
        this.name = phase + "-" + rate + "-" + NUMBER.incrementAndGet() + "-" + capturer;
    }

    /**
     * Reads the counts a capturer prints when it stops. tcpdump's lines are "N packets captured",
     * "N packets received by filter", "N packets dropped by kernel"; wiretrace prints lines of the same
     * words (older builds: one line "N packets captured (B bytes), N received by filter, ...").
     */
    void counts(String text) {
        captured = Proc.grab(text, "(\\d+) packets? captured");
        received = Proc.grab(text, "(\\d+) (?:packets? )?received by filter");
        kernelDrops = Proc.grab(text, "(\\d+) (?:packets? )?dropped by kernel");
        interfaceDrops = Proc.grab(text, "(\\d+) (?:packets? )?dropped by interface");
        wiretraceDrops = Proc.grab(text, "(\\d+) (?:packets? )?dropped by wiretrace");
    }

    /** Several rounds of one capturer at one rate as one row: counts and CPU summed, so CPU per packet is pooled. */
    static Row pool(List<Row> rounds) {
        if (rounds.size() == 1) {
            return rounds.get(0);
        }
        Row first = rounds.get(0);
        Row p = new Row(first.phase, first.capturer, first.rate);
        p.offered = sum(rounds, r -> r.offered);
        p.senderCpu = sum(rounds, r -> r.senderCpu);
        p.windowNs = sum(rounds, r -> r.windowNs);
        p.written = sum(rounds, r -> r.written);
        p.captured = sum(rounds, r -> r.captured);
        p.received = sum(rounds, r -> r.received);
        p.kernelDrops = sum(rounds, r -> r.kernelDrops);
        p.interfaceDrops = sum(rounds, r -> r.interfaceDrops);
        p.wiretraceDrops = sum(rounds, r -> r.wiretraceDrops);
        p.captureCpu = sum(rounds, r -> r.captureCpu);
        p.jvmCpu = sum(rounds, r -> r.jvmCpu);
        p.jvmIdleCpu = sum(rounds, r -> r.jvmIdleCpu);
        p.outsideCpu = sum(rounds, r -> r.outsideCpu);
        for (Row r : rounds) { // the largest of the rounds
            r.memory.forEach((k, v) -> p.memory.merge(k, v, (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])}));
        }
        p.busyCores = rounds.stream().mapToDouble(r -> r.busyCores * r.windowNs).sum() / p.windowNs;
        p.otherCores = rounds.stream().mapToDouble(r -> r.otherCores * r.windowNs).sum() / p.windowNs;
        rounds.forEach(r -> p.errors.addAll(r.errors));
        return p;
    }

    /** The sum, or -1 if a round has no such number. */
    private static long sum(List<Row> rounds, ToLongFunction<Row> f) {
        long sum = 0;
        for (Row r : rounds) {
            long v = f.applyAsLong(r);
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    long missed() {
        return offered < 0 || written < 0 ? -1 : offered - written;
    }

    boolean droppedNothing() {
        return written >= 0 && written == offered && kernelDrops <= 0 && wiretraceDrops <= 0 && errors.isEmpty();
    }

    long jvmNetCpu() {
        return jvmCpu < 0 || jvmIdleCpu < 0 ? -1 : jvmCpu - jvmIdleCpu;
    }
}
