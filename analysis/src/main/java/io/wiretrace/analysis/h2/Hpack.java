package io.wiretrace.analysis.h2;

import io.wiretrace.analysis.http.RequestLine;
import java.nio.charset.StandardCharsets;

/**
 * An HPACK decoder (RFC 7541) for one direction of one connection that keeps only what wiretrace
 * reports: of each header block, its {@code :method}, {@code :path}, {@code :status} and
 * {@code grpc-status}. The dynamic table follows the encoder's exactly, evicting by the entries'
 * real sizes, but holds values only for those four names; any other entry is its size and nothing
 * more, so that cookies, tokens and the like are never kept. A value that is not kept is not made
 * into a string: a literal one is skipped, a Huffman-coded one that enters the table is decoded
 * only for its length. The path is kept as {@link RequestLine} records an HTTP/1.x target: cut at
 * {@link RequestLine#MAX_TARGET} characters, its query replaced by {@link RequestLine#REDACTED_QUERY}
 * (the query is never decoded into memory), its path parameters and an absolute form's userinfo
 * dropped.
 *
 * <p>{@link #decode} never throws: a malformed block leaves the decoder broken (its table no longer
 * matches the encoder's), and every later block fails too. Single-threaded. Once its buffers have
 * grown to what the blocks need, decoding allocates nothing but the strings of kept values that
 * were not already in the table (a new path, an unusual method).
 */
public final class Hpack {
    /** The table size an encoder may use until told otherwise (RFC 7540 6.5.2). */
    public static final int DEFAULT_TABLE_SIZE = 4096;
    /**
     * The largest table followed; browsers announce 64 KiB, and a larger one would cost memory per
     * connection. A size update beyond it breaks the decoder.
     */
    public static final int MAX_TABLE_SIZE = 65536;
    /** An entry's size beyond its name and value (RFC 7541 4.1). */
    static final int ENTRY_OVERHEAD = 32;

    // what an entry's name is, for the names whose values are kept
    static final byte OTHER = 0;
    static final byte METHOD = 1;
    static final byte PATH = 2;
    static final byte STATUS = 3;
    static final byte GRPC_STATUS = 4;
    private static final String[] KEPT_NAMES = {null, ":method", ":path", ":status", "grpc-status"};
    private static final byte[][] KEPT_NAME_BYTES = new byte[KEPT_NAMES.length][];
    private static final int LONGEST_KEPT_NAME = 11;
    // the longest values kept of the short ones (a method, a status): more is cut
    private static final int MAX_METHOD = 32;
    private static final int MAX_STATUS = 16;

    /** The static table (RFC 7541 Appendix A): per index (from 1), name then value. */
    private static final String[] STATIC = {
        null, null,
        ":authority", "", ":method", "GET", ":method", "POST", ":path", "/", ":path", "/index.html",
        ":scheme", "http", ":scheme", "https", ":status", "200", ":status", "204", ":status", "206",
        ":status", "304", ":status", "400", ":status", "404", ":status", "500", "accept-charset", "",
        "accept-encoding", "gzip, deflate", "accept-language", "", "accept-ranges", "", "accept", "",
        "access-control-allow-origin", "", "age", "", "allow", "", "authorization", "", "cache-control", "",
        "content-disposition", "", "content-encoding", "", "content-language", "", "content-length", "",
        "content-location", "", "content-range", "", "content-type", "", "cookie", "", "date", "", "etag", "",
        "expect", "", "expires", "", "from", "", "host", "", "if-match", "", "if-modified-since", "",
        "if-none-match", "", "if-range", "", "if-unmodified-since", "", "last-modified", "", "link", "",
        "location", "", "max-forwards", "", "proxy-authenticate", "", "proxy-authorization", "", "range", "",
        "referer", "", "refresh", "", "retry-after", "", "server", "", "set-cookie", "",
        "strict-transport-security", "", "transfer-encoding", "", "user-agent", "", "vary", "", "via", "",
        "www-authenticate", "",
    };
    static final int STATIC_LENGTH = 61;
    private static final byte[] STATIC_KIND = new byte[STATIC_LENGTH + 1];
    private static final int[] STATIC_STATUS = new int[STATIC_LENGTH + 1];
    /** grpc-status values of one or two digits, so that the usual ones cost no string. */
    private static final String[] SMALL_NUMBERS = new String[100];

