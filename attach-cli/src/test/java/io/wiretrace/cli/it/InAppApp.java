package io.wiretrace.cli.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An HTTP server whose endpoints each spend about 500 ms inside the app: /cpu burns CPU, /monitor
 * waits for a monitor another thread holds, /sleep sleeps, /park parks, /lock waits for a
 * ReentrantLock another thread holds. A second server (JDK 21+) runs each request on a virtual
 * thread. Prints {@code READY port=N vport=M pid=P}.
 */
public final class InAppApp {
    static final long MS = 500;
    static final Stock SHARED = new Stock();
    static final ReentrantLock LOCK = new ReentrantLock();
    static volatile double sink;

    public static void main(String[] args) throws Exception {
        HttpServer server = server(Executors.newFixedThreadPool(4, r -> new Thread(r, "inapp-worker")));
        int vport = -1;
        try {
            ExecutorService virtual = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                    .invoke(null);
            vport = server(virtual).getAddress().getPort();
        } catch (NoSuchMethodException e) {
            // no virtual threads before JDK 21
        }
        System.out.println("READY port=" + server.getAddress().getPort() + " vport=" + vport + " pid="
                + ProcessHandle.current().pid());
    }

    private static HttpServer server(java.util.concurrent.Executor executor) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        s.setExecutor(executor);
        s.createContext("/", InAppApp::handle);
        s.start();
        return s;
    }

    private static void handle(HttpExchange x) throws IOException {
        try {
            switch (x.getRequestURI().getPath()) {
                case "/cpu":
                    burn();
                    break;
                case "/monitor":
                    contend();
                    break;
                case "/sleep":
                    nap();
                    break;
                case "/park":
                    pause();
                    break;
                case "/lock":
                    locked();
                    break;
                default:
                    break;
            }
            byte[] body = ("done " + x.getRequestURI().getPath() + "\n").getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, body.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(body);
            }
        } catch (InterruptedException e) {
            x.sendResponseHeaders(500, -1);
        } finally {
            x.close();
        }
    }

    static void burn() {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MS);
        double x = 1;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1000; i++) {
                x = x * 1.0000001 + 1e-9;
            }
        }
        sink = x;
    }

    static void contend() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (SHARED) {
                held.countDown();
                sleepQuietly(MS);
            }
        }, "inapp-holder");
        holder.start();
        held.await();
        synchronized (SHARED) {
            sink++;
        }
    }

    static void nap() throws InterruptedException {
        Thread.sleep(MS);
    }

    static void pause() {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MS);
        for (long left; (left = end - System.nanoTime()) > 0;) {
            LockSupport.parkNanos(left);
        }
    }

    static void locked() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            LOCK.lock();
            try {
                held.countDown();
                sleepQuietly(MS);
            } finally {
                LOCK.unlock();
            }
        }, "inapp-lock-holder");
        holder.start();
        held.await();
        LOCK.lock();
        LOCK.unlock();
    }

    /** The monitor /monitor waits for: a class of its own, so that the verdict can name it. */
    static final class Stock {
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
