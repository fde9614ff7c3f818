package io.wiretrace.analysis.verdict;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Frame;

/**
 * ns per packet of the evidence a flow keeps, without byte times (a ring of at most 1,024
 * records, as before the byte-exact join) and with them (a {@link Budget}: byte times, and a ring
 * that grows to its horizon): {@code EvidenceBench [PACKETS] [ROUNDS]}. Each round feeds the same
 * synthetic traffic to fresh rings of 64 flows: request/response turns of a pooled connection
 * (a 200-byte request, a 1,400-byte answer, their ACKs, 100 µs apart) and, on every eighth flow,
 * a bulk transfer of full segments. The two kinds run in alternating rounds in one JVM; the
 * figures are the medians after warm-up rounds, and their ratio.
 */
public final class EvidenceBench {
    private static final int FLOWS = 64;
    /** ns between two packets of all flows: 1.56 µs by default (640,000 packets a second), -Dgap=N. */
    private static final long GAP = Long.getLong("gap", 100_000 / FLOWS);

    private EvidenceBench() {
    }

    public static void main(String[] args) {
        int packets = args.length > 0 ? Integer.parseInt(args[0]) : 4_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        double[] without = new double[rounds];
        double[] with = new double[rounds];
        long sink = 0;
        for (int r = -3; r < rounds; r++) { // three rounds each to warm up
            long a = System.nanoTime();
            sink += feed(packets, null);
            long b = System.nanoTime();
            Budget budget = new Budget(Long.getLong("bytes", Budget.DEFAULT_BYTES), Long.getLong("horizon", Budget.DEFAULT_HORIZON_NANOS));
            sink += feed(packets, budget);
            long c = System.nanoTime();
            if (r >= 0) {
                without[r] = (b - a) / (double) packets;
                with[r] = (c - b) / (double) packets;
            }
            if (r == rounds - 1) {
                System.out.printf(java.util.Locale.ROOT, "budget after one round: %s%n", budget.describe());
            }
        }
        java.util.Arrays.sort(without);
        java.util.Arrays.sort(with);
        double w0 = without[rounds / 2];
        double w1 = with[rounds / 2];
        System.out.printf(java.util.Locale.ROOT, "%d packets a round, %d rounds (medians): without byte times %.1f ns/packet,"
                + " with byte times and the budget %.1f ns/packet; ratio %.2f (%d)%n", packets, rounds, w0, w1, w1 / w0,
                sink % 10);
    }

    /** Feeds {@code packets} frames to fresh rings; returns a checksum. */
    private static long feed(int packets, Budget budget) {
        EvidenceRing[] rings = new EvidenceRing[FLOWS];
        int[] clientSeq = new int[FLOWS];
        int[] serverSeq = new int[FLOWS];
        Frame f = new Frame();
        long now = 1_700_000_000_000_000_000L;
        for (int i = 0; i < FLOWS; i++) {
            rings[i] = budget == null ? new EvidenceRing() : new EvidenceRing(budget);
            clientSeq[i] = i * 7919;
            serverSeq[i] = i * 104729;
            f.flags = Frame.SYN;
            f.seq = clientSeq[i]++;
            f.payloadLength = 0;
            rings[i].packet(f, Analysis.FROM_CLIENT, now);
            f.flags = Frame.SYN | Frame.ACK;
            f.seq = serverSeq[i]++;
            f.ack = clientSeq[i];
            rings[i].packet(f, 0, now);
        }
        long sum = 0;
        for (int n = 0; n < packets; n++) {
            int i = n % FLOWS;
            int step = (n / FLOWS) & 3;
            boolean bulk = i % 8 == 0;
            boolean fromClient = !bulk && (step == 0 || step == 3);
            int payload = bulk ? 1448 : step == 0 ? 200 : step == 1 ? 1400 : 0;
            now += GAP;
            f.flags = Frame.ACK | (payload > 0 ? Frame.PSH : 0);
            f.window = 65535;
            f.payloadLength = payload;
            if (fromClient) {
                f.seq = clientSeq[i];
                f.ack = serverSeq[i];
                clientSeq[i] += payload;
            } else {
                f.seq = serverSeq[i];
                f.ack = clientSeq[i];
                serverSeq[i] += payload;
            }
            sum += rings[i].packet(f, fromClient ? Analysis.FROM_CLIENT : 0, now);
        }
        for (EvidenceRing t : rings) {
            sum += t.written;
            t.release();
        }
        return sum;
    }
}