    static {
        for (int k = 1; k < KEPT_NAMES.length; k++) {
            KEPT_NAME_BYTES[k] = KEPT_NAMES[k].getBytes(StandardCharsets.US_ASCII);
        }
        for (int i = 1; i <= STATIC_LENGTH; i++) {
            String name = STATIC[2 * i];
            for (byte k = 1; k < KEPT_NAMES.length; k++) {
                if (KEPT_NAMES[k].equals(name)) {
                    STATIC_KIND[i] = k;
                }
            }
            if (STATIC_KIND[i] == STATUS) {
                STATIC_STATUS[i] = Integer.parseInt(STATIC[2 * i + 1]);
            }
        }
        for (int i = 0; i < SMALL_NUMBERS.length; i++) {
            SMALL_NUMBERS[i] = Integer.toString(i);
        }
    }

    // the last block's headers
    private String method;
    private String path;
    private int status;
    private String grpcStatus;
    private String error;

    /** The largest size an update may set: the decoder's side's SETTINGS_HEADER_TABLE_SIZE. */
    private int limit = DEFAULT_TABLE_SIZE;
    /** The table's maximum size, as the encoder last set it. */
    private int capacity = DEFAULT_TABLE_SIZE;
    private int size;
    // the dynamic table: a ring, newest entry at head; per entry its name's length, its size, what
    // its name is and, for the names kept, its value (a status as a number)
    private int count;
    private int head = -1;
    private int[] nameLength = new int[16];
    private int[] entrySize = new int[16];
    private byte[] kind = new byte[16];
    private String[] value = new String[16];
    private int[] number = new int[16];

    // decoding
    private int pos;
    /** Room for the kept bytes of a name or value being decoded. */
    private byte[] scratch;
    private int kept;
    private boolean cut;

    /** A decoder for an encoder whose table starts at the default size, 4096. */
    public Hpack() {
    }

    /**
     * A decoder for an encoder whose table starts at {@code tableSize} (at most
     * {@link #MAX_TABLE_SIZE}), as agreed outside the blocks; also the bound of updates.
     */
    public Hpack(int tableSize) {
        maxTableSize(tableSize);
        capacity = limit;
    }

    /**
     * Bounds the size a table size update may set (the SETTINGS_HEADER_TABLE_SIZE the decoding
     * side announced), at most {@link #MAX_TABLE_SIZE}. The table itself changes only when the
     * encoder sends an update: a smaller bound is followed by one in the encoder's next block.
     */
    public void maxTableSize(int size) {
        limit = Math.max(0, Math.min(size, MAX_TABLE_SIZE));
    }

