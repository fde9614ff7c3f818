package io.wiretrace.field;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A Netty client as apps use one from a request thread: the connect runs on Netty's event loop,
 * the request is written in the connect's listener, on that loop, and the caller waits for the
 * answer. A new connection per call.
 */
final class NettyClient {
    private static final EventLoopGroup GROUP = new NioEventLoopGroup(1);

    private NettyClient() {
    }

    static String get(int port, String path) throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        new Bootstrap().group(GROUP).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                answer.complete(r.content().toString(StandardCharsets.US_ASCII));
                                ctx.close();
                            }
                        });
            }
        }).connect("127.0.0.1", port).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                answer.completeExceptionally(f.cause());
                return;
            }
            DefaultFullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            r.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + port);
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
            f.channel().writeAndFlush(r);
        });
        return answer.get(30, TimeUnit.SECONDS);
    }
}
