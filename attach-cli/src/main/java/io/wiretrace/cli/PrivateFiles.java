package io.wiretrace.cli;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The files the CLI writes, bundles and removes, in directories that other users may share (a
 * shared -o, an output directory that the target's user owns, where it can plant anything): each
 * file is created in one step, mode 0600, and written through the channel that created it; a link
 * or a file of someone else's at its name is refused, never written through; nothing is read or
 * removed through a link.
 */
final class PrivateFiles {
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Set<OpenOption> NEW = Set.of(CREATE_NEW, WRITE, NOFOLLOW_LINKS);

    private PrivateFiles() {
    }

    /** Creates {@code file} (0600) and opens it for writing; fails if anything, a link included, has its name. */
    static OutputStream create(Path file) throws IOException {
        try {
            return Channels.newOutputStream(FileChannel.open(file, NEW, OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw taken(file, "exists already");
        }
    }

    /**
     * Writes {@code file} (0600) in one step. A file of this process's user already there (a
     * previous run's) is replaced by a new file renamed over it; anything else at its name (a
     * link, someone else's file) is refused.
     */
    static void write(Path file, byte[] data) throws IOException {
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
    static String problem(Map<String, Object> lstat, Set<Integer> owners) {
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

    /**
     * Opens {@code file} for reading, not following a link, if it is one to read as ours (see
     * {@link #problem}; a FIFO is never opened: the open would block) and still the file that was
     * checked once open. Otherwise null, and why in {@code skipped}; null too if there is no file.
     */
    static InputStream openOwned(Path file, Set<Integer> owners, List<String> skipped) throws IOException {
        Map<String, Object> lstat;
        try {
            lstat = Files.readAttributes(file, "unix:*", NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        String wrong = problem(lstat, owners);
        if (wrong == null) {
            FileChannel c = FileChannel.open(file, READ, NOFOLLOW_LINKS);
            Map<String, Object> now = Files.readAttributes(file, "unix:*", NOFOLLOW_LINKS);
            if (Objects.equals(now.get("fileKey"), lstat.get("fileKey")) && (Boolean) now.get("isRegularFile")) {
                return Channels.newInputStream(c);
            }
            c.close();
            wrong = "was replaced while being opened";
        }
        skipped.add(file.getFileName() + ": " + wrong);
        return null;
    }

    /** This process's user id. */
    static int uid() throws IOException {
        return (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
    }

    /**
     * Deletes {@code dir} and all it holds, never following a link: a link is removed, not what it
     * names, and the walk goes through directory handles (openat/unlinkat), so a directory that
     * someone swaps for a link during the walk does not lead it out of the tree. Best effort: a
     * leftover is reported by nothing.
     */
    static void deleteTree(Path dir) {
        try {
            BasicFileAttributes top = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW_LINKS);
            if (top.isDirectory()) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                    // opened by path: it must be the directory just looked at, not a link put there since
                    if (!(s instanceof SecureDirectoryStream)) {
                        return;
                    }
                    SecureDirectoryStream<Path> d = (SecureDirectoryStream<Path>) s;
                    Object opened = d.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
                    if (!Objects.equals(opened, top.fileKey())) {
                        return;
                    }
                    deleteContents(d);
                }
            }
            Files.deleteIfExists(dir); // rmdir, or unlink of a link: Files.delete does not follow
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    private static void deleteContents(SecureDirectoryStream<Path> dir) throws IOException {
        for (Path entry : dir) {
            Path name = entry.getFileName();
            try {
                BasicFileAttributes a = dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW_LINKS)
                        .readAttributes();
                if (a.isDirectory()) {
                    try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, NOFOLLOW_LINKS)) {
                        deleteContents(sub);
                    }
                    dir.deleteDirectory(name);
                } else {
                    dir.deleteFile(name);
                }
            } catch (IOException ignored) {
                // the rest still goes
            }
        }
    }
}
