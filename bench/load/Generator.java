import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Closed-loop HTTP/1.1 load: a fixed number of keep-alive connections, each on its own thread,
 * each sending its next GET as soon as the last response is in. A request counts in the round in
 * which its response completed; its latency is from the first byte written to the last byte read.
 * The loop allocates nothing per request (one buffer per connection, responses parsed in place).
 */
final class Generator {
    /** One measurement window: [start, end) in System.nanoTime, a histogram and an error count per connection. */
    static final class Round {
        final long start;
        final long end;
        final Histogram[] latencies;
        final long[] errors;

        Round(long start, long end, int connections) {
            this.start = start;
            this.end = end;
            this.latencies = new Histogram[connections];
            this.errors = new long[connections];
            for (int i = 0; i < connections; i++) {
                latencies[i] = new Histogram();
            }
        }
    }

    private final List<Connection> connections = new ArrayList<>();
    private volatile Round round;
    private volatile boolean running = true;

    Generator(int port, String path, int count) {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: wiretrace-load\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < count; i++) {
            connections.add(new Connection(i, port, request));
        }
    }

    void start() {
        connections.forEach(Thread::start);
    }

    void close() {
        running = false;
    }

    /** Runs one window of the given length and returns it once every connection has moved past its end. */
    Round measure(long nanos) throws InterruptedException {
        long start = System.nanoTime();
        Round r = new Round(start, start + nanos, connections.size());
        round = r;
        long left;
        while ((left = r.end - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000));
        }
        // A connection may still hold the window while its last response is on the way: wait for it.
        long give = System.nanoTime() + 10_000_000_000L;
        for (Connection c : connections) {
            while (c.done < r.end && System.nanoTime() < give) {
                Thread.sleep(1);
            }
        }
        round = null;
        return r;
    }

    private final class Connection extends Thread {
        private final int id;
        private final int port;
        private final byte[] request;
        private final byte[] buf = new byte[64 * 1024];
        volatile long done;

        Connection(int id, int port, byte[] request) {
            super("load-" + id);
            setDaemon(true);
            this.id = id;
            this.port = port;
            this.request = request;
        }

        @Override
        public void run() {
            Socket s = null;
            InputStream in = null;
            OutputStream out = null;
            while (running) {
                long t0 = System.nanoTime();
                boolean ok;
                try {
                    if (s == null) {
                        s = new Socket();
                        s.setTcpNoDelay(true);
                        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                        s.setSoTimeout(30_000);
                        in = s.getInputStream();
                        out = s.getOutputStream();
                        t0 = System.nanoTime();
                    }
                    out.write(request);
                    ok = response(in);
                } catch (IOException e) {
                    ok = false;
                    close(s);
                    s = null;
                    pause();
                }
                long t1 = System.nanoTime();
                Round r = round;
                if (r != null && t1 - r.start >= 0 && t1 - r.end < 0) {
                    if (ok) {
                        r.latencies[id].record(t1 - t0);
                    } else {
                        r.errors[id]++;
                    }
                }
                done = t1;
            }
            close(s);
        }

        /** Reads one response; true if its status is 200. */
        private boolean response(InputStream in) throws IOException {
            int n = 0;
            int headerEnd = -1;
            while (headerEnd < 0) {
                if (n == buf.length) {
                    throw new IOException("header too long");
                }
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    throw new IOException("closed");
                }
                int from = Math.max(0, n - 3);
                n += r;
                headerEnd = headerEnd(from, n);
            }
            boolean ok = n > 12 && buf[9] == '2' && buf[10] == '0' && buf[11] == '0';
            long length = contentLength(headerEnd);
            if (length < 0) {
                throw new IOException("no Content-Length");
            }
            long left = headerEnd + length - n;
            while (left > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new IOException("closed");
                }
                left -= r;
            }
            return ok;
        }

        private int headerEnd(int from, int n) {
            for (int i = from; i + 3 < n; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    return i + 4;
                }
            }
            return -1;
        }

        private static final String CL = "content-length:";

        private long contentLength(int end) {
            for (int line = 0; line < end; ) {
                int next = line;
                while (next < end && buf[next] != '\n') {
                    next++;
                }
                if (next - line > CL.length() && matches(line)) {
                    long v = 0;
                    for (int i = line + CL.length(); i < next; i++) {
                        byte b = buf[i];
                        if (b >= '0' && b <= '9') {
                            v = v * 10 + (b - '0');
                        }
                    }
                    return v;
                }
                line = next + 1;
            }
            return -1;
        }

        private boolean matches(int at) {
            for (int i = 0; i < CL.length(); i++) {
                if (Character.toLowerCase(buf[at + i]) != CL.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private void pause() {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void close(Socket s) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing after a failure
                }
            }
        }
    }
}
