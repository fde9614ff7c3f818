package io.wiretrace.analysis.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A file written in a directory that other users may share (a shared -o, an output directory that
 * the target's user owns, where it can plant anything): created in one step, mode 0600, and
 * written through the channel that created it; a link or a file of someone else's at its name is
 * refused, never written through.
 */
public final class PrivateFile {
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Set<OpenOption> NEW = Set.of(CREATE_NEW, WRITE, NOFOLLOW_LINKS);

    private PrivateFile() {
    }

    /** Creates {@code file} (0600) and opens it for writing; fails if anything, a link included, has its name. */
    public static OutputStream create(Path file) throws IOException {
        try {
            return Channels.newOutputStream(FileChannel.open(file, NEW, OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw taken(file, "exists already");
        }
    }

    /** {@link #write(Path, byte[])} of {@code text} in UTF-8. */
    public static void write(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code file} (0600) in one step. A file of this process's user already there (a
     * previous run's) is replaced by a new file renamed over it; anything else at its name (a
     * link, someone else's file) is refused.
     */
    public static void write(Path file, byte[] data) throws IOException {
        try {
            writeNew(file, data);
            return;
        } catch (FileAlreadyExistsException e) {
            String wrong = problem(Files.readAttributes(file, "unix:*", NOFOLLOW_LINKS), Set.of(uid()));
            if (wrong != null) {
                throw taken(file, wrong);
            }
        }
        // rename(2) replaces whatever has the name by then, a link too, and never follows it
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        writeNew(tmp, data);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** {@link #create} and write; what was created is removed again if the write fails. */
    private static void writeNew(Path file, byte[] data) throws IOException {
        OutputStream o = create(file);
        try (o) {
            o.write(data);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    private static FileAlreadyExistsException taken(Path file, String what) {
        return new FileAlreadyExistsException(file.toString(), null, what + " (another user of " + file.getParent()
                + " can have put it there): neither written through nor replaced");
    }

    /**
     * Why a file with {@code lstat} attributes (the "unix:*" view, not following links) is not one
     * to read as ours: not a regular file, owned by none of {@code owners}, or with more than one
     * name (a hard link to a file from elsewhere); null when it is fine.
     */
    public static String problem(Map<String, Object> lstat, Set<Integer> owners) {
        if ((Boolean) lstat.get("isSymbolicLink")) {
            return "is a symbolic link";
        }
        if ((Boolean) lstat.get("isDirectory")) {
            return "is a directory";
        }
        if (!(Boolean) lstat.get("isRegularFile")) {
            return "is not a regular file (a FIFO, socket or device)";
        }
        int owner = (Integer) lstat.get("uid");
        if (!owners.contains(owner)) {
            return "is owned by uid " + owner + " (expected: uid " + owners.stream().sorted().map(String::valueOf)
                    .collect(Collectors.joining(" or ")) + ")";
        }
        int links = (Integer) lstat.get("nlink");
        if (links != 1) {
            return "has " + links + " hard links";
        }
        return null;
    }

    /** This process's user id. */
    public static int uid() throws IOException {
        return (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
    }
}
