package io.wiretrace.analysis.tcp;

/**
 * What the analysis found on one packet: a bitmask that {@link FlowTable#packet} returns. The
 * first fifteen are Wireshark's {@code tcp.analysis.*} findings and are set exactly where tshark
 * sets them; like Wireshark's, the three retransmission kinds exclude each other, and tshark's
 * {@code tcp.analysis.retransmission} field is on all three ({@link #isRetransmission}).
 */
public final class Analysis {
    public static final int RETRANSMISSION = 1;
    public static final int FAST_RETRANSMISSION = 1 << 1;
    public static final int SPURIOUS_RETRANSMISSION = 1 << 2;
    public static final int OUT_OF_ORDER = 1 << 3;
    public static final int DUPLICATE_ACK = 1 << 4;
    public static final int ZERO_WINDOW = 1 << 5;
    public static final int ZERO_WINDOW_PROBE = 1 << 6;
    public static final int ZERO_WINDOW_PROBE_ACK = 1 << 7;
    public static final int WINDOW_FULL = 1 << 8;
    public static final int WINDOW_UPDATE = 1 << 9;
    public static final int KEEP_ALIVE = 1 << 10;
    public static final int KEEP_ALIVE_ACK = 1 << 11;
    /** Wireshark's "previous segment not captured". */
    public static final int LOST_SEGMENT = 1 << 12;
    /** Wireshark's "ACKed segment that wasn't captured". */
    public static final int ACKED_UNSEEN = 1 << 13;
    /** A SYN with a new sequence number on a known 4-tuple: a new connection on reused ports. */
    public static final int REUSED_PORTS = 1 << 14;

    /** Not findings: this packet carried an RTT sample; it came from the client; it opened a flow. */
    public static final int RTT_SAMPLE = 1 << 16;
    public static final int FROM_CLIENT = 1 << 17;
    public static final int NEW_FLOW = 1 << 18;

    /** Returned for a packet that is not a whole TCP segment: nothing was looked at. */
    public static final int NOT_TCP = -1;

    private static final String[] NAMES = {
        "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
        "duplicate_ack", "zero_window", "zero_window_probe", "zero_window_probe_ack", "window_full",
        "window_update", "keep_alive", "keep_alive_ack", "lost_segment", "ack_lost_segment",
        "reused_ports", null, "rtt_sample", "from_client", "new_flow"};

    private Analysis() {
    }

    /** True where tshark shows {@code tcp.analysis.retransmission}. */
    public static boolean isRetransmission(int flags) {
        return flags != NOT_TCP && (flags & (RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION)) != 0;
    }

    /** The findings by the names of tshark's fields, without the {@code tcp.analysis.} prefix. */
    public static String names(int flags) {
        if (flags == NOT_TCP) {
            return "not_tcp";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & (1 << i)) != 0 && NAMES[i] != null) {
                b.append(b.length() == 0 ? "" : ",").append(NAMES[i]);
            }
        }
        return b.toString();
    }
}
