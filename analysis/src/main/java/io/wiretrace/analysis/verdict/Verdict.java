package io.wiretrace.analysis.verdict;

/**
 * Why a slow or failed call took its time; src/docs/verdicts.md has the rules. The names are an
 * interface: they are the {@code verdict} field of {@code wiretrace.SlowCall}, the packet
 * comments and the report's keys.
 */
public enum Verdict {
    SERVER_THINK("The request had left and the peer took its time to answer: look at the server (or the upstream it called)."),
    NETWORK_LOSS("Segments were lost and retransmitted; the waiting for the retransmission timer took the time."),
    CONNECT_RETRY("The SYN went unanswered and was sent again: a full backlog, a firewall, or loss on the way."),
    CONNECT_REFUSED("The peer answered the SYN with a reset: nothing listens on that port."),
    CONNECT_TIMEOUT("No SYN was ever answered: the host is down, unreachable, or a firewall drops the packets."),
    PEER_RESET("The peer reset the connection before the call completed."),
    RECEIVER_STALLED("A receiver's window was shut (zero window): that side did not read what it was sent."),
    APP_READ_LATE("The data was in the kernel, but the app read it late: a busy pool, a GC or a safepoint pause, a lock."),
    DNS_SLOW("Resolving the host name took the time."),
    TLS_HANDSHAKE_SLOW("The TLS handshake took the time (key exchange, certificate checks, or a slow peer)."),
    APP_CPU("The network was not the cause: the thread was running; the evidence names its hottest frames."),
    APP_LOCK("The network was not the cause: the thread waited to enter a monitor or to take a java.util.concurrent lock."),
    APP_GC("The network was not the cause: GC pauses or safepoints stopped the JVM."),
    APP_WAIT("The network was not the cause: the thread slept, parked or waited; the evidence says where."),
    UNKNOWN("No single cause accounts for half of the time; the evidence lists what was measured.");

    private final String meaning;

    Verdict(String meaning) {
        this.meaning = meaning;
    }

    /** What the verdict means, in the words the report shows next to it. */
    public String meaning() {
        return meaning;
    }

    /** The verdict named {@code name}, or null if there is none (a recording of another version). */
    public static Verdict named(String name) {
        for (Verdict v : values()) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        return null;
    }
}
