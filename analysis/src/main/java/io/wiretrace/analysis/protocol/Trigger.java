package io.wiretrace.analysis.protocol;

import io.wiretrace.analysis.verdict.Verdict;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One trigger of {@code watch}, as the user writes it: a condition, then optional qualifiers
 * after commas.
 *
 * <pre>
 *   slow&gt;2s                 a call that took longer (slow&gt;=2s: at least that long)
 *   verdict=PEER_RESET       a call with that verdict (any name of {@link Verdict})
 *   status&gt;=500             an HTTP exchange answered so (also status&gt;499, status=503)
 *   retrans&gt;50/s            TCP retransmissions a second in the capture, over the last second
 *   resets&gt;10/s             TCP resets (RST segments) a second in the capture
 *
 *   ,kind=read               only calls of this kind: connect, read, write, http, query, tls, dns
 *   ,peer=10.0.0.5:5432      only calls to (or from) this address, and port if given ([v6]:port)
 *   ,path=/api/*             only HTTP exchanges whose path matches (* matches any characters)
 * </pre>
 *
 * Qualifiers apply to the call conditions, not to the rates. The CLI parses a trigger to refuse a
 * wrong one before anything is attached; the agent parses it again and matches calls with it.
 */
public final class Trigger {
    /** What a trigger looks at. */
    public enum Kind {
        SLOW, VERDICT, STATUS, RETRANS, RESETS
    }

    /** The call kinds a qualifier may name, as the agent's calls name themselves. */
    public static final String KINDS = "connect, read, write, http, query, tls, dns";
    private static final Pattern CONDITION = Pattern.compile(
            "(slow)(>=?)(.+)|(verdict)=(.+)|(status)(>=|>|=)(\\d{3})|(retrans|resets)>(\\d+(?:\\.\\d+)?)/s");

    public final String spec;
    public final Kind kind;
    /** SLOW: the duration a call must exceed (or reach, with {@code >=}). */
    public final long nanos;
    final boolean orEqual;
    /** VERDICT: the verdict's name. */
    public final String verdict;
    /** STATUS: the least status that fires. */
    public final int statusAtLeast;
    /** STATUS with {@code =}: the one status that fires; else -1. */
    final int statusExactly;
    /** RETRANS, RESETS: the rate that must be exceeded, a second. */
    public final double perSecond;
    private final String callKind;
    private final String peerHost;
    private final int peerPort;
    private final Pattern path;

    private Trigger(String spec, Kind kind, long nanos, boolean orEqual, String verdict, int statusAtLeast,
            int statusExactly, double perSecond, String callKind, String peerHost, int peerPort, Pattern path) {
        this.spec = spec;
        this.kind = kind;
        this.nanos = nanos;
        this.orEqual = orEqual;
        this.verdict = verdict;
        this.statusAtLeast = statusAtLeast;
        this.statusExactly = statusExactly;
        this.perSecond = perSecond;
        this.callKind = callKind;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
        this.path = path;
    }

