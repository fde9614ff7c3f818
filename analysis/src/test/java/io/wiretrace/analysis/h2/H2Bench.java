package io.wiretrace.analysis.h2;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * ns per frame and per header block of the {@link FrameReader}, and bytes allocated per frame:
 * {@code H2Bench [REQUESTS] [ROUNDS]}. Netty's frame writer makes both directions of one
 * connection once (10,000 requests by default, with a warm dynamic table: the same few headers
 * indexed, a new request id and often a new path each time), in two mixes: REST (bodies, a path
 * of many values, half of them with a query) and gRPC (a few paths, small messages, trailers).
 * Each round then feeds both directions to fresh readers in 16 KiB pieces, as an app's reads and
 * writes would come, from a byte[] and from a direct ByteBuffer, after warm-up rounds; the
 * figures are the medians of the rounds. Each round also feeds a stream of the same header blocks
 * without the other frames, for the cost of a block.
 */
public final class H2Bench {
    private static final int CHUNK = 16 * 1024;

    private H2Bench() {
    }

    /** A listener that counts, so that nothing is optimized away and a lost reader shows. */
    static final class Counter implements FrameListener {
        long events;
        long bytes;
        int lost;

        @Override
        public void headers(int streamId, boolean endStream, String method, String path, int status, String grpc) {
            events++;
            bytes += status + (path == null ? 0 : path.length()) + (method == null ? 0 : 1) + (grpc == null ? 0 : 1);
        }

        @Override
        public void data(int streamId, int length, boolean endStream) {
            events++;
            bytes += length;
        }

        @Override
        public void reset(int streamId, long errorCode) {
            events++;
        }

        @Override
        public void goAway(int lastStreamId, long errorCode) {
            events++;
        }

        @Override
        public void windowUpdate(int streamId, int increment) {
            events++;
        }

        @Override
        public void settings(int initialWindowSize, int headerTableSize) {
            events++;
        }

        @Override
        public void lost(String why) {
            lost++;
            System.out.println("lost: " + why);
        }
    }

    /** One direction's bytes, how many frames and header blocks they hold, and whether it is the client's. */
    static final class Direction {
        final byte[] bytes;
        final ByteBuffer direct;
        final boolean client;
        final int frames;
        final int blocks;

        Direction(NettyFrames f, boolean client) {
            bytes = f.bytes();
            direct = ByteBuffer.allocateDirect(bytes.length);
            direct.put(bytes);
            this.client = client;
            int n = 0;
            int b = 0;
            for (int at = client ? 24 : 0; at < bytes.length; n++) {
                int len = (bytes[at] & 0xff) << 16 | (bytes[at + 1] & 0xff) << 8 | bytes[at + 2] & 0xff;
                int type = bytes[at + 3];
                if ((type == 1 || type == 5 || type == 9) && (bytes[at + 4] & 4) != 0) {
                    b++;
                }
                at += 9 + len;
            }
            frames = n;
            blocks = b;
        }
    }

    static Direction[] rest(int requests, boolean withData) {
        NettyFrames c = new NettyFrames(true).preface().settings(new Http2Settings().initialWindowSize(1 << 20));
        NettyFrames s = new NettyFrames(true).settings(new Http2Settings().maxConcurrentStreams(100)).settingsAck();
        c.settingsAck();
        for (int i = 0; i < requests; i++) {
            int stream = 2 * i + 1;
            boolean post = i % 3 == 0;
            Http2Headers h = new DefaultHttp2Headers().method(post ? "POST" : "GET").scheme("https")
                    .authority("orders.internal.example.com")
                    .path("/api/v1/orders/" + (i * 7 % 500) + (i % 2 == 0 ? "?expand=items&page=" + i % 9 : ""))
                    .add("user-agent", "okhttp/4.12.0").add("accept", "application/json")
                    .add("accept-encoding", "gzip").add("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.secret.sig")
                    .add("x-request-id", "5f0c1d2e-" + (100000 + i));
            if (post) {
                h.add("content-type", "application/json");
            }
            c.headers(stream, h, 0, !post && withData);
            if (post && withData) {
                c.data(stream, 180 + i % 64, 0, true);
            }
            Http2Headers r = new DefaultHttp2Headers().status(i % 50 == 7 ? "404" : "200")
                    .add("content-type", "application/json").add("content-length", Integer.toString(600 + i % 900))
                    .add("date", "Tue, 05 Dec 2026 11:" + (10 + i / 1000 % 50) + ":" + (10 + i / 20 % 50) + " GMT")
                    .add("server", "envoy").add("x-request-id", "5f0c1d2e-" + (100000 + i));
            s.headers(stream, r, 0, !withData);
            if (withData) {
                s.data(stream, 600 + i % 900, 0, true);
            }
            if (withData && i % 16 == 15) {
                c.windowUpdate(0, 16 * 1024 * 64);
                s.windowUpdate(0, 16 * 1024 * 8);
            }
        }
        return new Direction[] {new Direction(c, true), new Direction(s, false)};
    }

