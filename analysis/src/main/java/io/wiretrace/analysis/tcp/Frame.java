package io.wiretrace.analysis.tcp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One captured frame's IP and TCP header fields, parsed in place. One instance is reused for
 * every packet: {@link #parse} fills the fields and allocates nothing.
 *
 * <p>The payload length comes from the IP header's lengths, not from the captured length, so a
 * frame cut by the snaplen still counts all its bytes (as tshark counts them). IP fragments are
 * not reassembled: only a whole, unfragmented TCP segment parses.
 */
public final class Frame {
    public static final int LINKTYPE_NULL = 0;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int LINKTYPE_RAW_DLT = 12;
    public static final int LINKTYPE_RAW = 101;
    public static final int LINKTYPE_LOOP = 108;
    public static final int LINKTYPE_LINUX_SLL = 113;
    public static final int LINKTYPE_IPV4 = 228;
    public static final int LINKTYPE_IPV6 = 229;
    public static final int LINKTYPE_LINUX_SLL2 = 276;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    public static final int MAX_SACK_BLOCKS = 4;

    /** 4 or 6. */
    public int ipVersion;
    /**
     * Addresses: IPv4 in the low 32 bits of {@code srcLo}/{@code dstLo} (hi 0); IPv6 as two
     * big-endian halves.
     */
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    public int srcPort;
    public int dstPort;
    public int seq;
    public int ack;
    /** The 8 classic flag bits (FIN … CWR). */
    public int flags;
    /** The window field as sent (not scaled). */
    public int window;
    public int headerLength;
    public int payloadLength;
    /** Where the payload begins in the buffer; of it, at most {@code capturedEnd - payloadOffset} bytes were captured. */
    public int payloadOffset;
    public int capturedEnd;
    /** Options: -1 where absent. */
    public int mss;
    public int windowScale;
    public boolean sackPermitted;
    public boolean hasTimestamps;
    public int tsVal;
    public int tsEcr;
    public int sackBlocks;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];
    private boolean swap;

    /**
     * Parses a frame of the given link type from {@code capLen} bytes at {@code off}: absolute
     * positions, within the buffer's limit; its position, limit and byte order are left as they
     * are, and the byte order does not matter. Returns false, cheaply,
     * for anything but a whole TCP segment over IPv4 or IPv6.
     */
    public boolean parse(int linkType, ByteBuffer b, int off, int capLen, int origLen) {
        swap = b.order() == ByteOrder.LITTLE_ENDIAN;
        int end = off + capLen;
        int p;
        int proto; // an ethertype, or 4/6 for "look at the version nibble"
        switch (linkType) {
            case LINKTYPE_ETHERNET:
                if (capLen < 14) {
                    return false;
                }
                p = off + 12;
                proto = u16(b, p);
                p += 2;
                for (int tags = 0; (proto == 0x8100 || proto == 0x88a8) && tags < 2; tags++) {
                    if (p + 4 > end) {
                        return false;
                    }
                    proto = u16(b, p + 2);
                    p += 4;
                }
                break;
            case LINKTYPE_LINUX_SLL:
                if (capLen < 16) {
                    return false;
                }
                proto = u16(b, off + 14);
                p = off + 16;
                break;
            case LINKTYPE_LINUX_SLL2:
                if (capLen < 20) {
                    return false;
                }
                proto = u16(b, off);
                p = off + 20;
                break;
            case LINKTYPE_RAW:
            case LINKTYPE_RAW_DLT:
            case 14: // DLT_RAW on OpenBSD
            case LINKTYPE_IPV4:
            case LINKTYPE_IPV6:
                proto = 0;
                p = off;
                break;
            case LINKTYPE_NULL:
            case LINKTYPE_LOOP: {
                if (capLen < 4) {
                    return false;
                }
                // NULL is in the capturing host's byte order, LOOP in network order: the family
                // is small, so whichever reading is small is the right one.
                int family = b.getInt(off);
                if ((family & 0xFFFF0000) != 0) {
                    family = Integer.reverseBytes(family);
                }
                if (family == 2) {
                    proto = 0x0800;
                } else if (family == 10 || family == 24 || family == 28 || family == 30) {
                    proto = 0x86DD;
                } else {
                    return false;
                }
                p = off + 4;
                break;
            }
            default:
                return false;
        }
        if (p >= end) {
            return false;
        }
        if (proto == 0) {
            int v = (b.get(p) & 0xFF) >>> 4;
            proto = v == 4 ? 0x0800 : v == 6 ? 0x86DD : -1;
        }
        if (proto == 0x0800) {
            return ipv4(b, p, end, off + origLen);
        }
        if (proto == 0x86DD) {
            return ipv6(b, p, end, off + origLen);
        }
        return false;
    }

    private boolean ipv4(ByteBuffer b, int p, int end, int origEnd) {
        if (p + 20 > end) {
            return false;
        }
        int vihl = b.get(p) & 0xFF;
        int ihl = (vihl & 0x0F) * 4;
        if ((vihl >>> 4) != 4 || ihl < 20 || b.get(p + 9) != 6) {
            return false;
        }
        if ((u16(b, p + 6) & 0x3FFF) != 0) {
            return false; // a fragment (more-fragments set or an offset)
        }
        int total = u16(b, p + 2);
        if (total == 0) {
            total = origEnd - p; // a segmentation-offload frame captured on its sender
        }
        if (total < ihl) {
            return false;
        }
        ipVersion = 4;
        srcHi = 0;
        srcLo = i32(b, p + 12) & 0xFFFFFFFFL;
        dstHi = 0;
        dstLo = i32(b, p + 16) & 0xFFFFFFFFL;
        return tcp(b, p + ihl, end, total - ihl);
    }

    private boolean ipv6(ByteBuffer b, int p, int end, int origEnd) {
        if (p + 40 > end || ((b.get(p) & 0xFF) >>> 4) != 6) {
            return false;
        }
        int remaining = u16(b, p + 4);
        if (remaining == 0) {
            remaining = origEnd - p - 40; // a jumbogram or an offload frame
        }
        int next = b.get(p + 6) & 0xFF;
        srcHi = i64(b, p + 8);
        srcLo = i64(b, p + 16);
        dstHi = i64(b, p + 24);
        dstLo = i64(b, p + 32);
        p += 40;
        for (int hops = 0; next != 6; hops++) {
            if (hops == 8 || p + 8 > end) {
                return false;
            }
            int len;
            switch (next) {
                case 0: // hop-by-hop
                case 43: // routing
                case 60: // destination options
                    len = ((b.get(p + 1) & 0xFF) + 1) * 8;
                    break;
                case 44: // fragment
                    if ((u16(b, p + 2) & 0xFFF9) != 0) {
                        return false; // an offset, or more fragments to come
                    }
                    len = 8;
                    break;
                case 51: // authentication header
                    len = ((b.get(p + 1) & 0xFF) + 2) * 4;
                    break;
                default:
                    return false; // no next header, ESP, or not TCP
            }
            next = b.get(p) & 0xFF;
            p += len;
            remaining -= len;
        }
        ipVersion = 6;
        return tcp(b, p, end, remaining);
    }

    private boolean tcp(ByteBuffer b, int p, int end, int ipPayload) {
        if (p + 20 > end) {
            return false;
        }
        int hl = ((b.get(p + 12) & 0xFF) >>> 4) * 4;
        if (hl < 20 || ipPayload < hl) {
            return false;
        }
        srcPort = u16(b, p);
        dstPort = u16(b, p + 2);
        seq = i32(b, p + 4);
        ack = i32(b, p + 8);
        flags = b.get(p + 13) & 0xFF;
        window = u16(b, p + 14);
        headerLength = hl;
        payloadLength = ipPayload - hl;
        payloadOffset = p + hl;
        capturedEnd = end;
        options(b, p + 20, Math.min(p + hl, end));
        return true;
    }

    private void options(ByteBuffer b, int p, int end) {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamps = false;
        sackBlocks = 0;
        while (p < end) {
            int kind = b.get(p) & 0xFF;
            if (kind == 0) {
                return;
            }
            if (kind == 1) {
                p++;
                continue;
            }
            if (p + 2 > end) {
                return;
            }
            int len = b.get(p + 1) & 0xFF;
            if (len < 2 || p + len > end) {
                return;
            }
            switch (kind) {
                case 2:
                    if (len == 4) {
                        mss = u16(b, p + 2);
                    }
                    break;
                case 3:
                    if (len == 3) {
                        windowScale = Math.min(b.get(p + 2) & 0xFF, 14); // RFC 7323: at most 14
                    }
                    break;
                case 4:
                    sackPermitted = true;
                    break;
                case 5:
                    for (int o = p + 2; o + 8 <= p + len && sackBlocks < MAX_SACK_BLOCKS; o += 8) {
                        sackLeft[sackBlocks] = i32(b, o);
                        sackRight[sackBlocks] = i32(b, o + 4);
                        sackBlocks++;
                    }
                    break;
                case 8:
                    if (len == 10) {
                        hasTimestamps = true;
                        tsVal = i32(b, p + 2);
                        tsEcr = i32(b, p + 6);
                    }
                    break;
                default:
                    break;
            }
            p += len;
        }
    }

    private int u16(ByteBuffer b, int p) {
        short v = b.getShort(p);
        return (swap ? Short.reverseBytes(v) : v) & 0xFFFF;
    }

    private int i32(ByteBuffer b, int p) {
        int v = b.getInt(p);
        return swap ? Integer.reverseBytes(v) : v;
    }

    private long i64(ByteBuffer b, int p) {
        long v = b.getLong(p);
        return swap ? Long.reverseBytes(v) : v;
    }
}
