package io.wiretrace.analysis.h2;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The frames of one direction of one HTTP/2 connection (RFC 7540), read from its bytes as they
 * come, in pieces of any size: header blocks are decoded ({@link Hpack}) and reported with their
 * stream, DATA by its length alone (the payload is never looked at), RST_STREAM, GOAWAY,
 * WINDOW_UPDATE and SETTINGS by their fields; PRIORITY, PING, SETTINGS ACKs and unknown types
 * are skipped. PUSH_PROMISE blocks are decoded, to keep the table in step, and not reported.
 *
 * <p>The reader starts at the beginning of the direction: the client's preface, if this is the
 * client's side, then a SETTINGS frame (RFC 7540 3.5), or else it takes the bytes for something
 * other than HTTP/2. Input it cannot follow (a malformed frame, a header block over
 * {@value #MAX_BLOCK} bytes, an HPACK error) is reported once ({@link FrameListener#lost}); the
 * rest of the direction is then ignored. Nothing is thrown.
 *
 * <p>Whoever feeds both directions of a connection passes each SETTINGS_HEADER_TABLE_SIZE seen to
 * the other direction's reader ({@link #maxHeaderTableSize}): it bounds that direction's encoder.
 *
 * <p>Single-threaded: feed() calls are ordered (the caller guarantees happens-before between
 * them). Reading allocates nothing per frame but the strings of new header values kept; memory is
 * bounded: a header block buffer of at most {@value #MAX_BLOCK} bytes, and the decoder's table.
 * The buffer holds a block's bytes (cookies and all) only until the block is whole: it is zeroed
 * once the block is decoded.
 */
public final class FrameReader {
    /** The largest header block kept for decoding. */
    public static final int MAX_BLOCK = 64 * 1024;
    private static final int INITIAL_BLOCK = 1024;
    /** The block buffer grown past this is let go once the block is decoded. */
    private static final int KEPT_BLOCK = 16 * 1024;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    // frame types
    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int PRIORITY = 2;
    private static final int RST_STREAM = 3;
    private static final int SETTINGS = 4;
    private static final int PUSH_PROMISE = 5;
    private static final int PING = 6;
    private static final int GOAWAY = 7;
    private static final int WINDOW_UPDATE = 8;
    private static final int CONTINUATION = 9;
    // flags
    private static final int END_STREAM = 0x1;
    private static final int ACK = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int PADDED = 0x8;
    private static final int PRIORITY_FLAG = 0x20;
    // settings
    private static final int HEADER_TABLE_SIZE = 1;
    private static final int INITIAL_WINDOW_SIZE = 4;

    // what the bytes being read are: each is a piece of known length (want); FIELD pieces go to
    // field, FRAGMENT ones to block, the others are skipped
    private static final int PREFACE_BYTES = 0;
    private static final int FRAME_HEADER = 1; // FIELD
    private static final int PAD_LENGTH = 2; // FIELD
    private static final int PRIORITY_FIELDS = 3;
    private static final int PROMISED_STREAM = 4; // FIELD
    private static final int FRAGMENT = 5;
    private static final int PADDING = 6;
    private static final int REST = 7; // the rest of the frame, skipped; then the frame is done
    private static final int FIXED = 8; // FIELD: RST_STREAM's, WINDOW_UPDATE's or GOAWAY's fields
    private static final int SETTING = 9; // FIELD: one setting

    private final FrameListener listener;
    private final Hpack hpack = new Hpack();
    private boolean dead;
    private boolean first = true;

    private int piece;
    private int want;
    private int have;
    private final byte[] field = new byte[9];

    // the frame being read
    private int length;
    private int type;
    private int flags;
    private int stream;
    /** Payload bytes not yet in a piece. */
    private int left;
    private int pad;
    // what a frame reports once read: WINDOW_UPDATE's increment, GOAWAY's last stream or SETTINGS'
    // initial window size; an error code; SETTINGS' header table size
    private int number;
    private long code;
    private int tableSize;

    // the header block being gathered
    private byte[] block = new byte[INITIAL_BLOCK];
    private int blockLength;
    /** The stream whose block is not complete yet (a CONTINUATION must follow), or 0. */
    private int blockStream;
    private boolean blockEndStream;
    private boolean blockPushed;

    /**
     * clientPreface: this direction starts with the client's connection preface
     * ({@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}), which is checked and skipped.
     */
    public FrameReader(boolean clientPreface, FrameListener listener) {
        this.listener = Objects.requireNonNull(listener);
        if (clientPreface) {
            piece = PREFACE_BYTES;
            want = PREFACE.length;
        } else {
            piece = FRAME_HEADER;
            want = 9;
        }
    }

    /**
     * The next bytes of the direction, in order: {@code n} bytes from {@code offset} of a
     * {@code byte[]} or a {@link ByteBuffer} (absolute indexes; its position and limit are
     * neither used nor changed). Any split is fine: a frame header or a header block may span
     * many feeds, one feed may hold many frames.
     */
    public void feed(Object data, int offset, int n) {
        if (dead || n == 0) {
            return;
        }
        byte[] a;
        ByteBuffer bb = null;
        int i;
        if (data instanceof byte[]) {
            a = (byte[]) data;
            if (offset < 0 || n < 0 || n > a.length - offset) {
                lost("feed out of bounds");
                return;
            }
            i = offset;
        } else if (data instanceof ByteBuffer) {
            bb = (ByteBuffer) data;
            if (offset < 0 || n < 0 || n > bb.limit() - offset) {
                lost("feed out of bounds");
                return;
            }
            if (bb.hasArray()) {
                a = bb.array();
                i = bb.arrayOffset() + offset;
                bb = null;
            } else {
                a = null;
                i = offset;
            }
        } else {
            lost("feed of neither byte[] nor ByteBuffer");
            return;
        }
        int end = i + n;
        while (true) {
            while (have == want && !dead) {
                next();
            }
            if (dead || i == end) {
                return;
            }
            int take = Math.min(end - i, want - have);
            switch (piece) {
                case PREFACE_BYTES:
                    for (int k = 0; k < take; k++) {
                        if ((a != null ? a[i + k] : bb.get(i + k)) != PREFACE[have + k]) {
                            lost("no client connection preface");
                            return;
                        }
                    }
                    break;
                case FRAGMENT:
                    copy(a, bb, i, block, blockLength + have, take);
                    break;
                case FRAME_HEADER:
                case PAD_LENGTH:
                case PROMISED_STREAM:
                case FIXED:
                case SETTING:
                    copy(a, bb, i, field, have, take);
                    break;
                default: // skipped
            }
            have += take;
            i += take;
        }
    }

    /**
     * The SETTINGS_HEADER_TABLE_SIZE the other direction announced: it bounds the table this
     * direction's encoder may use (default 4096, at most {@value Hpack#MAX_TABLE_SIZE}).
     */
    public void maxHeaderTableSize(int size) {
        hpack.maxTableSize(size);
    }

    /** Whether the reader lost track: it ignores the rest of the direction. */
    public boolean lost() {
        return dead;
    }

    Hpack hpack() {
        return hpack;
    }

    private static void copy(byte[] a, ByteBuffer bb, int from, byte[] to, int at, int n) {
        if (a != null) {
            System.arraycopy(a, from, to, at, n);
            return;
        }
        // Java 11 has no absolute bulk get; eight bytes a call cost less than one (each access
        // to a direct buffer is checked), and a duplicate to read from would be an allocation
        int k = 0;
        if (n >= 8) {
            boolean swap = bb.order() != ByteOrder.BIG_ENDIAN;
            for (; k <= n - 8; k += 8) {
                long v = bb.getLong(from + k);
                LONGS.set(to, at + k, swap ? Long.reverseBytes(v) : v);
            }
        }
        for (; k < n; k++) {
            to[at + k] = bb.get(from + k);
        }
    }

    /** The current piece is complete: acts on it, and sets the next. */
    private void next() {
        switch (piece) {
            case PREFACE_BYTES:
                expect(FRAME_HEADER, 9);
                break;
            case FRAME_HEADER:
                frame();
                break;
            case PAD_LENGTH:
                pad = field[0] & 0xff;
                afterPadLength();
                break;
            case PRIORITY_FIELDS:
            case PROMISED_STREAM:
                fragment();
                break;
            case FRAGMENT:
                blockLength += want;
                expect(PADDING, pad);
                break;
            case PADDING:
                expect(FRAME_HEADER, 9);
                if ((flags & END_HEADERS) != 0) {
                    block();
                }
                break;
            case FIXED:
                number = int31(0);
                code = (type == GOAWAY ? int32(4) : int32(0)) & 0xffffffffL;
                expect(REST, left);
                break;
            case SETTING:
                setting();
                break;
            default:
                done();
        }
    }

    private void expect(int p, int n) {
        piece = p;
        want = n;
        have = 0;
        left -= n;
    }

    /** A frame header has been read. */
    private void frame() {
        length = (field[0] & 0xff) << 16 | (field[1] & 0xff) << 8 | field[2] & 0xff;
        type = field[3] & 0xff;
        flags = field[4] & 0xff;
        stream = int31(5);
        left = length;
        if (first && (type != SETTINGS || (flags & ACK) != 0)) {
            lost("the first frame is not SETTINGS");
            return;
        }
        first = false;
        if (blockStream != 0 && (type != CONTINUATION || stream != blockStream)) {
            lost("a header block of stream " + blockStream + " is not continued");
            return;
        }
        switch (type) {
            case DATA:
                if (stream == 0) {
                    lost("DATA on stream 0");
                    return;
                }
                expect(REST, length);
                break;
            case HEADERS:
            case PUSH_PROMISE:
                if (stream == 0) {
                    lost(type == HEADERS ? "HEADERS on stream 0" : "PUSH_PROMISE on stream 0");
                    return;
                }
                blockStream = stream;
                blockEndStream = type == HEADERS && (flags & END_STREAM) != 0;
                blockPushed = type == PUSH_PROMISE;
                pad = 0;
                if ((flags & PADDED) != 0) {
                    expect(PAD_LENGTH, Math.min(1, length));
                } else {
                    afterPadLength();
                }
                break;
            case CONTINUATION:
                if (blockStream == 0) {
                    lost("CONTINUATION without a header block");
                    return;
                }
                pad = 0;
                fragment();
                break;
            case RST_STREAM:
            case WINDOW_UPDATE:
                if (length != 4 || stream == 0 && type == RST_STREAM) {
                    lost(type == RST_STREAM ? "bad RST_STREAM" : "bad WINDOW_UPDATE");
                    return;
                }
                expect(FIXED, 4);
                break;
            case GOAWAY:
                if (length < 8 || stream != 0) {
                    lost("bad GOAWAY");
                    return;
                }
                expect(FIXED, 8);
                break;
            case SETTINGS:
                if (stream != 0 || ((flags & ACK) != 0 ? length != 0 : length % 6 != 0)) {
                    lost("bad SETTINGS");
                    return;
                }
                number = -1;
                tableSize = -1;
                expect(length > 0 ? SETTING : REST, length > 0 ? 6 : 0);
                break;
            case PING:
                if (length != 8 || stream != 0) {
                    lost("bad PING");
                    return;
                }
                expect(REST, length);
                break;
            case PRIORITY:
                if (length != 5 || stream == 0) {
                    lost("bad PRIORITY");
                    return;
                }
                expect(REST, length);
                break;
            default: // an unknown type: skipped (RFC 7540 4.1)
                expect(REST, length);
        }
    }

    /** HEADERS or PUSH_PROMISE, after the pad length if any. */
    private void afterPadLength() {
        if ((flags & PADDED) != 0 && length < 1) {
            lost("padded frame of no length");
        } else if (type == PUSH_PROMISE) {
            expect(PROMISED_STREAM, Math.min(4, left));
        } else if ((flags & PRIORITY_FLAG) != 0) {
            expect(PRIORITY_FIELDS, Math.min(5, left));
        } else {
            fragment();
        }
    }

    /** The frame's part of the header block is next: all that is left but its padding. */
    private void fragment() {
        if (piece == PROMISED_STREAM && have < 4 || piece == PRIORITY_FIELDS && have < 5) {
            lost("frame too short for its fields");
            return;
        }
        int n = left - pad;
        if (n < 0) {
            lost("padding past the frame");
            return;
        }
        if (n > MAX_BLOCK - blockLength) {
            lost("header block over 64 KiB");
            return;
        }
        if (blockLength + n > block.length) {
            block = Arrays.copyOf(block, Math.min(MAX_BLOCK, Math.max(blockLength + n, block.length * 2)));
        }
        expect(FRAGMENT, n);
    }

    /** A whole header block is in: decodes it (and then forgets its bytes). */
    private void block() {
        boolean ok = hpack.decode(block, 0, blockLength);
        Arrays.fill(block, 0, blockLength, (byte) 0);
        if (block.length > KEPT_BLOCK) {
            block = new byte[INITIAL_BLOCK]; // blocks this large are rare: their room is not kept
        }
        blockLength = 0;
        int s = blockStream;
        blockStream = 0;
        if (!ok) {
            lost("HPACK: " + hpack.error());
        } else if (!blockPushed) {
            listener.headers(s, blockEndStream, hpack.method(), hpack.path(), hpack.status(), hpack.grpcStatus());
        }
    }

    private void setting() {
        int id = (field[0] & 0xff) << 8 | field[1] & 0xff;
        long v = int32(2) & 0xffffffffL;
        if (id == HEADER_TABLE_SIZE) {
            tableSize = (int) Math.min(v, Integer.MAX_VALUE);
        } else if (id == INITIAL_WINDOW_SIZE) {
            if (v > Integer.MAX_VALUE) {
                lost("SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1");
                return;
            }
            number = (int) v;
        }
        expect(left > 0 ? SETTING : REST, left > 0 ? 6 : 0);
    }

    /** The frame is read. */
    private void done() {
        expect(FRAME_HEADER, 9);
        switch (type) {
            case DATA:
                listener.data(stream, length, (flags & END_STREAM) != 0);
                break;
            case RST_STREAM:
                listener.reset(stream, code);
                break;
            case WINDOW_UPDATE:
                listener.windowUpdate(stream, number);
                break;
            case GOAWAY:
                listener.goAway(number, code);
                break;
            case SETTINGS:
                if ((flags & ACK) == 0) {
                    listener.settings(number, tableSize);
                }
                break;
            default:
        }
    }

    private int int32(int at) {
        return (field[at] & 0xff) << 24 | (field[at + 1] & 0xff) << 16 | (field[at + 2] & 0xff) << 8
                | field[at + 3] & 0xff;
    }

    /** 31 bits: a stream id or window increment, its reserved bit ignored. */
    private int int31(int at) {
        return int32(at) & 0x7fffffff;
    }

    private void lost(String why) {
        if (!dead) {
            dead = true;
            block = null; // it may hold part of a block: nothing reads it any more
            listener.lost(why);
        }
    }
}
