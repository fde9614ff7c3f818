package io.wiretrace.cli.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A server that hands each request on a keep-alive connection to a new virtual thread (JDK 21+),
 * as a thread-per-request server on virtual threads does: the thread reads the 64-byte request
 * and writes it back. It measures what the app's threads allocate per request: its main thread
 * (the client) and the carriers of the virtual threads, where a mounted virtual thread's
 * allocations are counted; the agent's own threads are not the app's.
 *
 * <p>Prints {@code READY port=C data=D}: C takes one command a connection, {@code run N}, and
 * answers {@code ALLOC <bytes a request> SEEN <share of a known allocation seen>} after N requests
 * on the connection to D. SEEN checks the counting: each of 1,000 virtual threads allocates 4 KiB,
 * which the sum must show (about 1.0).
 */
public final class VirtualAllocApp {
    static volatile Object sink;

    public static void main(String[] args) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        ExecutorService perTask = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                .invoke(null);
        try (ServerSocket data = new ServerSocket(0, 50, lo);
                Socket client = new Socket(lo, data.getLocalPort());
                Socket served = data.accept();
                ServerSocket control = new ServerSocket(0, 50, lo)) {
            client.setTcpNoDelay(true);
            served.setTcpNoDelay(true);
            InputStream in = served.getInputStream();
            OutputStream out = served.getOutputStream();
            InputStream clientIn = client.getInputStream();
            OutputStream clientOut = client.getOutputStream();
            byte[] request = new byte[64];
            byte[] answer = new byte[64];
            Callable<Object> serve = () -> {
                byte[] b = new byte[64];
                readFully(in, b);
                out.write(b);
                return null;
            };
            System.out.println("READY port=" + control.getLocalPort() + " data=" + data.getLocalPort());
            System.out.flush();
            while (true) {
                try (Socket c = control.accept();
                        BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
                        PrintWriter w = new PrintWriter(c.getOutputStream(), true, StandardCharsets.US_ASCII)) {
                    int n = Integer.parseInt(r.readLine().substring("run ".length()));
                    long before = allocated();
                    for (int i = 0; i < n; i++) {
                        clientOut.write(request);
                        perTask.submit(serve).get();
                        readFully(clientIn, answer);
                    }
                    long perRequest = (allocated() - before) / n;
                    before = allocated();
                    for (int i = 0; i < 1000; i++) {
                        perTask.submit(() -> sink = new byte[4096]).get();
                    }
                    double seen = (allocated() - before) / (1000.0 * 4096);
                    w.printf("ALLOC %d SEEN %.2f%n", perRequest, seen);
                }
            }
        }
    }

    static void readFully(InputStream in, byte[] b) throws IOException {
        for (int off = 0; off < b.length; ) {
            int k = in.read(b, off, b.length - off);
            if (k < 0) {
                throw new IOException("end of stream");
            }
            off += k;
        }
    }

    /** Bytes allocated by the app's threads: this one and the carriers of virtual threads. */
    static long allocated() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && (t.getThreadId() == Thread.currentThread().getId() || t.getThreadName().startsWith("ForkJoinPool-"))) {
                sum += Math.max(0, threads.getThreadAllocatedBytes(t.getThreadId()));
            }
        }
        return sum;
    }
}
