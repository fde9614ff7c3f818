package io.wiretrace.analysis.tcp;

import io.wiretrace.analysis.offline.Exchanges;
import io.wiretrace.analysis.pcap.CaptureFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * ns per packet of the analysis over a real capture: {@code TcpBench FILE [ROUNDS]}. The file's
 * packets are loaded into memory once, then each round runs a fresh {@link FlowTable} over all of
 * them (parse, look up, analyze), as the capture's reader thread would; rounds alternate with
 * ones that also find each flow's calls ({@link Exchanges}, as the agent does for every flow that
 * no instrumented call joined: the "seen in packets only" verdicts); a last pass times reading
 * the file with {@link CaptureFile} as well.
 */
public final class TcpBench {
    private TcpBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int[] count = {0};
        long[] bytes = {0};
        CaptureFile.read(file, (i, lt, ns, b, off, cap, orig) -> {
            count[0]++;
            bytes[0] += cap;
        });
        int n = count[0];
        ByteBuffer all = ByteBuffer.allocate((int) bytes[0]);
        int[] offset = new int[n];
        int[] cap = new int[n];
        int[] orig = new int[n];
        int[] link = new int[n];
        long[] time = new long[n];
        int[] k = {0};
        CaptureFile.read(file, (i, lt, ns, b, off, c, o) -> {
            offset[k[0]] = all.position();
            cap[k[0]] = c;
            orig[k[0]] = o;
            link[k[0]] = lt;
            time[k[0]] = ns;
            for (int j = 0; j < c; j++) {
                all.put(b.get(off + j));
            }
            k[0]++;
        });
        long[] perRound = new long[rounds];
        long[] withCalls = new long[rounds];
        long sink = 0;
        long[] calls = {0};
        Exchanges.Found found0 = (x, c) -> calls[0]++;
        for (int r = 0; r < rounds; r++) {
            FlowTable t = new FlowTable(100_000, FlowTable.DEFAULT_IDLE_NANOS, FlowTable.DEFAULT_LINGER_NANOS, f -> { });
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += t.packet(link[i], all, offset[i], cap[i], orig[i], time[i]);
            }
            perRound[r] = System.nanoTime() - t0;
            t.flush();
            // the same, finding every flow's calls as the correlator does for flows nothing joined
            FlowTable u = new FlowTable(100_000, FlowTable.DEFAULT_IDLE_NANOS, FlowTable.DEFAULT_LINGER_NANOS,
                    f -> { });
            t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int a = u.packet(link[i], all, offset[i], cap[i], orig[i], time[i]);
                if (a == Analysis.NOT_TCP) {
                    continue;
                }
                Flow f = u.lastFlow();
                Exchanges x = (Exchanges) f.attachment;
                if (x == null) {
                    x = new Exchanges(a, u.frame());
                    f.attachment = x;
                }
                x.packet(f, u.frame(), a, time[i], all, 200_000_000L, found0);
                sink += a;
            }
            withCalls[r] = System.nanoTime() - t0;
            u.flush();
        }
        long[] sorted = perRound.clone();
        Arrays.sort(sorted);
        long[] sortedCalls = withCalls.clone();
        Arrays.sort(sortedCalls);
        System.out.printf("%s: %d packets; analysis in memory: median %.1f ns/packet, best %.1f (of %d rounds)%n",
                file.getFileName(), n, (double) sorted[rounds / 2] / n, (double) sorted[0] / n, rounds);
        System.out.printf("with every flow's calls found (Exchanges): median %.1f ns/packet, best %.1f; x%.2f of the"
                + " analysis alone (medians); %d slow calls found%n", (double) sortedCalls[rounds / 2] / n,
                (double) sortedCalls[0] / n, (double) sortedCalls[rounds / 2] / sorted[rounds / 2], calls[0]);
        long[] found = {0};
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            FlowTable t = new FlowTable(100_000, FlowTable.DEFAULT_IDLE_NANOS, FlowTable.DEFAULT_LINGER_NANOS, f -> { });
            long t0 = System.nanoTime();
            CaptureFile.read(file, (i, lt, ns, b, off, c, o) -> found[0] += t.packet(lt, b, off, c, o, ns));
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("reading the file and analyzing: best %.1f ns/packet (%d)%n", (double) best / n, sink + found[0]);
    }
}
