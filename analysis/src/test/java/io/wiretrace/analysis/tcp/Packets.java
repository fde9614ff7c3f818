package io.wiretrace.analysis.tcp;

import java.nio.ByteBuffer;

/** Synthetic frames for the unit tests (the CLI's too). */
public final class Packets {
    private Packets() {
    }

    /** A TCP segment over IPv4 (addresses as ints) or IPv6 (10.x mapped into fd00::x), with link header. */
    static ByteBuffer tcp(int linkType, boolean v6, int src, int sport, int dst, int dport, int seq, int ack, int flags,
            int window, int payload, byte[] options) {
        int opt = options == null ? 0 : options.length;
        int tcpLen = 20 + opt + payload;
        int ipHeader = v6 ? 40 + 8 : 20; // IPv6 with one destination-options header
        int link;
        switch (linkType) {
            case Frame.LINKTYPE_ETHERNET: link = 14 + 4; break; // with a VLAN tag
            case Frame.LINKTYPE_LINUX_SLL: link = 16; break;
            case Frame.LINKTYPE_LINUX_SLL2: link = 20; break;
            case Frame.LINKTYPE_NULL: case Frame.LINKTYPE_LOOP: link = 4; break;
            default: link = 0;
        }
        ByteBuffer b = ByteBuffer.allocate(link + ipHeader + tcpLen);
        int ethertype = v6 ? 0x86DD : 0x0800;
        switch (linkType) {
            case Frame.LINKTYPE_ETHERNET:
                b.position(12);
                b.putShort((short) 0x8100).putShort((short) 7).putShort((short) ethertype);
                break;
            case Frame.LINKTYPE_LINUX_SLL:
                b.position(14);
                b.putShort((short) ethertype);
                break;
            case Frame.LINKTYPE_LINUX_SLL2:
                b.putShort((short) ethertype);
                break;
            case Frame.LINKTYPE_NULL: // host order, little-endian here
                b.putInt(Integer.reverseBytes(v6 ? 10 : 2));
                break;
            case Frame.LINKTYPE_LOOP:
                b.putInt(v6 ? 30 : 2);
                break;
            default:
                break;
        }
        b.position(link);
        if (v6) {
            b.putInt(0x60000000).putShort((short) (8 + tcpLen)).put((byte) 60).put((byte) 64);
            b.putLong(0xfd00L << 48).putLong(src & 0xFFFFFFFFL).putLong(0xfd00L << 48).putLong(dst & 0xFFFFFFFFL);
            b.put((byte) 6).put((byte) 0).putShort((short) 0).putInt(0x01040000); // PadN
        } else {
            b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tcpLen)).putInt(0x00014000)
                    .put((byte) 64).put((byte) 6).putShort((short) 0).putInt(src).putInt(dst);
        }
        b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .put((byte) (((20 + opt) / 4) << 4)).put((byte) flags).putShort((short) window).putInt(0);
        if (options != null) {
            b.put(options);
        }
        return b.position(0);
    }

    public static ByteBuffer tcp(int src, int sport, int dst, int dport, int seq, int ack, int flags, int window,
            int payload) {
        return tcp(Frame.LINKTYPE_ETHERNET, false, src, sport, dst, dport, seq, ack, flags, window, payload, null);
    }

    /** MSS 1460, SACK permitted, timestamps 7/0, window scale 7, padded to 20 bytes. */
    static byte[] synOptions() {
        return new byte[] {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7};
    }
}
