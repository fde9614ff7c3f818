package io.wiretrace.analysis.verdict;

/** A verdict on one call, with its numbers: how much of the call it explains, and the evidence. */
public final class Explanation {
    public Verdict verdict = Verdict.UNKNOWN;
    public long explained;
    public String evidence = "";
    public int retransmissions;
    public final StringBuilder frames = new StringBuilder();
    /** The evidence packets' times, for their comments; the first {@link #count}. */
    public final long[] times = new long[8];
    public int count;
    /**
     * How the call was put on its packets: {@link #BYTES} (each byte it moved to the packet that
     * carried it), {@link #TIME} (the packets of its time window), or null (no packets were needed).
     */
    public String join;
    public static final String BYTES = "bytes";
    public static final String TIME = "time";

    public Explanation frame(long nanos) {
        if (frames.length() < 400) {
            frames.append(frames.length() == 0 ? "" : ",").append(nanos);
        }
        if (count < times.length) {
            times[count++] = nanos;
        }
        return this;
    }

    public Explanation set(Verdict verdict, long explained, String evidence) {
        this.verdict = verdict;
        this.explained = Math.max(0, explained);
        this.evidence = evidence;
        return this;
    }
}