    static Direction[] grpc(int requests, boolean withData) {
        String[] methods = {"/shop.Catalog/GetItem", "/shop.Catalog/ListItems", "/shop.Cart/Add", "/shop.Cart/Get"};
        NettyFrames c = new NettyFrames(true).preface().settings(new Http2Settings().initialWindowSize(1 << 20));
        NettyFrames s = new NettyFrames(true).settings(new Http2Settings().maxConcurrentStreams(100)).settingsAck();
        c.settingsAck();
        for (int i = 0; i < requests; i++) {
            int stream = 2 * i + 1;
            Http2Headers h = new DefaultHttp2Headers().method("POST").scheme("http").authority("catalog:50051")
                    .path(methods[i % methods.length]).add("content-type", "application/grpc").add("te", "trailers")
                    .add("grpc-accept-encoding", "gzip").add("user-agent", "grpc-java-netty/1.68.1")
                    .add("grpc-timeout", "999" + i % 10 + "m");
            c.headers(stream, h, 0, !withData);
            if (withData) {
                c.data(stream, 40 + i % 32, 0, true);
            }
            s.headers(stream, new DefaultHttp2Headers().status("200").add("content-type", "application/grpc")
                    .add("grpc-encoding", "identity").add("grpc-accept-encoding", "gzip"), 0, false);
            if (withData) {
                s.data(stream, 120 + i % 200, 0, false);
            }
            s.headers(stream, new DefaultHttp2Headers().add("grpc-status", i % 100 == 3 ? "14" : "0"), 0, true);
            if (withData && i % 16 == 15) {
                c.windowUpdate(0, 4096);
                s.windowUpdate(0, 2048);
            }
        }
        return new Direction[] {new Direction(c, true), new Direction(s, false)};
    }

    /** Feeds both directions once to fresh readers; returns the events reported. */
    static long round(Direction[] dirs, boolean direct) {
        long events = 0;
        for (Direction d : dirs) {
            Counter counter = new Counter();
            FrameReader r = new FrameReader(d.client, counter);
            r.maxHeaderTableSize(4096);
            int n = d.bytes.length;
            Object data = direct ? d.direct : d.bytes;
            for (int at = 0; at < n; at += CHUNK) {
                r.feed(data, at, Math.min(CHUNK, n - at));
            }
            if (counter.lost != 0) {
                throw new IllegalStateException("the reader lost track");
            }
            events += counter.events + counter.bytes;
        }
        return events;
    }

    static long median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static long min(long[] a) {
        return Arrays.stream(a).min().getAsLong();
    }

    static void run(String name, Direction[] dirs, Direction[] blocksOnly, int rounds) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        int frames = dirs[0].frames + dirs[1].frames;
        int blocks = dirs[0].blocks + dirs[1].blocks;
        long bytes = dirs[0].bytes.length + dirs[1].bytes.length;
        int onlyBlocks = blocksOnly[0].blocks + blocksOnly[1].blocks;
        long sink = 0;
        for (int r = 0; r < Math.max(3, rounds / 4); r++) { // warm-up, of both forms
            sink += round(dirs, false) + round(dirs, true) + round(blocksOnly, false) + round(blocksOnly, true);
        }
        for (boolean direct : new boolean[] {false, true}) {
            long[] time = new long[rounds];
            long[] alloc = new long[rounds];
            long[] blockTime = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                long a0 = mx.getThreadAllocatedBytes(tid);
                long t0 = System.nanoTime();
                sink += round(dirs, direct);
                time[r] = System.nanoTime() - t0;
                alloc[r] = mx.getThreadAllocatedBytes(tid) - a0;
                t0 = System.nanoTime();
                sink += round(blocksOnly, direct);
                blockTime[r] = System.nanoTime() - t0;
            }
            System.out.printf("%s, %s: %d frames (%d header blocks, %.1f MB) per round: median %.1f ns/frame"
                    + " (best %.1f), %.0f MB/s; %.1f bytes allocated/frame; header blocks alone (%d): median %.1f"
                    + " ns/block (best %.1f)%n", name, direct ? "direct ByteBuffer" : "byte[]", frames, blocks,
                    bytes / 1e6, (double) median(time) / frames, (double) min(time) / frames,
                    bytes * 1e3 / median(time), (double) median(alloc) / frames, onlyBlocks,
                    (double) median(blockTime) / onlyBlocks, (double) min(blockTime) / onlyBlocks);
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    public static void main(String[] args) {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        run("REST", rest(requests, true), rest(requests, false), rounds);
        run("gRPC", grpc(requests, true), grpc(requests, false), rounds);
    }
}
