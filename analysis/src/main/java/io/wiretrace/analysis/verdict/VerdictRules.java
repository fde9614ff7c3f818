package io.wiretrace.analysis.verdict;

import static io.wiretrace.analysis.verdict.Verdict.*;

import java.util.Locale;

/**
 * Why a slow or failed call took its time, from its own timings and its connection's packets.
 * The rules are in src/docs/verdicts.md; each is a share of the call's time that one cause
 * accounts for, and a cause is named only when it accounts for at least half of the call.
 * Otherwise the verdict is UNKNOWN, with the shares that were measured. All times are
 * nanoseconds since the epoch, the packets' clock.
 */
public final class VerdictRules {

    /** What a call's window of the ring holds. */
    private static final class Window {
        int synsOut;
        long firstSyn;
        long lastSyn;
        long synAck;
        long peerReset;
        long localReset;
        long peerTurn; // the first data from the peer after a turn
        long peerTurnAfter; // the app side's last data before that turn (0: none)
        long lossNanos;
        int retransmissions;
        long firstRetransmission;
        int zeroWindowsIn;
        int zeroWindowsOut;
        long shutIn; // how long the peer's window was shut, within the window
        long shutOut;
        long firstZeroIn;
        long firstZeroOut;
        int windowFull;
    }

    private VerdictRules() {
    }

    /**
     * @param s      the call's start
     * @param e      its end
     * @param localIsClient whether the call's end of the connection is the flow's client
     * @param margin how far packets may sit outside the call's window and still belong to it
     *               (the clock join's error bound)
     */
    public static Explanation explain(Call c, long s, long e, long[] http, EvidenceRing t, boolean localIsClient, long margin) {
        Explanation v = new Explanation();
        long dur = e - s;
        if (c.kind == Call.DNS) {
            return v.set(DNS_SLOW, dur, "resolving " + c.remoteAddress + " took " + ms(dur)
                    + (c.failure != null ? " and failed" : ""));
        }
        if (t == null) {
            return v.set(UNKNOWN, 0, "no packet of this connection was captured (check the interface and the filter)");
        }
        if (c.queued) {
            v.frame(c.arrival);
            return v.set(APP_READ_LATE, dur, "the request's first bytes were in the kernel " + ms(dur)
                    + " before the app began reading it (a busy pool, a pause, accepts behind)");
        }
        Window w = scan(t, localIsClient, s - margin, e + margin);
        v.retransmissions = w.retransmissions;
        if (t.lostBefore(s)) {
            v.evidence = " (the oldest packets of the call are no longer kept)";
        }
        if (c.kind == Call.CONNECT) {
            return connect(c, v, w, dur);
        }
        boolean failed = c.failure != null || (c.exchange() && c.status == 0);
        if (failed && w.peerReset != 0) {
            v.frame(w.peerReset);
            return v.set(PEER_RESET, dur, "the peer reset the connection " + ms(w.peerReset - s) + " into the "
                    + (c.kind == Call.HTTP ? "exchange" : c.kindName()) + (c.exchange() ? ", before a complete response" : ""));
        }
        if (w.lossNanos * 2 >= dur) {
            return loss(v, w, dur);
        }
        switch (c.kind) {
            case Call.TLS:
                return tls(c, v, w, s, dur);
            case Call.HTTP:
            case Call.QUERY:
                if (c.multiplexed) {
                    return stream(c, v, w, t, localIsClient, s, e, http, margin);
                }
                return c.incoming ? incoming(c, v, w, s, e, http) : outgoing(c, v, w, t, localIsClient, s, e, http, margin);
            case Call.WRITE:
                return write(c, v, w, s, e);
            default:
                return read(c, v, w, t, localIsClient, s, e, margin);
        }
    }

