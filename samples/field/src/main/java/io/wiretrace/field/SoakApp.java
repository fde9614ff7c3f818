package io.wiretrace.field;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * The app of the soak test (SoakIT): steady mixed traffic in one JVM, both ends of every connection in it.
 * An Undertow server answers HTTP/1.1 in the clear ({@code /db}: one query through HikariCP and
 * pgjdbc) and over TLS, where it speaks HTTP/2 to clients that ask for it by ALPN. Client threads
 * call it at fixed rates: {@code /db} over HTTP/1.1 (2 threads × 40/s), HTTP/1.1 over TLS (40/s)
 * and HTTP/2 over TLS through the JDK HttpClient (60/s). Connections come and go: every 25th
 * HTTP/1.1 request, in the clear and over TLS, closes its connection (the next one opens another
 * and, over TLS, shakes hands again), and the pool retires each database connection after 30 s.
 *
 * <p>Every second it writes its counts to {@code STATS_FILE} as one line,
 * {@code http=N https=N h2=N db=N failed=N}; the first failures go to stderr. Prints
 * {@code READY port=N tls=N db=N}.
 *
 * <p>Usage: {@code SoakApp JDBC_URL DB_PORT KEYSTORE.p12 PASSWORD STATS_FILE}.
 */
public final class SoakApp {
    private static final int CHURN = 25;
    private static final AtomicLong FAILED = new AtomicLong();
    /** Calls made, by load thread. */
    private static final Map<String, AtomicLong> DONE = new ConcurrentHashMap<>();

    private SoakApp() {
    }

    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setUsername("wt");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(4);
        config.setMaxLifetime(30_000); // HikariCP's least: a new database connection every few seconds
        HikariDataSource pool = new HikariDataSource(config);
        AtomicLong queries = new AtomicLong();

        Tls tls = new Tls(args[2], args[3]);

        Undertow u = Undertow.builder().addHttpListener(0, "127.0.0.1").addHttpsListener(0, "127.0.0.1", tls.server)
                .setServerOption(UndertowOptions.ENABLE_HTTP2, true).setIoThreads(2).setWorkerThreads(8)
                .setHandler(new BlockingHandler((HttpServerExchange x) -> {
                    if (x.getRelativePath().equals("/db")) {
                        try (Connection c = pool.getConnection();
                                PreparedStatement s = c.prepareStatement("SELECT ? AS n, now() AS t")) {
                            s.setLong(1, queries.incrementAndGet());
                            try (ResultSet r = s.executeQuery()) {
                                r.next();
                                x.getResponseSender().send("row " + r.getLong(1));
                            }
                        }
                    } else {
                        x.getResponseSender().send(x.getProtocol() + " " + x.getRelativePath());
                    }
                })).build();
        u.start();
        int port = ((InetSocketAddress) u.getListenerInfo().get(0).getAddress()).getPort();
        int tlsPort = ((InetSocketAddress) u.getListenerInfo().get(1).getAddress()).getPort();

        URL db = new URL("http://127.0.0.1:" + port + "/db");
        URL secure = new URL("https://127.0.0.1:" + tlsPort + "/https");
        for (int i = 0; i < 2; i++) {
            paced("soak-http-" + i, 40, n -> http1(db, n, null));
        }
        // one factory: the JDK keeps a connection for reuse only for the same factory
        SSLSocketFactory factory = tls.client.getSocketFactory();
        paced("soak-https", 40, n -> http1(secure, n, factory));
        HttpClient h2Client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(tls.client).build();
        HttpRequest h2Request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tlsPort + "/h2")).build();
        paced("soak-h2", 60, n -> {
            HttpResponse<String> r = h2Client.send(h2Request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || r.version() != HttpClient.Version.HTTP_2) {
                throw new IOException("h2: " + r.statusCode() + " " + r.version() + " " + r.body());
            }
        });

        Path stats = Paths.get(args[4]);
        Thread writer = new Thread(() -> {
            while (true) {
                LockSupport.parkNanos(1_000_000_000L);
                try {
                    Path tmp = stats.resolveSibling(stats.getFileName() + ".tmp");
                    Files.writeString(tmp, "http=" + done("soak-http-") + " https=" + done("soak-https")
                            + " h2=" + done("soak-h2") + " db=" + queries.get() + " failed=" + FAILED.get() + "\n");
                    Files.move(tmp, stats, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    fail("stats", e);
                }
            }
        }, "soak-stats");
        writer.setDaemon(true);
        writer.start();
        System.out.println("READY port=" + port + " tls=" + tlsPort + " db=" + args[1]);
        System.out.flush();
    }

    /** One HTTP/1.1 GET; keep-alive, but every {@link #CHURN}th closes its connection. Over TLS with {@code tls}. */
    private static void http1(URL url, long n, SSLSocketFactory tls) throws IOException {
        HttpURLConnection h = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        if (tls != null) {
            ((HttpsURLConnection) h).setSSLSocketFactory(tls);
        }
        if (n % CHURN == 0) {
            h.setRequestProperty("Connection", "close");
        }
        int code = h.getResponseCode();
        try (InputStream in = code == 200 ? h.getInputStream() : h.getErrorStream()) {
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (code != 200) {
                throw new IOException(url + ": " + code + " " + body);
            }
        }
    }

    private interface Call {
        void run(long n) throws Exception;
    }

    /** The calls made by the load threads whose name starts with {@code prefix}. */
    private static long done(String prefix) {
        return DONE.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(e -> e.getValue().get()).sum();
    }

    /** A daemon thread that makes {@code perSecond} calls a second, at even intervals; it does not catch up after a stall. */
    private static void paced(String name, int perSecond, Call call) {
        AtomicLong done = DONE.computeIfAbsent(name, k -> new AtomicLong());
        long period = 1_000_000_000L / perSecond;
        Thread t = new Thread(() -> {
            long next = System.nanoTime();
            for (long n = 1; ; n++) {
                try {
                    call.run(n);
                    done.incrementAndGet();
                } catch (Exception e) {
                    fail(name, e);
                }
                next = Math.max(next + period, System.nanoTime() - period);
                LockSupport.parkNanos(next - System.nanoTime());
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private static void fail(String what, Exception e) {
        if (FAILED.incrementAndGet() <= 20) {
            System.err.println("SOAK FAILED " + what + ": " + e);
        }
    }
}
