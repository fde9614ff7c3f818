import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code netty} api of SocketOverhead: the same ping-pong over Netty 4.1's native epoll
 * transport (EpollEventLoopGroup, EpollSocketChannel, EpollServerSocketChannel), with Netty's
 * defaults otherwise: edge-triggered epoll, the pooled direct allocator, the adaptive receive
 * buffer, TCP_NODELAY on.
 *
 * <p>The socket calls are made by Netty's event loops, not by threads of the benchmark. Each
 * connection gets an event loop of its own at each end: a client loop writes a {@code size}-byte
 * request when the previous reply is complete, a server loop writes back each complete
 * {@code size}-byte request. So a run with n clients has 2n busy event loop threads, as io and
 * nio have 2n threads; these are pinned (--pin) and their CPU is the "app threads" figure. A third
 * group of one thread accepts the connections; it is idle while measuring and not pinned.
 *
 * <p>Counted calls: every read the event loop makes ({@code Socket.recvAddress} into a pooled
 * direct buffer), counted through the channel's receive buffer handle, which Netty tells the result
 * of every read, 0 (EAGAIN) and -1 (end of stream) included; and every write
 * ({@code Socket.sendAddress}), one per flushed message, since a 64-byte message always fits the
 * socket's send buffer in a ping-pong. Per round trip that is client write, server read, server
 * write, client read, plus a read that returns EAGAIN whenever a read filled the whole buffer: a
 * stream channel's read loop stops after a read that did not fill it, but the adaptive buffer size
 * now and then shrinks to exactly 64 bytes. About 4.1 calls per round trip.
 *
 * <p>Compiled together with SocketOverhead.java, with the Netty jars on the class path.
 */
@SuppressWarnings("deprecation") // RecvByteBufAllocator.Handle, which ExtendedHandle extends
public final class SocketOverheadNetty implements SocketOverhead.Transport {
    private EpollEventLoopGroup acceptor;
    private EpollEventLoopGroup serverLoops;
    private EpollEventLoopGroup clientLoops;
    private final List<Thread> loopThreads = new CopyOnWriteArrayList<>();
    private volatile Throwable pinFailure;
    private Channel server;
    private InetSocketAddress address;
    private final BlockingQueue<End> accepted = new LinkedBlockingQueue<>();

