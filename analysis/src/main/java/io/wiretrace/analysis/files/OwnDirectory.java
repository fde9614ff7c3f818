package io.wiretrace.analysis.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Whether a directory that already exists may be trusted as this process's own: the CLI's private
 * folder in a shared temp directory, the agent's output directory. Read without following links.
 */
public final class OwnDirectory {
    private OwnDirectory() {
    }

    /**
     * What is wrong with {@code dir} ("is a symbolic link", "is owned by nobody (uid 65534), not by
     * this process's user (uid 0)", with {@code othersMayWrite} false also "can be written by
     * others (rwxrwxrwx)"), or null when it is a directory of this process's user.
     */
    public static String problem(Path dir, boolean othersMayWrite) throws IOException {
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            return "is a symbolic link";
        }
        if (!a.isDirectory()) {
            return "is not a directory";
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int me = (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid"); // this process's user
        if (owner != me) {
            return "is owned by " + a.owner().getName() + " (uid " + owner + "), not by this process's user (uid " + me + ")";
        }
        Set<PosixFilePermission> mode = a.permissions();
        if (!othersMayWrite && (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE))) {
            return "can be written by others (" + PosixFilePermissions.toString(mode) + ")";
        }
        return null;
    }
}