    /**
     * The verdict on a call when no packets were captured at all (the app may not capture): only
     * what the app's own timings show by themselves is named — a slow lookup, a slow TLS handshake
     * (loss during it cannot be ruled out) — and every other call is UNKNOWN, its evidence the
     * times the app measured. The peer's think time, loss, a late read and a reset need packets,
     * so they are never claimed. (An incoming request whose thread waited on its own slow calls
     * takes their verdict as with packets: that link is the app's timing too.)
     */
    public static Explanation withoutPackets(Call c, long s, long e, long[] http) {
        Explanation v = new Explanation();
        long dur = e - s;
        String failed = c.failure != null ? ", and failed (" + c.failure + ")" : "";
        switch (c.kind) {
            case Call.DNS:
                return explain(c, s, e, http, null, true, 0);
            case Call.TLS:
                return v.set(TLS_HANDSHAKE_SLOW, dur, "the TLS handshake took " + ms(dur) + failed
                        + " (packets were off: loss during it is not ruled out)");
            case Call.HTTP:
            case Call.QUERY:
                if (c.multiplexed && c.windowWait * 2 >= dur) {
                    return windowWait(c, v, dur);
                }
                if (c.incoming) {
                    return v.set(UNKNOWN, 0, "the app " + (http[1] != 0 ? "began its response " + ms(http[1] - s)
                            + " after it read the request" : "wrote no response") + " of the " + ms(dur)
                            + partWindowWait(c, dur) + NO_PACKETS);
                }
                long sent = http[0] != 0 ? http[0] : s;
                return v.set(UNKNOWN, 0, "request sent " + ms(sent - s) + " into the exchange, "
                        + (http[1] != 0 ? "the response's first byte read " + ms(http[1] - sent) + " later"
                                : "no response read") + ", exchange " + ms(dur) + failed + partWindowWait(c, dur) + NO_PACKETS);
            default:
                return v.set(UNKNOWN, 0, "the " + c.kindName() + " took " + ms(dur) + failed + NO_PACKETS);
        }
    }

    private static final String NO_PACKETS = "; packets were off, and without them the peer, the network and the"
            + " app's own reading cannot be told apart";

    private static Explanation connect(Call c, Explanation v, Window w, long dur) {
        if (w.synsOut == 0) {
            return v.set(UNKNOWN, 0, "no SYN of this connect was captured (check the interface and the filter)");
        }
        String syns = w.synsOut == 1 ? "one SYN" : w.synsOut + " SYNs";
        if (c.failure != null) {
            if (w.peerReset != 0) {
                v.frame(w.firstSyn).frame(w.peerReset);
                return v.set(CONNECT_REFUSED, dur, "the peer answered " + syns + " with a reset "
                        + ms(w.peerReset - w.firstSyn) + " after the first");
            }
            if (w.synAck == 0) {
                v.frame(w.firstSyn).frame(w.lastSyn);
                return v.set(CONNECT_TIMEOUT, dur, syns + " sent over " + ms(w.lastSyn - w.firstSyn)
                        + ", none answered; the connect gave up after " + ms(dur));
            }
            return v.set(UNKNOWN, 0, "the SYN-ACK came " + ms(w.synAck - w.firstSyn)
                    + " after the first SYN, yet the connect failed");
        }
        if (w.synsOut > 1) {
            v.frame(w.firstSyn).frame(w.lastSyn);
            if (w.synAck != 0) {
                v.frame(w.synAck);
            }
            return v.set(CONNECT_RETRY, w.lastSyn - w.firstSyn, "the SYN was sent " + w.synsOut
                    + " times; the retries waited " + ms(w.lastSyn - w.firstSyn)
                    + (w.synAck != 0 ? ", the SYN-ACK came " + ms(w.synAck - w.lastSyn) + " after the last" : ""));
        }
        return v.set(UNKNOWN, 0, "one SYN" + (w.synAck != 0 ? ", answered after " + ms(w.synAck - w.firstSyn) : "")
                + ", no retransmission");
    }

