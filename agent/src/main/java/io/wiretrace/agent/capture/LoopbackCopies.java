package io.wiretrace.agent.capture;

import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.net.NetworkInterface;
import java.nio.ByteOrder;
import java.util.Collections;

/**
 * On a loopback interface the kernel hands a packet capture each packet twice: as it leaves
 * (PACKET_OUTGOING) and as it arrives. It copies both into the capture's ring, in the thread that
 * sent the packet, and libpcap throws the outgoing copy away in user space (tcpdump's capture the
 * same). Here the capture's kernel filter gets five instructions in front that reject loopback's
 * outgoing copies before they are copied: the same packets reach the file, with the same
 * timestamps, each copied once. libpcap's "packets received by filter" then counts each packet
 * once, where tcpdump's counts it twice.
 *
 * <p>For a capture on the loopback interface, or on {@code any} (which sees loopback's packets
 * twice too; other interfaces' outgoing packets are kept). The program in front of which the check
 * goes is the one libpcap attached, read back from the socket, as libpcap rewrote it for the
 * kernel (a cooked capture's offsets, say); none if the capture has no filter. Anything that does
 * not work leaves libpcap's filter as it was.
 */
final class LoopbackCopies {
    private static final int SOL_SOCKET = 1;
    /** SO_ATTACH_FILTER for setsockopt, SO_GET_FILTER for getsockopt. */
    private static final int SO_FILTER = 26;
    /** linux/filter.h: the ancillary loads. */
    private static final int SKF_AD_OFF = -0x1000;
    private static final int SKF_AD_PKTTYPE = 4;
    private static final int SKF_AD_IFINDEX = 8;
    /** linux/if_packet.h. */
    private static final int PACKET_OUTGOING = 4;
    private static final short LD_H_ABS = 0x28;
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short RET_K = 0x06;
    /** The kernel's BPF_MAXINSNS. */
    private static final int MAX_INSNS = 4096;

    private LoopbackCopies() {
    }

    /**
     * The check in front of a program, for the interface of index {@code ifindex}: an outgoing
     * packet of that interface is rejected; anything else goes on to the program that follows.
     */
    static long[] prefix(int ifindex) {
        return new long[] {
            insn(LD_H_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PKTTYPE),
            insn(JEQ_K, 0, 3, PACKET_OUTGOING), // outgoing: on; else to the program
            insn(LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_IFINDEX),
            insn(JEQ_K, 0, 1, ifindex), // this interface's: rejected; else to the program
            insn(RET_K, 0, 0, 0),
        };
    }

    /** One instruction as the 8 bytes of struct sock_filter (code, jt, jf, k) read as a little-endian long. */
    static long insn(short code, int jt, int jf, int k) {
        return (code & 0xFFFFL) | (jt & 0xFFL) << 16 | (jf & 0xFFL) << 24 | (k & 0xFFFFFFFFL) << 32;
    }

    /** The index of the loopback interface that a capture on {@code iface} sees packets of, or -1. */
    static int loopbackIndex(String iface) {
        try {
            if ("any".equals(iface)) {
                for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                    if (n.isLoopback() && n.getIndex() > 0) {
                        return n.getIndex();
                    }
                }
                return -1;
            }
            NetworkInterface n = NetworkInterface.getByName(iface);
            return n != null && n.isLoopback() && n.getIndex() > 0 ? n.getIndex() : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * Puts the check in front of the kernel filter of the capture {@code pcapT} on {@code iface}.
     * Returns whether it did (false: not a capture that sees loopback's packets, or it failed).
     */
    static boolean attach(NativeLibrary pcap, NativeLibrary c, Pointer pcapT, String iface) {
        int ifindex = loopbackIndex(iface);
        if (ifindex < 0 || pcapT == null || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return false;
        }
        int fd = pcap.getFunction("pcap_fileno").invokeInt(new Object[] {pcapT});
        if (fd < 0) {
            return false;
        }
        // the program libpcap attached, as the kernel keeps it: first its length in instructions
        Memory len = new Memory(4);
        len.setInt(0, 0);
        if (c.getFunction("getsockopt").invokeInt(new Object[] {fd, SOL_SOCKET, SO_FILTER, Pointer.NULL, len}) != 0) {
            return false;
        }
        int n = len.getInt(0);
        long[] head = prefix(ifindex);
        int total = head.length + Math.max(n, 1); // with no filter, one instruction follows: a ret
        if (n < 0 || total > MAX_INSNS) {
            return false;
        }
        Memory code = new Memory(8L * total);
        code.write(0, head, 0, head.length);
        if (n > 0) {
            Memory current = new Memory(8L * n);
            len.setInt(0, n);
            if (c.getFunction("getsockopt").invokeInt(new Object[] {fd, SOL_SOCKET, SO_FILTER, current, len}) != 0
                    || len.getInt(0) != n) {
                return false;
            }
            code.write(8L * head.length, current.getByteArray(0, 8 * n), 0, 8 * n);
        } else {
            // no filter: the whole packet, as far as the snapshot length goes
            int snaplen = pcap.getFunction("pcap_snapshot").invokeInt(new Object[] {pcapT});
            code.setLong(8L * head.length, insn(RET_K, 0, 0, snaplen > 0 ? snaplen : 262144));
        }
        Memory fprog = new Memory(16); // struct sock_fprog: unsigned short len; struct sock_filter *filter
        fprog.clear();
        fprog.setShort(0, (short) total);
        fprog.setPointer(8, code);
        return c.getFunction("setsockopt").invokeInt(new Object[] {fd, SOL_SOCKET, SO_FILTER, fprog, 16}) == 0;
    }
}
