package io.wiretrace.cli.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * UDP datagrams to a port of 127.0.0.1 that a sink socket holds (so that the kernel sends no
 * ICMP): traffic with a known count and known sizes, for comparing captures.
 */
final class Traffic implements AutoCloseable {
    private final DatagramChannel sink;
    private final DatagramChannel out;
    final int port;
    long sent;
    long bytes;

    Traffic() throws IOException {
        sink = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress("127.0.0.1", 0));
        port = ((InetSocketAddress) sink.getLocalAddress()).getPort();
        out = DatagramChannel.open(StandardProtocolFamily.INET);
        out.connect(sink.getLocalAddress());
    }

    String filter() {
        return "udp port " + port;
    }

    /**
     * Sends {@code count} datagrams whose payload sizes cycle through 1..maxPayload, at about
     * {@code perSecond}; each payload starts with its sequence number.
     */
    Traffic send(int count, int maxPayload, int perSecond) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(maxPayload);
        long gap = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long next = System.nanoTime();
        for (int i = 0; i < count; i++) {
            int size = Math.max(8, 1 + (int) ((sent * 7919) % maxPayload));
            b.clear();
            b.putLong(sent);
            b.position(size);
            b.flip();
            bytes += out.write(b);
            sent++;
            next += gap;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (i % 256 == 0) {
                drain();
            }
        }
        return this;
    }

    /** Sends for about {@code seconds}, {@code perSecond} datagrams a second. */
    Traffic sendFor(double seconds, int maxPayload, int perSecond) throws IOException {
        return send((int) (seconds * perSecond), maxPayload, perSecond);
    }

    private void drain() throws IOException {
        sink.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (sink.receive(b) != null) {
            b.clear();
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
        sink.close();
    }
}
