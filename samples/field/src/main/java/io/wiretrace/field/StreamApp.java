package io.wiretrace.field;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.Headers;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Responses that stream, served and read by one app. An Undertow server: {@code /events} sends
 * ten server-sent events 200 ms apart, {@code /late} its first event only after 600 ms, then five
 * 200 ms apart, {@code /chunks} a plain chunked response flushed in ten pieces 200 ms apart,
 * {@code /ws} a WebSocket that echoes each message. {@code /start/NAME} reads one of them through
 * the JDK HttpClient (HTTP/1.1) on a thread of its own and answers at once (the reading is no
 * part of that request): {@code events}, {@code late}, {@code chunks}, or {@code ws} (ten
 * messages 200 ms apart, each echo awaited). {@code /done} lists what has been read, one line each.
 * Prints {@code READY port=N}.
 */
public final class StreamApp {
    private static final Map<String, String> DONE = new ConcurrentHashMap<>();

    private StreamApp() {
    }

    public static void main(String[] args) throws Exception {
        BlockingHandler blocking = new BlockingHandler(StreamApp::serve);
        Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(8)
                .setHandler(Handlers.path(blocking).addPrefixPath("/ws", Handlers.websocket((x, channel) -> {
                    channel.getReceiveSetter().set(new AbstractReceiveListener() {
                        @Override
                        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage m) {
                            WebSockets.sendText("echo " + m.getData(), ch, null);
                        }
                    });
                    channel.resumeReceives();
                }))).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Starter.client = client;
        Starter.port = port;
        // the first stream and WebSocket of a JVM are slow to begin (classes, JIT): made here, before anyone measures
        Starter.read("warm");
        Starter.webSocket(1);
        DONE.clear();
        System.out.println("READY port=" + port + " streams");
        System.out.flush();
    }

    private static void serve(HttpServerExchange x) throws Exception {
        String path = x.getRelativePath();
        if (path.startsWith("/start/")) {
            String name = path.substring("/start/".length());
            Thread t = new Thread(() -> Starter.read(name), "reader-" + name);
            t.start();
            x.getResponseSender().send("started " + name);
            return;
        }
        switch (path) {
            case "/events":
                stream(x, "text/event-stream", 0, 10, 200);
                break;
            case "/late":
                stream(x, "text/event-stream", 600, 5, 200);
                break;
            case "/chunks":
                stream(x, "text/plain", 0, 10, 200);
                break;
            case "/warm":
                stream(x, "text/event-stream", 0, 2, 0);
                break;
            case "/done":
                x.getResponseSender().send(String.join("\n", new java.util.TreeMap<>(DONE).values()) + "\n");
                break;
            default:
                x.getResponseSender().send("ok");
        }
    }

    /** After {@code wait} ms, {@code n} pieces {@code every} ms apart, each flushed (Undertow sends them chunked). */
    private static void stream(HttpServerExchange x, String type, long wait, int n, long every) throws Exception {
        x.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        Thread.sleep(wait);
        OutputStream out = x.getOutputStream();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                Thread.sleep(every);
            }
            out.write(("data: piece " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        out.close();
    }

    /** The app as a client of its own streams. */
    private static final class Starter {
        static volatile HttpClient client;
        static volatile int port;

        static void read(String name) {
            try {
                if (name.equals("ws")) {
                    DONE.put(name, "ws " + webSocket(10));
                    return;
                }
                HttpResponse<java.util.stream.Stream<String>> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/" + name)).build(), HttpResponse.BodyHandlers.ofLines());
                long lines = r.body().filter(l -> l.startsWith("data:")).count();
                DONE.put(name, name + " " + r.statusCode() + " " + lines + " pieces");
            } catch (Exception e) {
                DONE.put(name, name + " failed " + e);
            }
        }

        /** {@code n} messages 200 ms apart, each echo awaited; then the close. How many echoes came. */
        static int webSocket(int n) throws Exception {
            LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
            WebSocket ws = client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"),
                    new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            echoes.add(data.toString());
                            w.request(1);
                            return CompletableFuture.completedFuture(null);
                        }
                    }).get(10, TimeUnit.SECONDS);
            int got = 0;
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    Thread.sleep(200);
                }
                ws.sendText("message " + i, true).get(10, TimeUnit.SECONDS);
                if (echoes.poll(10, TimeUnit.SECONDS) != null) {
                    got++;
                }
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
            return got;
        }
    }
}