    /** A handshake is its own cause, unless loss accounts for it; the evidence says where its time went. */
    private static Explanation tls(Call c, Explanation v, Window w, long s, long dur) {
        String answer = "";
        if (w.peerTurn != 0) {
            v.frame(w.peerTurn);
            long sent = w.peerTurnAfter != 0 ? w.peerTurnAfter : s;
            answer = "; the server's first handshake bytes arrived " + ms(w.peerTurn - sent) + " after the app's";
        }
        return v.set(TLS_HANDSHAKE_SLOW, dur, "the TLS handshake took " + ms(dur) + answer
                + (c.failure != null ? ", and failed" : "") + v.evidence);
    }

    private static Explanation read(Call c, Explanation v, Window w, EvidenceRing t, boolean localIsClient, long s,
            long e, long margin) {
        long dur = e - s;
        ByteTimes in = t.in(localIsClient);
        long answer = at(in, c.inByte);
        long last = at(in, c.inLast);
        if (answer != 0 && last != 0 && last <= e + margin) {
            return readByBytes(v, s, e, answer, at(t.out(localIsClient), c.outByte), c.inByte);
        }
        String time = byTime(c, v, answer != 0 && last != 0 ? "its bytes' offsets disagreed with the packets"
                : c.inByte >= 0 ? "the bytes it returned were not captured" : null, margin);
        if (w.peerTurn == 0) {
            return v.set(UNKNOWN, 0, "no data from the peer was captured during the read" + v.evidence + time);
        }
        v.frame(w.peerTurn);
        long late = e - w.peerTurn;
        if (late * 2 >= dur) {
            return v.set(APP_READ_LATE, late, "the data was in the kernel " + ms(w.peerTurn - s)
                    + " into the read, which returned " + ms(late) + " later" + v.evidence + time);
        }
        if (w.peerTurnAfter != 0) {
            long think = w.peerTurn - Math.max(w.peerTurnAfter, s);
            v.frame(w.peerTurnAfter);
            if (think * 2 >= dur) {
                return v.set(SERVER_THINK, think, "the app's last bytes left at " + ms(w.peerTurnAfter - s)
                        + " and the peer's answer arrived " + ms(w.peerTurn - w.peerTurnAfter) + " later" + v.evidence
                        + time);
            }
        }
        return v.set(UNKNOWN, 0, "the peer's data arrived " + ms(w.peerTurn - s) + " into the read" + v.evidence + time);
    }

    /**
     * A read whose bytes were each found in the packets that carried them: {@code answer} is when
     * the first byte it returned was in the kernel (with every byte before it), {@code left} when
     * the app's last byte before it went out (0: none, or not known).
     */
    private static Explanation readByBytes(Explanation v, long s, long e, long answer, long left, long offset) {
        long dur = e - s;
        v.join = Explanation.BYTES;
        v.frame(answer);
        String exact = " (joined to its packets by bytes: the first it returned is byte " + offset + " of the connection)";
        long late = e - answer;
        if (late * 2 >= dur) {
            return v.set(APP_READ_LATE, late, "the bytes it returned were in the kernel " + when(answer, s, "the read")
                    + ", and it returned " + ms(late) + " later" + exact + v.evidence);
        }
        if (left != 0) {
            long think = answer - Math.max(left, s);
            if (think * 2 >= dur) {
                v.frame(left);
                return v.set(SERVER_THINK, think, "the app's last bytes left " + when(left, s, "the read")
                        + " and the peer's answer arrived " + ms(answer - left) + " after them" + exact + v.evidence);
            }
        }
        return v.set(UNKNOWN, 0, "the bytes it returned arrived " + when(answer, s, "the read")
                + (left != 0 ? ", the app's last bytes having left " + when(left, s, "it") : "") + exact + v.evidence);
    }

    /** "12.0 ms into the read", or "3.0 ms before the read began". */
    private static String when(long time, long s, String what) {
        return time >= s ? ms(time - s) + " into " + what : ms(s - time) + " before " + what + " began";
    }

