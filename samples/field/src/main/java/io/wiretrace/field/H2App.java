package io.wiretrace.field;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.net.ssl.SSLContext;

/**
 * HTTP/2 both ways in one app: Undertow servers speaking h2 over TLS (chosen by ALPN) and h2c in
 * the clear, whose {@code /slow} answers after 400 ms on a worker, {@code /fast} at once, and
 * {@code /upload} waits 1 s before it reads the request's body; and a
 * plain HTTP/1.1 listener that calls them: {@code /call/PATH} the TLS server's {@code /PATH}
 * through one JDK HttpClient (HTTP/2, its connection kept for the app's life), {@code /post/PATH}
 * the same with a POST of 256 KiB (four times the window a stream starts with), {@code /prior/PATH}
 * the h2c server's through OkHttp by prior knowledge, {@code /okhttps/PATH} the TLS server's through
 * OkHttp (an SSLSocket, h2 by ALPN), {@code /early/PATH} the h2c server's by prior knowledge over
 * a connection opened at the start, {@code /upgrade/PATH} the h2c server's
 * through a new JDK HttpClient, which asks for h2c by an HTTP/1.1 upgrade. Prints
 * {@code READY port=N h2=N h2c=N} (N: the HTTP/1.1 port).
 *
 * <p>Usage: {@code H2App KEYSTORE.p12 PASSWORD} (the server's key, and what the client trusts).
 */
public final class H2App {
    private H2App() {
    }

    public static void main(String[] args) throws Exception {
        Tls keys = new Tls(args[0], args[1]);
        SSLContext server = keys.server;
        SSLContext client = keys.client;

        int h2Port = serve(Undertow.builder().addHttpsListener(0, "127.0.0.1", server));
        // the same in the clear (h2c): by prior knowledge, or by an HTTP/1.1 upgrade
        int h2cPort = serve(Undertow.builder().addHttpListener(0, "127.0.0.1"));
        okhttp3.OkHttpClient prior = new okhttp3.OkHttpClient.Builder()
                .protocols(java.util.List.of(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE)).build();
        // the same, its connection opened now, before anyone captures
        okhttp3.OkHttpClient early = new okhttp3.OkHttpClient.Builder()
                .protocols(java.util.List.of(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE)).build();
        try (okhttp3.Response r = early.newCall(new okhttp3.Request.Builder().url("http://127.0.0.1:" + h2cPort + "/fast")
                .build()).execute()) {
            r.body().string();
        }
        // OkHttp over TLS: an SSLSocket that chose h2 by ALPN
        okhttp3.OkHttpClient secure = new okhttp3.OkHttpClient.Builder()
                .sslSocketFactory(client.getSocketFactory(), keys.trust)
                .build();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(client).build();

        Undertow front = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(4)
                .setHandler(new BlockingHandler((HttpServerExchange x) -> {
                    String via = x.getRelativePath().replaceFirst("^/(prior|okhttps|early)/.*", "$1");
                    if (!via.equals(x.getRelativePath())) {
                        boolean tls = via.equals("okhttps");
                        String url = (tls ? "https://localhost:" + h2Port : "http://127.0.0.1:" + h2cPort)
                                + x.getRelativePath().substring(via.length() + 1);
                        okhttp3.OkHttpClient okhttp = tls ? secure : via.equals("early") ? early : prior;
                        try (okhttp3.Response r = okhttp.newCall(new okhttp3.Request.Builder().url(url).build()).execute()) {
                            x.getResponseSender().send(r.protocol() + " said " + r.body().string());
                        }
                        return;
                    }
                    boolean upgrade = x.getRelativePath().startsWith("/upgrade");
                    boolean post = x.getRelativePath().startsWith("/post");
                    String path = x.getRelativePath().replaceFirst("^/(call|upgrade|post)", "");
                    URI uri = URI.create(upgrade ? "http://127.0.0.1:" + h2cPort + path : "https://localhost:" + h2Port + path);
                    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
                    if (post) {
                        request.POST(HttpRequest.BodyPublishers.ofByteArray(new byte[256 << 10]));
                    }
                    HttpResponse<String> r = (upgrade ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build() : http)
                            .send(request.build(), HttpResponse.BodyHandlers.ofString());
                    x.getResponseSender().send(r.version() + " said " + r.body());
                })).build();
        front.start();
        // a first handshake in a JVM is slow (classes, JIT): made here, before anyone measures
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(client).build().send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + h2Port + "/fast")).build(), HttpResponse.BodyHandlers.ofString());
        int port = ((InetSocketAddress) front.getListenerInfo().get(0).getAddress()).getPort();
        System.out.println("READY port=" + port + " h2=" + h2Port + " h2c=" + h2cPort);
        System.out.flush();
    }

    /** Starts an Undertow server speaking HTTP/2 on the builder's listener: /slow answers after 400 ms. Its port. */
    private static int serve(Undertow.Builder builder) {
        Undertow u = builder.setServerOption(UndertowOptions.ENABLE_HTTP2, true).setIoThreads(1).setWorkerThreads(4)
                .setHandler(new BlockingHandler((HttpServerExchange x) -> {
                    if (x.getRelativePath().equals("/slow")) {
                        Thread.sleep(400);
                    } else if (x.getRelativePath().equals("/upload")) {
                        Thread.sleep(1000); // before it reads the body: the client waits for its window
                        x.getInputStream().readAllBytes();
                    }
                    x.getResponseSender().send(x.getProtocol() + " " + x.getRelativePath());
                })).build();
        u.start();
        return ((InetSocketAddress) u.getListenerInfo().get(0).getAddress()).getPort();
    }
}