    /**
     * Decodes one complete header block; false if it is malformed, or an earlier one was (then
     * {@link #error} says why, and no header is reported). The block's kept headers are then
     * {@link #method}, {@link #path}, {@link #status} and {@link #grpcStatus}.
     */
    public boolean decode(byte[] b, int offset, int length) {
        method = null;
        path = null;
        status = 0;
        grpcStatus = null;
        if (error != null) {
            return false;
        }
        if (b == null || offset < 0 || length < 0 || length > b.length - offset) {
            return fail("block out of bounds");
        }
        pos = offset;
        int end = offset + length;
        while (pos < end) {
            int c = b[pos] & 0xff;
            boolean ok;
            if (c >= 0x80) {
                ok = indexed(b, end);
            } else if (c >= 0x40) {
                ok = literal(b, end, 6, true);
            } else if (c >= 0x20) {
                ok = sizeUpdate(b, end);
            } else {
                ok = literal(b, end, 4, false); // without indexing (0000) or never indexed (0001)
            }
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The last block's {@code :method}, or null. */
    public String method() {
        return method;
    }

    /** The last block's {@code :path} as recorded (cut, its query replaced), or null. */
    public String path() {
        return path;
    }

    /** The last block's {@code :status}, or 0 if none (or not three digits). */
    public int status() {
        return status;
    }

    /** The last block's {@code grpc-status}, or null. */
    public String grpcStatus() {
        return grpcStatus;
    }

    /** Why a block could not be decoded, or null. */
    public String error() {
        return error;
    }

    private boolean indexed(byte[] b, int end) {
        int index = integer(b, end, 7);
        if (index <= 0) {
            return fail(index == 0 ? "index 0" : "bad index");
        }
        if (index <= STATIC_LENGTH) {
            byte k = STATIC_KIND[index];
            if (k != OTHER) {
                report(k, STATIC[2 * index + 1], STATIC_STATUS[index]);
            }
            return true;
        }
        if (index - STATIC_LENGTH > count) {
            return fail("index " + index + " past the table");
        }
        int e = slot(index - STATIC_LENGTH - 1);
        report(kind[e], value[e], number[e]);
        return true;
    }

    private boolean literal(byte[] b, int end, int prefix, boolean indexing) {
        int index = integer(b, end, prefix);
        if (index < 0) {
            return fail("bad index");
        }
        int nameLen;
        byte k;
        if (index == 0) {
            // a new name: decoded only far enough to tell whether it is one kept
            int n = string(b, end, LONGEST_KEPT_NAME + 1, -1, indexing);
            if (n < 0) {
                return false;
            }
            nameLen = n;
            k = n <= LONGEST_KEPT_NAME && kept == n ? keptName(scratch, n) : OTHER;
        } else if (index <= STATIC_LENGTH) {
            nameLen = STATIC[2 * index].length();
            k = STATIC_KIND[index];
        } else if (index - STATIC_LENGTH <= count) {
            int e = slot(index - STATIC_LENGTH - 1);
            nameLen = nameLength[e];
            k = kind[e];
        } else {
            return fail("name index " + index + " past the table");
        }
        int valueLen;
        String v = null;
        int num = 0;
        switch (k) {
            case METHOD:
                valueLen = string(b, end, MAX_METHOD, -1, indexing);
                v = valueLen < 0 ? null : method(scratch, kept);
                break;
            case PATH:
                valueLen = string(b, end, RequestLine.MAX_TARGET, '?', indexing);
                v = valueLen < 0 ? null : path(scratch, kept, cut);
                break;
            case STATUS:
                valueLen = string(b, end, MAX_STATUS, -1, indexing);
                num = status(scratch, kept);
                break;
            case GRPC_STATUS:
                valueLen = string(b, end, MAX_STATUS, -1, indexing);
                v = valueLen < 0 ? null : number(scratch, kept);
                break;
            default:
                valueLen = string(b, end, 0, -1, indexing);
        }
        if (valueLen < 0) {
            return false;
        }
        if (k != OTHER) {
            report(k, v, num);
        }
        if (indexing) {
            add(nameLen, valueLen, k, v, num);
        }
        return true;
    }

    private boolean sizeUpdate(byte[] b, int end) {
        int n = integer(b, end, 5);
        if (n < 0) {
            return fail("bad table size update");
        }
        if (n > limit) {
            return fail("table size update to " + n + " over " + limit);
        }
        capacity = n;
        evict(0);
        return true;
    }

    /**
     * Reads a string literal at pos: returns its decoded length, or -1 (failed). Up to
     * {@code max} of its first bytes go to scratch ({@link #kept} of them), up to a {@code stop}
     * byte if one comes first ({@link #cut} then); {@code whole}: its whole length is needed
     * (else a Huffman-coded one is decoded only as far as the bytes kept, and the length returned
     * may be short).
     */
    private int string(byte[] b, int end, int max, int stop, boolean whole) {
        kept = 0;
        cut = false;
        if (pos >= end) {
            fail("block ends in a header");
            return -1;
        }
        boolean huffman = b[pos] < 0;
        int n = integer(b, end, 7);
        if (n < 0 || n > end - pos) {
            fail("string past the block");
            return -1;
        }
        int from = pos;
        pos += n;
        if (max == 0 && (!huffman || !whole)) {
            return n; // a value not kept: its length (if needed) is its literal length
        }
        if (max > 0 && (scratch == null || scratch.length < max)) {
            scratch = new byte[Math.max(max, 64)];
        }
        if (!huffman) {
            int m = Math.min(n, max);
            for (int i = 0; i < m; i++) {
                byte c = b[from + i];
                if ((c & 0xff) == stop) {
                    cut = true;
                    break;
                }
                scratch[kept++] = c;
            }
            return n;
        }
        if (max == 0) {
            int length = Huffman.length(b, from, n);
            if (length < 0) {
                fail("bad Huffman string");
            }
            return length;
        }
        return huffman(b, from, n, max, stop, whole);
    }

    private int huffman(byte[] b, int from, int n, int max, int stop, boolean whole) {
        int[] step = Huffman.STEP;
        byte[] out = scratch;
        int state = 0;
        int length = 0;
        int room = max;
        for (int i = from, end = from + n; i < end; i++) {
            int x = b[i];
            for (int half = 0; half < 2; half++) {
                int t = step[state << 4 | (half == 0 ? x >>> 4 & 15 : x & 15)];
                state = t & 255;
                if ((t & (Huffman.EMIT | Huffman.FAIL)) != 0) {
                    if ((t & Huffman.FAIL) != 0) {
                        fail("EOS in a Huffman string");
                        return -1;
                    }
                    length++;
                    if (kept < room) {
                        int c = t >>> 8 & 255;
                        if (c == stop) {
                            cut = true;
                            room = kept;
                        } else {
                            out[kept++] = (byte) c;
                        }
                    } else if (!whole) {
                        return length; // all that is kept is decoded
                    }
                }
            }
        }
        if (!Huffman.END[state]) {
            fail("bad Huffman padding");
            return -1;
        }
        return length;
    }

    /**
     * An HPACK integer with an n-bit prefix at pos (RFC 7541 5.1), or -1 (the block ends in it, or
     * it is beyond 2^28: no index, length or size can be that large).
     */
    private int integer(byte[] b, int end, int n) {
        if (pos >= end) {
            return -1;
        }
        int max = (1 << n) - 1;
        int v = b[pos++] & max;
        if (v < max) {
            return v;
        }
        for (int shift = 0; shift <= 21; shift += 7) {
            if (pos >= end) {
                return -1;
            }
            int c = b[pos++];
            v += (c & 0x7f) << shift;
            if (c >= 0) {
                return v;
            }
        }
        return -1;
    }

    private void report(byte k, String v, int num) {
        switch (k) {
            case METHOD:
                method = v;
                break;
            case PATH:
                path = v;
                break;
            case STATUS:
                status = num;
                break;
            case GRPC_STATUS:
                grpcStatus = v;
                break;
            default:
        }
    }

    private static byte keptName(byte[] s, int n) {
        for (byte k = 1; k < KEPT_NAME_BYTES.length; k++) {
            byte[] name = KEPT_NAME_BYTES[k];
            if (name.length == n && equal(s, name, n)) {
                return k;
            }
        }
        return OTHER;
    }

    private static boolean equal(byte[] a, byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** The method, as the constant of {@link RequestLine#METHODS} when it is one of them. */
    private static String method(byte[] s, int n) {
        for (String m : RequestLine.METHODS) {
            if (m.length() == n && equalChars(s, m, n)) {
                return m;
            }
        }
        return new String(s, 0, n, StandardCharsets.ISO_8859_1);
    }

    private static boolean equalChars(byte[] s, String m, int n) {
        for (int i = 0; i < n; i++) {
            if (s[i] != m.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The path from its first bytes (up to a query, at most MAX_TARGET), as RequestLine records it. */
    private static String path(byte[] s, int n, boolean query) {
        boolean plain = n > 0 && s[0] == '/';
        for (int i = 0; i < n && plain; i++) {
            plain = s[i] != ';';
        }
        if (!plain) { // path parameters, an absolute form: RequestLine's rules, at the cost of a copy
            String seen = new String(s, 0, n, StandardCharsets.ISO_8859_1);
            return RequestLine.target(query ? seen + "?" : seen);
        }
        if (!query) {
            return new String(s, 0, n, StandardCharsets.ISO_8859_1);
        }
        String redacted = RequestLine.REDACTED_QUERY;
        char[] c = new char[n + redacted.length()];
        for (int i = 0; i < n; i++) {
            c[i] = (char) (s[i] & 0xff);
        }
        redacted.getChars(0, redacted.length(), c, n);
        return new String(c);
    }

    /** Three digits as a number, else 0. */
    private static int status(byte[] s, int n) {
        if (n != 3) {
            return 0;
        }
        int v = 0;
        for (int i = 0; i < 3; i++) {
            int d = s[i] - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static String number(byte[] s, int n) {
        if (n == 1 || n == 2) {
            int d0 = s[0] - '0';
            int d1 = n == 2 ? s[1] - '0' : 0;
            if (d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9) {
                return SMALL_NUMBERS[n == 2 ? d0 * 10 + d1 : d0];
            }
        }
        return new String(s, 0, n, StandardCharsets.ISO_8859_1);
    }

    /** Adds an entry (RFC 7541 4.4): older ones are evicted to make room; one larger than the table empties it. */
    private void add(int nameLen, int valueLen, byte k, String v, int num) {
        int s = nameLen + valueLen + ENTRY_OVERHEAD;
        if (s > capacity) {
            evict(capacity);
            return;
        }
        evict(s);
        if (count == entrySize.length) {
            grow();
        }
        head = (head + 1) & (entrySize.length - 1);
        nameLength[head] = nameLen;
        entrySize[head] = s;
        kind[head] = k;
        value[head] = v;
        number[head] = num;
        count++;
        size += s;
    }

    /** Evicts the oldest entries until {@code room} more fits. */
    private void evict(int room) {
        while (count > 0 && size + room > capacity) {
            int e = slot(count - 1);
            size -= entrySize[e];
            value[e] = null;
            count--;
        }
    }

    private void grow() {
        int n = entrySize.length * 2;
        int[] nl = new int[n];
        int[] es = new int[n];
        byte[] ki = new byte[n];
        String[] va = new String[n];
        int[] nu = new int[n];
        for (int i = 0; i < count; i++) {
            int e = slot(count - 1 - i); // oldest first
            nl[i] = nameLength[e];
            es[i] = entrySize[e];
            ki[i] = kind[e];
            va[i] = value[e];
            nu[i] = number[e];
        }
        nameLength = nl;
        entrySize = es;
        kind = ki;
        value = va;
        number = nu;
        head = count - 1;
    }

    /** The ring slot of dynamic entry i (0: the newest). */
    private int slot(int i) {
        return (head - i) & (entrySize.length - 1);
    }

    private boolean fail(String why) {
        if (error == null) {
            error = why;
        }
        method = null; // nothing of a broken block is reported
        path = null;
        status = 0;
        grpcStatus = null;
        return false;
    }

    // the table as the tests see it; i from 0, the newest entry

    int tableLength() {
        return count;
    }

    int tableSize() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    int entrySize(int i) {
        return entrySize[slot(i)];
    }

    /** The entry's name if it is one whose value is kept, else null (no other name is kept). */
    String entryName(int i) {
        return KEPT_NAMES[kind[slot(i)]];
    }

    /** The entry's value if kept, else null. */
    String entryValue(int i) {
        int e = slot(i);
        return kind[e] == STATUS ? Integer.toString(number[e]) : value[e];
    }

    /** Every value the table holds, evicted slots included, for the tests that look for secrets. */
    String[] values() {
        return value.clone();
    }
}
