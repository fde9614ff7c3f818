package io.wiretrace.analysis.tcp;

import java.nio.ByteBuffer;

/**
 * A flow's endpoints as numbers, the app's side first: how the join finds a flow for a connection
 * (and an endpoint alone, in the a fields, for a connect that has no connection yet).
 */
public final class FlowKey {
    public final int version;
    public final long aHi;
    public final long aLo;
    public final int aPort;
    public final long bHi;
    public final long bLo;
    public final int bPort;

    public FlowKey(int version, long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        this.version = version;
        this.aHi = aHi;
        this.aLo = aLo;
        this.aPort = aPort;
        this.bHi = bHi;
        this.bLo = bLo;
        this.bPort = bPort;
    }

    /** The key of a connection from its ends' address literals; null if either is not one. */
    public static FlowKey of(String localAddress, int localPort, String remoteAddress, int remotePort) {
        FlowKey l = of(localAddress, localPort);
        FlowKey r = of(remoteAddress, remotePort);
        if (l == null || r == null || l.version != r.version) {
            return null;
        }
        return new FlowKey(l.version, l.aHi, l.aLo, l.aPort, r.aHi, r.aLo, r.aPort);
    }

    /**
     * One endpoint (in the a fields) from an address literal; null if it is not one. Parsed here,
     * never by InetAddress.getByName: that resolves what does not parse as a literal (a name
     * lookup, on the correlator's thread under the capture readers' lock).
     */
    public static FlowKey of(String address, int port) {
        byte[] b = address == null ? null : literal(address);
        if (b == null) {
            return null;
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        if (b.length == 4) {
            return new FlowKey(4, 0, bb.getInt() & 0xFFFFFFFFL, port, 0, 0, 0);
        }
        return new FlowKey(6, bb.getLong(), bb.getLong(), port, 0, 0, 0);
    }

    /**
     * The bytes of an IPv4 (dotted quad) or IPv6 literal, 4 or 16; an IPv4-mapped IPv6 address
     * gives its IPv4 bytes, as InetAddress does. A scope ({@code %eth0}) is ignored. Null: not one.
     */
    static byte[] literal(String text) {
        int scope = text.indexOf('%');
        String s = scope >= 0 ? text.substring(0, scope) : text;
        if (s.indexOf(':') < 0) {
            byte[] v4 = new byte[4];
            return ipv4(s, v4, 0) ? v4 : null;
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        byte[] head = new byte[16];
        byte[] tail = new byte[16];
        int h = groups(gap < 0 ? s : s.substring(0, gap), head, gap < 0);
        int t = gap < 0 ? 0 : groups(s.substring(gap + 2), tail, true);
        if (h < 0 || t < 0 || (gap < 0 ? h != 16 : h + t > 14)) {
            return null;
        }
        byte[] b = new byte[16];
        System.arraycopy(head, 0, b, 0, h);
        System.arraycopy(tail, 0, b, 16 - t, t);
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return b;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff ? java.util.Arrays.copyOfRange(b, 12, 16) : b;
    }

    /** Colon-separated hex groups into {@code into}, the last maybe a dotted quad; the bytes written, or -1. */
    private static int groups(String part, byte[] into, boolean quadLast) {
        if (part.isEmpty()) {
            return 0;
        }
        String[] g = part.split(":", -1);
        int n = 0;
        for (int i = 0; i < g.length; i++) {
            String x = g[i];
            if (i == g.length - 1 && quadLast && x.indexOf('.') >= 0) {
                return n + 4 <= 16 && ipv4(x, into, n) ? n + 4 : -1;
            }
            if (x.isEmpty() || x.length() > 4 || n + 2 > 16) {
                return -1;
            }
            int v = 0;
            for (int k = 0; k < x.length(); k++) {
                int d = hex(x.charAt(k));
                if (d < 0) {
                    return -1;
                }
                v = v * 16 + d;
            }
            into[n++] = (byte) (v >> 8);
            into[n++] = (byte) v;
        }
        return n;
    }

    /** A dotted quad into {@code into} at {@code at}; false if it is not one. */
    private static boolean ipv4(String s, byte[] into, int at) {
        String[] p = s.split("\\.", -1);
        if (p.length != 4) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            String x = p[i];
            if (x.isEmpty() || x.length() > 3) {
                return false;
            }
            int v = 0;
            for (int k = 0; k < x.length(); k++) {
                char c = x.charAt(k);
                if (c < '0' || c > '9') {
                    return false;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return false;
            }
            into[at + i] = (byte) v;
        }
        return true;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FlowKey)) {
            return false;
        }
        FlowKey k = (FlowKey) o;
        return version == k.version && aHi == k.aHi && aLo == k.aLo && aPort == k.aPort && bHi == k.bHi
                && bLo == k.bLo && bPort == k.bPort;
    }

    @Override
    public int hashCode() {
        long h = aLo * 31 + bLo;
        h = h * 31 + aHi * 7 + bHi;
        return (int) (h ^ h >>> 32) * 31 + (aPort << 16 | bPort);
    }
}
