package io.wiretrace.cli;

import io.wiretrace.analysis.files.PrivateFile;
import io.wiretrace.analysis.redact.Terminal;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Unpacks a bundle for {@code analyze}. The bundle may come from anywhere, so it gets no more than
 * collect would write: at most {@link #MAX_FILES} entries, {@link #MAX_FILE_BYTES} a file and
 * {@link #MAX_BYTES} in all, as they inflate (a header's sizes are not believed); a name that
 * climbs out ({@code ..}) or starts at a root is refused. Each file lands by its last name, as a
 * new regular file (0600) in the given private directory, so a link in the bundle is a file
 * holding its target's name, and two entries of one name cannot overwrite each other.
 */
final class Bundle {
    static final int MAX_FILES = 10_000;
    static final long MAX_FILE_BYTES = 4L << 30;
    static final long MAX_BYTES = 16L << 30;

    private Bundle() {
    }

    static void unpack(Path zip, Path dir) throws IOException {
        unpack(zip, dir, MAX_FILES, MAX_FILE_BYTES, MAX_BYTES);
    }

    static void unpack(Path zip, Path dir, int maxFiles, long maxFileBytes, long maxBytes) throws IOException {
        long total = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            ZipEntry e;
            for (int n = 1; (e = z.getNextEntry()) != null; n++) {
                if (n > maxFiles) {
                    throw refused(zip, "holds more than " + maxFiles + " entries");
                }
                String name = e.getName();
                String wrong = problem(name);
                if (wrong != null) {
                    throw refused(zip, "entry " + n + " (" + printable(name) + ") " + wrong);
                }
                if (e.isDirectory()) {
                    continue;
                }
                String last = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
                long size = 0;
                try (OutputStream o = PrivateFile.create(dir.resolve(last))) {
                    for (int got; (got = z.read(buf)) > 0; ) {
                        size += got;
                        total += got;
                        if (size > maxFileBytes) {
                            throw refused(zip, "entry " + n + " (" + printable(name) + ") unpacks to more than "
                                    + maxFileBytes + " bytes");
                        }
                        if (total > maxBytes) {
                            throw refused(zip, "unpacks to more than " + maxBytes + " bytes");
                        }
                        o.write(buf, 0, got);
                    }
                } catch (FileAlreadyExistsException twice) {
                    throw refused(zip, "holds more than one file named " + last);
                }
            }
        } catch (ZipException | EOFException | IllegalArgumentException e) { // the last: a name that is not UTF-8
            throw refused(zip, "is not a readable zip: " + e.getMessage());
        }
    }

    /** Why a bundle's entry name is refused, or null: it climbs out, starts at a root, or names nothing. */
    private static String problem(String name) {
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            return "has no usable name";
        }
        if (name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*")) {
            return "has an absolute name";
        }
        for (String part : name.split("[/\\\\]")) {
            if (part.equals("..")) {
                return "climbs out of the bundle (..)";
            }
        }
        String last = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
        if (last.equals(".") || (last.isEmpty() && !name.endsWith("/"))) {
            return "has no usable name";
        }
        return null;
    }

    private static String printable(String name) {
        String s = name.length() > 200 ? name.substring(0, 200) + "…" : name;
        return "'" + Terminal.line(s) + "'";
    }

    private static Wiretrace.Failure refused(Path zip, String why) {
        return new Wiretrace.Failure(Wiretrace.FAILED, zip + " " + why + "; not analyzed");
    }
}
