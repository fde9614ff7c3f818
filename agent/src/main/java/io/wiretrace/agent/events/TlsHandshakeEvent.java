package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

/**
 * One TLS handshake on an SSLSocket or SSLEngine. Committed by the agent's correlator thread
 * (it names the connection the socket calls registered), so {@link #handshakeStart} places it
 * in time.
 */
@Name("wiretrace.TlsHandshake")
@Label("TLS Handshake")
@Description("A TLS handshake on an SSLSocket or SSLEngine: how long it took, and what it agreed on.")
@Category({"Wiretrace", "TLS"})
@StackTrace(false)
public final class TlsHandshakeEvent extends ConnectionEvent {
    @Label("Peer Host")
    @Description("The host name the socket was made for, if any.")
    public String peerHost;

    @Label("Protocol")
    @Description("The protocol version agreed on, e.g. TLSv1.3.")
    public String protocol;

    @Label("Cipher Suite")
    @Description("The cipher suite agreed on.")
    public String cipherSuite;

    @Label("Handshake Thread")
    @Description("The app thread that ran the handshake.")
    public String handshakeThread;

    @Label("Handshake Start")
    @Description("When the handshake began (wall clock).")
    @Timestamp(Timestamp.MILLISECONDS_SINCE_EPOCH)
    public long handshakeStart;

    @Label("Handshake Duration")
    @Description("How long the handshake took.")
    @Timespan(Timespan.NANOSECONDS)
    public long handshakeDuration;

    @Label("Failure")
    @Description("The exception the handshake ended with, if any.")
    public String failure;
}
