package io.wiretrace.analysis.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * One direction of a connection as Netty's own frame writer and HPACK encoder make it (one
 * encoder per direction, so its dynamic table carries over from block to block), with the events
 * a {@link FrameReader} should report for it, in {@link Recorder}'s words.
 */
final class NettyFrames {
    private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
    private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
    private final DefaultHttp2HeadersEncoder encoder;
    private final DefaultHttp2FrameWriter writer;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final List<String> expected = new ArrayList<>();

    /** huffman: every string Huffman-coded where that is shorter (else none is). */
    NettyFrames(boolean huffman) {
        encoder = new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, false, 16,
                huffman ? 0 : Integer.MAX_VALUE);
        writer = new DefaultHttp2FrameWriter(encoder);
    }

    NettyFrames preface() {
        ByteBuf b = Http2CodecUtil.connectionPrefaceBuf();
        add(b);
        return this;
    }

    NettyFrames settings(Http2Settings s) {
        writer.writeSettings(ctx, s, ctx.newPromise());
        Integer w = s.initialWindowSize();
        Long t = s.headerTableSize();
        expected.add(Recorder.settingsEvent(w == null ? -1 : w.intValue(), t == null ? -1 : t.intValue()));
        return collect();
    }

    NettyFrames settingsAck() {
        writer.writeSettingsAck(ctx, ctx.newPromise());
        return collect();
    }

    NettyFrames headers(int stream, Http2Headers h, int padding, boolean endStream) {
        writer.writeHeaders(ctx, stream, h, padding, endStream, ctx.newPromise());
        expected.add(Recorder.headersEvent(stream, endStream, h));
        return collect();
    }

    NettyFrames headersWithPriority(int stream, Http2Headers h, int padding, boolean endStream) {
        writer.writeHeaders(ctx, stream, h, 3, (short) 42, true, padding, endStream, ctx.newPromise());
        expected.add(Recorder.headersEvent(stream, endStream, h));
        return collect();
    }

    /** PUSH_PROMISE: decoded by the reader, not reported. */
    NettyFrames pushPromise(int stream, int promised, Http2Headers h, int padding) {
        writer.writePushPromise(ctx, stream, promised, h, padding, ctx.newPromise());
        return collect();
    }

    NettyFrames data(int stream, int length, int padding, boolean endStream) {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) (i * 31 + stream);
        }
        writer.writeData(ctx, stream, Unpooled.wrappedBuffer(payload), padding, endStream, ctx.newPromise());
        expected.add(Recorder.dataEvent(stream, length + padding, endStream));
        return collect();
    }

    NettyFrames reset(int stream, long code) {
        writer.writeRstStream(ctx, stream, code, ctx.newPromise());
        expected.add(Recorder.resetEvent(stream, code));
        return collect();
    }

    NettyFrames goAway(int last, long code, String debug) {
        writer.writeGoAway(ctx, last, code, Unpooled.copiedBuffer(debug.getBytes()), ctx.newPromise());
        expected.add(Recorder.goAwayEvent(last, code));
        return collect();
    }

    NettyFrames windowUpdate(int stream, int increment) {
        writer.writeWindowUpdate(ctx, stream, increment, ctx.newPromise());
        expected.add(Recorder.windowUpdateEvent(stream, increment));
        return collect();
    }

    NettyFrames ping(long data) {
        writer.writePing(ctx, false, data, ctx.newPromise());
        return collect();
    }

    NettyFrames priority(int stream) {
        writer.writePriority(ctx, stream, 0, (short) 16, false, ctx.newPromise());
        return collect();
    }

    NettyFrames unknown(byte type, int stream, int length) {
        writer.writeFrame(ctx, type, stream, new Http2Flags((short) 0xff), Unpooled.wrappedBuffer(new byte[length]),
                ctx.newPromise());
        return collect();
    }

    /** The encoder's next block starts with a table size update to this size. */
    NettyFrames maxHeaderTableSize(long size) {
        try {
            encoder.maxHeaderTableSize(size);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    /** Bytes made elsewhere (frames by hand). */
    NettyFrames raw(byte[] bytes, String... events) {
        out.write(bytes, 0, bytes.length);
        expected.addAll(List.of(events));
        return this;
    }

    /** A header block as this direction's encoder makes it (its table changes as for a frame). */
    byte[] block(Http2Headers h) {
        ByteBuf b = Unpooled.buffer();
        try {
            encoder.encodeHeaders(1, h, b);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        return bytes;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** The encoder's dynamic table: {entries, size}. */
    long[] table() {
        try {
            Field f = DefaultHttp2HeadersEncoder.class.getDeclaredField("hpackEncoder");
            f.setAccessible(true);
            Object hpack = f.get(encoder);
            Method length = hpack.getClass().getDeclaredMethod("length");
            Method size = hpack.getClass().getDeclaredMethod("size");
            length.setAccessible(true);
            size.setAccessible(true);
            return new long[] {(int) length.invoke(hpack), (long) size.invoke(hpack)};
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private NettyFrames collect() {
        channel.flushOutbound();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            add((ByteBuf) o);
        }
        return this;
    }

    private void add(ByteBuf b) {
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        out.write(bytes, 0, bytes.length);
    }

    /** A frame by hand: its 9-byte header and payload. */
    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }
}
