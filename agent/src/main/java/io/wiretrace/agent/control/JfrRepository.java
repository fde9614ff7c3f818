package io.wiretrace.agent.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import jdk.jfr.Recording;

/**
 * The JVM's JFR repository (its chunks, by default in a directory of /tmp that others can read),
 * made private before wiretrace's recording writes a chunk there, and given its mode back when
 * the recording has stopped: the app's own recordings keep the repository they had.
 */
final class JfrRepository {
    private final Path dir;
    private final Set<PosixFilePermission> before;

    private JfrRepository(Path dir, Set<PosixFilePermission> before) {
        this.dir = dir;
        this.before = before;
    }

    /**
     * Makes the repository 0700. The JVM creates it at the first recording's start, so when none
     * ran yet an empty recording (no event enabled) creates it first.
     */
    static JfrRepository claim() throws IOException {
        String repository = System.getProperty("jdk.jfr.repository");
        if (repository == null) {
            try (Recording empty = new Recording()) {
                empty.setToDisk(true);
                empty.start();
                empty.stop();
            }
            repository = System.getProperty("jdk.jfr.repository");
            if (repository == null) {
                throw new IOException("the JVM names no JFR repository");
            }
        }
        Path dir = Paths.get(repository);
        PosixFileAttributeView view = view(dir);
        Set<PosixFilePermission> before = view.readAttributes().permissions();
        view.setPermissions(PosixFilePermissions.fromString("rwx------"));
        return new JfrRepository(dir, before);
    }

    /** The mode it had before {@link #claim}, unless it is gone (or a link now). */
    void restore() throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            view(dir).setPermissions(before);
        }
    }

    Path dir() {
        return dir;
    }

    private static PosixFileAttributeView view(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory (or is a link)");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            throw new IOException("no POSIX file attributes at " + dir);
        }
        return view;
    }
}
