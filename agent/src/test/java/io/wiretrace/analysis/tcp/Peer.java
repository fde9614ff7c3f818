package io.wiretrace.analysis.tcp;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The two ends of the fault tests' connections, run as child JVMs inside the test's network
 * namespaces. Prints one line per step, so the test can wait on them.
 *
 * <pre>
 *   server ADDR PORT sink|stall|reset   sink: read all, then close; stall: a 4 KiB receive buffer,
 *                                        never read; reset: read 1 KiB, then close with SO_LINGER 0
 *   client ADDR PORT BYTES CONNECTS     connect CONNECTS times one after the other (10 s timeout),
 *                                        write BYTES each, then close
 * </pre>
 */
public final class Peer {
    private Peer() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress addr = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        if (args[0].equals("server")) {
            server(addr, port, args[3]);
        } else {
            client(new InetSocketAddress(addr, port), Long.parseLong(args[3]), Integer.parseInt(args[4]));
        }
    }

    private static void server(InetAddress addr, int port, String mode) throws Exception {
        try (ServerSocket ss = new ServerSocket()) {
            if (mode.equals("stall")) {
                ss.setReceiveBufferSize(4096);
            }
            ss.bind(new InetSocketAddress(addr, port), 50);
            System.out.println("LISTENING " + port);
            System.out.flush();
            while (true) {
                Socket s = ss.accept();
                System.out.println("ACCEPTED " + s.getRemoteSocketAddress());
                System.out.flush();
                if (mode.equals("stall")) {
                    continue; // never read, never close: the test ends this process
                }
                new Thread(() -> serve(s, mode)).start();
            }
        }
    }

    private static void serve(Socket s, String mode) {
        try (Socket c = s; InputStream in = c.getInputStream()) {
            byte[] b = new byte[64 << 10];
            if (mode.equals("reset")) {
                int got = 0;
                while (got < 1024) {
                    int n = in.read(b, got, 1024 - got);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                }
                c.setSoLinger(true, 0);
                System.out.println("RESET");
            } else {
                long total = 0;
                for (int n; (n = in.read(b)) >= 0; ) {
                    total += n;
                }
                System.out.println("RECEIVED " + total);
            }
            System.out.flush();
        } catch (Exception e) {
            System.out.println("FAILED " + e);
            System.out.flush();
        }
    }

    private static void client(InetSocketAddress to, long bytes, int connects) throws Exception {
        byte[] b = new byte[16 << 10];
        for (int i = 0; i < connects; i++) {
            try (Socket s = new Socket()) {
                long t0 = System.nanoTime();
                s.connect(to, 10_000);
                System.out.println("CONNECTED " + s.getLocalPort() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                System.out.flush();
                OutputStream out = s.getOutputStream();
                for (long left = bytes; left > 0; left -= b.length) {
                    out.write(b, 0, (int) Math.min(b.length, left));
                }
                out.flush();
                s.shutdownOutput();
                // wait for the server's close, so that both FINs (or its RST) are on the wire
                InputStream in = s.getInputStream();
                while (in.read(b) >= 0) {
                    // nothing is expected
                }
                System.out.println("DONE " + s.getLocalPort());
            } catch (Exception e) {
                System.out.println("FAILED " + e);
            }
            System.out.flush();
        }
    }
}
