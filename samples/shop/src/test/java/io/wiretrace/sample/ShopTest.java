package io.wiretrace.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ShopTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();

    private static Server upstream;
    private static Server shop;

    @BeforeAll
    static void start() throws IOException {
        upstream = new Upstream(0).server(0).start();
        shop = new Shop(URI.create("http://127.0.0.1:" + upstream.port())).server(0).start();
    }

    @AfterAll
    static void stop() {
        shop.close();
        upstream.close();
    }

    @Test
    void ordersGoThroughHttpClient() throws Exception {
        HttpResponse<String> response = get(shop, "/orders?item=apple");
        assertEquals(200, response.statusCode());
        assertEquals("{\"item\":\"apple\",\"via\":\"httpclient\",\"inventory\":"
                + inventory("apple") + "}", response.body());
    }

    @Test
    void stockGoesThroughUrlConnection() throws Exception {
        HttpResponse<String> response = get(shop, "/stock?item=pear%20%22x%22");
        assertEquals(200, response.statusCode());
        assertEquals("{\"item\":\"pear \\\"x\\\"\",\"via\":\"urlconnection\",\"inventory\":"
                + inventory("pear \"x\"") + "}", response.body());
    }

    @Test
    void healthAnswersWithoutUpstream() throws Exception {
        for (Server server : new Server[] {shop, upstream}) {
            HttpResponse<String> response = get(server, "/health");
            assertEquals(200, response.statusCode());
            assertEquals("ok", response.body());
        }
    }

    @Test
    void delayIsPassedToUpstream() throws Exception {
        for (String path : new String[] {"/orders", "/stock"}) {
            long start = System.nanoTime();
            HttpResponse<String> response = get(shop, path + "?item=slow&delay-ms=300");
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, response.statusCode());
            assertTrue(elapsedMs >= 300, path + " took only " + elapsedMs + " ms");
        }
    }

    @Test
    void upstreamDefaultDelay() throws Exception {
        try (Server slow = new Upstream(250).server(0).start()) {
            long start = System.nanoTime();
            HttpResponse<String> response = get(slow, "/inventory?item=a");
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, response.statusCode());
            assertEquals(inventory("a"), response.body());
            assertTrue(elapsedMs >= 250, "took only " + elapsedMs + " ms");
        }
    }

    @Test
    void deadUpstreamGives502() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (Server orphan = new Shop(URI.create("http://127.0.0.1:" + closedPort)).server(0).start()) {
            for (String path : new String[] {"/orders", "/stock"}) {
                HttpResponse<String> response = get(orphan, path + "?item=a");
                assertEquals(502, response.statusCode());
                assertTrue(response.body().startsWith("upstream failed: "), response.body());
                assertTrue(!response.body().contains("\n"), response.body());
            }
        }
    }

    @Test
    void badInput() throws Exception {
        assertEquals(400, get(shop, "/orders?delay-ms=soon").statusCode());
        assertEquals(404, get(shop, "/ordersx").statusCode());
        assertEquals(404, get(upstream, "/nothing").statusCode());
    }

    private static String inventory(String item) {
        return "{\"item\":" + Reply.quote(item) + ",\"count\":" + Math.floorMod(item.hashCode(), 100) + "}";
    }

    private static HttpResponse<String> get(Server server, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30))
                .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
