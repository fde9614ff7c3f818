package io.wiretrace.cli.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An app that leaks sockets: about 200 loopback connections a second, each of which the client
 * and the server end drop after one byte, without closing them. Only the GC (asked every 200 ms)
 * and the JDK's Cleaner close their file descriptors.
 *
 * <p>Prints {@code READY port=P}, P the server's port.
 */
public final class DroppedSocketsApp {
    private static final long PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1) / 200;
    private static final long GC_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    public static void main(String[] args) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        ServerSocket server = new ServerSocket(0, 200, lo);
        Thread acceptor = new Thread(() -> {
            while (true) {
                try {
                    serveOne(server);
                } catch (IOException e) {
                    // the client dropped its end first: the next one
                }
            }
        }, "acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        System.out.println("READY port=" + server.getLocalPort());
        System.out.flush();
        long next = System.nanoTime();
        long gc = next + GC_NANOS;
        while (true) {
            try {
                connectOne(lo, server.getLocalPort());
            } catch (IOException e) {
                // the backlog is full for a moment: the next one
            }
            next += PERIOD_NANOS;
            long now = System.nanoTime();
            if (now - gc >= 0) {
                System.gc();
                gc = now + GC_NANOS;
            }
            LockSupport.parkNanos(next - System.nanoTime()); // the pace, not a wait for anything
        }
    }

    /** Accepts one connection, reads its byte and drops it unclosed. */
    private static void serveOne(ServerSocket server) throws IOException {
        Socket s = server.accept();
        InputStream in = s.getInputStream();
        in.read();
    }

    /** Connects, writes one byte and drops the socket unclosed. */
    private static void connectOne(InetAddress lo, int port) throws IOException {
        Socket s = new Socket(lo, port);
        s.getOutputStream().write('x');
    }
}
