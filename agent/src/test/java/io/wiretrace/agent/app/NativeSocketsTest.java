package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.wiretrace.bootstrap.Dispatcher;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Native memory as Netty's native transports hand it to the hooks: an address and a length, or an
 * iovec array. (The agent gets the module access at start; surefire grants the same here.)
 */
class NativeSocketsTest {
    /** Direct buffers stay reachable for the test's length: their memory is what the hooks read. */
    private final List<ByteBuffer> keep = new ArrayList<>();

    private long address(ByteBuffer direct) throws Exception {
        keep.add(direct);
        Field f = Buffer.class.getDeclaredField("address");
        f.setAccessible(true);
        return f.getLong(direct);
    }

    /** {@code text}'s bytes in native memory. */
    private long nativeCopy(String text) throws Exception {
        return address(ByteBuffer.allocateDirect(text.length()).put(text.getBytes(StandardCharsets.US_ASCII)));
    }

    /** An iovec array of (base, length) pairs in native memory. */
    private long iovecs(long... pairs) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(8 * pairs.length).order(ByteOrder.nativeOrder());
        for (long p : pairs) {
            b.putLong(p);
        }
        return address(b);
    }

    @Test
    void aViewReadsExactlyTheBytesItIsPointedAt() throws Throwable {
        assertNull(NativeSockets.UNREADABLE, "the view cannot be made");
        long a = nativeCopy("xxGET /a HTTP/1.1\r\n");
        ByteBuffer v = NativeSockets.newView();
        NativeSockets.point(v, a + 2, 5);
        byte[] got = new byte[v.remaining()];
        v.get(got);
        assertEquals("GET /", new String(got, StandardCharsets.US_ASCII));
        assertSame(v, NativeSockets.point(v, a, 2)); // again, shorter: the same object, no allocation
        assertEquals(2, v.remaining());
        assertEquals('x', v.get(1));
    }

    @Test
    void iovecsAreReadAsLinuxLaysThemOut() throws Throwable {
        long iov = iovecs(1234L, 0L, 5678L, 42L);
        assertEquals(5678L, NativeSockets.iovBase(iov, 1));
        assertEquals(42L, NativeSockets.iovLength(iov, 1));
        assertEquals(0L, NativeSockets.iovLength(iov, 0));
    }

    /** An exchange whose request leaves from native memory (an iovec array) and whose answer is read into it. */
    @Test
    void anExchangeInNativeMemory() throws Throwable {
        List<Conn> opened = new ArrayList<>();
        Tracer t = new Tracer(new CallSink() {
            @Override
            public long slowNanos() {
                return Long.MAX_VALUE;
            }

            @Override
            public void opened(Conn c) {
                opened.add(c);
            }

            @Override
            public void call(AppCall c) {
            }
        });
        String request = "GET /native?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n";
        String response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        long req = nativeCopy(request);
        long resp = nativeCopy(response);
        long iov = iovecs(0L, 0L, req, request.length()); // an empty buffer first, as Netty's IovArray may hold
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            long token = t.enterAddress(Dispatcher.WRITE, client, iov, -2);
            t.ioAddress(Dispatcher.WRITE, client, token, request.length(), null, iov, -2);
            Conn c = opened.get(0);
            assertEquals(Conn.CLIENT, c.role);
            assertEquals("main · GET /native?…", HttpExchanges.describe(HttpExchanges.current(c)));
            token = t.enter(Dispatcher.READ, client);
            t.ioAddress(Dispatcher.READ, client, token, response.length(), null, resp, 4096);
            assertEquals(0, t.errors.sum(), String.valueOf(t.firstError.get()));
            assertEquals(request.length(), c.bytesWritten.get());
            assertEquals(response.length(), c.bytesRead.get());
            assertFalse(HttpExchanges.inExchange(c), "the response's Content-Length ended the exchange");
        }
    }
}
