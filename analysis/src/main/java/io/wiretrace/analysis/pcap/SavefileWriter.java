package io.wiretrace.analysis.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The capture files, rotated as tcpdump rotates its savefiles ({@code -C}, {@code -W}, {@code -G},
 * the same naming), in pcapng or nanosecond pcap. Only whole blocks reach a file: what a reader
 * sees is valid up to the last write, also after the JVM is killed. A write error ends the
 * capture: the file keeps the whole packets that reached it, and {@link #packet} returns false from
 * then on. All methods hold the one lock; the readers of several interfaces share it.
 */
public final class SavefileWriter {
    public enum Format {
        PCAPNG, PCAP
    }

    private static final int BUFFER = 1 << 20;
    private static final int SHB = 0x0A0D0D0A;
    private static final int IDB = 0x00000001;
    private static final int EPB = 0x00000006;
    private static final int PCAP_NANO_MAGIC = 0xa1b23c4d;

    final Path dir;
    final String pattern;
    public final Format format;
    /** -C in bytes (0: off), -W (0: off), -G in seconds (0: off). */
    public final long rotateBytes;
    public final int ring;
    public final long rotateSeconds;
    private final String application;
    private final int countWidth;
    private final ZoneId zone = ZoneId.systemDefault();
    private final List<int[]> interfaces = new ArrayList<>(); // {linkType, snaplen}
    private final List<String> names = new ArrayList<>();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final Set<Path> files = new LinkedHashSet<>();

    private FileChannel out;
    /** Room kept in a packet block for a comment written later: an option of a code readers skip. */
    static final int RESERVED = 60;
    /** The reserved room's filler, put in one copy rather than a byte at a time (every packet of the app's has one). */
    private static final byte[] SPACES = spaces(RESERVED);
    private static final int RESERVED_CODE = 0x8777;
    private long lastReservation = -1;
    /** Numbers the files as they are opened; the closed ones by number, for annotate(). */
    private int fileSeq;
    private final java.util.LinkedHashMap<Integer, Path> closedFiles = new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Path> eldest) {
            return size() > 1000;
        }
    };
    private Path current;
    private long fileBytes; // written to the current file, not counting buf
    private long[] bufferedOf = new long[0]; // per interface: packets in buf
    private long[] lostOf = new long[0]; // per interface: packets lost to the write error
    private long bufferedSince;
    private int sizeCount; // tcpdump's Cflag_count
    private int timeCount; // tcpdump's Gflag_count
    private long periodStart; // epoch second the current -G period began (tcpdump's Gflag_time)
    private String ended;
    private volatile boolean limitReached;
    private boolean headersPending; // the buffer holds a new file's headers, not packets

    /** A watch's ring (see {@link #retain}): the most its files take; 0 when this is not one. */
    private long retainBytes;
    private long retainNanos;
    private int retainFiles;
    private long chunkBytes;
    private long chunkNanos;
    private int ringSeq;
    /** The current file's first and last packet (ns since the epoch); 0: none yet. */
    private long fileFirst;
    private long fileLast;
    /** The ring's closed files, oldest first, and their bytes. */
    private final ArrayDeque<Kept> kept = new ArrayDeque<>();
    private long keptBytes;
    /** Files whose last packet is this late or later are not let go for their age (a trigger's window). */
    private long pinnedFrom = Long.MAX_VALUE;
    private long letGo;
    private String letGoFailure;

    /** A closed file of the ring: its packets' span and size. */
    public static final class Kept {
        public final Path path;
        public final long first;
        public final long last;
        public final long bytes;

        Kept(Path path, long first, long last, long bytes) {
            this.path = path;
            this.first = first;
            this.last = last;
            this.bytes = bytes;
        }
    }

    public SavefileWriter(Path dir, String pattern, Format format, long rotateBytes, int ring, long rotateSeconds,
            String application) {
        this.dir = dir;
        this.pattern = pattern;
        this.format = format;
        this.rotateBytes = rotateBytes;
        this.ring = ring;
        this.rotateSeconds = rotateSeconds;
        this.application = application;
        this.countWidth = digits(ring);
        Strftime.check(pattern);
    }

    /** tcpdump's getWflagChars: the digits that W - 1 needs (0 for W of 0 or 1). */
    static int digits(int ring) {
        int c = 0;
        for (int x = ring - 1; x > 0; x /= 10) {
            c++;
        }
        return c;
    }

    /** Registers an interface (numbered from 0 in this order); all of them before {@link #open}. */
    public synchronized int addInterface(int linkType, int snaplen, String name) {
        if (format == Format.PCAP && !interfaces.isEmpty()) {
            throw new IllegalArgumentException("--format pcap holds one interface; use pcapng to capture on several");
        }
        interfaces.add(new int[] {linkType, snaplen});
        names.add(name);
        return interfaces.size() - 1;
    }

    /** Creates the first file. */
    public synchronized void open(long epochSecond) throws IOException {
        bufferedOf = new long[interfaces.size()];
        lostOf = new long[interfaces.size()];
        periodStart = epochSecond;
        openFile(retainBytes > 0 ? name(++ringSeq, RING_DIGITS) : name(0, rotateBytes > 0 ? countWidth : 0));
    }

    private static final int RING_DIGITS = 6;

    /**
     * Makes this writer a watch's ring, before {@link #open}: files numbered on without end
     * (NAME000001, NAME000002 ...), a new one at -C bytes (else a tenth of {@code maxBytes}, from 1
     * to 64 MB) or a tenth of {@code maxAgeNanos}; at each new file the oldest closed ones are
     * deleted while the files would otherwise take more than {@code maxBytes} (the new one counted
     * full) or number more than {@code maxFiles} (0: any), or once their last packet is older than
     * {@code maxAgeNanos}. Deleted, never overwritten: a link to a file (a bundle being cut) keeps it whole.
     */
    public synchronized void retain(long maxBytes, long maxAgeNanos, int maxFiles) {
        retainBytes = maxBytes;
        retainNanos = maxAgeNanos;
        retainFiles = maxFiles;
        chunkBytes = rotateBytes > 0 ? rotateBytes : Math.max(1_000_000L, Math.min(64_000_000L, maxBytes / 10));
        chunkNanos = Math.max(1_000_000_000L, maxAgeNanos / 10);
    }

    /** The ring's packets from {@code from} (ns since the epoch) on are not deleted for their age; MAX_VALUE: none pinned. */
    public synchronized void pin(long from) {
        pinnedFrom = from;
    }

    /** Deletes the ring's closed files that are too old by now (when no packet came to start a new file). */
    public synchronized void expire(long nowNanos) {
        if (retainBytes > 0) {
            letGoOld(nowNanos, 0);
        }
    }

    /**
     * Closes the ring's current file (the next packet opens a new one) and links into {@code into}
     * each of the ring's files whose last packet is at {@code from} or later, oldest first; the
     * links keep them whole when the ring lets them go. Returns the files linked.
     */
    public synchronized List<Kept> cut(Path into, long from) throws IOException {
        if (retainBytes <= 0) {
            throw new IllegalStateException("not a ring");
        }
        if (fileFirst != 0 && out != null && ended == null) {
            nextRingFile(fileLast);
        }
        List<Kept> linked = new ArrayList<>();
        for (Kept k : kept) {
            if (k.last >= from) {
                Path link = into.resolve(k.path.getFileName());
                Files.createLink(link, k.path);
                linked.add(new Kept(link, k.first, k.last, k.bytes));
            }
        }
        return linked;
    }

    /** The ring's files: how many, their bytes, the first and last packet in them, how many were let go. */
    public synchronized String ring() {
        long first = kept.isEmpty() ? fileFirst : kept.peekFirst().first;
        long last = fileLast != 0 ? fileLast : kept.isEmpty() ? 0 : kept.peekLast().last;
        long bytes = keptBytes + fileBytes + buf.position();
        return (kept.size() + (out != null ? 1 : 0)) + " files, " + bytes / 1_000_000 + " MB of " + retainBytes / 1_000_000
                + " MB" + (first == 0 ? ", no packets yet" : ", packets of the last " + (last - first) / 1_000_000_000L + " s")
                + (letGo > 0 ? ", " + letGo + " older files deleted" : "")
                + (letGoFailure != null ? " (a delete failed: " + letGoFailure + ")" : "");
    }

    private void nextRingFile(long nowNanos) throws IOException {
        closeFile();
        kept.addLast(new Kept(current, fileFirst, fileLast, fileBytes));
        keptBytes += fileBytes;
        fileFirst = 0;
        fileLast = 0;
        letGoOld(nowNanos, chunkBytes + BUFFER);
        openFile(name(++ringSeq, RING_DIGITS));
    }

    /** Deletes the oldest closed files while the ring, with {@code coming} more bytes, is over its bounds. */
    private void letGoOld(long nowNanos, long coming) {
        while (!kept.isEmpty()) {
            Kept k = kept.peekFirst();
            boolean over = keptBytes + coming > retainBytes || (retainFiles > 0 && kept.size() + 1 > retainFiles);
            if (!over && (k.last >= nowNanos - retainNanos || k.last >= pinnedFrom)) {
                return;
            }
            kept.pollFirst();
            keptBytes -= k.bytes;
            files.remove(k.path);
            closedFiles.values().remove(k.path);
            letGo++;
            try {
                Files.deleteIfExists(k.path);
            } catch (IOException e) {
                letGoFailure = e.toString();
            }
        }
    }

    /** tcpdump's MakeFilename: the pattern through strftime when -G is on, then the count. */
    private Path name(int count, int width) {
        String base = rotateSeconds > 0
                ? Strftime.format(pattern, ZonedDateTime.ofInstant(Instant.ofEpochSecond(periodStart), zone))
                : pattern;
        if (count == 0 && width == 0) {
            return dir.resolve(base);
        }
        return dir.resolve(base + String.format("%0" + Math.max(width, 1) + "d", count));
    }

    /**
     * Appends one packet, rotating first as tcpdump does. Returns false, writing nothing, once
     * the capture has ended (a write error, or -W files of -G rotation done).
     */
    public synchronized boolean packet(int iface, long epochNanos, ByteBuffer data, int originalLength) {
        return packet(iface, epochNanos, data, originalLength, null, false);
    }

    /**
     * As {@link #packet(int, long, ByteBuffer, int)}, with a pcapng packet comment (UTF-8) and,
     * if {@code reserve}, room for a second comment written later ({@link #annotate}); where that
     * room is, is then {@link #lastReservation()}. Both are ignored for pcap.
     */
    public synchronized boolean packet(int iface, long epochNanos, ByteBuffer data, int originalLength, byte[] comment,
            boolean reserve) {
        lastReservation = -1;
        if (ended != null) {
            return false;
        }
        try {
            if (retainBytes > 0) {
                if (fileFirst != 0 && (fileBytes + buf.position() > chunkBytes || epochNanos - fileFirst >= chunkNanos)) {
                    nextRingFile(epochNanos);
                }
                if (fileFirst == 0) {
                    fileFirst = epochNanos;
                }
                fileLast = Math.max(fileLast, epochNanos);
            } else if (rotateSeconds > 0) {
                long sec = Math.floorDiv(epochNanos, 1_000_000_000L);
                if (sec - periodStart >= rotateSeconds) {
                    periodStart = sec;
                    timeCount++;
                    closeFile();
                    if (rotateBytes == 0 && ring > 0 && timeCount >= ring) {
                        ended = "Maximum file limit reached: " + ring;
                        limitReached = true;
                        return false;
                    }
                    sizeCount = 0;
                    openFile(name(0, rotateBytes > 0 ? countWidth : 0));
                }
            }
            if (retainBytes == 0 && rotateBytes > 0 && fileBytes + buf.position() > rotateBytes) {
                closeFile();
                sizeCount++;
                if (ring > 0 && sizeCount >= ring) {
                    sizeCount = 0;
                }
                openFile(name(sizeCount, countWidth));
            }
            int len = data.remaining();
            int padded = format == Format.PCAPNG ? (len + 3) & ~3 : len;
            boolean ng = format == Format.PCAPNG;
            int options = (ng && comment != null ? 4 + ((comment.length + 3) & ~3) : 0) + (ng && reserve ? 4 + RESERVED : 0);
            options += options > 0 ? 4 : 0;
            int block = format == Format.PCAPNG ? 32 + padded + options : 16 + len;
            if (buf.remaining() < block) {
                flush();
            }
            if (buf.position() == 0) { // a new file's headers never wait in buf: it holds packets only
                bufferedSince = System.nanoTime();
            }
            if (format == Format.PCAPNG) {
                buf.putInt(EPB).putInt(block).putInt(iface)
                        .putInt((int) (epochNanos >>> 32)).putInt((int) epochNanos)
                        .putInt(len).putInt(originalLength)
                        .put(data);
                for (int i = len; i < padded; i++) {
                    buf.put((byte) 0);
                }
                if (comment != null) { // opt_comment
                    buf.putShort((short) 1).putShort((short) comment.length).put(comment);
                    for (int i = comment.length; (i & 3) != 0; i++) {
                        buf.put((byte) 0);
                    }
                }
                if (reserve) { // an option readers skip, until annotate() makes it a comment
                    lastReservation = (long) fileSeq << 40 | (fileBytes + buf.position());
                    buf.putShort((short) RESERVED_CODE).putShort((short) RESERVED).put(SPACES);
                }
                if (options > 0) {
                    buf.putInt(0); // opt_endofopt
                }
                buf.putInt(block);
            } else {
                buf.putInt((int) Math.floorDiv(epochNanos, 1_000_000_000L))
                        .putInt((int) Math.floorMod(epochNanos, 1_000_000_000L))
                        .putInt(len).putInt(originalLength)
                        .put(data);
            }
            bufferedOf[iface]++;
            return true;
        } catch (IOException e) {
            fail(e);
            return false;
        }
    }

    /** Where the last packet's reserved room is (file and offset), or -1. */
    public synchronized long lastReservation() {
        return lastReservation;
    }

    /**
     * Writes {@code text} (at most {@link #RESERVED} bytes of UTF-8, padded with spaces) into the
     * room reserved at {@code location}, as a packet comment. Returns false where the file is gone
     * or another took its name (a ring of -W files), or the write failed: the comment is optional.
     */
    public synchronized boolean annotate(long location, String text) {
        int seq = (int) (location >>> 40);
        long offset = location & ((1L << 40) - 1);
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer patch = ByteBuffer.allocate(4 + RESERVED).order(ByteOrder.LITTLE_ENDIAN);
        patch.putShort((short) 1).putShort((short) RESERVED).put(t, 0, Math.min(t.length, RESERVED));
        while (patch.hasRemaining()) {
            patch.put((byte) ' ');
        }
        patch.flip();
        try {
            if (seq == fileSeq && out != null && ended == null) {
                if (offset >= fileBytes) {
                    int at = (int) (offset - fileBytes);
                    for (int i = 0; i < patch.limit(); i++) {
                        buf.put(at + i, patch.get(i));
                    }
                } else {
                    out.write(patch, offset);
                }
                return true;
            }
            Path file = closedFiles.get(seq);
            if (file == null) {
                return false;
            }
            try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                if (c.size() < offset + patch.limit()) {
                    return false; // cut back after a write error
                }
                c.write(patch, offset);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Writes the buffer out if its oldest packet has waited {@code ageNanos}; 0 writes it now. */
    public synchronized void flushIfOlder(long ageNanos) {
        if (ended == null && buf.position() > 0 && System.nanoTime() - bufferedSince >= ageNanos) {
            try {
                flush();
            } catch (IOException e) {
                fail(e);
            }
        }
    }

    public synchronized int buffered() {
        return buf.position();
    }

    /** Writes what is buffered and closes the file. */
    public synchronized void close() {
        if (out != null) {
            try {
                closeFile();
            } catch (IOException e) {
                fail(e);
            }
        }
        if (ended == null) {
            ended = "closed";
        }
    }

    /** Why the capture ended by itself (a write error, the file limit), or null. */
    public synchronized String failure() {
        return ended == null || ended.equals("closed") ? null : ended;
    }

    /** True once -W files of -G rotation are done: what comes later is not captured, as in tcpdump. */
    public boolean limitReached() {
        return limitReached;
    }

    public synchronized List<Path> files() {
        return new ArrayList<>(files);
    }

    public synchronized Path current() {
        return current;
    }

    /** Packets of interface {@code iface} lost to the failure that ended the capture (in the buffer then). */
    public synchronized long lost(int iface) {
        return iface < lostOf.length ? lostOf[iface] : 0;
    }

    private void fail(IOException e) {
        for (int i = 0; i < bufferedOf.length; i++) {
            lostOf[i] += bufferedOf[i];
            bufferedOf[i] = 0;
        }
        buf.clear();
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        ended = why + " (writing " + current + ")";
        if (out != null) {
            try {
                out.truncate(fileBytes); // a partial write leaves half a block: cut it off
            } catch (IOException ignored) {
                // the file keeps a torn last block; readers stop there
            }
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing more can be done
            }
            out = null;
        }
    }

    private void openFile(Path file) throws IOException {
        closedFiles.values().remove(file); // a ring reuses names: the old contents are gone
        fileSeq++;
        current = file;
        fileBytes = 0;
        // Written as .NAME.new until its headers are in, then renamed over NAME: a file of the
        // capture is never seen (or left by a killed JVM) without them. No symbolic link is ever
        // followed, whoever else can write the directory: what is at NAME must be a plain file (a
        // ring's or an earlier run's, overwritten as tcpdump does), anything else is refused; a
        // link at the temporary name is deleted and the file made anew there.
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileSystemException(file.toString(), null,
                    Files.isSymbolicLink(file) ? "a symbolic link, not followed" : "not a regular file");
        }
        Path fresh = file.resolveSibling("." + file.getFileName() + ".new");
        Files.deleteIfExists(fresh);
        Set<OpenOption> mode = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        out = FileChannel.open(fresh, mode,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.getFileAttributeView(fresh, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(PosixFilePermissions.fromString("rw-------"));
        files.remove(file);
        files.add(file);
        if (format == Format.PCAPNG) {
            byte[] app = application.getBytes(StandardCharsets.UTF_8);
            int len = 28 + option(app.length) + 4;
            buf.putInt(SHB).putInt(len).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1L);
            putOption(4, app); // shb_userappl
            buf.putInt(0).putInt(len); // opt_endofopt, then the trailing length
            for (int i = 0; i < interfaces.size(); i++) {
                byte[] n = names.get(i).getBytes(StandardCharsets.UTF_8);
                int idb = 16 + option(n.length) + option(1) + 4 + 4;
                buf.putInt(IDB).putInt(idb).putShort((short) interfaces.get(i)[0]).putShort((short) 0)
                        .putInt(interfaces.get(i)[1]);
                putOption(2, n); // if_name
                putOption(9, new byte[] {9}); // if_tsresol: 10^-9 s
                buf.putInt(0).putInt(idb);
            }
        } else {
            int[] i = interfaces.get(0);
            buf.putInt(PCAP_NANO_MAGIC).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                    .putInt(i[1]).putInt(i[0]);
        }
        headersPending = true;
        try {
            flush();
        } finally {
            headersPending = false;
            Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** On a failed write the file stays open, for fail() to cut back. */
    private void closeFile() throws IOException {
        flush();
        FileChannel c = out;
        out = null;
        c.close();
        closedFiles.put(fileSeq, current);
    }

    private void flush() throws IOException {
        long start = fileBytes;
        buf.flip();
        try {
            while (buf.hasRemaining()) {
                fileBytes += out.write(buf);
            }
        } catch (IOException e) {
            // Keep the whole packets that reached the file; fail() cuts off the torn rest.
            fileBytes = start + (headersPending ? 0 : wholeRecords(fileBytes - start));
            throw e;
        }
        buf.clear();
        Arrays.fill(bufferedOf, 0);
    }

    /**
     * The end of the last whole record within the first {@code written} bytes of the buffer;
     * the packets up to there count as written, those after it stay buffered (to be lost).
     */
    private long wholeRecords(long written) {
        int o = 0;
        while (o < buf.limit()) {
            int len = format == Format.PCAPNG ? buf.getInt(o + 4) : 16 + buf.getInt(o + 8);
            if (o + len > written) {
                break;
            }
            int iface = format == Format.PCAPNG ? buf.getInt(o + 8) : 0;
            bufferedOf[iface]--;
            o += len;
        }
        return o;
    }

    private void putOption(int code, byte[] value) {
        buf.putShort((short) code).putShort((short) value.length).put(value);
        for (int i = value.length; i < ((value.length + 3) & ~3); i++) {
            buf.put((byte) 0);
        }
    }

    private static int option(int valueLength) {
        return 4 + ((valueLength + 3) & ~3);
    }

    private static byte[] spaces(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) ' ');
        return b;
    }
}
