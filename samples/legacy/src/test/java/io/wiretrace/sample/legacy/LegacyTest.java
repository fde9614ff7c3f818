package io.wiretrace.sample.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class LegacyTest {
    private static final String BYTEBUDDY = System.getProperty("legacy.bytebuddy.version", "1.10.22");
    private static final String JNA = System.getProperty("legacy.jna.version", "4.5.2");

    @Test
    void reportsTheOldLibraries() throws Exception {
        checkReport(Legacy.report());
    }

    @Test
    void serverAnswersLegacyAndShopRoutes() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Server legacy = LegacyMain.start(URI.create("http://127.0.0.1:" + upstream.port()), 0)) {
            HttpClient client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> response = get(client, legacy, "/legacy");
                assertEquals(200, response.statusCode());
                checkReport(response.body());
            }
            HttpResponse<String> order = get(client, legacy, "/orders?item=old");
            assertEquals(200, order.statusCode());
            assertTrue(order.body().startsWith("{\"item\":\"old\""), order.body());
        }
    }

    private static void checkReport(String report) throws Exception {
        assertTrue(report.endsWith("\n"), report);
        Properties lines = new Properties();
        lines.load(new StringReader(report));
        assertTrue(lines.getProperty("bytebuddy").startsWith(BYTEBUDDY), report);
        assertTrue(lines.getProperty("bytebuddy.source").contains(BYTEBUDDY), report);
        assertEquals(JNA, lines.getProperty("jna.version"), report);
        assertTrue(lines.getProperty("jna.source").contains(JNA), report);
        assertEquals("legacy-bb", lines.getProperty("tostring"), report);
        assertEquals(ProcessHandle.current().pid(), Long.parseLong(lines.getProperty("pid")), report);
    }

    private static HttpResponse<String> get(HttpClient client, Server server, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