    /** When byte {@code offset} was captured, or 0: not known. */
    private static long at(ByteTimes b, long offset) {
        if (b == null || offset < 0) {
            return 0;
        }
        long t = b.at(offset);
        return t > 0 ? t : 0;
    }

    /** Marks a call joined by its time window; the evidence's tail says so, and why not by bytes. */
    private static String byTime(Call c, Explanation v, String why, long margin) {
        v.join = Explanation.TIME;
        String reason = c.timeJoin != null ? c.timeJoin : why;
        return "; joined to its packets by time (within " + ms(margin) + ")" + (reason != null ? ": " + reason : "");
    }

    private static Explanation write(Call c, Explanation v, Window w, long s, long e) {
        long dur = e - s;
        if (w.shutIn * 2 >= dur) {
            v.frame(w.firstZeroIn);
            return v.set(RECEIVER_STALLED, Math.min(dur, w.shutIn), "the peer stopped reading: it shut its window "
                    + w.zeroWindowsIn + (w.zeroWindowsIn == 1 ? " time" : " times") + " (zero window) and kept it shut " + ms(w.shutIn) + " of the write's " + ms(dur) + v.evidence);
        }
        if (w.zeroWindowsIn > 0 || w.windowFull > 0) {
            return v.set(UNKNOWN, 0, "the peer's window was shut " + ms(w.shutIn) + " of the write's " + ms(dur)
                    + " (shut " + w.zeroWindowsIn + " times, window full " + w.windowFull + " times)" + v.evidence);
        }
        return v.set(UNKNOWN, 0, "no loss or zero window was captured during the write" + v.evidence);
    }

    /**
     * An outgoing exchange (HTTP/1.x, a query): when its response's first bytes arrived and when
     * its request's last bytes left, found by their byte offsets where they are known (the
     * response's first byte must have arrived before the app read it, and the request's last byte
     * left within the exchange), else from the turns of its time window.
     */
    private static Explanation outgoing(Call c, Explanation v, Window w, EvidenceRing t, boolean localIsClient, long s,
            long e, long[] http, long margin) {
        long dur = e - s;
        if (w.shutIn * 2 >= dur) {
            v.frame(w.firstZeroIn);
            return v.set(RECEIVER_STALLED, w.shutIn, "the server's window was shut " + ms(w.shutIn) + " of the "
                    + ms(dur) + " (shut " + w.zeroWindowsIn + " times)" + v.evidence);
        }
        long firstByte = http[1];
        long answer = at(t.in(localIsClient), c.inByte);
        long left = at(t.out(localIsClient), c.outByte);
        boolean bytes = answer != 0 && left != 0 && (firstByte == 0 || answer <= firstByte + margin)
                && left >= s - margin && left <= e + margin;
        String how;
        long peerTurn;
        long sent;
        if (bytes) {
            v.join = Explanation.BYTES;
            how = " (joined to its packets by bytes: the request's last is byte " + c.outByte
                    + " of the connection, the response's first " + c.inByte + ")";
            peerTurn = answer;
            sent = left;
        } else {
            how = byTime(c, v, answer != 0 && left != 0 ? "its bytes' offsets disagreed with the packets"
                    : c.inByte >= 0 && c.outByte >= 0 ? "its bytes were not captured" : null, margin);
            peerTurn = w.peerTurn;
            sent = w.peerTurnAfter != 0 ? w.peerTurnAfter : s;
        }
        if (peerTurn != 0) {
            v.frame(peerTurn);
            long late = firstByte != 0 ? firstByte - peerTurn : 0;
            if (late * 2 >= dur) {
                return v.set(APP_READ_LATE, late, "the response's first bytes were in the kernel "
                        + ms(peerTurn - s) + " after the request began, and the app read them "
                        + ms(late) + " later" + how + v.evidence);
            }
            if (w.shutOut * 2 >= dur) {
                v.frame(w.firstZeroOut);
                return v.set(RECEIVER_STALLED, w.shutOut, "the app's receive window was shut " + ms(w.shutOut)
                        + ": it did not read the response" + how + v.evidence);
            }
            long think = peerTurn - sent;
            if (think * 2 >= dur) {
                if (bytes || w.peerTurnAfter != 0) {
                    v.frame(sent);
                }
                return v.set(SERVER_THINK, think, "the request's last bytes left " + ms(sent - s)
                        + " after it began; the response's first bytes arrived " + ms(think) + " later" + how
                        + v.evidence);
            }
            return v.set(UNKNOWN, 0, "request sent after " + ms(sent - s) + ", response arrived "
                    + ms(think) + " later, read " + ms(Math.max(0, late)) + " after that, exchange "
                    + ms(dur) + how + v.evidence);
        }
        return v.set(UNKNOWN, 0, "no response data was captured during the exchange" + how + v.evidence);
    }

