package io.wiretrace.field;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * HTTP/2 both ways in one app: an Undertow server speaking h2 over TLS (chosen by ALPN), whose
 * {@code /slow} answers after 400 ms on a worker and {@code /fast} at once, and a plain HTTP/1.1
 * listener whose {@code /call/PATH} asks the h2 server's {@code /PATH} through one JDK HttpClient
 * (HTTP/2, its connection kept for the app's life). Prints {@code READY port=N} (the HTTP/1.1 port).
 *
 * <p>Usage: {@code H2App KEYSTORE.p12 PASSWORD} (the server's key, and what the client trusts).
 */
public final class H2App {
    private H2App() {
    }

    public static void main(String[] args) throws Exception {
        char[] password = args[1].toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Paths.get(args[0]))) {
            keys.load(in, password);
        }
        KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        km.init(keys, password);
        TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tm.init(keys);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(km.getKeyManagers(), null, null);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tm.getTrustManagers(), null);

        Undertow h2 = Undertow.builder().setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .addHttpsListener(0, "127.0.0.1", server).setIoThreads(1).setWorkerThreads(4)
                .setHandler(new BlockingHandler((HttpServerExchange x) -> {
                    if (x.getRelativePath().equals("/slow")) {
                        Thread.sleep(400);
                    }
                    x.getResponseSender().send(x.getProtocol() + " " + x.getRelativePath());
                })).build();
        h2.start();
        int h2Port = ((InetSocketAddress) h2.getListenerInfo().get(0).getAddress()).getPort();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(client).build();

        Undertow front = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(4)
                .setHandler(new BlockingHandler((HttpServerExchange x) -> {
                    String path = x.getRelativePath().replaceFirst("^/call", "");
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("https://localhost:" + h2Port + path)).build(), HttpResponse.BodyHandlers.ofString());
                    x.getResponseSender().send(r.version() + " said " + r.body());
                })).build();
        front.start();
        // a first handshake in a JVM is slow (classes, JIT): made here, before anyone measures
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(client).build().send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + h2Port + "/fast")).build(), HttpResponse.BodyHandlers.ofString());
        int port = ((InetSocketAddress) front.getListenerInfo().get(0).getAddress()).getPort();
        System.out.println("READY port=" + port + " h2=" + h2Port);
        System.out.flush();
    }
}
