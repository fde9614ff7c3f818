package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The packets of one of the app's TCP connections, summarised when the connection leaves the
 * flow table (closed and quiet, idle, or at stop). "Out" is what the app's side sent, "in" what
 * the peer sent. The counts follow Wireshark's {@code tcp.analysis.*} rules.
 */
@Name("wiretrace.TcpConnection")
@Label("TCP Connection")
@Description("A summary of the packets of one of the app's TCP connections, when it has ended.")
@Category({"Wiretrace", "TCP"})
@StackTrace(false)
public final class TcpConnectionEvent extends ConnectionEvent {
    @Label("HTTP Exchanges")
    @Description("HTTP exchanges begun on the connection while wiretrace watched it (HTTP/1.x requests, HTTP/2 streams),"
            + " recorded or not; 0 for other protocols.")
    public int exchanges;

    @Label("Role")
    @Description("client: the app connected; server: the app accepted.")
    public String role;

    @Label("Application")
    @Description("What its bytes showed it carries: http/1.1, h2 (HTTP/2), tls, tls+http/1.1, tls+h2, postgresql, mysql, redis; "
            + "h2 (not read: opened before the capture) for HTTP/2 whose start was not seen; empty if not known.")
    public String application;

    @Label("Ended")
    @Description("Why the summary was made: closed, idle, reused, bound (the table was full) or flushed (the capture stopped).")
    public String ended;

    @Label("Handshake RTT")
    @Description("SYN to the ACK of the SYN-ACK, as seen at this host; 0 if the handshake was not captured.")
    @Timespan(Timespan.NANOSECONDS)
    public long handshakeRtt;

    @Label("RTT Samples")
    @Description("How many of the app side's segments were timed to the peer's ACK that covered them.")
    public int rttSamples;

    @Label("RTT Min")
    @Description("The shortest RTT sample; 0 if there were none.")
    @Timespan(Timespan.NANOSECONDS)
    public long rttMin;

    @Label("RTT Avg")
    @Description("The mean of the RTT samples; -1 ns if there were none.")
    @Timespan(Timespan.NANOSECONDS)
    public long rttAvg;

    @Label("RTT Max")
    @Description("The longest RTT sample; -1 ns if there were none.")
    @Timespan(Timespan.NANOSECONDS)
    public long rttMax;

    @Label("Packets Out")
    @Description("Packets the app's side sent.")
    public long packetsOut;

    @Label("Packets In")
    @Description("Packets the peer sent.")
    public long packetsIn;

    @Label("Bytes Out")
    @Description("TCP payload the app's side sent, retransmissions included.")
    @DataAmount
    public long bytesOut;

    @Label("Bytes In")
    @Description("TCP payload the peer sent, retransmissions included.")
    @DataAmount
    public long bytesIn;

    @Label("Retransmissions Out")
    @Description("Retransmissions (all kinds, SYNs included) the app's side sent.")
    public int retransmissionsOut;

    @Label("Retransmissions In")
    @Description("Retransmissions (all kinds, SYNs included) the peer sent.")
    public int retransmissionsIn;

    @Label("Fast Retransmissions")
    @Description("Fast retransmissions, both directions.")
    public int fastRetransmissions;

    @Label("SYN Retransmissions")
    @Description("Retransmitted SYN and SYN-ACK segments, both directions.")
    public int synRetransmissions;

    @Label("Duplicate ACKs")
    @Description("Duplicate ACKs, both directions.")
    public int duplicateAcks;

    @Label("Zero Windows Out")
    @Description("Zero-window advertisements the app's side sent: the app did not read.")
    public int zeroWindowsOut;

    @Label("Zero Windows In")
    @Description("Zero-window advertisements the peer sent: the peer did not read.")
    public int zeroWindowsIn;

    @Label("Window Full")
    @Description("Segments that filled the receiver's window, both directions.")
    public int windowFull;

    @Label("Out of Order")
    @Description("Segments that arrived out of order, both directions.")
    public int outOfOrder;

    @Label("Resets Out")
    @Description("RST segments the app's side sent.")
    public int resetsOut;

    @Label("Resets In")
    @Description("RST segments the peer sent.")
    public int resetsIn;

    @Label("FINs Out")
    @Description("FIN segments the app's side sent.")
    public int finsOut;

    @Label("FINs In")
    @Description("FIN segments the peer sent.")
    public int finsIn;

    @Label("Lifetime")
    @Description("From the first to the last captured packet.")
    @Timespan(Timespan.NANOSECONDS)
    public long lifetime;
}
