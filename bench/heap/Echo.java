import java.net.*;
import java.nio.*;
import java.nio.channels.*;

/** A one-thread NIO echo server on loopback: prints READY port=N. */
public class Echo {
    public static void main(String[] a) throws Exception {
        Selector sel = Selector.open();
        ServerSocketChannel ss = ServerSocketChannel.open();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        ss.configureBlocking(false);
        ss.register(sel, SelectionKey.OP_ACCEPT);
        System.out.println("READY port=" + ((InetSocketAddress) ss.getLocalAddress()).getPort());
        ByteBuffer b = ByteBuffer.allocate(64);
        while (true) {
            sel.select();
            for (SelectionKey k : sel.selectedKeys()) {
                if (k.isAcceptable()) {
                    SocketChannel c;
                    while ((c = ss.accept()) != null) {
                        c.configureBlocking(false);
                        c.register(sel, SelectionKey.OP_READ);
                    }
                } else if (k.isReadable()) {
                    SocketChannel c = (SocketChannel) k.channel();
                    b.clear();
                    int n;
                    try { n = c.read(b); } catch (java.io.IOException e) { n = -1; }
                    if (n < 0) { k.cancel(); c.close(); continue; }
                    b.flip();
                    c.write(b);
                }
            }
            sel.selectedKeys().clear();
        }
    }
}
