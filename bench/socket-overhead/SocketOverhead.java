import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loopback TCP ping-pong in one JVM, measured in phases that an outside script asks for on stdin,
 * so that it can attach and detach wiretrace between phases.
 *
 * <p>Per connection: one client thread writes a {@code size}-byte request and reads a
 * {@code size}-byte reply, in a loop; one server thread (one per connection, since the sockets are
 * blocking) reads the request and writes the reply. Both ends use the same API:
 * {@code io} = java.net.Socket / ServerSocket with their streams, {@code nio} = blocking
 * SocketChannel / ServerSocketChannel with heap ByteBuffers, {@code netty} = Netty 4.1's native
 * epoll transport, where each connection's client and server end live on event loop threads of
 * their own (see SocketOverheadNetty.java; that api needs the Netty jars on the class path, and
 * this file compiled together with SocketOverheadNetty.java, which {@code run} does). TCP_NODELAY is
 * on. All traffic goes to 127.0.0.1 on one port per api, bound once at start (printed, so a BPF
 * filter can name them).
 *
 * <p>Usage: {@code java SocketOverhead.java [--clients 1,4] [--apis io,nio] [--size 64] [--http]
 * [--direct] [--warmup-ms 250] [--measure-ms 750] [--max-rounds 50000000] [--max-life-s 900] [--pin CPUS]},
 * or, with the netty api, {@code java -cp CLASSES:NETTY_JARS SocketOverhead --apis io,nio,netty ...}.
 *
 * <p>{@code --http} (io and nio): the messages are an HTTP/1.1 exchange of {@code --size} bytes each
 * way, a {@code GET} with a padding header and a {@code 200} with a {@code Content-Length} body, so
 * that wiretrace's advice parses them and records an exchange per round trip on each side.
 * {@code --direct} (nio): the buffers are direct, as servers on NIO (Undertow, Netty's NIO
 * transport) pool them.
 *
 * <p>{@code --pin CPUS} (a taskset list, e.g. {@code 1}) pins the benchmark's client and server
 * threads, and only them, to those CPUs; the JVM's other threads (JIT, GC, JFR, wiretrace's capture
 * thread) stay free. For netty these are the event loop threads that serve the connections (not the
 * one that accepts them).
 *
 * <p>Prints {@code PID <pid>}, {@code PORTS io=<p> nio=<q>} (and {@code netty=<r>} with the netty
 * api) and {@code READY}, then reads commands,
 * one per line, until {@code quit} or end of input:
 * <pre>
 *   phase LABEL [SETTLE_MS]   settle (unmeasured ping-pong, for the JIT after a retransformation),
 *                             then one measured run per api x clients; prints RESULT lines, then DONE LABEL
 *   quit
 * </pre>
 * A RESULT line is {@code key=value} pairs: rounds (round trips in the measured window, all
 * clients), rtps (round trips per second, all clients), ns_rt (mean round-trip time one client
 * sees = window * clients / rounds), cpu_ns_rt (CPU time of the benchmark's client+server threads,
 * user+sys, per round trip), proc_cpu_ns_rt (CPU of the whole process per round trip: also JIT,
 * GC, JFR and wiretrace's capture thread), alloc_b_rt (bytes allocated by the benchmark's threads
 * per round trip) and calls_rt (socket read+write calls per round trip, client and server side
 * together, as counted by this program: 4.00 when every read returns the whole message; for netty
 * every read of the event loop is counted, including the ones that return EAGAIN),
 * other_cores (machine-wide busy CPU from /proc/stat minus this process's CPU, in cores: other
 * processes, plus interrupt/softirq time not charged to any process, part of which is this
 * loopback traffic's own), steal_cores (CPU the hypervisor took), jvm_alloc_b_rt (bytes allocated
 * by all the JVM's threads alive at the window's start, per round trip), cap_cpu_ns_rt and
 * cap_alloc_b_rt (CPU and allocation of wiretrace's capture thread, -1 when it is not running), gcs
 * and gc_ms (collections and their time in the window).
 *
 * <p>{@code java SocketOverhead.java --summarize FILE} prints the tables of a run from the RESULT
 * lines in FILE (see {@link Summary}).
 *
 * <p>Every loop is bounded by a count and a deadline; a watchdog closes the sockets of a run that
 * overstays, and the JVM exits by itself after --max-life-s.
 */
public class SocketOverhead {
    static int size = 64;
    static boolean http;
    static boolean direct;
    /** With --http: the request the client writes and the response the server writes, --size bytes each. */
    static byte[] httpRequest;
    static byte[] httpResponse;
    static long warmupMs = 250;
    static long measureMs = 750;
    static long maxRounds = 50_000_000L;
    static long maxLifeS = 900;
    static int[] clients = {1, 4};
    static String pin = null;
    static String[] apis = {"io", "nio"};

    static ServerSocket ioServer;
    static ServerSocketChannel nioServer;
    /** The netty api, or null when it is not among --apis. */
    static Transport netty;

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--summarize")) {
            Summary.print(java.nio.file.Paths.get(args[1]));
            return;
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--clients": clients = parseInts(v); i++; break;
                case "--apis": apis = v.split(","); i++; break;
                case "--size": size = Integer.parseInt(v); i++; break;
                case "--warmup-ms": warmupMs = Long.parseLong(v); i++; break;
                case "--measure-ms": measureMs = Long.parseLong(v); i++; break;
                case "--max-rounds": maxRounds = Long.parseLong(v); i++; break;
                case "--max-life-s": maxLifeS = Long.parseLong(v); i++; break;
                case "--pin": pin = v; i++; break;
                case "--http": http = true; break;
                case "--direct": direct = true; break;
                default:
                    System.err.println("unknown argument " + a);
                    System.exit(2);
            }
        }
        for (String api : apis) {
            if (!api.equals("io") && !api.equals("nio") && !api.equals("netty")) {
                System.err.println("--apis takes io, nio and/or netty, not " + api);
                System.exit(2);
            }
        }
        if ((http || direct) && java.util.Arrays.asList(apis).contains("netty")) {
            System.err.println("--http and --direct are for the io and nio apis (netty keeps its own buffers and echo)");
            System.exit(2);
        }
        if (size < 1 || size > 65536 || warmupMs < 0 || warmupMs > 60_000 || measureMs < 10
                || measureMs > 60_000 || maxRounds < 1 || maxLifeS < 1) {
            System.err.println("argument out of range");
            System.exit(2);
        }
        if (!THREADS.isThreadCpuTimeSupported() || !THREADS.isThreadAllocatedMemorySupported()) {
            System.err.println("this JVM cannot measure thread CPU time or allocation");
            System.exit(1);
        }
        THREADS.setThreadCpuTimeEnabled(true);
        THREADS.setThreadAllocatedMemoryEnabled(true);

        Thread reaper = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(maxLifeS));
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("ERROR max life of " + maxLifeS + " s reached; exiting");
            System.exit(3);
        }, "so-reaper");
        reaper.setDaemon(true);
        reaper.start();

        if (http) {
            httpRequest = httpMessage("GET /ping HTTP/1.1\r\nHost: bench\r\nX-Pad: ", "\r\n\r\n", size);
            String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ";
            int body = -1; // a Content-Length whose own digits fit: head + length + CRLFCRLF + body = size
            for (int digits = 1; digits <= 6 && body < 0; digits++) {
                int b = size - head.length() - digits - 4;
                if (b >= 1 && String.valueOf(b).length() == digits) {
                    body = b;
                }
            }
            if (body < 0) {
                throw new IllegalArgumentException("--size " + size + " is too small for --http");
            }
            httpResponse = (head + body + "\r\n\r\n" + "p".repeat(body)).getBytes(StandardCharsets.US_ASCII);
        }

        InetAddress lo = InetAddress.getByName("127.0.0.1");
        ioServer = new ServerSocket(0, 64, lo);
        nioServer = ServerSocketChannel.open();
        nioServer.bind(new InetSocketAddress(lo, 0), 64);
        if (java.util.Arrays.asList(apis).contains("netty")) {
            netty = loadNetty();
            int most = 0;
            for (int n : clients) {
                most = Math.max(most, n);
            }
            netty.start(lo, most);
        }

        System.out.println("PID " + ProcessHandle.current().pid());
        System.out.println("PORTS io=" + ioServer.getLocalPort() + " nio="
                + ((InetSocketAddress) nioServer.getLocalAddress()).getPort()
                + (netty == null ? "" : " netty=" + netty.port()));
        System.out.println("READY");
        System.out.flush();

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 0 || w[0].isEmpty()) {
                continue;
            }
            try {
                if (w[0].equals("quit")) {
                    break;
                } else if (w[0].equals("phase") && w.length >= 2) {
                    long settle = w.length >= 3 ? Math.min(Long.parseLong(w[2]), 30_000) : 0;
                    phase(w[1], settle);
                } else {
                    System.out.println("ERROR unknown command: " + line);
                }
            } catch (Exception e) {
                System.out.println("ERROR " + w[0] + ": " + e);
                e.printStackTrace(System.out);
                System.out.println("DONE " + (w.length >= 2 ? w[1] : "?"));
            }
            System.out.flush();
        }
        ioServer.close();
        nioServer.close();
        if (netty != null) {
            netty.shutdown();
        }
        System.out.println("BYE");
        System.out.flush();
        System.exit(0);
    }

    static void phase(String label, long settleMs) throws Exception {
        if (settleMs > 0) {
            // Unmeasured: lets the JIT recompile the socket paths after a (re)transformation.
            long each = Math.max(1, settleMs / apis.length);
            for (String api : apis) {
                run(api, 1, 0, each);
            }
        }
        for (String api : apis) {
            for (int n : clients) {
                Result r = run(api, n, warmupMs, measureMs);
                System.out.println(String.format(Locale.ROOT,
                        "RESULT phase=%s api=%s clients=%d secs=%.3f rounds=%d rtps=%.0f ns_rt=%.0f"
                                + " cpu_ns_rt=%.0f proc_cpu_ns_rt=%.0f alloc_b_rt=%.2f calls_rt=%.3f"
                                + " other_cores=%.2f steal_cores=%.2f jvm_alloc_b_rt=%.2f cap_cpu_ns_rt=%.0f"
                                + " cap_alloc_b_rt=%.2f gcs=%d gc_ms=%d",
                        label, api, n, r.nanos / 1e9, r.rounds, r.rounds / (r.nanos / 1e9),
                        (double) r.nanos * n / r.rounds, (double) r.threadCpu / r.rounds,
                        (double) r.processCpu / r.rounds, (double) r.allocated / r.rounds,
                        (double) r.calls / r.rounds,
                        r.machineBusy < 0 ? -1.0 : (double) (r.machineBusy - r.processCpu) / r.nanos,
                        r.steal < 0 ? -1.0 : (double) r.steal / r.nanos,
                        (double) r.jvmAllocated / r.rounds,
                        r.captureCpu < 0 ? -1.0 : (double) r.captureCpu / r.rounds,
                        r.captureAllocated < 0 ? -1.0 : (double) r.captureAllocated / r.rounds,
                        r.gcCount, r.gcMillis));
                System.out.flush();
            }
        }
        System.out.println("DONE " + label);
        System.out.flush();
    }

    /**
     * The netty api (SocketOverheadNetty.java), loaded by name so that this file compiles and runs
     * without Netty for io and nio.
     */
    static Transport loadNetty() {
        try {
            return (Transport) Class.forName("SocketOverheadNetty").getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            System.err.println("the netty api needs SocketOverheadNetty.java compiled with this file and the Netty"
                    + " jars on the class path (bench/socket-overhead/run does that): " + e);
            System.exit(2);
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An api whose socket calls run on threads of its own (an event loop), not on ours. */
    interface Transport {
        /** Binds the server to {@code lo}, port 0, with room for up to {@code maxClients} connections per run. */
        void start(InetAddress lo, int maxClients) throws Exception;

        int port();

        /** Opens n connections to the server, ready to start; the loops stop when {@code stop} is set. */
        Conns open(int n, AtomicLong stop, long deadline, List<Throwable> failures) throws Exception;

        void shutdown();
    }

    /** One run's connections of a {@link Transport}. */
    interface Conns {
        List<Counters> clients();

        List<Counters> servers();

        /** The threads that make this run's socket calls, and maybe idle ones of the same kind. */
        long[] threads();

        /** Each client sends its first request. */
        void go();

        /** Waits until every connection is closed at both ends; false if that takes longer than millis. */
        boolean awaitClosed(long millis) throws InterruptedException;

        /** Closes whatever is still open. */
        void close();
    }

    static final class Result {
        long nanos, rounds, calls, threadCpu, processCpu, allocated, machineBusy, steal;
        long jvmAllocated, captureCpu = -1, captureAllocated = -1, gcCount, gcMillis;
    }

    /** One endpoint's counters, published with release stores so the coordinator can read them. */
    static final class Counters {
        final AtomicLong rounds = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
    }

    static final class Snapshot {
        long time, rounds, calls, threadCpu, processCpu, allocated, machineBusy, steal;
        long jvmAllocated, captureCpu = -1, captureAllocated = -1, gcCount, gcMillis;
    }

    /**
     * Machine-wide busy and steal CPU time in ns from /proc/stat (user+nice+system+irq+softirq;
     * steal), or -1: with the process's own CPU it tells how much else ran during a window.
     */
    static long[] machineCpu() {
        try {
            String first = java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long tick = 10_000_000L; // USER_HZ is 100 on Linux
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                    + Long.parseLong(f[6]) + Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            return new long[] {busy * tick, steal * tick};
        } catch (Exception | Error e) {
            return new long[] {-1, -1};
        }
    }

    /** Runs n connections for warmup + measure ms; returns the measured window only. */
    static Result run(String api, int n, long warmup, long measure) throws Exception {
        boolean io = api.equals("io");
        long hardDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(warmup + measure + 5_000);
        List<Closeable> toClose = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<Counters> clientCounters = new ArrayList<>();
        List<Counters> serverCounters = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch ready = new CountDownLatch(2 * n);
        AtomicLong stopFlag = new AtomicLong();
        Conns conns = null;
        long[] ids = null;

        if (api.equals("netty")) {
            conns = netty.open(n, stopFlag, hardDeadline, failures);
            clientCounters.addAll(conns.clients());
            serverCounters.addAll(conns.servers());
            ids = conns.threads();
            conns.go();
        }
        for (int i = 0; conns == null && i < n; i++) {
            // Connect, then accept (the backlog holds the connection in between).
            Counters cc = new Counters();
            Counters sc = new Counters();
            clientCounters.add(cc);
            serverCounters.add(sc);
            Runnable client;
            Runnable server;
            if (io) {
                Socket c = new Socket();
                toClose.add(c);
                c.setTcpNoDelay(true);
                c.setSoTimeout(10_000);
                c.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), ioServer.getLocalPort()), 5_000);
                ioServer.setSoTimeout(5_000);
                Socket s = ioServer.accept();
                toClose.add(s);
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                client = () -> ioClient(c, cc, go, stopFlag, hardDeadline, failures);
                server = () -> ioServer(s, sc, hardDeadline, failures);
            } else {
                SocketChannel c = SocketChannel.open();
                toClose.add(c);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.connect(nioServer.getLocalAddress());
                SocketChannel s = nioServer.accept(); // blocking; the connection is already queued
                toClose.add(s);
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                client = () -> nioClient(c, cc, go, stopFlag, hardDeadline, failures);
                server = () -> nioServer(s, sc, hardDeadline, failures);
            }
            Thread tc = new Thread(pinned(client, ready, failures), "so-client-" + i);
            Thread ts = new Thread(pinned(server, ready, failures), "so-server-" + i);
            tc.setDaemon(true);
            ts.setDaemon(true);
            threads.add(tc);
            threads.add(ts);
        }
        if (conns == null) {
            for (Thread t : threads) {
                t.start();
            }
            ids = threads.stream().mapToLong(Thread::getId).toArray();
            if (!ready.await(20, TimeUnit.SECONDS)) {
                failures.add(new IllegalStateException("threads not ready in 20 s"));
            }
            go.countDown();
        }
        Thread.sleep(warmup);
        // All threads alive at the window's start (allocation of the whole JVM), and wiretrace's
        // capture reader (which also runs the TCP analysis) if it is running.
        long[] all = THREADS.getAllThreadIds();
        long capture = -1;
        for (java.lang.management.ThreadInfo ti : THREADS.getThreadInfo(all)) {
            if (ti != null && ti.getThreadName().startsWith("wiretrace-read-")) {
                capture = ti.getThreadId();
            }
        }
        Snapshot a = snapshot(ids, all, capture, clientCounters, serverCounters);
        Thread.sleep(measure);
        Snapshot b = snapshot(ids, all, capture, clientCounters, serverCounters);
        stopFlag.set(1);

        // Clients stop and close; their servers see end of stream. The watchdog closes everything
        // if that does not happen in time (a wedged peer), which unblocks any read.
        boolean wedged;
        if (conns != null) {
            wedged = !conns.awaitClosed(5_000);
            conns.close();
        } else {
            long joinBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (Thread t : threads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
            }
            wedged = threads.stream().anyMatch(Thread::isAlive);
            for (Closeable c : toClose) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            for (Thread t : threads) {
                t.join(2_000);
            }
        }
        if (wedged) {
            throw new IllegalStateException(api + " x" + n + ": threads did not finish in time; sockets closed");
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(api + " x" + n + ": " + failures.get(0), failures.get(0));
        }
        Result r = new Result();
        r.nanos = b.time - a.time;
        r.rounds = b.rounds - a.rounds;
        r.calls = b.calls - a.calls;
        r.threadCpu = b.threadCpu - a.threadCpu;
        r.processCpu = b.processCpu - a.processCpu;
        r.allocated = b.allocated - a.allocated;
        r.machineBusy = a.machineBusy < 0 ? -1 : b.machineBusy - a.machineBusy;
        r.steal = a.steal < 0 ? -1 : b.steal - a.steal;
        r.jvmAllocated = b.jvmAllocated - a.jvmAllocated;
        if (a.captureCpu >= 0 && b.captureCpu >= 0) {
            r.captureCpu = b.captureCpu - a.captureCpu;
            r.captureAllocated = b.captureAllocated - a.captureAllocated;
        }
        r.gcCount = b.gcCount - a.gcCount;
        r.gcMillis = b.gcMillis - a.gcMillis;
        if (r.rounds <= 0) {
            throw new IllegalStateException(api + " x" + n + ": no round trips in the measured window");
        }
        return r;
    }

    /** Runs body on the calling thread after pinning that thread to the --pin CPUs, if given. */
    static Runnable pinned(Runnable body, CountDownLatch ready, List<Throwable> failures) {
        return () -> {
            try {
                if (pin != null) {
                    pinCurrentThread(pin);
                }
            } catch (Throwable t) {
                failures.add(t);
            } finally {
                ready.countDown();
            }
            body.run();
        };
    }

    /**
     * Sets the calling thread's CPU affinity with taskset (util-linux); the native thread id comes
     * from /proc/thread-self, a link to {@code <pid>/task/<tid>}.
     */
    static void pinCurrentThread(String cpus) throws Exception {
        String tid = java.nio.file.Files.readSymbolicLink(java.nio.file.Paths.get("/proc/thread-self"))
                .getFileName().toString();
        Process p = new ProcessBuilder("taskset", "-p", "-c", cpus, tid)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("taskset did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("taskset -p -c " + cpus + " " + tid + " failed: exit " + p.exitValue());
        }
    }

    static Snapshot snapshot(long[] ids, long[] all, long capture, List<Counters> clients, List<Counters> servers) {
        Snapshot s = new Snapshot();
        s.time = System.nanoTime();
        for (Counters c : clients) {
            s.rounds += c.rounds.get();
            s.calls += c.calls.get();
        }
        for (Counters c : servers) {
            s.calls += c.calls.get();
        }
        s.processCpu = OS.getProcessCpuTime();
        long[] m = machineCpu();
        s.machineBusy = m[0];
        s.steal = m[1];
        for (long id : ids) {
            long cpu = THREADS.getThreadCpuTime(id);
            if (cpu > 0) {
                s.threadCpu += cpu;
            }
        }
        for (long b : THREADS.getThreadAllocatedBytes(ids)) {
            if (b > 0) {
                s.allocated += b;
            }
        }
        for (long b : THREADS.getThreadAllocatedBytes(all)) {
            if (b > 0) {
                s.jvmAllocated += b;
            }
        }
        if (capture >= 0) {
            s.captureCpu = THREADS.getThreadCpuTime(capture);
            s.captureAllocated = THREADS.getThreadAllocatedBytes(capture);
        }
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            s.gcCount += Math.max(0, gc.getCollectionCount());
            s.gcMillis += Math.max(0, gc.getCollectionTime());
        }
        return s;
    }

    // --- java.net.Socket ---------------------------------------------------------------------

    static void ioClient(Socket sock, Counters k, CountDownLatch go, AtomicLong stop, long deadline,
            List<Throwable> failures) {
        byte[] req = http ? httpRequest.clone() : new byte[size];
        byte[] rep = new byte[size];
        try {
            OutputStream out = sock.getOutputStream();
            InputStream in = sock.getInputStream();
            go.await();
            long rounds = 0;
            long calls = 0;
            while (stop.get() == 0 && rounds < maxRounds) {
                if (!http) {
                    req[0] = (byte) rounds;
                }
                out.write(req, 0, size);
                calls++;
                int got = 0;
                while (got < size) {
                    int r = in.read(rep, got, size - got);
                    calls++;
                    if (r < 0) {
                        throw new IOException("server closed the connection");
                    }
                    got += r;
                }
                rounds++;
                k.rounds.lazySet(rounds);
                k.calls.lazySet(calls);
                if ((rounds & 63) == 0 && System.nanoTime() - deadline > 0) {
                    break;
                }
            }
        } catch (Throwable t) {
            failures.add(t);
        } finally {
            close(sock);
        }
    }

    static void ioServer(Socket sock, Counters k, long deadline, List<Throwable> failures) {
        byte[] buf = new byte[size];
        try {
            OutputStream out = sock.getOutputStream();
            InputStream in = sock.getInputStream();
            long rounds = 0;
            long calls = 0;
            outer:
            while (rounds <= maxRounds) {
                int got = 0;
                while (got < size) {
                    int r = in.read(buf, got, size - got);
                    calls++;
                    if (r < 0) {
                        break outer; // the client is done
                    }
                    got += r;
                }
                out.write(http ? httpResponse : buf, 0, size);
                calls++;
                rounds++;
                k.calls.lazySet(calls);
                if ((rounds & 63) == 0 && System.nanoTime() - deadline > 0) {
                    break;
                }
            }
        } catch (Throwable t) {
            failures.add(t);
        } finally {
            close(sock);
        }
    }

    // --- java.nio SocketChannel (blocking) ------------------------------------------------------

    static void nioClient(SocketChannel ch, Counters k, CountDownLatch go, AtomicLong stop, long deadline,
            List<Throwable> failures) {
        ByteBuffer req = buffer();
        ByteBuffer rep = buffer();
        if (http) {
            req.put(httpRequest);
        }
        try {
            go.await();
            long rounds = 0;
            long calls = 0;
            while (stop.get() == 0 && rounds < maxRounds) {
                req.clear();
                if (!http) {
                    req.put(0, (byte) rounds);
                }
                while (req.hasRemaining()) {
                    ch.write(req);
                    calls++;
                }
                rep.clear();
                while (rep.hasRemaining()) {
                    int r = ch.read(rep);
                    calls++;
                    if (r < 0) {
                        throw new IOException("server closed the connection");
                    }
                }
                rounds++;
                k.rounds.lazySet(rounds);
                k.calls.lazySet(calls);
                if ((rounds & 63) == 0 && System.nanoTime() - deadline > 0) {
                    break;
                }
            }
        } catch (Throwable t) {
            failures.add(t);
        } finally {
            close(ch);
        }
    }

    static void nioServer(SocketChannel ch, Counters k, long deadline, List<Throwable> failures) {
        ByteBuffer buf = buffer();
        ByteBuffer answer = buffer();
        if (http) {
            answer.put(httpResponse);
        }
        try {
            long rounds = 0;
            long calls = 0;
            outer:
            while (rounds <= maxRounds) {
                buf.clear();
                while (buf.hasRemaining()) {
                    int r = ch.read(buf);
                    calls++;
                    if (r < 0) {
                        break outer;
                    }
                }
                ByteBuffer out = buf;
                if (http) {
                    out = answer;
                    out.clear();
                } else {
                    buf.flip();
                }
                while (out.hasRemaining()) {
                    ch.write(out);
                    calls++;
                }
                rounds++;
                k.calls.lazySet(calls);
                if ((rounds & 63) == 0 && System.nanoTime() - deadline > 0) {
                    break;
                }
            }
        } catch (Throwable t) {
            failures.add(t);
        } finally {
            close(ch);
        }
    }

    /** {@code head}, padding, {@code tail}: exactly {@code size} bytes. */
    static byte[] httpMessage(String head, String tail, int size) {
        int pad = size - head.length() - tail.length();
        if (pad < 1) {
            throw new IllegalArgumentException("--size " + size + " is too small for --http");
        }
        return (head + "p".repeat(pad) + tail).getBytes(StandardCharsets.US_ASCII);
    }

    static ByteBuffer buffer() {
        return direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    }

    static void close(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // --- summary of a run's RESULT lines ---------------------------------------------------------

    /**
     * Reads the RESULT lines of a run (phase labels {@code KIND/SEQ}) and prints every phase, then
     * per wiretrace variant the median over its phases, each compared with the mean of the no-agent
     * phases just before and just after it (kinds {@code baseline} and {@code after-stop}; kind
     * {@code warmup} is ignored). after-stop phases are compared with the first baseline.
     */
    static final class Summary {
        static final class Row {
            String kind;
            int seq;
            String api;
            int clients;
            double rtps, nsRt, cpuRt, procRt, allocRt, callsRt, other, steal, jvmAllocRt, capCpuRt, gcs;

            String config() {
                return api + " x" + clients;
            }
        }

        static boolean noAgent(String kind) {
            return kind.equals("baseline") || kind.equals("after-stop");
        }

        static void print(java.nio.file.Path file) throws IOException {
            List<Row> rows = new ArrayList<>();
            for (String line : java.nio.file.Files.readAllLines(file)) {
                if (!line.startsWith("RESULT ")) {
                    continue;
                }
                java.util.Map<String, String> kv = new java.util.HashMap<>();
                for (String w : line.substring(7).trim().split("\\s+")) {
                    int eq = w.indexOf('=');
                    if (eq > 0) {
                        kv.put(w.substring(0, eq), w.substring(eq + 1));
                    }
                }
                Row r = new Row();
                String label = kv.get("phase");
                int slash = label.lastIndexOf('/');
                r.kind = slash < 0 ? label : label.substring(0, slash);
                r.seq = slash < 0 ? rows.size() : Integer.parseInt(label.substring(slash + 1));
                if (r.kind.equals("warmup")) {
                    continue;
                }
                r.api = kv.get("api");
                r.clients = Integer.parseInt(kv.get("clients"));
                r.rtps = Double.parseDouble(kv.get("rtps"));
                r.nsRt = Double.parseDouble(kv.get("ns_rt"));
                r.cpuRt = Double.parseDouble(kv.get("cpu_ns_rt"));
                r.procRt = Double.parseDouble(kv.get("proc_cpu_ns_rt"));
                r.allocRt = Double.parseDouble(kv.get("alloc_b_rt"));
                r.callsRt = Double.parseDouble(kv.get("calls_rt"));
                r.other = Double.parseDouble(kv.getOrDefault("other_cores", "-1"));
                r.steal = Double.parseDouble(kv.getOrDefault("steal_cores", "-1"));
                r.jvmAllocRt = Double.parseDouble(kv.getOrDefault("jvm_alloc_b_rt", "-1"));
                r.capCpuRt = Double.parseDouble(kv.getOrDefault("cap_cpu_ns_rt", "-1"));
                r.gcs = Double.parseDouble(kv.getOrDefault("gcs", "-1"));
                rows.add(r);
            }
            if (rows.isEmpty()) {
                System.out.println("no RESULT lines in " + file);
                return;
            }
            List<String> configs = new ArrayList<>();
            List<String> kinds = new ArrayList<>();
            java.util.TreeSet<Integer> seqs = new java.util.TreeSet<>();
            for (Row r : rows) {
                if (!configs.contains(r.config())) {
                    configs.add(r.config());
                }
                if (!kinds.contains(r.kind)) {
                    kinds.add(r.kind);
                }
                seqs.add(r.seq);
            }

            System.out.println("All phases, in the order they ran (rt = round trip, all clients together;"
                    + " ns/RT = mean round trip one client sees;");
            System.out.println("CPU = benchmark client+server threads, user+sys; proc = whole JVM; cap = wiretrace's capture"
                    + " thread; app B = bytes");
            System.out.println("allocated by the benchmark threads, JVM B = by all threads; calls = socket reads+writes per RT;"
                    + " GCs in the window;");
            System.out.println("other = CPU used outside this JVM incl. softirq, in cores):");
            System.out.println(String.format(Locale.ROOT, "%4s %-14s %-8s %7s %6s %6s %6s %6s %7s %8s %5s %3s %5s",
                    "seq", "phase", "config", "rt/s", "ns/RT", "CPU/RT", "proc", "cap", "app B", "JVM B/RT", "calls",
                    "GCs", "other"));
            for (int seq : seqs) {
                for (String c : configs) {
                    Row r = find(rows, seq, c);
                    if (r != null) {
                        System.out.println(String.format(Locale.ROOT, "%4d %-14s %-8s %7.0f %6.0f %6.0f %6.0f %6s %7.2f %8.1f %5.2f %3.0f %5.2f",
                                r.seq, r.kind, c, r.rtps, r.nsRt, r.cpuRt, r.procRt,
                                r.capCpuRt < 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.capCpuRt),
                                r.allocRt, r.jvmAllocRt, r.callsRt, r.gcs, r.other));
                    }
                }
            }

            Integer firstBaseline = null;
            for (int seq : seqs) {
                Row r = find(rows, seq, configs.get(0));
                if (r != null && r.kind.equals("baseline")) {
                    firstBaseline = seq;
                    break;
                }
            }
            System.out.println();
            System.out.println("Summary: median over a variant's phases [min..max]. Each wiretrace phase is compared with the mean of");
            System.out.println("the no-agent phases just before and just after it; after-stop phases with the first baseline.");
            System.out.println("x ns/RT = ns per round trip / that of the no-agent neighbours (= inverse throughput ratio).");
            System.out.println("+X ns/call = (X per round trip - neighbours' X per round trip) / calls per round trip, where calls per");
            System.out.println("round trip = socket reads + writes on the client and the server side together, as counted (4.00:");
            System.out.println("client write, server read, server write, client read; netty ~4.1: its event loops also make a read");
            System.out.println("that returns EAGAIN when a read filled the buffer). +CPU: benchmark threads only (what the app's");
            System.out.println("threads pay; netty: the event loop threads of the connections); +proc: whole JVM (adds JFR, capture");
            System.out.println("thread, JIT); +wall: added latency per call, shown for 1 client only, where the calls are serial on");
            System.out.println("the critical path.");
            System.out.println("app B/RT: most bytes allocated per round trip by the benchmark threads in any of the phases;"
                    + " JVM B/RT: median, all threads.");
            System.out.println(String.format(Locale.ROOT, "%-14s %-8s %2s %7s %6s %-18s %-19s %-22s %-21s %6s %8s %5s",
                    "variant", "config", "n", "rt/s", "ns/RT", "x ns/RT", "+CPU ns/call", "+proc CPU ns/call",
                    "+wall ns/call", "app B", "JVM B/RT", "other"));
            for (String kind : kinds) {
                for (String c : configs) {
                    List<Double> rtps = new ArrayList<>(), ns = new ArrayList<>(), ratio = new ArrayList<>(),
                            cpu = new ArrayList<>(), proc = new ArrayList<>(), wall = new ArrayList<>(),
                            jvm = new ArrayList<>();
                    double alloc = 0, other = 0;
                    int n = 0;
                    for (int seq : seqs) {
                        Row r = find(rows, seq, c);
                        if (r == null || !r.kind.equals(kind)) {
                            continue;
                        }
                        Row[] ref;
                        if (kind.equals("baseline") && firstBaseline != null && seq == firstBaseline) {
                            ref = null;
                        } else if (noAgent(kind)) {
                            Row b = firstBaseline == null ? null : find(rows, firstBaseline, c);
                            ref = b == null ? null : new Row[] {b};
                        } else {
                            Row before = neighbour(rows, seqs.headSet(seq, false).descendingSet(), c);
                            Row after = neighbour(rows, seqs.tailSet(seq, false), c);
                            ref = before == null && after == null ? null
                                    : before == null ? new Row[] {after}
                                    : after == null ? new Row[] {before} : new Row[] {before, after};
                        }
                        n++;
                        rtps.add(r.rtps);
                        ns.add(r.nsRt);
                        alloc = Math.max(alloc, r.allocRt);
                        jvm.add(r.jvmAllocRt);
                        other = Math.max(other, r.other);
                        if (ref != null) {
                            double refNs = 0, refCpu = 0, refProc = 0;
                            for (Row x : ref) {
                                refNs += x.nsRt / ref.length;
                                refCpu += x.cpuRt / ref.length;
                                refProc += x.procRt / ref.length;
                            }
                            ratio.add(r.nsRt / refNs);
                            cpu.add((r.cpuRt - refCpu) / r.callsRt);
                            proc.add((r.procRt - refProc) / r.callsRt);
                            if (r.clients == 1) {
                                wall.add((r.nsRt - refNs) / r.callsRt);
                            }
                        }
                    }
                    if (n == 0) {
                        continue;
                    }
                    System.out.println(String.format(Locale.ROOT, "%-14s %-8s %2d %7.0f %6.0f %-18s %-19s %-22s %-21s %6.2f %8.1f %5.2f",
                            kind, c, n, median(rtps), median(ns), spread(ratio, "x%.2f", "%.2f"),
                            spread(cpu, "%+.0f", "%+.0f"), spread(proc, "%+.0f", "%+.0f"),
                            spread(wall, "%+.0f", "%+.0f"), alloc, median(jvm), other));
                }
            }
        }

        static Row find(List<Row> rows, int seq, String config) {
            for (Row r : rows) {
                if (r.seq == seq && r.config().equals(config)) {
                    return r;
                }
            }
            return null;
        }

        /** The nearest no-agent phase in the given direction. */
        static Row neighbour(List<Row> rows, java.util.NavigableSet<Integer> direction, String config) {
            for (int seq : direction) {
                Row r = find(rows, seq, config);
                if (r != null && noAgent(r.kind)) {
                    return r;
                }
            }
            return null;
        }

        static double median(List<Double> v) {
            List<Double> s = new ArrayList<>(v);
            java.util.Collections.sort(s);
            int n = s.size();
            return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
        }

        static String spread(List<Double> v, String medianFormat, String rangeFormat) {
            if (v.isEmpty()) {
                return "-";
            }
            if (v.size() == 1) {
                return String.format(Locale.ROOT, medianFormat, v.get(0));
            }
            return String.format(Locale.ROOT, medianFormat + " [" + rangeFormat + ".." + rangeFormat + "]",
                    median(v), java.util.Collections.min(v), java.util.Collections.max(v));
        }
    }

    static int[] parseInts(String v) {
        String[] p = v.split(",");
        int[] r = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = Integer.parseInt(p[i].trim());
            if (r[i] < 1 || r[i] > 64) {
                throw new IllegalArgumentException("--clients takes 1..64, not " + r[i]);
            }
        }
        return r;
    }
}
