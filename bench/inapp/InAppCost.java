import com.sun.net.httpserver.HttpServer;
import io.wiretrace.agent.inapp.History;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * What the in-app verdicts cost a small HTTP app: requests/s with wiretrace.jfc as it was before
 * them (no jdk.ThreadPark, jdk.ThreadSleep, jdk.VirtualThreadPinned; no stream) and as it is now
 * with the agent's History stream reading them, in alternating rounds in one JVM.
 * Run: bench/inapp/run (src/docs/verdicts.md has the figures).
 */
public class InAppCost {
    static final Object SHARED = new Object();
    static volatile long sink;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Map<String, String> now;
        try (InputStream in = History.class.getResourceAsStream("/io/wiretrace/agent/wiretrace.jfc")) {
            now = Configuration.create(new InputStreamReader(in, StandardCharsets.UTF_8)).getSettings();
        }
        Map<String, String> before = new HashMap<>(now);
        before.keySet().removeIf(k -> k.startsWith("jdk.ThreadPark#") || k.startsWith("jdk.ThreadSleep#")
                || k.startsWith("jdk.VirtualThreadPinned#"));

        System.setProperty("sun.net.httpserver.nodelay", "true"); // else Nagle and delayed ACKs set the pace
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        server.setExecutor(Executors.newFixedThreadPool(4));
        LongAdder served = new LongAdder();
        server.createContext("/", x -> {
            long n = served.sum();
            long h = 0;
            for (int i = 0; i < 20_000; i++) {
                h = h * 31 + i;
            }
            synchronized (SHARED) {
                sink += h;
            }
            if (n % 20 == 0) {
                LockSupport.parkNanos(25_000_000L); // every 20th request waits: parks worth recording
            }
            byte[] body = "ok".getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, body.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(body);
            }
            served.increment();
        });
        server.start();
        int port = server.getAddress().getPort();
        load(port, 2); // warm up
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        System.out.printf("%-6s %22s %22s%n", "round", "before (req/s)", "with in-app (req/s)");
        for (int r = 1; r <= rounds; r++) {
            double x = 0;
            double y = 0;
            for (int half = 0; half < 2; half++) {
                if ((half == 0) == (r % 2 == 1)) { // the order alternates: drift favours neither
                    x = round(before, null, port, seconds);
                } else {
                    y = round(now, now, port, seconds);
                }
            }
            a.add(x);
            b.add(y);
            System.out.printf("%-6d %22.0f %22.0f%n", r, x, y);
        }
        a.sort(null);
        b.sort(null);
        double ma = a.get(a.size() / 2);
        double mb = b.get(b.size() / 2);
        System.out.printf("%-6s %22.0f %22.0f   ratio %.3f%n", "median", ma, mb, mb / ma);
        server.stop(0);
        System.exit(0);
    }

    /** One round with a recording of {@code settings}, and the in-app stream if {@code stream} is given. */
    static double round(Map<String, String> settings, Map<String, String> stream, int port, int seconds) throws Exception {
        History h = stream != null ? History.start(stream, System.out::println) : null;
        try (Recording rec = new Recording(settings)) {
            rec.start();
            return load(port, seconds);
        } finally {
            if (h != null) {
                System.out.println("  " + h.status());
                h.close();
            }
        }
    }

    /** 8 clients, keep-alive HTTP/1.1, for {@code seconds}: requests/s. */
    static double load(int port, int seconds) throws Exception {
        LongAdder done = new LongAdder();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            Thread t = new Thread(() -> {
                byte[] req = ("GET / HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                byte[] buf = new byte[4096];
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    while (System.nanoTime() < end) {
                        out.write(req);
                        int got = 0;
                        String text = "";
                        while (!(text.contains("\r\n\r\n") && text.endsWith("ok"))) {
                            int n = in.read(buf, got, buf.length - got);
                            if (n < 0) {
                                return;
                            }
                            got += n;
                            text = new String(buf, 0, got, StandardCharsets.US_ASCII);
                        }
                        done.increment();
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            clients.add(t);
        }
        for (Thread t : clients) {
            t.join();
        }
        return done.sum() / (double) seconds;
    }
}