    @Override
    public void start(InetAddress lo, int maxClients) throws Exception {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty's epoll transport is not available", Epoll.unavailabilityCause());
        }
        acceptor = new EpollEventLoopGroup(1, new DefaultThreadFactory("so-netty-accept", true));
        serverLoops = new EpollEventLoopGroup(maxClients, new LoopThreads("so-netty-server"));
        clientLoops = new EpollEventLoopGroup(maxClients, new LoopThreads("so-netty-client"));
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptor, serverLoops)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 64)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel ch) {
                        End end = new End(ch);
                        ch.config().setRecvByteBufAllocator(new CountingAllocator(ch.config(), end));
                        ch.pipeline().addLast(new Echo(end));
                        accepted.add(end);
                    }
                });
        server = b.bind(new InetSocketAddress(lo, 0)).syncUninterruptibly().channel();
        address = (InetSocketAddress) server.localAddress();
        if (!address.getAddress().isLoopbackAddress()) {
            throw new IllegalStateException("bound to " + address + ", not loopback");
        }
    }

    @Override
    public int port() {
        return address.getPort();
    }

    @Override
    public SocketOverhead.Conns open(int n, AtomicLong stop, long deadline, List<Throwable> failures)
            throws Exception {
        for (End stale; (stale = accepted.poll()) != null; ) {
            stale.channel.close(); // left by a run that failed halfway
        }
        List<End> clients = new ArrayList<>();
        List<End> servers = new ArrayList<>();
        Run conns = new Run(clients, servers);
        try {
            for (int i = 0; i < n; i++) {
                Client handler = new Client(stop, deadline, failures);
                // Both groups hand out their loops round robin and have as many as the most
                // clients of any run: the n connections of a run get n different loops at each end.
                EventLoop loop = clientLoops.next();
                Channel ch = new Bootstrap()
                        .group(loop)
                        .channel(EpollSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                        .handler(new ChannelInitializer<EpollSocketChannel>() {
                            @Override
                            protected void initChannel(EpollSocketChannel c) {
                                handler.end = new End(c);
                                c.config().setRecvByteBufAllocator(new CountingAllocator(c.config(), handler.end));
                                c.pipeline().addLast(handler);
                            }
                        })
                        .connect(address)
                        .syncUninterruptibly()
                        .channel();
                if (!((InetSocketAddress) ch.remoteAddress()).getAddress().isLoopbackAddress()) {
                    throw new IllegalStateException("connected to " + ch.remoteAddress() + ", not loopback");
                }
                clients.add(handler.end);
                End s = accepted.poll(5, TimeUnit.SECONDS);
                if (s == null) {
                    throw new IllegalStateException("netty: connection " + i + " not accepted in 5 s");
                }
                servers.add(s);
            }
            Throwable pin = pinFailure;
            if (pin != null) {
                throw new IllegalStateException("netty: pinning an event loop thread failed", pin);
            }
        } catch (Throwable t) {
            conns.close();
            throw t;
        }
        return conns;
    }

    @Override
    public void shutdown() {
        if (server != null) {
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        for (EpollEventLoopGroup g : new EpollEventLoopGroup[] {clientLoops, serverLoops, acceptor}) {
            if (g != null) {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
            }
        }
    }

    /** The event loop threads: FastThreadLocalThreads, as Netty makes them, pinned with --pin. */
    private final class LoopThreads extends DefaultThreadFactory {
        LoopThreads(String name) {
            super(name, true);
        }

        @Override
        protected Thread newThread(Runnable r, String name) {
            Thread t = super.newThread(() -> {
                try {
                    if (SocketOverhead.pin != null) {
                        SocketOverhead.pinCurrentThread(SocketOverhead.pin);
                    }
                } catch (Throwable e) {
                    pinFailure = e;
                }
                r.run();
            }, name);
            loopThreads.add(t);
            return t;
        }
    }

    /** One end of a connection: its channel and counters, written by its event loop only. */
    static final class End {
        final Channel channel;
        final SocketOverhead.Counters k = new SocketOverhead.Counters();
        long calls;
        long rounds;

        End(Channel channel) {
            this.channel = channel;
        }

        void call() {
            k.calls.lazySet(++calls);
        }
    }

    private final class Run implements SocketOverhead.Conns {
        final List<End> clients;
        final List<End> servers;

        Run(List<End> clients, List<End> servers) {
            this.clients = clients;
            this.servers = servers;
        }

        @Override
        public List<SocketOverhead.Counters> clients() {
            List<SocketOverhead.Counters> r = new ArrayList<>();
            clients.forEach(e -> r.add(e.k));
            return r;
        }

        @Override
        public List<SocketOverhead.Counters> servers() {
            List<SocketOverhead.Counters> r = new ArrayList<>();
            servers.forEach(e -> r.add(e.k));
            return r;
        }

        @Override
        public long[] threads() {
            return loopThreads.stream().mapToLong(Thread::getId).toArray();
        }

        @Override
        public void go() {
            for (End e : clients) {
                Client c = (Client) e.channel.pipeline().last();
                e.channel.eventLoop().execute(() -> c.send());
            }
        }

        @Override
        public boolean awaitClosed(long millis) throws InterruptedException {
            long by = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            List<End> all = new ArrayList<>(clients);
            all.addAll(servers);
            for (End e : all) {
                long left = TimeUnit.NANOSECONDS.toMillis(by - System.nanoTime());
                if (left <= 0 || !e.channel.closeFuture().await(left)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
            List<End> all = new ArrayList<>(clients);
            all.addAll(servers);
            for (End e : all) {
                e.channel.close();
            }
            for (End e : all) {
                e.channel.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
    }

    /** The client end: a request, then the reply, until told to stop. */
    private static final class Client extends ChannelInboundHandlerAdapter {
        final AtomicLong stop;
        final long deadline;
        final List<Throwable> failures;
        End end;
        ChannelHandlerContext ctx;
        int got;
        boolean closing;

        Client(AtomicLong stop, long deadline, List<Throwable> failures) {
            this.stop = stop;
            this.deadline = deadline;
            this.failures = failures;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void send() {
            ByteBuf req = ctx.alloc().directBuffer(SocketOverhead.size);
            req.writeZero(SocketOverhead.size);
            req.setByte(0, (byte) end.rounds);
            ctx.writeAndFlush(req, ctx.voidPromise());
            end.call();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf rep = (ByteBuf) msg;
            got += rep.readableBytes();
            rep.release();
            if (got < SocketOverhead.size) {
                return;
            }
            got -= SocketOverhead.size;
            long rounds = ++end.rounds;
            end.k.rounds.lazySet(rounds);
            if (stop.get() != 0 || rounds >= SocketOverhead.maxRounds
                    || ((rounds & 63) == 0 && System.nanoTime() - deadline > 0)) {
                closing = true;
                ctx.close();
                return;
            }
            send();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closing && stop.get() == 0) {
                failures.add(new IllegalStateException("netty: the server closed the connection"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.add(cause);
            closing = true;
            ctx.close();
        }
    }

    /** The server end: writes back each complete request. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        final End end;
        ByteBuf partial;

        Echo(End end) {
            this.end = end;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf m = (ByteBuf) msg;
            int size = SocketOverhead.size;
            if ((partial == null || !partial.isReadable()) && m.readableBytes() == size) {
                ctx.writeAndFlush(m, ctx.voidPromise()); // the usual case: one read, one request
                end.call();
                return;
            }
            if (partial == null) {
                partial = ctx.alloc().directBuffer(2 * size);
            }
            partial.writeBytes(m);
            m.release();
            while (partial.readableBytes() >= size) {
                ctx.writeAndFlush(partial.readRetainedSlice(size), ctx.voidPromise());
                end.call();
            }
            partial.discardSomeReadBytes();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (partial != null) {
                partial.release();
                partial = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the client's end of the run (a reset) included
        }
    }

    /**
     * The channel's own receive buffer allocator (Netty's default: adaptive sizing, up to 16 reads
     * per read loop), counting every read: the event loop tells the handle each read's result,
     * 0 (EAGAIN) and -1 (end of stream) included.
     */
    private static final class CountingAllocator implements RecvByteBufAllocator {
        final RecvByteBufAllocator inner;
        final End end;

        CountingAllocator(ChannelConfig config, End end) {
            this.inner = config.getRecvByteBufAllocator();
            this.end = end;
            if (!(inner instanceof AdaptiveRecvByteBufAllocator)) {
                throw new IllegalStateException("not Netty's default receive buffer allocator: " + inner);
            }
        }

        @Override
        public Handle newHandle() {
            ExtendedHandle h = (ExtendedHandle) inner.newHandle();
            return new ExtendedHandle() {
                @Override
                public ByteBuf allocate(ByteBufAllocator alloc) {
                    return h.allocate(alloc);
                }

                @Override
                public int guess() {
                    return h.guess();
                }

                @Override
                public void reset(ChannelConfig config) {
                    h.reset(config);
                }

                @Override
                public void incMessagesRead(int numMessages) {
                    h.incMessagesRead(numMessages);
                }

                @Override
                public void lastBytesRead(int bytes) {
                    end.call();
                    h.lastBytesRead(bytes);
                }

                @Override
                public int lastBytesRead() {
                    return h.lastBytesRead();
                }

                @Override
                public void attemptedBytesRead(int bytes) {
                    h.attemptedBytesRead(bytes);
                }

                @Override
                public int attemptedBytesRead() {
                    return h.attemptedBytesRead();
                }

                @Override
                public boolean continueReading() {
                    return h.continueReading();
                }

                @Override
                public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
                    return h.continueReading(maybeMoreDataSupplier);
                }

                @Override
                public void readComplete() {
                    h.readComplete();
                }
            };
        }
    }
}
