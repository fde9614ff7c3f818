package io.wiretrace.cli.report;

/** What each verdict means, in the words the report shows next to it (src/docs/verdicts.md has the rules). */
final class Verdict {
    private Verdict() {
    }

    static String meaning(String verdict) {
        switch (verdict) {
            case "SERVER_THINK":
                return "The request had left and the peer took its time to answer: look at the server (or the upstream it called).";
            case "NETWORK_LOSS":
                return "Segments were lost and retransmitted; the waiting for the retransmission timer took the time.";
            case "CONNECT_RETRY":
                return "The SYN went unanswered and was sent again: a full backlog, a firewall, or loss on the way.";
            case "CONNECT_REFUSED":
                return "The peer answered the SYN with a reset: nothing listens on that port.";
            case "CONNECT_TIMEOUT":
                return "No SYN was ever answered: the host is down, unreachable, or a firewall drops the packets.";
            case "PEER_RESET":
                return "The peer reset the connection before the call completed.";
            case "RECEIVER_STALLED":
                return "A receiver's window was shut (zero window): that side did not read what it was sent.";
            case "APP_READ_LATE":
                return "The data was in the kernel, but the app read it late: a busy pool, a GC or a safepoint pause, a lock.";
            case "DNS_SLOW":
                return "Resolving the host name took the time.";
            case "TLS_HANDSHAKE_SLOW":
                return "The TLS handshake took the time (key exchange, certificate checks, or a slow peer).";
            default:
                return "No single cause accounts for half of the time; the evidence lists what was measured.";
        }
    }
}
