package io.wiretrace.field;

import java.util.concurrent.CompletableFuture;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot app (Tomcat; virtual threads with {@code --spring.threads.virtual.enabled=true} on
 * JDK 21+) whose {@code /orders} asks the upstream's {@code /upstream} through the JDK HttpClient on
 * a new connection; {@code /orders/pool} makes the call in a CompletableFuture on the common pool,
 * {@code /orders/executor} through OkHttp in a task submitted to a fixed thread pool.
 * {@code /upstream} answers {@code ok} itself, so that this app can also be the upstream of another.
 * Prints {@code READY port=N} once Tomcat listens.
 *
 * <p>Usage: {@code BootApp UPSTREAM_PORT [spring options]}.
 */
@SpringBootApplication
@RestController
public class BootApp implements ApplicationListener<WebServerInitializedEvent> {
    static Upstream upstream;

    public static void main(String[] args) {
        upstream = new Upstream(Integer.parseInt(args[0]));
        SpringApplication app = new SpringApplication(BootApp.class);
        app.setLogStartupInfo(false);
        String[] rest = new String[args.length + 2];
        rest[0] = "--server.port=0";
        rest[1] = "--server.address=127.0.0.1";
        rest[2] = "--spring.main.banner-mode=off";
        System.arraycopy(args, 1, rest, 3, args.length - 1);
        app.run(rest);
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent e) {
        System.out.println("READY port=" + e.getWebServer().getPort() + " thread=" + Thread.currentThread().getName());
        System.out.flush();
    }

    @GetMapping("/upstream")
    public String upstream() {
        return "ok";
    }

    /** The upstream call on the request's own thread (the client's own threads open the connection). */
    @GetMapping("/orders")
    public String orders() throws Exception {
        return "upstream said " + upstream.call("jdk", "/upstream") + " on " + Thread.currentThread();
    }

    private static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newFixedThreadPool(2);

    /** The upstream call (OkHttp) as a task submitted to the app's own thread pool, which the request waits for. */
    @GetMapping("/orders/executor")
    public String submitted() throws Exception {
        return POOL.submit(() -> "upstream said " + upstream.call("okhttp", "/upstream") + " on " + Thread.currentThread())
                .get();
    }

    /** The upstream call in a CompletableFuture on the common pool, which the request waits for. */
    @GetMapping("/orders/pool")
    public String pooled() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return "upstream said " + upstream.call("jdk", "/upstream") + " on " + Thread.currentThread();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get();
    }
}
