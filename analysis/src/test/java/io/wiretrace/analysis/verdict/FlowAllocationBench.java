package io.wiretrace.analysis.verdict;

import io.wiretrace.analysis.tcp.Analysis;
import io.wiretrace.analysis.tcp.Frame;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;

/**
 * Bytes a connection's evidence allocates in the live correlation's steady state, when
 * connections come and go: {@code FlowAllocationBench [FLOWS] [KEPT]}. Each flow carries 100
 * exchanges (a turn each way, 1 ms apart) into a ring with byte times under one {@link Budget};
 * the last {@code KEPT} flows stay (350: 35 new connections a second, each kept 10 s after it
 * closed, as the flow table's linger time keeps them), older ones are released and forgotten as
 * the table lets them go. Counted over the second half of the flows (the thread's allocated bytes),
 * per flow. What a flow allocates that lives that long is copied by the young collections it
 * outlives, then promoted.
 *
 * <pre>java -cp analysis/target/classes:analysis/target/test-classes io.wiretrace.analysis.verdict.FlowAllocationBench</pre>
 */
public final class FlowAllocationBench {
    private FlowAllocationBench() {
    }

    public static void main(String[] args) {
        int flows = args.length > 0 ? Integer.parseInt(args[0]) : 6_000;
        int kept = args.length > 1 ? Integer.parseInt(args[1]) : 350;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        Budget budget = new Budget();
        ArrayDeque<EvidenceRing> lingering = new ArrayDeque<>();
        Frame f = new Frame();
        f.flags = Frame.ACK | Frame.PSH;
        f.payloadLength = 100;
        f.window = 65_535;
        long t = 1_000_000_000L;
        long from = 0;
        for (int k = 0; k < flows; k++) {
            if (k == flows / 2) {
                from = mx.getThreadAllocatedBytes(self);
            }
            EvidenceRing r = new EvidenceRing(budget);
            r.keepAll();
            for (int i = 0; i < 100; i++) {
                f.seq = 1 + 100 * i;
                r.packet(f, Analysis.FROM_CLIENT, t += 1_000_000);
                f.seq = 50_001 + 100 * i;
                r.packet(f, 0, t += 1_000_000);
            }
            lingering.add(r);
            if (lingering.size() > kept) {
                EvidenceRing gone = lingering.poll();
                gone.release();
                gone.forget();
            }
        }
        long bytes = mx.getThreadAllocatedBytes(self) - from;
        System.out.printf("%.1f KB allocated a flow of 100 exchanges (%d flows, the last %d kept; %.1f MiB spare arrays)%n",
                bytes / (flows - flows / 2) / 1024.0, flows, kept, budget.spareBytes() / 1048576.0);
    }
}