    /** The trigger {@code spec}; throws IllegalArgumentException with a message for the user. */
    public static Trigger parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("--trigger takes a condition (slow>2s, verdict=PEER_RESET, status>=500,"
                    + " retrans>50/s, resets>10/s), not ''");
        }
        if (s.indexOf(';') >= 0) {
            throw new IllegalArgumentException("--trigger '" + s + "': ';' is not allowed (give --trigger once per trigger)");
        }
        String[] parts = s.split(",", -1);
        Matcher m = CONDITION.matcher(parts[0].trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("--trigger '" + s + "': the condition '" + parts[0].trim() + "' is none of"
                    + " slow>DURATION, verdict=NAME, status>=N, retrans>N/s, resets>N/s");
        }
        Kind kind;
        long nanos = 0;
        boolean orEqual = false;
        String verdict = null;
        int atLeast = 0;
        int exactly = -1;
        double rate = 0;
        if (m.group(1) != null) {
            kind = Kind.SLOW;
            orEqual = m.group(2).equals(">=");
            Duration d;
            try {
                d = Durations.parse(m.group(3).trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--trigger '" + s + "': " + e.getMessage());
            }
            if (d.compareTo(StartOptions.MIN_SLOW) < 0) {
                throw new IllegalArgumentException("--trigger '" + s + "': slow takes at least 1ms");
            }
            nanos = d.toNanos();
        } else if (m.group(4) != null) {
            kind = Kind.VERDICT;
            verdict = m.group(5).trim().toUpperCase(Locale.ROOT);
            if (Verdict.named(verdict) == null) {
                throw new IllegalArgumentException("--trigger '" + s + "': no verdict is named " + m.group(5).trim()
                        + "; the verdicts are " + Arrays.stream(Verdict.values()).map(Enum::name)
                        .collect(Collectors.joining(", ")));
            }
        } else if (m.group(6) != null) {
            kind = Kind.STATUS;
            int n = Integer.parseInt(m.group(8));
            if (n < 100 || n > 599) {
                throw new IllegalArgumentException("--trigger '" + s + "': an HTTP status is from 100 to 599");
            }
            switch (m.group(7)) {
                case ">=":
                    atLeast = n;
                    break;
                case ">":
                    atLeast = n + 1;
                    break;
                default:
                    atLeast = n;
                    exactly = n;
            }
        } else {
            kind = m.group(9).equals("retrans") ? Kind.RETRANS : Kind.RESETS;
            rate = Double.parseDouble(m.group(10));
        }
        String callKind = null;
        String host = null;
        int port = -1;
        Pattern path = null;
        for (int i = 1; i < parts.length; i++) {
            String q = parts[i].trim();
            int eq = q.indexOf('=');
            if (eq <= 0 || eq == q.length() - 1) {
                throw new IllegalArgumentException("--trigger '" + s + "': a qualifier is kind=, peer= or path=, not '" + q + "'");
            }
            if (kind == Kind.RETRANS || kind == Kind.RESETS) {
                throw new IllegalArgumentException("--trigger '" + s + "': a rate counts every packet captured; it takes"
                        + " no qualifier (narrow the capture with its filter instead)");
            }
            String key = q.substring(0, eq).trim();
            String value = q.substring(eq + 1).trim();
            switch (key) {
                case "kind":
                    if (!Arrays.asList(KINDS.split(", ")).contains(value)) {
                        throw new IllegalArgumentException("--trigger '" + s + "': kind is one of " + KINDS + ", not '"
                                + value + "'");
                    }
                    callKind = value;
                    break;
                case "peer":
                    int colon = value.lastIndexOf(':');
                    boolean v6 = value.startsWith("[");
                    if (v6 ? value.indexOf("]:") > 0 : colon > 0 && value.indexOf(':') == colon) {
                        try {
                            port = Integer.parseInt(value.substring(colon + 1));
                        } catch (NumberFormatException e) {
                            port = -2;
                        }
                        if (port < 0 || port > 65535) {
                            throw new IllegalArgumentException("--trigger '" + s + "': peer's port is a number from 0"
                                    + " to 65535, in '" + value + "'");
                        }
                        value = value.substring(0, colon);
                    }
                    host = v6 ? value.replace("[", "").replace("]", "") : value;
                    if (host.isEmpty()) {
                        throw new IllegalArgumentException("--trigger '" + s + "': peer takes an address, not '" + value + "'");
                    }
                    break;
                case "path":
                    if (kind == Kind.SLOW || kind == Kind.VERDICT || kind == Kind.STATUS) {
                        path = glob(value);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("--trigger '" + s + "': a qualifier is kind=, peer= or path=, not '"
                            + key + "='");
            }
        }
        if (kind == Kind.STATUS && callKind != null && !callKind.equals("http")) {
            throw new IllegalArgumentException("--trigger '" + s + "': a status comes with HTTP exchanges only (kind=http)");
        }
        return new Trigger(s, kind, nanos, orEqual, verdict, atLeast, exactly, rate, callKind, host, port, path);
    }

    private static Pattern glob(String g) {
        return Pattern.compile(Arrays.stream(g.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*")),
                Pattern.DOTALL);
    }

    /** Whether this trigger looks at calls (and not at a rate). */
    public boolean onCalls() {
        return kind == Kind.SLOW || kind == Kind.VERDICT || kind == Kind.STATUS;
    }

    /**
     * Whether a call fires it: {@code kind} as {@link #KINDS} names it, its verdict (null: none
     * yet, as for an HTTP exchange handed over for its status alone), how long it took, its HTTP
     * status (0: none), its peer, and its request ({@code METHOD /path}, or null).
     */
    public boolean fires(String callKind, String verdict, long durationNanos, int status, String remoteAddress,
            int remotePort, String request) {
        switch (kind) {
            case SLOW:
                if (orEqual ? durationNanos < nanos : durationNanos <= nanos) {
                    return false;
                }
                break;
            case VERDICT:
                if (!this.verdict.equals(verdict)) {
                    return false;
                }
                break;
            case STATUS:
                if (status < statusAtLeast || (statusExactly >= 0 && status != statusExactly)) {
                    return false;
                }
                break;
            default:
                return false;
        }
        if (this.callKind != null && !this.callKind.equals(callKind)) {
            return false;
        }
        if (peerHost != null && (remoteAddress == null || !peerHost.equalsIgnoreCase(remoteAddress)
                || (peerPort >= 0 && peerPort != remotePort))) {
            return false;
        }
        if (path != null) {
            if (request == null) {
                return false;
            }
            int sp = request.indexOf(' ');
            String p = sp >= 0 ? request.substring(sp + 1) : request;
            int q = p.indexOf('?');
            if (!this.path.matcher(q >= 0 ? p.substring(0, q) : p).matches()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return spec;
    }
}
