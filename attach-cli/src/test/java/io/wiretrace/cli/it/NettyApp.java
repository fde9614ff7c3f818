package io.wiretrace.cli.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.Version;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP server and client on one of Netty's native transports, whose socket calls are JNI, not
 * the JDK's: {@code epoll} (Netty 4.1 and 4.2) or {@code io_uring} (4.2, chosen by reflection so
 * that this compiles against 4.1). {@code /slow} is answered after 500 ms; {@code /proxy} asks
 * {@code GET /upstream} of 127.0.0.1:UPSTREAM through a Netty client on the same event loop, as
 * a proxy does, and answers with what came back ({@code ?port=N&timeout=MS}: to another port, giving
 * up connecting after that long). With {@code business}, the requests are handled
 * on a business executor (a DefaultEventExecutorGroup) rather than the event loop, and {@code /work}
 * asks the upstream through a blocking HttpURLConnection there. Prints
 * {@code READY port=N transport=T netty=V}.
 *
 * <p>Usage: {@code NettyApp epoll|io_uring [UPSTREAM [business]]}.
 */
public final class NettyApp {
    private static Class<? extends Channel> clientChannel;
    private static int upstreamPort;

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        String transport = args[0];
        upstreamPort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        EventExecutorGroup business = args.length > 2 && args[2].equals("business") ? new DefaultEventExecutorGroup(2) : null;
        EventLoopGroup group;
        Class<? extends ServerChannel> serverChannel;
        if (transport.equals("epoll")) {
            Epoll.ensureAvailability();
            group = new EpollEventLoopGroup(1);
            serverChannel = EpollServerSocketChannel.class;
            clientChannel = EpollSocketChannel.class;
        } else {
            Class.forName("io.netty.channel.uring.IoUring").getMethod("ensureAvailability").invoke(null);
            Object factory = Class.forName("io.netty.channel.uring.IoUringIoHandler").getMethod("newFactory").invoke(null);
            group = (EventLoopGroup) Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup")
                    .getConstructor(int.class, Class.forName("io.netty.channel.IoHandlerFactory")).newInstance(1, factory);
            serverChannel = (Class<? extends ServerChannel>) Class.forName("io.netty.channel.uring.IoUringServerSocketChannel");
            clientChannel = (Class<? extends Channel>) Class.forName("io.netty.channel.uring.IoUringSocketChannel");
        }
        Channel ch = new ServerBootstrap().group(group).channel(serverChannel)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536));
                        c.pipeline().addLast(business, "handler", new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        System.out.println("READY port=" + ((InetSocketAddress) ch.localAddress()).getPort() + " transport=" + transport
                + " netty=" + Version.identify().get("netty-transport").artifactVersion());
        System.out.flush();
        ch.closeFuture().sync();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.uri().startsWith("/proxy")) {
                io.netty.handler.codec.http.QueryStringDecoder q = new io.netty.handler.codec.http.QueryStringDecoder(req.uri());
                int port = q.parameters().containsKey("port") ? Integer.parseInt(q.parameters().get("port").get(0)) : upstreamPort;
                int timeout = q.parameters().containsKey("timeout") ? Integer.parseInt(q.parameters().get("timeout").get(0)) : 30_000;
                proxy(ctx, port, timeout);
                return;
            }
            if (req.uri().startsWith("/work")) {
                answer(ctx, "upstream said " + blockingUpstreamCall() + " on " + Thread.currentThread().getName());
                return;
            }
            long delay = req.uri().startsWith("/slow") ? 500 : 0;
            ctx.executor().schedule(() -> answer(ctx, "done\n"), delay, TimeUnit.MILLISECONDS);
        }
    }

    private static void answer(ChannelHandlerContext ctx, String body) {
        DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE); // the client asks Connection: close
    }

    /** A blocking call through the JDK's HttpURLConnection, on the thread that handles the request. */
    private static String blockingUpstreamCall() {
        try {
            java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(
                    "http://127.0.0.1:" + upstreamPort + "/upstream").openConnection();
            try (java.io.InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            }
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** The upstream call, on the incoming connection's own event loop, to {@code port}, giving up connecting after {@code timeout} ms. */
    private static void proxy(ChannelHandlerContext in, int port, int timeout) {
        new Bootstrap().group(in.channel().eventLoop()).channel(clientChannel)
                .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, timeout)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext out, FullHttpResponse r) {
                                        answer(in, "upstream said " + r.content().toString(StandardCharsets.US_ASCII));
                                        out.close();
                                    }
                                });
                    }
                }).connect("127.0.0.1", port).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        answer(in, "upstream failed: " + f.cause());
                        return;
                    }
                    DefaultFullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/upstream");
                    r.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + upstreamPort);
                    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
                    f.channel().writeAndFlush(r);
                });
    }
}
