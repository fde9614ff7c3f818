package io.wiretrace.analysis.tcp;

import io.wiretrace.analysis.pcap.CaptureFile;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The same capture through tshark (the reference) and through {@link FlowTable}, packet by
 * packet: the {@link Analysis} findings of each frame, its RTT sample and the handshake RTT.
 * {@code main FILE} prints where the two differ.
 */
final class Oracle {
    /** tshark's fields, in the order of the {@link Analysis} bits. */
    static final String[] FIELDS = {
        "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
        "tcp.analysis.out_of_order", "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window",
        "tcp.analysis.zero_window_probe", "tcp.analysis.zero_window_probe_ack", "tcp.analysis.window_full",
        "tcp.analysis.window_update", "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack",
        "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment", "tcp.analysis.reused_ports"};
    static final int FINDINGS = (1 << FIELDS.length) - 1;

    /** One TCP frame: its sender as "addr:port", its findings, its ack_rtt and initial_rtt (-1: none). */
    static final class Row {
        final int frame;
        final String from;
        final String to;
        final int flags;
        final long rtt;
        final long initialRtt;
        final int length;

        Row(int frame, String from, String to, int flags, long rtt, long initialRtt, int length) {
            this.frame = frame;
            this.from = from;
            this.to = to;
            this.flags = flags;
            this.rtt = rtt;
            this.initialRtt = initialRtt;
            this.length = length;
        }

        @Override
        public String toString() {
            return "#" + frame + " " + from + " > " + to + " [" + Analysis.names(flags) + "]"
                    + (rtt >= 0 ? " rtt=" + rtt : "") + (initialRtt >= 0 ? " irtt=" + initialRtt : "");
        }
    }

    private Oracle() {
    }

    static List<Row> tshark(Path file) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-Y", "tcp",
                "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "ip.src", "-e", "ipv6.src",
                "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
                "-e", "tcp.analysis.ack_rtt", "-e", "tcp.analysis.initial_rtt", "-e", "tcp.len"));
        for (String f : FIELDS) {
            cmd.add("-e");
            cmd.add(f);
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("tshark failed on " + file + ": exit " + p.exitValue());
        }
        List<Row> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] c = line.split("\\|", -1);
            int flags = 0;
            for (int i = 0; i < FIELDS.length; i++) {
                if (!c[10 + i].isEmpty()) {
                    flags |= 1 << i;
                }
            }
            // tshark shows tcp.analysis.retransmission on fast and spurious ones as well
            if ((flags & (Analysis.FAST_RETRANSMISSION | Analysis.SPURIOUS_RETRANSMISSION)) != 0) {
                flags &= ~Analysis.RETRANSMISSION;
            }
            String src = c[1].isEmpty() ? c[2] : c[1];
            String dst = c[4].isEmpty() ? c[5] : c[4];
            rows.add(new Row(Integer.parseInt(c[0]), src + ":" + c[3], dst + ":" + c[6], flags, nanos(c[7]), nanos(c[8]),
                    Integer.parseInt(c[9])));
        }
        return rows;
    }

    private static long nanos(String seconds) {
        return seconds.isEmpty() ? -1 : new BigDecimal(seconds).movePointRight(9).longValueExact();
    }

    /** What {@link FlowTable} says of the same frames; the flows that left the table go to {@code flows}. */
    static List<Row> ours(Path file, List<Flow> flows) throws IOException {
        List<Row> rows = new ArrayList<>();
        FlowTable table = new FlowTable(1000, FlowTable.DEFAULT_IDLE_NANOS, FlowTable.DEFAULT_LINGER_NANOS, flows::add);
        int[] frame = {0};
        CaptureFile.read(file, (iface, linkType, nanos, buf, off, cap, orig) -> {
            frame[0]++;
            int found = table.packet(linkType, buf, off, cap, orig, nanos);
            if (found != Analysis.NOT_TCP) {
                Frame f = table.frame();
                Flow flow = table.lastFlow();
                rows.add(new Row(frame[0], endpoint(f.srcLo) + ":" + f.srcPort, endpoint(f.dstLo) + ":" + f.dstPort,
                        found, table.lastRttNanos(), flow.handshakeRttNanos(), f.payloadLength));
            }
        });
        table.flush();
        return rows;
    }

    private static String endpoint(long v4) {
        return ((v4 >>> 24) & 0xFF) + "." + ((v4 >>> 16) & 0xFF) + "." + ((v4 >>> 8) & 0xFF) + "." + (v4 & 0xFF);
    }

    /** Per sender ("addr:port"): how many frames had each finding, as int[15]. */
    static Map<String, int[]> countsBySender(List<Row> rows) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (Row r : rows) {
            int[] c = m.computeIfAbsent(r.from + " > " + r.to, k -> new int[FIELDS.length]);
            for (int i = 0; i < FIELDS.length; i++) {
                if ((r.flags & (1 << i)) != 0) {
                    c[i]++;
                }
            }
        }
        return m;
    }

    /**
     * The frames whose findings (masked), RTT sample, payload length or initial RTT differ; at
     * most {@code max}. (tshark shows the initial RTT on most frames after the handshake, not on
     * all: it is compared where tshark shows it.)
     */
    static List<String> differences(List<Row> theirs, List<Row> ours, int mask, int max) {
        List<String> d = new ArrayList<>();
        int n = Math.max(theirs.size(), ours.size());
        for (int i = 0; i < n && d.size() < max; i++) {
            Row t = i < theirs.size() ? theirs.get(i) : null;
            Row o = i < ours.size() ? ours.get(i) : null;
            if (t == null || o == null || t.frame != o.frame || (t.flags & mask) != (o.flags & mask)
                    || t.rtt != o.rtt || t.length != o.length
                    || (t.initialRtt >= 0 && t.initialRtt != o.initialRtt)) {
                d.add("tshark " + t + "\n  ours " + o);
            }
        }
        return d;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        List<Flow> flows = new ArrayList<>();
        List<Row> theirs = tshark(file);
        List<Row> ours = ours(file, flows);
        System.out.println("frames: tshark " + theirs.size() + ", ours " + ours.size());
        for (String d : differences(theirs, ours, FINDINGS, 40)) {
            System.out.println(d);
        }
        Map<String, int[]> t = countsBySender(theirs);
        Map<String, int[]> o = countsBySender(ours);
        for (String k : t.keySet()) {
            System.out.println(k + "\n  tshark " + Arrays.toString(t.get(k)) + "\n  ours   " + Arrays.toString(o.get(k)));
        }
    }
}
