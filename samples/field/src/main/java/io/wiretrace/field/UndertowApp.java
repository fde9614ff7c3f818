package io.wiretrace.field;

import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import java.net.InetSocketAddress;

/**
 * An Undertow server that reads each request on an XNIO I/O thread and handles it on a worker
 * (BlockingHandler dispatches it): {@code /via/CLIENT} asks the upstream's {@code /upstream}
 * through that client (jdk, jdk-async, okhttp, hc5, netty) and answers with what it said. Prints
 * {@code READY port=N}.
 *
 * <p>Usage: {@code UndertowApp UPSTREAM_PORT}.
 */
public final class UndertowApp {
    public static void main(String[] args) {
        Upstream upstream = new Upstream(Integer.parseInt(args[0]));
        Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(4)
                .setHandler(new BlockingHandler((HttpServerExchange x) -> {
                    String client = x.getRelativePath().replaceFirst("^/via/", "");
                    x.getResponseSender().send("upstream said " + upstream.call(client, "/upstream"));
                })).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        System.out.println("READY port=" + port + " undertow");
        System.out.flush();
    }
}
