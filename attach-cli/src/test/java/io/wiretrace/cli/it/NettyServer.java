package io.wiretrace.cli.it;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP server on Netty's native epoll transport, whose sockets are JNI calls that the agent does
 * not instrument; {@code /slow} is answered after 500 ms. Prints {@code READY port=N} once bound
 * to 127.0.0.1.
 */
public final class NettyServer {
    public static void main(String[] args) throws Exception {
        Epoll.ensureAvailability();
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        Channel ch = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        System.out.println("READY port=" + ((InetSocketAddress) ch.localAddress()).getPort() + " epoll="
                + Epoll.isAvailable());
        System.out.flush();
        ch.closeFuture().sync();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            long delay = req.uri().startsWith("/slow") ? 500 : 0;
            ctx.executor().schedule(() -> {
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer("done\n", StandardCharsets.US_ASCII));
                r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE); // the client asks Connection: close
            }, delay, TimeUnit.MILLISECONDS);
        }
    }
}
