package io.wiretrace.field;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * The upstream call, through the client a request names: {@code jdk} (a new client and connection
 * each time), {@code jdk-async} (the same through sendAsync), {@code jdk-shared} (one client, its
 * connection kept alive), {@code okhttp}, {@code hc5} or {@code netty}.
 */
final class Upstream {
    private static final OkHttpClient OKHTTP = new OkHttpClient.Builder().readTimeout(30, TimeUnit.SECONDS).build();
    private static final CloseableHttpClient HC5 = HttpClients.createDefault();
    /** One client for the app's life: its connection is kept alive from one call to the next. */
    private static final HttpClient SHARED = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final String base;
    private final int port;

    Upstream(int port) {
        this.base = "http://127.0.0.1:" + port;
        this.port = port;
    }

    String call(String client, String path) throws Exception {
        switch (client) {
            case "jdk":
                // a new client each time: a new connection, opened on the client's own threads
                HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                return jdk.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            case "jdk-async":
                HttpClient async = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                return async.sendAsync(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::body).get();
            case "jdk-shared":
                return SHARED.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            case "okhttp":
                try (Response r = OKHTTP.newCall(new Request.Builder().url(base + path).build()).execute()) {
                    return r.body().string();
                }
            case "hc5":
                return HC5.execute(new HttpGet(base + path), r -> EntityUtils.toString(r.getEntity()));
            case "netty":
                return NettyClient.get(port, path);
            default:
                throw new IllegalArgumentException("no client " + client);
        }
    }
}
