package io.wiretrace.sample;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** An HTTP server on 127.0.0.1 with a thread pool and exact-path GET routes. */
public final class Server implements AutoCloseable {
    public interface Route {
        Reply handle(Map<String, String> query) throws Exception;
    }

    private final HttpServer http;
    private final ExecutorService pool;

    private Server(HttpServer http, ExecutorService pool) {
        this.http = http;
        this.pool = pool;
    }

    /** Binds but does not start, so callers can add routes first. */
    public static Server create(String name, int port) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
        HttpServer http = HttpServer.create(address, 0);
        ExecutorService pool = Boolean.getBoolean("sample.virtualThreads") ? virtualThreads() : pool(name);
        http.setExecutor(pool);
        return new Server(http, pool);
    }

    private static ExecutorService pool(String name) {
        AtomicInteger count = new AtomicInteger();
        // Named threads make captured traffic easy to tie to the app's own workers.
        return Executors.newFixedThreadPool(16, task -> new Thread(task, name + "-http-" + count.incrementAndGet()));
    }

    /** -Dsample.virtualThreads=true: one virtual thread per request (JDK 21+; built for 11, hence reflection). */
    private static ExecutorService virtualThreads() {
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("virtual threads need JDK 21 or later", e);
        }
    }

    public Server route(String path, Route route) {
        http.createContext(path, exchange -> serve(path, route, exchange));
        return this;
    }

    public Server start() {
        http.start();
        return this;
    }

    public Server stopOnExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "stop-" + port()));
        return this;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
    }

    private static void serve(String path, Route route, HttpExchange exchange) throws IOException {
        try {
            Reply reply = answer(path, route, exchange);
            byte[] body = reply.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", reply.type);
            // 0 would mean chunked; -1 means no body.
            exchange.sendResponseHeaders(reply.status, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
        } finally {
            exchange.close();
        }
    }

    private static Reply answer(String path, Route route, HttpExchange exchange) {
        // Contexts match by prefix; only the exact path is served.
        if (!exchange.getRequestURI().getPath().equals(path)) {
            return Reply.text(404, "not found");
        }
        if (!"GET".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "GET");
            return Reply.text(405, "GET only");
        }
        try {
            return route.handle(Query.parse(exchange.getRequestURI()));
        } catch (IllegalArgumentException e) {
            return Reply.text(400, e.getMessage());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            System.err.println(path + " failed: " + Reply.oneLine(e));
            return Reply.text(500, Reply.oneLine(e));
        }
    }
}
