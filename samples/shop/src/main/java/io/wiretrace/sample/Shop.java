package io.wiretrace.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The web app: each order asks the upstream for inventory. /orders goes through
 * java.net.http.HttpClient (SocketChannel), /stock through HttpURLConnection (Socket).
 */
public final class Shop {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    // Longer than the largest delay-ms the upstream accepts.
    private static final Duration READ_TIMEOUT = Duration.ofMillis(Query.MAX_DELAY_MS + 30_000);

    private interface Fetch {
        String get(URI uri) throws Exception;
    }

    private final String upstream;
    // No proxy: the traffic must stay a direct loopback connection.
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();

    public Shop(URI upstream) {
        this.upstream = upstream.toString().replaceAll("/+$", "");
    }

    public Server server(int port) throws IOException {
        return Server.create("shop", port)
                .route("/orders", query -> order(query, "httpclient", this::viaHttpClient))
                .route("/stock", query -> order(query, "urlconnection", this::viaUrlConnection))
                .route("/health", query -> Reply.text(200, "ok"));
    }

    private Reply order(Map<String, String> query, String via, Fetch fetch) {
        String item = Query.item(query);
        Long delay = Query.delayMs(query);
        URI uri = URI.create(upstream + "/inventory?item=" + URLEncoder.encode(item, StandardCharsets.UTF_8)
                + (delay == null ? "" : "&delay-ms=" + delay));
        String inventory;
        try {
            inventory = fetch.get(uri);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String reason = "upstream failed: " + Reply.oneLine(e);
            System.err.println(reason);
            return Reply.text(502, reason);
        }
        return Reply.json(200, "{\"item\":" + Reply.quote(item) + ",\"via\":\"" + via
                + "\",\"inventory\":" + inventory + "}");
    }

    private String viaHttpClient(URI uri) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(READ_TIMEOUT).GET().build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        return checked(response.statusCode(), response.body());
    }

    private String viaUrlConnection(URI uri) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
        connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        connection.setReadTimeout((int) READ_TIMEOUT.toMillis());
        int status = connection.getResponseCode();
        InputStream stream = status < 400 ? connection.getInputStream() : connection.getErrorStream();
        // Reading to the end lets the JDK keep the connection alive for reuse.
        String body = "";
        if (stream != null) {
            try (InputStream in = stream) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        return checked(status, body);
    }

    private static String checked(int status, String body) throws IOException {
        if (status != 200) {
            throw new IOException("upstream answered " + status + ": " + body);
        }
        return body;
    }
}
