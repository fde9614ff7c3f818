package io.wiretrace.agent.correlate;

import io.wiretrace.agent.app.Conn;
import io.wiretrace.agent.app.HttpExchanges;
import io.wiretrace.analysis.offline.Exchanges;
import io.wiretrace.analysis.pcap.PacketComments;
import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.verdict.EvidenceRing;

/**
 * What the correlation keeps about one flow: its evidence ring, the app's connection at each
 * end once joined, and the comment its packets carry. All on the correlator's lock.
 */
final class Track extends EvidenceRing {
    /** The app's connection at the flow's client end, and at its server end (both: the app talks to itself). */
    Conn client;
    Conn server;
    long nextJoinTry;
    /** When a request to the app's server end arrived (its first bytes, a turn), until the app is seen reading it; 0: none. */
    long arrival;
    /**
     * When a request's first bytes came while the flow's server end was not joined (0: none): once
     * joined to the app's server end, its arrival. An app that accepts late registers the
     * connection only then.
     */
    long unjoinedArrival;
    /** The client's next turn after that arrival, before the app was seen reading it (0: none). */
    long nextTurn;
    long joinBackoff;
    /** For a flow no instrumented call joined: the calls its packets show, and which end is the JVM's (0: not known). */
    Exchanges calls;
    int own;
    /** A connect that got no connection: an instrumented call explained it (its packets-only verdict is not needed). */
    boolean claimed;
    /** When the JVM's socket of a failed connect was first found gone (ns since the epoch), or 0. */
    long gone;
    Flow flow;
    // the last comment made for each end (the app may hold both), and what it was made for
    private final byte[][] comment = new byte[2][];
    private final Conn[] commentConn = new Conn[2];
    private final Object[] commentFor = new Object[2];
    private final String[] commentApp = new String[2];

    /**
     * The comment for a packet of the app's connection {@code c} (see {@link PacketComments}):
     * the exchange on it when the packet was read (the capture reads packets a little after they
     * pass), else the thread that opened it. Made again only when that changes.
     */
    byte[] comment(Conn c) {
        int end = c == server ? 1 : 0;
        Conn p = c.plain;
        // the protocol first: the app writes it (volatile) after the exchange's fields, so a
        // connection known to carry HTTP/1.1 shows its exchange here
        String app = p != null ? p.application : c.application; // constants: compared by reference
        Object exchange = HttpExchanges.current(p != null ? p : c);
        if (c == commentConn[end] && exchange == commentFor[end] && app == commentApp[end] && comment[end] != null) {
            return comment[end];
        }
        String what = HttpExchanges.describe(exchange);
        String apps = c.applications();
        comment[end] = PacketComments.connection(c.id, what != null ? what : c.thread + (apps != null ? " · " + apps : ""))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        commentConn[end] = c;
        commentFor[end] = exchange;
        commentApp[end] = app;
        return comment[end];
    }

    Track(io.wiretrace.analysis.verdict.Budget budget) {
        super(budget);
    }

    boolean joined() {
        return client != null || server != null;
    }
}