    /**
     * An HTTP/2 stream. Its connection carries other streams, so a packet is not the stream's by
     * being on it: a window the stream's bytes waited for (read from its frames) is its own
     * evidence, and so is the server's silence — no data at all from the peer after the request
     * left — while the first data after it may be any stream's, so a late read is never claimed.
     */
    private static Explanation stream(Call c, Explanation v, Window w, EvidenceRing t, boolean localIsClient, long s,
            long e, long[] http, long margin) {
        long dur = e - s;
        String shared = c.shared ? " (other streams shared the connection)" : "";
        if (c.windowWait * 2 >= dur) {
            return windowWait(c, v, dur);
        }
        if (c.incoming) {
            return incoming(c, v, w, s, e, http);
        }
        if (w.shutIn * 2 >= dur) {
            v.frame(w.firstZeroIn);
            return v.set(RECEIVER_STALLED, w.shutIn, "the server's TCP window was shut " + ms(w.shutIn) + " of the "
                    + ms(dur) + v.evidence);
        }
        long sent = http[0] != 0 ? http[0] : s;
        Window after = scan(t, localIsClient, sent, e + margin);
        if (after.peerTurn != 0) {
            long silence = after.peerTurn - sent;
            if (silence * 2 >= dur) {
                v.frame(after.peerTurn);
                return v.set(SERVER_THINK, silence, "the request's last bytes left " + ms(sent - s)
                        + " after it began; the server sent nothing at all for " + ms(silence) + " after them" + shared
                        + v.evidence);
            }
            return v.set(UNKNOWN, 0, "the server's first bytes after the request came " + ms(silence)
                    + " later, the response's headers were read " + (http[1] != 0 ? ms(http[1] - sent) : "never")
                    + " after it" + shared + ": on an HTTP/2 connection those bytes may be another stream's"
                    + partWindowWait(c, dur) + v.evidence);
        }
        return v.set(UNKNOWN, 0, "no data from the server was captured after the request" + shared + partWindowWait(c, dur)
                + v.evidence);
    }

    /** A stream whose bytes waited for an HTTP/2 flow-control window most of its time. */
    private static Explanation windowWait(Call c, Explanation v, long dur) {
        return v.set(RECEIVER_STALLED, Math.min(dur, c.windowWait), windowWaited(c) + v.evidence);
    }

    /** What a stream's bytes waited for a flow-control window, and whose it was. */
    private static String windowWaited(Call c) {
        String whose = c.peerWindow ? (c.incoming ? "the client's" : "the server's") : "the app's own";
        String what = c.peerWindow == c.incoming ? "response" : "request";
        return "the " + what + "'s bytes waited " + ms(c.windowWait) + " for " + whose + " HTTP/2 flow-control window"
                + (c.peerWindow ? "" : ": the app did not read");
    }

