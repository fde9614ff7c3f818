package io.wiretrace.cli.it;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * The app under test in {@link VerdictIT}: a child JVM that makes the calls it is told to on
 * stdin, one line each, one after the other on the thread {@code fault-worker}, and answers each
 * with {@code DONE ID ms=N DETAIL} or {@code FAILED ID ms=N EXCEPTION}. HTTPS URLs are trusted
 * through {@code -Djavax.net.ssl.trustStore}.
 *
 * <pre>
 *   http ID URL                       GET with HttpURLConnection, the whole body read
 *   post ID URL BYTES                 POST of BYTES zero bytes (fixed length) with HttpURLConnection,
 *                                     on a new connection
 *   client ID URL                     GET with java.net.http.HttpClient (HTTP/1.1)
 *   raw ID HOST PORT PATH LATE_MS     GET on a plain socket; sleeps LATE_MS before it reads the answer
 *   connect ID HOST PORT TIMEOUT_MS   connect, then close
 *   write ID HOST PORT BYTES          connect, one write of BYTES zero bytes, close
 *   resolve ID NAME                   InetAddress.getAllByName
 *   starve ID THINK_MS                a server of its own on 127.0.0.1 with one worker thread
 *                                     ("fault-pool"): a /think request holds the worker THINK_MS
 *                                     while a /fast request, 50 ms later on another connection,
 *                                     waits in the kernel for it
 *   backlog ID WAIT_MS                a server of its own on 127.0.0.1 that accepts a connection only
 *                                     WAIT_MS after its /queued request was written: the request waits
 *                                     in the kernel's accept queue, then is read and answered at once
 *   https-serve ID                    an HTTPS server of its own (com.sun.net.httpserver, whose TLS is
 *                                     an SSLEngine) on 127.0.0.1, with the trust store's key, and one
 *                                     GET /served?q to it through HttpsURLConnection
 *   h2 ID HOST PORT                   HTTP/2 with prior knowledge on a plain socket: the client
 *                                     preface and an empty SETTINGS frame, then what comes back
 * </pre>
 */
