package io.wiretrace.analysis.h2;

/**
 * The Huffman code of HPACK (RFC 7541 Appendix B), and the table that decodes it four bits at a
 * time. A decoding state is an internal node of the code's tree (257 symbols make 256 of them, the
 * root being state 0); per state and nibble the table gives the next state and the symbol the
 * nibble completed, if any. The shortest code is five bits long, so a nibble completes at most one.
 */
final class Huffman {
    /**
     * Per symbol (the bytes 0 to 255, then EOS), its code, aligned to the least significant bit,
     * and the code's length in bits: RFC 7541 Appendix B, row by row.
     */
    static final int[] CODE = {
        0x1ff8, 13, 0x7fffd8, 23, 0xfffffe2, 28, 0xfffffe3, 28, 0xfffffe4, 28, 0xfffffe5, 28,       // 0-5
        0xfffffe6, 28, 0xfffffe7, 28, 0xfffffe8, 28, 0xffffea, 24, 0x3ffffffc, 30, 0xfffffe9, 28,   // 6-11
        0xfffffea, 28, 0x3ffffffd, 30, 0xfffffeb, 28, 0xfffffec, 28, 0xfffffed, 28, 0xfffffee, 28,  // 12-17
        0xfffffef, 28, 0xffffff0, 28, 0xffffff1, 28, 0xffffff2, 28, 0x3ffffffe, 30, 0xffffff3, 28,  // 18-23
        0xffffff4, 28, 0xffffff5, 28, 0xffffff6, 28, 0xffffff7, 28, 0xffffff8, 28, 0xffffff9, 28,   // 24-29
        0xffffffa, 28, 0xffffffb, 28, 0x14, 6, 0x3f8, 10, 0x3f9, 10, 0xffa, 12,                     // 30-'#'
        0x1ff9, 13, 0x15, 6, 0xf8, 8, 0x7fa, 11, 0x3fa, 10, 0x3fb, 10,                              // '$'-')'
        0xf9, 8, 0x7fb, 11, 0xfa, 8, 0x16, 6, 0x17, 6, 0x18, 6,                                     // '*'-'/'
        0x0, 5, 0x1, 5, 0x2, 5, 0x19, 6, 0x1a, 6, 0x1b, 6,                                          // '0'-'5'
        0x1c, 6, 0x1d, 6, 0x1e, 6, 0x1f, 6, 0x5c, 7, 0xfb, 8,                                       // '6'-';'
        0x7ffc, 15, 0x20, 6, 0xffb, 12, 0x3fc, 10, 0x1ffa, 13, 0x21, 6,                             // '<'-'A'
        0x5d, 7, 0x5e, 7, 0x5f, 7, 0x60, 7, 0x61, 7, 0x62, 7,                                       // 'B'-'G'
        0x63, 7, 0x64, 7, 0x65, 7, 0x66, 7, 0x67, 7, 0x68, 7,                                       // 'H'-'M'
        0x69, 7, 0x6a, 7, 0x6b, 7, 0x6c, 7, 0x6d, 7, 0x6e, 7,                                       // 'N'-'S'
        0x6f, 7, 0x70, 7, 0x71, 7, 0x72, 7, 0xfc, 8, 0x73, 7,                                       // 'T'-'Y'
        0xfd, 8, 0x1ffb, 13, 0x7fff0, 19, 0x1ffc, 13, 0x3ffc, 14, 0x22, 6,                          // 'Z'-'_'
        0x7ffd, 15, 0x3, 5, 0x23, 6, 0x4, 5, 0x24, 6, 0x5, 5,                                       // '`'-'e'
        0x25, 6, 0x26, 6, 0x27, 6, 0x6, 5, 0x74, 7, 0x75, 7,                                        // 'f'-'k'
        0x28, 6, 0x29, 6, 0x2a, 6, 0x7, 5, 0x2b, 6, 0x76, 7,                                        // 'l'-'q'
        0x2c, 6, 0x8, 5, 0x9, 5, 0x2d, 6, 0x77, 7, 0x78, 7,                                         // 'r'-'w'
        0x79, 7, 0x7a, 7, 0x7b, 7, 0x7ffe, 15, 0x7fc, 11, 0x3ffd, 14,                               // 'x'-'}'
        0x1ffd, 13, 0xffffffc, 28, 0xfffe6, 20, 0x3fffd2, 22, 0xfffe7, 20, 0xfffe8, 20,             // '~'-131
        0x3fffd3, 22, 0x3fffd4, 22, 0x3fffd5, 22, 0x7fffd9, 23, 0x3fffd6, 22, 0x7fffda, 23,         // 132-137
        0x7fffdb, 23, 0x7fffdc, 23, 0x7fffdd, 23, 0x7fffde, 23, 0xffffeb, 24, 0x7fffdf, 23,         // 138-143
        0xffffec, 24, 0xffffed, 24, 0x3fffd7, 22, 0x7fffe0, 23, 0xffffee, 24, 0x7fffe1, 23,         // 144-149
        0x7fffe2, 23, 0x7fffe3, 23, 0x7fffe4, 23, 0x1fffdc, 21, 0x3fffd8, 22, 0x7fffe5, 23,         // 150-155
        0x3fffd9, 22, 0x7fffe6, 23, 0x7fffe7, 23, 0xffffef, 24, 0x3fffda, 22, 0x1fffdd, 21,         // 156-161
        0xfffe9, 20, 0x3fffdb, 22, 0x3fffdc, 22, 0x7fffe8, 23, 0x7fffe9, 23, 0x1fffde, 21,          // 162-167
        0x7fffea, 23, 0x3fffdd, 22, 0x3fffde, 22, 0xfffff0, 24, 0x1fffdf, 21, 0x3fffdf, 22,         // 168-173
        0x7fffeb, 23, 0x7fffec, 23, 0x1fffe0, 21, 0x1fffe1, 21, 0x3fffe0, 22, 0x1fffe2, 21,         // 174-179
        0x7fffed, 23, 0x3fffe1, 22, 0x7fffee, 23, 0x7fffef, 23, 0xfffea, 20, 0x3fffe2, 22,          // 180-185
        0x3fffe3, 22, 0x3fffe4, 22, 0x7ffff0, 23, 0x3fffe5, 22, 0x3fffe6, 22, 0x7ffff1, 23,         // 186-191
        0x3ffffe0, 26, 0x3ffffe1, 26, 0xfffeb, 20, 0x7fff1, 19, 0x3fffe7, 22, 0x7ffff2, 23,         // 192-197
        0x3fffe8, 22, 0x1ffffec, 25, 0x3ffffe2, 26, 0x3ffffe3, 26, 0x3ffffe4, 26, 0x7ffffde, 27,    // 198-203
        0x7ffffdf, 27, 0x3ffffe5, 26, 0xfffff1, 24, 0x1ffffed, 25, 0x7fff2, 19, 0x1fffe3, 21,       // 204-209
        0x3ffffe6, 26, 0x7ffffe0, 27, 0x7ffffe1, 27, 0x3ffffe7, 26, 0x7ffffe2, 27, 0xfffff2, 24,    // 210-215
        0x1fffe4, 21, 0x1fffe5, 21, 0x3ffffe8, 26, 0x3ffffe9, 26, 0xffffffd, 28, 0x7ffffe3, 27,     // 216-221
        0x7ffffe4, 27, 0x7ffffe5, 27, 0xfffec, 20, 0xfffff3, 24, 0xfffed, 20, 0x1fffe6, 21,         // 222-227
        0x3fffe9, 22, 0x1fffe7, 21, 0x1fffe8, 21, 0x7ffff3, 23, 0x3fffea, 22, 0x3fffeb, 22,         // 228-233
        0x1ffffee, 25, 0x1ffffef, 25, 0xfffff4, 24, 0xfffff5, 24, 0x3ffffea, 26, 0x7ffff4, 23,      // 234-239
        0x3ffffeb, 26, 0x7ffffe6, 27, 0x3ffffec, 26, 0x3ffffed, 26, 0x7ffffe7, 27, 0x7ffffe8, 27,   // 240-245
        0x7ffffe9, 27, 0x7ffffea, 27, 0x7ffffeb, 27, 0xffffffe, 28, 0x7ffffec, 27, 0x7ffffed, 27,   // 246-251
        0x7ffffee, 27, 0x7ffffef, 27, 0x7fffff0, 27, 0x3ffffee, 26, 0x3fffffff, 30,                 // 252-EOS
    };
    static final int EOS = 256;