    /**
     * A wait for a window that was less than half the stream's time, added to an UNKNOWN's
     * evidence: part of the time is accounted for, not enough to name it the cause.
     */
    private static String partWindowWait(Call c, long dur) {
        return c.windowWait <= 0 ? "" : "; of the stream's " + ms(dur) + ", " + windowWaited(c);
    }

    private static Explanation incoming(Call c, Explanation v, Window w, long s, long e, long[] http) {
        long dur = e - s;
        if (w.shutIn * 2 >= dur) {
            v.frame(w.firstZeroIn);
            return v.set(RECEIVER_STALLED, w.shutIn, "the client's window was shut " + ms(w.shutIn)
                    + ": it did not read the response" + v.evidence);
        }
        long answered = http[1];
        return v.set(UNKNOWN, 0, "the network shows no fault: the app " + (answered != 0
                ? "began its response " + ms(answered - s) + " after it read the request" : "wrote no response")
                + partWindowWait(c, dur) + v.evidence);
    }

    private static Explanation loss(Explanation v, Window w, long dur) {
        v.frame(w.firstRetransmission);
        return v.set(NETWORK_LOSS, Math.min(dur, w.lossNanos), w.retransmissions + " retransmissions; the connection"
                + " waited " + ms(w.lossNanos) + " of the " + ms(dur) + " before them" + v.evidence);
    }

    private static Window scan(EvidenceRing t, boolean localIsClient, long from, long to) {
        Window w = new Window();
        for (long n = t.firstAt(from); n < t.written; n++) {
            int i = t.index(n);
            long time = t.time[i];
            int k = t.kind[i];
            boolean local = t.local(i, localIsClient);
            // a window that opened inside the call may have shut before it
            if ((k & EvidenceRing.WINDOW_OPEN) != 0 && time >= from) {
                long shut = Math.min(time, to) - Math.max(time - t.aux[i], from);
                if (shut > 0) {
                    if (local) {
                        w.shutOut += shut;
                    } else {
                        w.shutIn += shut;
                    }
                }
            }
            if (time < from || time > to) {
                continue;
            }
            if ((k & EvidenceRing.SYN) != 0 && local) {
                w.synsOut++;
                w.firstSyn = w.firstSyn == 0 ? time : w.firstSyn;
                w.lastSyn = time;
            }
            if ((k & EvidenceRing.SYN_ACK) != 0 && !local && w.synAck == 0) {
                w.synAck = time;
            }
            if ((k & EvidenceRing.RST) != 0) {
                if (local) {
                    w.localReset = w.localReset == 0 ? time : w.localReset;
                } else if (w.peerReset == 0) {
                    w.peerReset = time;
                }
            }
            if ((k & EvidenceRing.RETRANSMISSION) != 0) {
                w.retransmissions++;
                w.lossNanos += t.aux[i];
                w.firstRetransmission = w.firstRetransmission == 0 ? time : w.firstRetransmission;
            }
            if ((k & EvidenceRing.ZERO_WINDOW) != 0) {
                if (local) {
                    w.zeroWindowsOut++;
                    w.firstZeroOut = w.firstZeroOut == 0 ? time : w.firstZeroOut;
                } else {
                    w.zeroWindowsIn++;
                    w.firstZeroIn = w.firstZeroIn == 0 ? time : w.firstZeroIn;
                }
            }
            if ((k & EvidenceRing.WINDOW_FULL) != 0 && local) {
                w.windowFull++;
            }
            if ((k & EvidenceRing.TURN) != 0 && !local && w.peerTurn == 0) {
                w.peerTurn = time;
                w.peerTurnAfter = t.aux[i];
            }
        }
        // a window still shut when the call ended
        for (int side = 0; side < 2; side++) {
            long since = t.shutSince[side];
            if (since != 0 && since < to) {
                boolean local = (side == 0) == localIsClient;
                long shut = to - Math.max(since, from);
                if (local) {
                    w.shutOut += shut;
                } else {
                    w.shutIn += shut;
                }
            }
        }
        return w;
    }

    public static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