public final class FaultApp {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(10)).build();

    private FaultApp() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("READY port=0 pid=" + ProcessHandle.current().pid() + " java=" + System.getProperty("java.version"));
        System.out.flush();
        Thread worker = new Thread(FaultApp::work, "fault-worker");
        worker.start();
        worker.join();
    }

    private static void work() {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (String line; (line = in.readLine()) != null; ) {
                String[] c = line.trim().split(" ");
                long t0 = System.nanoTime();
                String outcome;
                try {
                    String detail = run(c);
                    outcome = "DONE " + c[1] + " ms=" + (System.nanoTime() - t0) / 1_000_000 + " " + detail;
                } catch (Exception e) {
                    outcome = "FAILED " + c[1] + " ms=" + (System.nanoTime() - t0) / 1_000_000 + " " + e;
                }
                System.out.println(outcome);
                System.out.flush();
            }
        } catch (java.io.IOException e) {
            System.out.println("FAILED stdin " + e);
        }
    }

    private static String run(String[] c) throws Exception {
        switch (c[0]) {
            case "http": {
                HttpURLConnection h = (HttpURLConnection) new URL(c[2]).openConnection(Proxy.NO_PROXY);
                return h.getResponseCode() + " " + h.getInputStream().readAllBytes().length + " bytes";
            }
            case "post": {
                HttpURLConnection h = (HttpURLConnection) new URL(c[2]).openConnection(Proxy.NO_PROXY);
                long bytes = Long.parseLong(c[3]);
                h.setRequestMethod("POST");
                h.setDoOutput(true);
                h.setFixedLengthStreamingMode(bytes);
                // one connection per upload: before a streaming POST on a cached connection,
                // HttpURLConnection probes it with a read that times out after 1 ms
                h.setRequestProperty("Connection", "close");
                try (OutputStream out = h.getOutputStream()) {
                    byte[] b = new byte[64 << 10];
                    for (long left = bytes; left > 0; left -= b.length) {
                        out.write(b, 0, (int) Math.min(b.length, left));
                    }
                }
                return h.getResponseCode() + " " + new String(h.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            }
            case "client": {
                HttpResponse<byte[]> r = CLIENT.send(HttpRequest.newBuilder(URI.create(c[2])).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                return r.statusCode() + " " + r.body().length + " bytes";
            }
            case "raw":
                try (Socket s = connect(c[2], c[3], 10_000)) {
                    s.setSoTimeout(30_000);
                    s.getOutputStream().write(("GET " + c[4] + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    Thread.sleep(Long.parseLong(c[5])); // the fault: the answer waits in the socket for the app
                    InputStream in = s.getInputStream();
                    String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                    return answer.lines().findFirst().orElse("(nothing)");
                }
            case "connect":
                try (Socket s = connect(c[2], c[3], Integer.parseInt(c[4]))) {
                    return "local port " + s.getLocalPort();
                }
            case "write":
                try (Socket s = connect(c[2], c[3], 10_000)) {
                    long t0 = System.nanoTime();
                    s.getOutputStream().write(new byte[Integer.parseInt(c[4])]);
                    return "write ms=" + (System.nanoTime() - t0) / 1_000_000;
                }
            case "resolve":
                return Arrays.toString(InetAddress.getAllByName(c[2]));
            case "starve":
                return starve(Long.parseLong(c[2]));
            case "backlog":
                return backlog(Long.parseLong(c[2]));
            case "https-serve":
                return httpsServe();
            case "h2":
                try (Socket s = connect(c[2], c[3], 10_000)) {
                    s.setSoTimeout(30_000);
                    OutputStream out = s.getOutputStream();
                    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // SETTINGS, no parameters
                    out.flush();
                    s.shutdownOutput();
                    try {
                        return s.getInputStream().readAllBytes().length + " bytes back";
                    } catch (java.net.SocketException e) {
                        return "0 bytes back: " + e.getMessage(); // an HTTP/1.1 server may reset what it cannot read
                    }
                }
            default:
                throw new IllegalArgumentException("unknown command " + c[0]);
        }
    }

    /** Serves one HTTPS request to itself: the server side's TLS is an SSLEngine. */
    private static String httpsServe() throws Exception {
        char[] pass = System.getProperty("javax.net.ssl.trustStorePassword").toCharArray();
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Paths.get(
                System.getProperty("javax.net.ssl.trustStore")))) {
            ks.load(in, pass);
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, pass);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        com.sun.net.httpserver.HttpsServer server = com.sun.net.httpserver.HttpsServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(ctx));
        server.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(200, 2);
            try (OutputStream out = x.getResponseBody()) {
                out.write("ok".getBytes(StandardCharsets.US_ASCII));
            }
        });
        server.start();
        try {
            URL url = new URL("https://127.0.0.1:" + server.getAddress().getPort() + "/served?q=secret");
            javax.net.ssl.HttpsURLConnection h = (javax.net.ssl.HttpsURLConnection) url.openConnection(Proxy.NO_PROXY);
            h.setHostnameVerifier((host, session) -> host.equals("127.0.0.1")); // the certificate names the peer's address
            return h.getResponseCode() + " " + new String(h.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } finally {
            server.stop(0);
        }
    }

    /** One worker for all connections: the second request waits, unread, until the first is done. */
    private static String starve(long thinkMs) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(1,
                r -> new Thread(r, "fault-pool"));
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    for (int i = 0; i < 2; i++) {
                        Socket s = server.accept();
                        pool.submit(() -> serve(s));
                    }
                } catch (java.io.IOException e) {
                    // the test fails on the clients' answers
                }
            }, "fault-acceptor");
            acceptor.start();
            String port = String.valueOf(server.getLocalPort());
            java.util.concurrent.CompletableFuture<String> first = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> get("127.0.0.1", port, "/think?ms=" + thinkMs));
            Thread.sleep(50); // the fault's order: the worker is busy with the first before the second comes
            String second = get("127.0.0.1", port, "/fast");
            acceptor.join(10_000);
            return "port " + port + " " + first.get(30, java.util.concurrent.TimeUnit.SECONDS) + " / " + second;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A request written to a connection the server accepts {@code waitMs} later (the fault: a server behind on its accepts). */
    private static String backlog(long waitMs) throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String port = String.valueOf(server.getLocalPort());
            java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CompletableFuture<String> client = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (Socket s = connect("127.0.0.1", port, 10_000)) {
                    s.setSoTimeout(30_000);
                    s.getOutputStream().write("GET /queued HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    written.countDown();
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
                } catch (java.io.IOException e) {
                    written.countDown();
                    return e.toString();
                }
            });
            if (!written.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the client wrote nothing in 10 s");
            }
            Thread.sleep(waitMs); // the fault: the request waits in the accept queue
            serve(server.accept());
            return "port " + port + " " + client.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The worker: reads the request, thinks if asked, answers and closes. */
    private static void serve(Socket s) {
        try (Socket c = s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
            String line = in.readLine();
            for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                // headers
            }
            if (line != null && line.contains("/think?ms=")) {
                Thread.sleep(Long.parseLong(line.replaceAll(".*ms=(\\d+).*", "$1")));
            }
            c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
        } catch (Exception e) {
            // the client sees the connection end
        }
    }

    private static String get(String host, String port, String path) {
        try (Socket s = connect(host, port, 10_000)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static Socket connect(String host, String port, int timeoutMs) throws java.io.IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, Integer.parseInt(port)), timeoutMs);
            return s;
        } catch (java.io.IOException e) {
            s.close();
            throw e;
        }
    }
}
