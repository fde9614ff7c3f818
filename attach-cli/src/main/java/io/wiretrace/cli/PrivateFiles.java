package io.wiretrace.cli;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.READ;

import io.wiretrace.analysis.files.PrivateFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The files the CLI bundles and removes, in directories that other users may share (a shared -o,
 * an output directory that the target's user owns, where it can plant anything): nothing is read
 * or removed through a link. The files it writes there are {@link PrivateFile}s.
 */
final class PrivateFiles {
    private PrivateFiles() {
    }

    /**
     * Opens {@code file} for reading, not following a link, if it is one to read as ours (see
     * {@link PrivateFile#problem}; a FIFO is never opened: the open would block) and still the file
     * that was checked once open. Otherwise null, and why in {@code skipped}; null too if there is
     * no file.
     */
    static InputStream openOwned(Path file, Set<Integer> owners, List<String> skipped) throws IOException {
        Map<String, Object> lstat;
        try {
            lstat = Files.readAttributes(file, "unix:*", NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        String wrong = PrivateFile.problem(lstat, owners);
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
