package io.wiretrace.agent.app;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import jdk.jfr.Recording;

/**
 * What the HTTP/1.x exchange tracking costs on its own, with no socket and no agent: a loop of a
 * server's exchange (its request read, its response written) and a client's (its request written,
 * its response read), the calls {@link Tracer} makes for them, with an OkHttp request and a Tomcat
 * response, an exchange threshold of 10 ms (the default: these exchanges are left out of the
 * recording after each connection's first three) and a recording that would keep every
 * {@code HttpExchange}. It prints ns per pair of exchanges, one figure per round of 200,000 after
 * ten rounds of warm-up, for the data in a byte[] ({@code heap}, as java.net.Socket's streams and
 * OkHttp hand it) or a direct buffer ({@code direct}, as NIO servers such as Undertow do).
 *
 * <pre>
 * mvn -q -o install -DskipTests
 * java -cp agent/target/classes:agent/target/test-classes:analysis/target/classes io.wiretrace.agent.app.ExchangeBench direct
 * </pre>
 *
 * To compare two builds, compile this file against each build's classes and run them in turn, a
 * few times, on a quiet machine: it uses only calls that builds since 2026-12-06 have (the
 * write's start is read by the four-argument {@code beforeWrite}, where the advice hands over the
 * time it read). Not a test: surefire runs no class named *Bench.
 */
public final class ExchangeBench {
    private static final byte[] REQUEST = ("GET /via/okhttp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: Keep-Alive\r\n"
            + "Accept-Encoding: gzip\r\nUser-Agent: okhttp/4.12.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = ("HTTP/1.1 200 \r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\n"
            + "Date: Tue, 08 Dec 2026 02:00:00 GMT\r\nKeep-Alive: timeout=60\r\nConnection: keep-alive\r\n\r\nok")
            .getBytes(StandardCharsets.US_ASCII);
    private static final int PAIRS = 200_000;
    private static final int WARMUP_ROUNDS = 10;
    private static final int ROUNDS = 15;

    private ExchangeBench() {
    }

    public static void main(String[] args) {
        boolean direct = args.length > 0 && args[0].equals("direct");
        Object request = direct ? direct(REQUEST) : REQUEST;
        Object response = direct ? direct(RESPONSE) : RESPONSE;
        Conn server = new Conn(1, "127.0.0.1", 8080, "127.0.0.1", 40000);
        Conn client = new Conn(2, "127.0.0.1", 40001, "127.0.0.1", 9090);
        long[] ns = new long[ROUNDS];
        try (Recording r = new Recording()) {
            r.enable("wiretrace.HttpExchange").withThreshold(Duration.ZERO).withoutStackTrace();
            r.start();
            HttpExchanges.recordFromNanos = 10_000_000L;
            for (int round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < PAIRS; i++) {
                    HttpExchanges.read(server, request, 0, REQUEST.length, REQUEST.length, System.nanoTime());
                    HttpExchanges.beforeWrite(server, response, 0, RESPONSE.length);
                    HttpExchanges.write(server, response, 0, RESPONSE.length, RESPONSE.length, System.nanoTime());
                    HttpExchanges.beforeWrite(client, request, 0, REQUEST.length);
                    HttpExchanges.write(client, request, 0, REQUEST.length, REQUEST.length, System.nanoTime());
                    HttpExchanges.read(client, response, 0, RESPONSE.length, RESPONSE.length, System.nanoTime());
                }
                if (round >= WARMUP_ROUNDS) {
                    ns[round - WARMUP_ROUNDS] = (System.nanoTime() - t0) / PAIRS;
                }
            }
        } finally {
            HttpExchanges.recordFromNanos = 0;
        }
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        System.out.println("ns per pair of exchanges (" + (direct ? "direct buffer" : "byte[]") + "), median "
                + sorted[ROUNDS / 2] + ", rounds: " + Arrays.toString(ns));
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        return b;
    }
}
