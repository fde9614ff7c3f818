import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The capture benchmark's driver. Starts one JVM per Java variant (A: libpcap pcap_dump into a
 * FIFO read in bulk; A': the same into a regular file that Java tails; B: today's per-packet
 * getNextRawPacketEx loop), runs tcpdump -w (C), and the C sender, and measures:
 *
 * <ol>
 *   <li>"alone": per rate, each capturer by itself on the traffic (order rotated per rate);
 *   <li>"together": per rate, all four capture the same traffic at the same time (each its own
 *       handle, same filter); A's pcapng is then checked against tcpdump's file (count, bytes,
 *       and every packet's timestamp, lengths and CRC of its bytes), and read by tshark.
 * </ol>
 *
 * Usage: Bench WORKDIR SENDER CLASSPATH (from bench/capture/run; settings in system properties).
 */
public final class Bench {
    static Path work;
    static String sender;
    static String classpath;
    static int port = Integer.getInteger("bench.port", 47123);
    static double seconds = Double.parseDouble(System.getProperty("bench.seconds", "5"));
    static long[] rates = parseRates(System.getProperty("bench.rates", "50000,100000,200000,300000"));
    static String phases = System.getProperty("bench.phases", "alone,together,stall");
    static long[] stalls = parseRates(System.getProperty("bench.stalls", "300,1000"));
    static final List<String> stallRows = new ArrayList<>();
    static boolean keep = Boolean.getBoolean("bench.keep");
    static String heap = System.getProperty("bench.heap", "256m");
    static final String IFACE = "lo";
    static final List<String> JAVA_MODES = List.of("A", "A'", "B");
    static final List<String> ALL = List.of("A", "A'", "B", "C");
    static final Map<String, Jvm> jvms = new LinkedHashMap<>();
    static final List<Row> rows = new ArrayList<>();
    static final List<String> notes = new ArrayList<>();

    static long[] parseRates(String s) {
        String[] p = s.split(",");
        long[] r = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = Long.parseLong(p[i].trim());
        }
        return r;
    }

    /** One measured capture: a capturer at a rate, alone or together with the others. */
    static final class Row {
        String phase;
        String mode;
        long rate;
        long offered;
        double sendSeconds;
        long senderCpu;
        double busyCores;
        long written = -1;
        long writtenBytes = -1;
        long recv = -1;
        long drop = -1;
        long ifdrop = -1;
        long capCpu = -1;
        long procCpu = -1;
        long capAlloc = -1;
        long jvmAlloc = -1;
        long gcs = -1;
        long gcMs = -1;
        long lagMs = -1;
        long breakUs = -1;
        String threads = "";
        String error = "-";
        Summary summary;
        Path file;
    }

    // ---------------------------------------------------------------- the capturer JVMs

    static final class Jvm {
        final String mode;
        final Process process;
        final PrintWriter in;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Jvm(String mode) throws IOException {
            this.mode = mode;
            List<String> cmd = new ArrayList<>(List.of("java", "-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC"));
            for (String o : System.getProperty("bench.jvmOpts", "").trim().split("\\s+")) {
                if (!o.isEmpty()) {
                    cmd.add(o);
                }
            }
            cmd.addAll(List.of("-cp", classpath, "CapturerMain", mode));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            in = new PrintWriter(process.getOutputStream(), true);
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    lines.add("ERROR " + e);
                }
                lines.add("EXITED");
            }, "jvm-" + mode);
            t.setDaemon(true);
            t.start();
        }

        String command(String line, String expect, long timeoutMs) throws Exception {
            if (line != null) {
                in.println(line);
            }
            long end = System.currentTimeMillis() + timeoutMs;
            while (true) {
                String l = lines.poll(Math.max(1, end - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                if (l == null) {
                    throw new IllegalStateException(mode + ": no '" + expect + "' within " + timeoutMs + " ms after '" + line + "'");
                }
                if (l.startsWith(expect)) {
                    return l;
                }
                if (l.startsWith("ERROR") || l.equals("EXITED")) {
                    throw new IllegalStateException(mode + ": " + l + " (after '" + line + "')");
                }
                System.out.println("  [" + mode + "] " + l);
            }
        }

        void quit() {
            in.println("quit");
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroy(); // only the JVM this driver started
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- tcpdump

    static final class Tcpdump {
        final Process process;
        final Path err;
        long mark;

        Tcpdump(Path file) throws Exception {
            err = work.resolve("tcpdump-" + System.nanoTime() + ".err");
            List<String> cmd = new ArrayList<>(List.of("tcpdump", "-i", IFACE, "-p", "-n", "-s", "262144",
                    "-B", "32768", "--time-stamp-precision=nano", "-Z", "root", "-w", file.toString()));
            cmd.addAll(List.of(filter().split(" ")));
            process = new ProcessBuilder(cmd).redirectError(err.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long end = System.currentTimeMillis() + 10_000;
            while (!Files.readString(err).contains("listening on")) {
                if (!process.isAlive() || System.currentTimeMillis() > end) {
                    throw new IllegalStateException("tcpdump did not start: " + Files.readString(err));
                }
                Thread.sleep(20);
            }
        }

        void mark() {
            mark = Cpu.processNanos(process.pid());
        }

        void stop(Row r) throws Exception {
            long cpu = Cpu.processNanos(process.pid());
            r.capCpu = r.procCpu = cpu - mark;
            process.destroy(); // SIGTERM to the tcpdump this driver started: it prints its counts and exits
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                r.error = "tcpdump did not exit on SIGTERM";
            }
            String e = Files.readString(err);
            r.recv = grab(e, "(\\d+) packets? received by filter");
            r.drop = grab(e, "(\\d+) packets? dropped by kernel");
            r.ifdrop = grab(e, "(\\d+) packets? dropped by interface");
            long captured = grab(e, "(\\d+) packets? captured");
            if (captured < 0) {
                r.error = "no tcpdump statistics: " + e.replaceAll("\\s+", " ");
            }
            Files.deleteIfExists(err);
        }
    }

    static long grab(String s, String re) {
        Matcher m = Pattern.compile(re).matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static String filter() {
        return "udp port " + port;
    }

    // ---------------------------------------------------------------- sender, machine load

    static long[] cpuStat() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/stat"))) {
            if (l.startsWith("cpu ")) {
                String[] f = l.trim().split("\\s+");
                long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                        + Long.parseLong(f[6]) + Long.parseLong(f[7]) + (f.length > 8 ? Long.parseLong(f[8]) : 0);
                return new long[] {busy, System.nanoTime()};
            }
        }
        throw new IOException("no cpu line in /proc/stat");
    }

    /** Runs the sender; fills offered, sendSeconds, senderCpu, busyCores of the given rows. */
    static void send(long rate, List<Row> rs) throws Exception {
        long[] s0 = cpuStat();
        Process p = new ProcessBuilder(sender, String.valueOf(port), String.valueOf(rate), String.valueOf(seconds))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("sender failed: " + out);
        }
        long[] s1 = cpuStat();
        long sent = grab(out, "sent=(\\d+)");
        if (sent < rate * seconds * 0.99) {
            String n = "WARNING: the sender offered only " + sent + " packets of " + (long) (rate * seconds)
                    + " at " + rate + "/s (" + out + ")";
            System.out.println(n);
            notes.add(n);
        }
        double busy = (s1[0] - s0[0]) / 100.0 / ((s1[1] - s0[1]) / 1e9); // USER_HZ = 100
        for (Row r : rs) {
            r.offered = grab(out, "sent=(\\d+)");
            r.sendSeconds = Double.parseDouble(out.replaceAll(".*seconds=([0-9.]+).*", "$1"));
            r.senderCpu = grab(out, "cpu_ns=(\\d+)");
            r.busyCores = busy;
        }
    }

    // ---------------------------------------------------------------- one measured capture

    static Path file(String phase, String mode, long rate) {
        String m = mode.equals("A'") ? "A2" : mode;
        return work.resolve(phase + "-" + rate + "-" + m + (mode.equals("C") ? ".pcap" : ".pcapng"));
    }

    static void parseResult(String res, Row r) {
        Map<String, String> kv = new HashMap<>();
        for (String w : res.split(" ")) {
            int i = w.indexOf('=');
            if (i > 0) {
                kv.put(w.substring(0, i), w.substring(i + 1));
            }
        }
        r.recv = Long.parseLong(kv.get("recv"));
        r.drop = Long.parseLong(kv.get("drop"));
        r.ifdrop = Long.parseLong(kv.get("ifdrop"));
        r.capCpu = Long.parseLong(kv.get("cap_cpu_ns"));
        r.procCpu = Long.parseLong(kv.get("proc_cpu_ns"));
        r.capAlloc = Long.parseLong(kv.get("cap_alloc"));
        r.jvmAlloc = Long.parseLong(kv.get("jvm_alloc"));
        r.gcs = Long.parseLong(kv.get("gcs"));
        r.gcMs = Long.parseLong(kv.get("gc_ms"));
        r.lagMs = Long.parseLong(kv.get("lag_ms"));
        r.breakUs = Long.parseLong(kv.getOrDefault("break_us", "-1"));
        r.threads = "capture " + kv.getOrDefault("cap_threads_ms", "") + "; other " + kv.getOrDefault("other_threads_ms", "");
        r.error = kv.get("error");
    }

    /** Captures one sender run of `rate` with the given capturers at the same time. */
    static List<Row> measure(String phase, long rate, List<String> modes) throws Exception {
        List<Row> rs = new ArrayList<>();
        Map<String, Tcpdump> dumps = new HashMap<>();
        for (String m : modes) {
            Row r = new Row();
            r.phase = phase;
            r.mode = m;
            r.rate = rate;
            r.file = file(phase, m, rate);
            rs.add(r);
            if (m.equals("C")) {
                dumps.put(m, new Tcpdump(r.file));
            } else {
                jvms.get(m).command("open " + IFACE + " " + r.file + " " + filter(), "OPENED", 15_000);
            }
        }
        Thread.sleep(300);
        for (String m : modes) {
            if (m.equals("C")) {
                dumps.get(m).mark();
            } else {
                jvms.get(m).command("mark", "MARKED", 5_000);
            }
        }
        send(rate, rs);
        // tcpdump uses a 1 s packet buffer timeout: give its last ring block time to arrive. The
        // Java variants wait 250 ms themselves in stop() (as the agent does).
        Thread.sleep(modes.contains("C") ? 1200 : 300);
        for (Row r : rs) {
            if (r.mode.equals("C")) {
                dumps.get("C").stop(r);
            } else {
                jvms.get(r.mode).in.println("stop");
            }
        }
        for (Row r : rs) {
            if (!r.mode.equals("C")) {
                parseResult(jvms.get(r.mode).command(null, "RESULT", 30_000), r);
            }
            r.summary = Summary.of(r.file);
            r.written = r.summary.packets;
            r.writtenBytes = r.summary.bytes;
            if (r.summary.error != null) {
                r.error = (r.error == null || r.error.equals("-") ? "" : r.error + "; ") + "file: " + r.summary.error;
            }
        }
        return rs;
    }

    static void deleteFiles(List<Row> rs) throws IOException {
        if (!keep) {
            for (Row r : rs) {
                Files.deleteIfExists(r.file);
            }
        }
    }

    // ---------------------------------------------------------------- files

    /** Packets, captured bytes and a digest (timestamp, lengths, CRC32C of the bytes, in order). */
    static final class Summary {
        long packets;
        long bytes;
        long digest = 17;
        long firstNanos = -1;
        long lastNanos = -1;
        String format;
        String error;

        void add(long nanos, int incl, int orig, ByteBuffer data, CRC32C crc) {
            crc.reset();
            crc.update(data);
            digest = digest * 1_000_003L + nanos;
            digest = digest * 1_000_003L + incl;
            digest = digest * 1_000_003L + orig;
            digest = digest * 1_000_003L + crc.getValue();
            packets++;
            bytes += incl;
            if (firstNanos < 0) {
                firstNanos = nanos;
            }
            lastNanos = nanos;
        }

        static void unmap(MappedByteBuffer m) {
            try {
                java.lang.reflect.Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object u = f.get(null);
                u.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(u, m);
            } catch (ReflectiveOperationException e) {
                // then the mapping goes with the buffer's GC
            }
        }

        static Summary of(Path f) throws IOException {
            Summary s = new Summary();
            if (!Files.exists(f)) {
                s.error = "missing";
                return s;
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size > Integer.MAX_VALUE) {
                    s.error = "too big to check";
                    return s;
                }
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                m.order(ByteOrder.LITTLE_ENDIAN);
                CRC32C crc = new CRC32C();
                if (size < 24) {
                    s.error = "short file (" + size + " bytes)";
                    return s;
                }
                try {
                    int magic = m.getInt(0);
                    if (magic == 0x0A0D0D0A) {
                        s.pcapng(m, crc);
                    } else {
                        s.pcap(m, crc);
                    }
                } finally {
                    unmap(m); // do not keep deleted files' pages around until some GC
                }
            } catch (RuntimeException e) {
                s.error = e.toString();
            }
            return s;
        }

        void pcap(ByteBuffer m, CRC32C crc) {
            int magic = m.getInt(0);
            if (magic != 0xa1b23c4d && magic != 0xa1b2c3d4) {
                m.order(ByteOrder.BIG_ENDIAN);
                magic = m.getInt(0);
            }
            boolean nano = magic == 0xa1b23c4d;
            format = nano ? "pcap-ns" : "pcap-us";
            int p = 24;
            while (p + 16 <= m.limit()) {
                long sec = m.getInt(p) & 0xFFFFFFFFL;
                long frac = m.getInt(p + 4) & 0xFFFFFFFFL;
                int incl = m.getInt(p + 8);
                int orig = m.getInt(p + 12);
                if (incl < 0 || p + 16 + incl > m.limit()) {
                    error = "truncated record at byte " + p;
                    return;
                }
                add(sec * 1_000_000_000L + (nano ? frac : frac * 1000), incl, orig, m.slice(p + 16, incl), crc);
                p += 16 + incl;
            }
            if (p != m.limit()) {
                error = (m.limit() - p) + " trailing bytes";
            }
        }

        void pcapng(ByteBuffer m, CRC32C crc) {
            format = "pcapng";
            List<Long> units = new ArrayList<>(); // ns per timestamp unit, per interface
            int p = 0;
            while (p + 12 <= m.limit()) {
                int type = m.getInt(p);
                int len = m.getInt(p + 4);
                if (len < 12 || (len & 3) != 0 || p + len > m.limit() || m.getInt(p + len - 4) != len) {
                    error = "bad block at byte " + p;
                    return;
                }
                if (type == 0x0A0D0D0A) {
                    if (m.getInt(p + 8) != 0x1A2B3C4D) {
                        error = "big-endian section not supported here";
                        return;
                    }
                    units.clear();
                } else if (type == 1) {
                    long unit = 1000; // default if_tsresol 6: µs
                    int o = p + 16;
                    while (o + 4 <= p + len - 4) {
                        int code = m.getShort(o) & 0xFFFF;
                        int olen = m.getShort(o + 2) & 0xFFFF;
                        if (code == 0) {
                            break;
                        }
                        if (code == 9 && olen == 1) {
                            int r = m.get(o + 4);
                            if ((r & 0x80) != 0) {
                                error = "binary if_tsresol not supported here";
                                return;
                            }
                            unit = (long) Math.pow(10, 9 - r);
                        }
                        o += 4 + ((olen + 3) & ~3);
                    }
                    units.add(unit);
                } else if (type == 6) {
                    int iface = m.getInt(p + 8);
                    long ts = ((m.getInt(p + 12) & 0xFFFFFFFFL) << 32) | (m.getInt(p + 16) & 0xFFFFFFFFL);
                    int incl = m.getInt(p + 20);
                    int orig = m.getInt(p + 24);
                    if (iface >= units.size() || 28 + incl > len - 4) {
                        error = "bad EPB at byte " + p;
                        return;
                    }
                    add(ts * units.get(iface), incl, orig, m.slice(p + 28, incl), crc);
                }
                p += len;
            }
            if (p != m.limit()) {
                error = (m.limit() - p) + " trailing bytes";
            }
        }
    }

    // ---------------------------------------------------------------- checks with tshark/capinfos

    static String run(long timeoutS, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return out + "\n(timed out)";
        }
        return out;
    }

    /** tshark's own count and bytes of a file, and whatever it complained about. */
    static String tshark(Path f) throws Exception {
        String out = run(120, "tshark", "-r", f.toString(), "-q", "-z", "io,stat,0");
        Matcher m = Pattern.compile("\\|\\s*0\\.000 <> [0-9.]+\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)\\s*\\|").matcher(out);
        StringBuilder complaints = new StringBuilder();
        for (String l : out.split("\n")) {
            if (!l.isBlank() && !l.startsWith("=") && !l.startsWith("|") && !l.contains("Running as user")
                    && !l.startsWith("IO Statistics") && !l.startsWith("Duration") && !l.startsWith("Interval")) {
                complaints.append(l.trim()).append(' ');
            }
        }
        return (m.find() ? "tshark: " + m.group(1) + " packets, " + m.group(2) + " bytes" : "tshark: no io,stat line")
                + (complaints.length() > 0 ? "; tshark said: " + complaints.toString().trim() : "; no complaints");
    }

    static String capinfos(Path f) throws Exception {
        String out = run(60, "capinfos", "-M", "-c", "-d", "-t", "-i", f.toString());
        return out.lines().filter(l -> l.contains(":") && !l.startsWith("File name"))
                .map(l -> l.replaceAll("\\s+", " ").trim()).reduce((a, b) -> a + "; " + b).orElse(out);
    }

    /** For one rate: the same packets at the same timestamps in tshark's reading of A and of C. */
    static String tsharkFieldsEqual(Path a, Path c) throws Exception {
        String[] f = {"-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "udp.payload"};
        String ta = run(300, concat(new String[] {"tshark", "-r", a.toString()}, f));
        String tc = run(300, concat(new String[] {"tshark", "-r", c.toString()}, f));
        long na = ta.lines().filter(l -> !l.contains("Running as user")).count();
        return ta.equals(tc) ? "tshark -T fields (time_epoch, len, cap_len, udp.payload) identical for A and C: "
                + na + " lines" : "tshark -T fields output DIFFERS between A and C (" + na + " vs "
                + tc.lines().count() + " lines)";
    }

    static String[] concat(String[] a, String[] b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ---------------------------------------------------------------- report

    static String nsPerPkt(long cpu, long pk) {
        return cpu < 0 || pk <= 0 ? "-" : String.format(Locale.ROOT, "%.0f", (double) cpu / pk);
    }

    static String ratio(long cpu, long pk, Row c) {
        if (c == null || c.capCpu <= 0 || c.written <= 0 || cpu < 0 || pk <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "x%.2f", ((double) cpu / pk) / ((double) c.capCpu / c.written));
    }

    static void table(String phase) {
        List<Row> rs = new ArrayList<>();
        for (Row r : rows) {
            if (r.phase.equals(phase)) {
                rs.add(r);
            }
        }
        if (rs.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println(phase.equals("alone")
                ? "Each capturer ALONE on the traffic (one after the other, order rotated per rate):"
                : "All four capturers TOGETHER on the same traffic (each its own handle, same filter):");
        System.out.println(String.format(Locale.ROOT, "%-5s %-3s %9s %9s %6s %7s %6s %8s %8s %8s %8s %9s %9s %4s %6s %5s %6s",
                "rate", "cap", "offered", "written", "missed", "k.recv", "k.drop", "capCPU", "x tcpd", "procCPU",
                "x tcpd", "capB/pkt", "jvmB/pkt", "GCs", "GC ms", "busy", "sndCPU"));
        System.out.println(String.format(Locale.ROOT, "%-5s %-3s %9s %9s %6s %7s %6s %8s %8s %8s %8s %9s %9s %4s %6s %5s %6s",
                "/s", "", "pkts", "pkts", "", "/offrd", "", "ns/pkt", "", "ns/pkt", "", "", "", "", "", "cores", "ns/pkt"));
        for (long rate : rates) {
            Row c = null;
            for (Row r : rs) {
                if (r.rate == rate && r.mode.equals("C")) {
                    c = r;
                }
            }
            for (String mode : ALL) {
                for (Row r : rs) {
                    if (r.rate != rate || !r.mode.equals(mode)) {
                        continue;
                    }
                    boolean java = !mode.equals("C");
                    System.out.println(String.format(Locale.ROOT,
                            "%-5s %-3s %9d %9d %6d %7.2f %6d %8s %8s %8s %8s %9s %9s %4s %6s %5.2f %6s",
                            (rate / 1000) + "k", mode, r.offered, r.written, r.offered - r.written,
                            r.recv < 0 || r.offered <= 0 ? -1.0 : (double) r.recv / r.offered, r.drop,
                            nsPerPkt(r.capCpu, r.written), java ? ratio(r.capCpu, r.written, c) : "1",
                            nsPerPkt(r.procCpu, r.written), java ? ratio(r.procCpu, r.written, c) : "1",
                            java ? String.format(Locale.ROOT, "%.1f", (double) r.capAlloc / Math.max(1, r.written)) : "-",
                            java ? String.format(Locale.ROOT, "%.1f", (double) r.jvmAlloc / Math.max(1, r.written)) : "-",
                            java ? String.valueOf(r.gcs) : "-", java ? String.valueOf(r.gcMs) : "-",
                            r.busyCores, nsPerPkt(r.senderCpu, r.offered)));
                }
            }
        }
        System.out.println("details (alloc rate = all Java threads' allocation over the window; lag = most a packet waited"
                + " from its timestamp to the write of the pcapng buffer; break = breakLoop() to pcap_loop's return;"
                + " threads = CPU ms in the window of the capture threads, and of the JVM's other threads with >= 3 ms):");
        for (Row r : rs) {
            double win = r.sendSeconds > 0 ? r.sendSeconds : seconds;
            System.out.println(String.format(Locale.ROOT, "  %-8s %-4s %6.1f MB/s alloc, %s%s%s file %s, %d bytes%s",
                    (r.rate / 1000) + "k", r.mode,
                    r.mode.equals("C") ? 0.0 : r.jvmAlloc / win / 1e6,
                    r.lagMs >= 0 ? "lag " + r.lagMs + " ms, " : "",
                    r.breakUs >= 0 ? "break " + r.breakUs + " us, " : "",
                    r.threads.isEmpty() ? "" : "threads: " + r.threads + "; ",
                    r.summary == null ? "?" : r.summary.format, r.writtenBytes,
                    r.error == null || r.error.equals("-") ? "" : "  ERROR " + r.error));
        }
    }

    // ---------------------------------------------------------------- main

    public static void main(String[] args) throws Exception {
        work = Path.of(args[0]);
        sender = args[1];
        classpath = args[2];
        long t0 = System.nanoTime();
        System.out.println("rates " + java.util.Arrays.toString(rates) + " packets/s, " + seconds + " s each, UDP 64-byte payload"
                + " (106-byte frames) to 127.0.0.1:" + port + ", filter '" + filter() + "', heap " + heap + " (G1)"
                + (System.getProperty("bench.jvmOpts", "").isBlank() ? "" : ", capturer JVM options: " + System.getProperty("bench.jvmOpts")));
        try {
            for (String m : JAVA_MODES) {
                jvms.put(m, new Jvm(m));
            }
            for (Jvm j : jvms.values()) {
                System.out.println("capturer JVM " + j.mode + ": pid " + j.command(null, "READY", 30_000).split(" ")[1]);
            }

            System.out.println();
            System.out.println("probes (libpcap/pcap4j behaviour design A depends on):");
            System.out.print(run(60, "java", "-cp", classpath, "Probe", String.valueOf(port + 1))
                    .lines().map(l -> "  " + l + "\n").reduce("", String::concat));

            // warm-up: JIT-compile every Java variant's capture path (not reported)
            long warm = System.nanoTime();
            List<Row> w = measure("warmup", 200_000, JAVA_MODES);
            for (Row r : w) {
                if (!"-".equals(r.error)) {
                    System.out.println("warm-up " + r.mode + ": " + r.error);
                }
            }
            deleteFiles(w);
            System.out.println(String.format(Locale.ROOT, "warm-up done (%.1f s)", (System.nanoTime() - warm) / 1e9));

            if (phases.contains("alone")) {
                for (int i = 0; i < rates.length; i++) {
                    for (int k = 0; k < ALL.size(); k++) {
                        String m = ALL.get((k + i) % ALL.size());
                        List<Row> rs = measure("alone", rates[i], List.of(m));
                        rows.addAll(rs);
                        Row r = rs.get(0);
                        System.out.println(String.format(Locale.ROOT, "alone    %6d/s %-2s offered %8d written %8d  cpu %6.0f ms  proc %6.0f ms %s",
                                rates[i], m, r.offered, r.written, r.capCpu / 1e6, r.procCpu / 1e6,
                                "-".equals(r.error) ? "" : "ERROR " + r.error));
                        deleteFiles(rs);
                    }
                }
            }
            if (phases.contains("together")) {
                for (int i = 0; i < rates.length; i++) {
                    List<Row> rs = measure("together", rates[i], ALL);
                    rows.addAll(rs);
                    Row a = rs.get(0), c = rs.get(3);
                    StringBuilder sb = new StringBuilder();
                    for (Row r : rs) {
                        sb.append(String.format(Locale.ROOT, " %s %d%s", r.mode, r.written, "-".equals(r.error) ? "" : " (ERROR " + r.error + ")"));
                    }
                    System.out.println("together " + rates[i] + "/s offered " + a.offered + " written:" + sb);
                    for (Row r : rs) {
                        if (r.mode.equals("C")) {
                            continue;
                        }
                        boolean same = r.summary.packets == c.summary.packets && r.summary.bytes == c.summary.bytes
                                && r.summary.digest == c.summary.digest;
                        String n = String.format(Locale.ROOT, "%6d/s %-2s vs tcpdump: %s (%d vs %d packets, %d vs %d bytes)",
                                rates[i], r.mode, same ? "SAME packets, timestamps and bytes" : "DIFFERENT",
                                r.summary.packets, c.summary.packets, r.summary.bytes, c.summary.bytes);
                        notes.add(n);
                    }
                    notes.add(String.format(Locale.ROOT, "%6d/s A  %s", rates[i], tshark(a.file)));
                    notes.add(String.format(Locale.ROOT, "%6d/s A  capinfos: %s", rates[i], capinfos(a.file)));
                    notes.add(String.format(Locale.ROOT, "%6d/s C  capinfos: %s", rates[i], capinfos(c.file)));
                    if (i == 0) {
                        notes.add(String.format(Locale.ROOT, "%6d/s    %s", rates[i], tsharkFieldsEqual(a.file, c.file)));
                    }
                    deleteFiles(rs);
                }
            }
            if (phases.contains("stall")) {
                // the reader thread of A/A' pauses once (a GC pause, a disk stall) while pcap_loop,
                // native, goes on: where does the traffic wait meanwhile?
                long rate = 0;
                for (long r : rates) {
                    rate = Math.max(rate, Math.min(r, 300_000));
                }
                for (long ms : stalls) {
                    for (String m : List.of("A", "A'")) {
                        Jvm j = jvms.get(m);
                        j.command("stall " + (long) (rate * seconds / 5) + " " + ms, "OK", 5_000);
                        List<Row> rs;
                        try {
                            rs = measure("stall", rate, List.of(m));
                        } finally {
                            j.command("stall -1 0", "OK", 5_000);
                        }
                        Row r = rs.get(0);
                        String line = String.format(Locale.ROOT, "%6d/s  reader paused %5d ms  %-2s offered %8d written %8d missed %7d"
                                + "  kernel drops %7d  lag %5d ms%s", rate, ms, m, r.offered, r.written, r.offered - r.written,
                                r.drop, r.lagMs, "-".equals(r.error) ? "" : "  ERROR " + r.error);
                        System.out.println("stall " + line);
                        stallRows.add(line);
                        deleteFiles(rs);
                    }
                }
            }
        } finally {
            for (Jvm j : jvms.values()) {
                j.quit();
            }
        }
        table("alone");
        table("together");
        if (!stallRows.isEmpty()) {
            System.out.println();
            System.out.println("Reader stalls (A/A' alone; the Java reader pauses once, after 1/5 of the packets; lag = the"
                    + " oldest packet's age when written):");
            for (String l : stallRows) {
                System.out.println("  " + l);
            }
        }
        if (!notes.isEmpty()) {
            System.out.println();
            System.out.println("file checks (together, same traffic):");
            for (String n : notes) {
                System.out.println("  " + n);
            }
        }
        System.out.println();
        System.out.println(String.format(Locale.ROOT, "measured in %.0f s", (System.nanoTime() - t0) / 1e9));
    }
}