    // a STEP entry: the next state in the low 8 bits, then the symbol, then these flags
    static final int EMIT = 1 << 16; // the nibble completed the symbol
    static final int FAIL = 1 << 17; // the nibble completed EOS, which no string may hold
    /** Per state * 16 + nibble: next state | symbol << 8 | EMIT | FAIL. */
    static final int[] STEP = new int[256 * 16];
    /**
     * The states a string may end in: the root, or up to seven 1 bits into a code. A string's
     * padding is the most significant bits of EOS (all ones) and shorter than a byte (RFC 7541 5.2).
     */
    static final boolean[] END = new boolean[256];

    static {
        // the tree: per internal node and bit, an internal node (> 0), a leaf as -1 - symbol, or
        // 0 while unset (the root, node 0, is nobody's child)
        int[] child = new int[256 * 2];
        int nodes = 1;
        for (int sym = 0; sym <= EOS; sym++) {
            int code = CODE[2 * sym];
            int length = CODE[2 * sym + 1];
            int node = 0;
            for (int bit = length - 1; bit > 0; bit--) {
                int i = 2 * node + (code >>> bit & 1);
                if (child[i] == 0) {
                    child[i] = nodes++;
                }
                node = child[i];
            }
            child[2 * node + (code & 1)] = -1 - sym;
        }
        for (int state = 0; state < 256; state++) {
            for (int nibble = 0; nibble < 16; nibble++) {
                int node = state;
                int entry = 0;
                for (int bit = 3; bit >= 0; bit--) {
                    int c = child[2 * node + (nibble >>> bit & 1)];
                    if (c < 0) {
                        entry |= -1 - c == EOS ? FAIL : EMIT | (-1 - c) << 8;
                        node = 0;
                    } else {
                        node = c;
                    }
                }
                STEP[state * 16 + nibble] = entry | node;
            }
        }
        int node = 0;
        END[0] = true;
        for (int ones = 1; ones <= 7; ones++) {
            node = child[2 * node + 1];
            END[node] = true;
        }
    }

    private Huffman() {
    }

    /** The length of a Huffman-coded string once decoded, or -1 if it is not a valid one. */
    static int length(byte[] b, int offset, int n) {
        int state = 0;
        int length = 0;
        for (int i = offset, end = offset + n; i < end; i++) {
            int x = b[i];
            int t = STEP[state << 4 | x >>> 4 & 15];
            int u = STEP[(t & 255) << 4 | x & 15];
            if (((t | u) & FAIL) != 0) {
                return -1;
            }
            length += (t >>> 16 & 1) + (u >>> 16 & 1);
            state = u & 255;
        }
        return END[state] ? length : -1;
    }
}
