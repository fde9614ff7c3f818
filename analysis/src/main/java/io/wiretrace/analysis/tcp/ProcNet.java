package io.wiretrace.analysis.tcp;

import java.nio.ByteOrder;

/**
 * One line of Linux's /proc/net/tcp or /proc/net/tcp6: a TCP socket's ends, state and inode.
 * The addresses are written as the kernel holds them, in 32-bit words of the host's byte order;
 * the ports in hex. An IPv6 socket's IPv4-mapped ends (::ffff:a.b.c.d) are its IPv4 packets' ends,
 * so they come out as IPv4 keys.
 */
public final class ProcNet {
    /** The socket's own end (the a fields) and its peer (the b fields; all 0 for a listener). */
    public final FlowKey key;
    public final long inode;
    public final boolean listening;

    private ProcNet(FlowKey key, long inode, boolean listening) {
        this.key = key;
        this.inode = inode;
        this.listening = listening;
    }

    /** The socket a line describes; null for the header or a line this parser does not know. */
    public static ProcNet parse(String line) {
        return parse(line, ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
    }

    static ProcNet parse(String line, boolean littleEndian) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10 || !f[0].endsWith(":")) {
            return null;
        }
        try {
            long[] local = address(f[1], littleEndian);
            long[] remote = address(f[2], littleEndian);
            if (local == null || remote == null) {
                return null;
            }
            // a listener on ::ffff:a.b.c.d (Netty's epoll binds dual-stack sockets) has the peer ::
            if (local[0] != remote[0] && isUnspecified(remote)) {
                remote = new long[] {local[0], 0, 0, remote[3]};
            } else if (local[0] != remote[0]) {
                return null;
            }
            int state = Integer.parseInt(f[3], 16);
            long inode = Long.parseLong(f[9]);
            return new ProcNet(new FlowKey((int) local[0], local[1], local[2], (int) local[3], remote[1], remote[2],
                    (int) remote[3]), inode, state == 0x0A);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean isUnspecified(long[] address) {
        return address[1] == 0 && address[2] == 0;
    }

    /** "0100007F:1F90" → {version, hi, lo, port}, as {@link FlowKey#of(String, int)} keys an address. */
    private static long[] address(String s, boolean littleEndian) {
        int colon = s.indexOf(':');
        if (colon != 8 && colon != 32) {
            return null;
        }
        long port = Long.parseLong(s.substring(colon + 1), 16);
        long[] w = new long[colon / 8];
        for (int i = 0; i < w.length; i++) {
            long v = Long.parseLong(s.substring(i * 8, i * 8 + 8), 16);
            w[i] = littleEndian ? Integer.reverseBytes((int) v) & 0xFFFFFFFFL : v;
        }
        if (w.length == 1) {
            return new long[] {4, 0, w[0], port};
        }
        if (w[0] == 0 && w[1] == 0 && w[2] == 0xFFFFL) {
            return new long[] {4, 0, w[3], port}; // ::ffff:a.b.c.d
        }
        return new long[] {6, w[0] << 32 | w[1], w[2] << 32 | w[3], port};
    }
}
