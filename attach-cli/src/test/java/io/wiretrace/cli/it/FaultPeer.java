package io.wiretrace.cli.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The far side of {@link VerdictIT}'s faults: servers in one child JVM inside the peer's network
 * namespace, all bound to ADDR. Prints {@code LISTENING PORT} for each once it accepts.
 *
 * <pre>
 *   FaultPeer ADDR SPEC...
 *   http:PORT                        /think?ms=N answers after N ms, /fast at once, /sink reads the body
 *   https:PORT:KEYSTORE:PASS         the same over TLS (a PKCS12 key store)
 *   tls-slow:PORT:KEYSTORE:PASS:MS   leaves the ClientHello unread for MS, then shakes hands and
 *                                    answers one request with 200 "fast"
 *   reset:PORT                       reads the request head, then closes with SO_LINGER 0 (a RST)
 *   stall:PORT:MS                    4 KiB receive buffer; reads nothing for MS after accept, then all
 *   dns:PORT:NAME:MS                 answers NAME's A query with ADDR after MS (AAAA: no data, same
 *                                    delay); any other name: NXDOMAIN at once
 * </pre>
 */
public final class FaultPeer {
    private FaultPeer() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress addr = InetAddress.getByName(args[0]);
        for (String spec : Arrays.copyOfRange(args, 1, args.length)) {
            String[] s = spec.split(":");
            int port = Integer.parseInt(s[1]);
            switch (s[0]) {
                case "http" -> http(HttpServer.create(new InetSocketAddress(addr, port), 50));
                case "https" -> {
                    HttpsServer server = HttpsServer.create(new InetSocketAddress(addr, port), 50);
                    server.setHttpsConfigurator(new HttpsConfigurator(tls(s[2], s[3].toCharArray())));
                    http(server);
                }
                case "reset" -> serve(listen(addr, port, 0), c -> {
                    readHead(c.getInputStream());
                    c.setSoLinger(true, 0);
                });
                case "stall" -> serve(listen(addr, port, 4096), c -> {
                    sleep(Long.parseLong(s[2]));
                    c.getInputStream().transferTo(OutputStream.nullOutputStream());
                });
                case "tls-slow" -> {
                    SSLContext tls = tls(s[2], s[3].toCharArray());
                    serve(listen(addr, port, 0), c -> {
                        sleep(Long.parseLong(s[4])); // the ClientHello waits, unread, before the handshake
                        try (SSLSocket t = (SSLSocket) tls.getSocketFactory().createSocket(c, null, true)) {
                            t.setUseClientMode(false);
                            readHead(t.getInputStream());
                            t.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfast\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                            c.setSoTimeout(10_000);
                            t.getInputStream().read(); // the client closes first: it does not write to a closed socket
                        }
                    });
                }
                case "dns" -> dns(new DatagramSocket(new InetSocketAddress(addr, port)), s[2], Long.parseLong(s[3]), addr);
                default -> throw new IllegalArgumentException(spec);
            }
            // every kind has bound its socket before we get here
            System.out.println("LISTENING " + port);
            System.out.flush();
        }
    }

    private static void http(HttpServer server) {
        server.createContext("/", FaultPeer::answer);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    private static SSLContext tls(String keystore, char[] pass) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore)) {
            ks.load(in, pass);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        return tls;
    }

    private static void answer(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        String query = x.getRequestURI().getQuery();
        long received = x.getRequestBody().readAllBytes().length;
        String body;
        if (path.equals("/think")) {
            long ms = Long.parseLong(query.replaceAll(".*\\bms=(\\d+).*", "$1"));
            sleep(ms);
            body = "thought " + ms + " ms\n";
        } else if (path.equals("/sink")) {
            body = "received " + received + "\n";
        } else {
            body = "fast\n";
        }
        byte[] b = body.getBytes(StandardCharsets.US_ASCII);
        x.sendResponseHeaders(200, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private static ServerSocket listen(InetAddress addr, int port, int receiveBuffer) throws IOException {
        ServerSocket ss = new ServerSocket();
        if (receiveBuffer > 0) {
            ss.setReceiveBufferSize(receiveBuffer); // before bind, so the window starts small
        }
        ss.bind(new InetSocketAddress(addr, port), 50);
        return ss;
    }

    interface Handler {
        void handle(Socket s) throws Exception;
    }

    /** Each accepted connection on its own thread, closed after the handler. */
    private static void serve(ServerSocket ss, Handler handler) {
        thread(() -> {
            while (true) {
                try {
                    Socket s = ss.accept();
                    thread(() -> {
                        try (Socket c = s) {
                            handler.handle(c);
                        } catch (Exception e) {
                            System.out.println("FAILED " + e);
                        }
                    });
                } catch (IOException e) {
                    System.out.println("FAILED " + e);
                    return;
                }
            }
        });
    }

    /** Reads up to the blank line that ends a request head. */
    private static void readHead(InputStream in) throws IOException {
        for (int state = 0, b; state < 4 && (b = in.read()) >= 0; ) {
            state = b == "\r\n\r\n".charAt(state) ? state + 1 : b == '\r' ? 1 : 0;
        }
    }

    private static void dns(DatagramSocket socket, String name, long delayMs, InetAddress answer) {
        thread(() -> {
            while (true) {
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                try {
                    socket.receive(p);
                } catch (Exception e) {
                    return;
                }
                // glibc sends A and AAAA at once: answer each on its own thread, or the delays add up
                thread(() -> {
                    try {
                        byte[] reply = dnsReply(ByteBuffer.wrap(p.getData(), 0, p.getLength()), name, delayMs, answer);
                        socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                    } catch (Exception e) {
                        System.out.println("FAILED " + e);
                    }
                });
            }
        });
    }

    /** RFC 1035: copy the header's id and the question; add one A record, or none. */
    static byte[] dnsReply(ByteBuffer q, String name, long delayMs, InetAddress answer) {
        short id = q.getShort(0);
        int flags = q.getShort(2) & 0x7900; // opcode and RD, as asked
        StringBuilder qname = new StringBuilder();
        int i = 12;
        for (int len; (len = q.get(i) & 0xff) != 0; i += len + 1) {
            qname.append(qname.length() > 0 ? "." : "")
                    .append(new String(q.array(), q.arrayOffset() + i + 1, len, StandardCharsets.US_ASCII));
        }
        int questionEnd = i + 5; // the root label, QTYPE, QCLASS
        int qtype = q.getShort(i + 1) & 0xffff;
        boolean ours = qname.toString().equalsIgnoreCase(name);
        boolean a = ours && qtype == 1;
        if (ours) {
            sleep(delayMs);
        }
        ByteBuffer r = ByteBuffer.allocate(questionEnd + 16);
        r.putShort(id).putShort((short) (0x8000 | flags | 0x0400 | 0x0080 | (ours ? 0 : 3))); // QR AA RA, NXDOMAIN
        r.putShort((short) 1).putShort((short) (a ? 1 : 0)).putShort((short) 0).putShort((short) 0);
        r.put(q.array(), q.arrayOffset() + 12, questionEnd - 12);
        if (a) {
            r.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(0).putShort((short) 4)
                    .put(answer.getAddress());
        }
        return Arrays.copyOf(r.array(), r.position());
    }

    private static void thread(Runnable r) {
        new Thread(r).start();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms); // the fault this peer exists to make
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
