package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

/**
 * A socket call or HTTP exchange that was slower than the slow-call threshold, or failed, and
 * why: the verdict the packets and the socket calls support together. It is decided once the
 * call's packets have been analysed, so it is committed after the call, on the agent's thread;
 * {@link #callStart} and {@link #callDuration} place the call itself.
 */
@Name("wiretrace.SlowCall")
@Label("Slow Call")
@Description("A socket call, HTTP exchange or database query slower than the threshold, or failed, with the verdict its packets support.")
@Category({"Wiretrace", "Diagnosis"})
@StackTrace(false)
public final class SlowCallEvent extends ConnectionEvent {
    @Label("Call")
    @Description("connect, read, write, http (an HTTP exchange), query (a database round trip), tls or dns.")
    public String call;

    @Label("Verdict")
    @Description("SERVER_THINK, NETWORK_LOSS, CONNECT_RETRY, CONNECT_REFUSED, CONNECT_TIMEOUT, PEER_RESET, "
            + "RECEIVER_STALLED, APP_READ_LATE, DNS_SLOW, TLS_HANDSHAKE_SLOW, APP_CPU, APP_LOCK, APP_GC, APP_WAIT or UNKNOWN.")
    public String verdict;

    @Label("Evidence")
    @Description("The facts behind the verdict, with their numbers, in one sentence.")
    public String evidence;

    @Label("Call Thread")
    @Description("The app thread that made the call.")
    public String callThread;

    @Label("Call Thread Id")
    @Description("The Java thread id of that thread (a virtual thread's too, whose name is often empty); 0 if not known.")
    public long callThreadId;

    @Label("Own Thread")
    @Description("The call's thread worked for it alone from its start to its end (an incoming request read and answered"
            + " on one thread, its time not spent in calls made for it): only such a call is looked at inside the app.")
    public boolean ownThread;

    @Label("Call Start")
    @Description("When the call began (wall clock).")
    @Timestamp(Timestamp.MILLISECONDS_SINCE_EPOCH)
    public long callStart;

    @Label("Call Duration")
    @Description("How long the call took; for an HTTP exchange, from its start to the response's last byte.")
    @Timespan(Timespan.NANOSECONDS)
    public long callDuration;

    @Label("Explained Time")
    @Description("The part of the call's duration that the verdict accounts for.")
    @Timespan(Timespan.NANOSECONDS)
    public long explained;

    @Label("Failure")
    @Description("The exception the call ended with, if any.")
    public String failure;

    @Label("Request")
    @Description("For an HTTP exchange: the method and the path (query redacted); for a database query: the statement, normalised.")
    public String request;

    @Label("Retransmissions")
    @Description("TCP retransmissions on the connection during the call, both directions.")
    public int retransmissions;

    @Label("Evidence Frames")
    @Description("Capture timestamps (ns since the epoch) of the packets that are the verdict's evidence, comma separated.")
    public String evidenceFrames;

    @Label("Seen In Packets Only")
    @Description("The call was made up from the packets alone, on a TCP connection of this JVM's that no instrumented"
            + " socket call made (a native transport such as Netty's epoll): it has no thread and no connection id.")
    public boolean packetsOnly;

    @Label("Join")
    @Description("How the call was put on its packets: \"bytes\" (each byte it moved found in the packet that carried it),"
            + " \"time\" (the packets of its time window, within the clock's error), or empty (no packets were needed).")
    public String join;
}
