package io.wiretrace.cli.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The app of {@link MixUnderLoadIT}: a JDK HTTP server whose requests each do one thing to
 * {@link FaultPeer} or in the app, and, as a second process, the load that calls it.
 *
 * <pre>
 *   MixApp PEER HTTP_PORT LOSS_PORT   the server on 127.0.0.1, 16 workers ("mix-worker"):
 *     /fast     GET PEER:HTTP_PORT/fast
 *     /think    GET PEER:HTTP_PORT/think?ms=400 (a slow upstream)
 *     /upload   POST of 1.5 MB to PEER:LOSS_PORT/sink (a lossy link)
 *     /cpu      500 ms of computing (InAppApp.burn)
 *   MixApp load PORT CLIENTS          CLIENTS threads GET /fast in a loop; prints LOADED after
 *                                     200 requests; each stdin line "PATH ID" is requested on a
 *                                     thread of its own and answered with DONE ID ms=N BODY
 * </pre>
 */
public final class MixApp {
    private MixApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("load")) {
            load(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return;
        }
        String peer = "http://" + args[0] + ":";
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        AtomicLong workers = new AtomicLong();
        server.setExecutor(Executors.newFixedThreadPool(16, r -> new Thread(r, "mix-worker-" + workers.incrementAndGet())));
        server.createContext("/fast", x -> answer(x, get(peer + args[1] + "/fast")));
        server.createContext("/think", x -> answer(x, get(peer + args[1] + "/think?ms=400")));
        server.createContext("/upload", x -> answer(x, upload(peer + args[2] + "/sink", 1_500_000)));
        server.createContext("/cpu", x -> {
            InAppApp.burn();
            answer(x, "burnt " + InAppApp.MS + " ms");
        });
        server.start();
        System.out.println("READY port=" + server.getAddress().getPort() + " pid=" + ProcessHandle.current().pid()
                + " java=" + System.getProperty("java.version"));
        System.out.flush();
    }

    private static String get(String url) throws IOException {
        HttpURLConnection h = (HttpURLConnection) new URL(url).openConnection(Proxy.NO_PROXY);
        return h.getResponseCode() + " " + new String(h.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    }

    private static String upload(String url, long bytes) throws IOException {
        long t0 = System.nanoTime();
        HttpURLConnection h = (HttpURLConnection) new URL(url).openConnection(Proxy.NO_PROXY);
        h.setRequestMethod("POST");
        h.setDoOutput(true);
        h.setFixedLengthStreamingMode(bytes);
        h.setRequestProperty("Connection", "close"); // see FaultApp's post: no probe of a cached connection
        try (OutputStream out = h.getOutputStream()) {
            byte[] b = new byte[64 << 10];
            for (long left = bytes; left > 0; left -= b.length) {
                out.write(b, 0, (int) Math.min(b.length, left));
            }
        }
        String body = new String(h.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        return "upload ms=" + (System.nanoTime() - t0) / 1_000_000 + " " + h.getResponseCode() + " " + body;
    }

    private static void answer(HttpExchange x, String body) throws IOException {
        byte[] b = (body + "\n").getBytes(StandardCharsets.UTF_8);
        x.getRequestBody().readAllBytes();
        x.sendResponseHeaders(200, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private static void load(int port, int clients) throws Exception {
        AtomicLong done = new AtomicLong();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                while (true) {
                    try {
                        get("http://127.0.0.1:" + port + "/fast");
                    } catch (IOException e) {
                        System.out.println("LOAD FAILED " + e);
                    }
                    if (done.incrementAndGet() == 200) {
                        System.out.println("LOADED");
                        System.out.flush();
                    }
                }
            }, "mix-load-" + i);
            t.setDaemon(true);
            t.start();
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] c = line.trim().split(" ");
            new Thread(() -> {
                long t0 = System.nanoTime();
                String outcome;
                try {
                    String body = get("http://127.0.0.1:" + port + c[0]);
                    outcome = "DONE " + c[1] + " ms=" + (System.nanoTime() - t0) / 1_000_000 + " " + body;
                } catch (IOException e) {
                    outcome = "FAILED " + c[1] + " ms=" + (System.nanoTime() - t0) / 1_000_000 + " " + e;
                }
                synchronized (System.out) {
                    System.out.println(outcome);
                    System.out.flush();
                }
            }).start();
        }
    }
}
