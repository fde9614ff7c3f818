package io.wiretrace.cli;

import io.wiretrace.analysis.files.OwnDirectory;
import io.wiretrace.analysis.files.PrivateFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The files of a separate target's capture (see {@link Staging}): written by the target's user in
 * its staging directory, they are copied into the operator's own output directory at stop and
 * removed from the staging one. Which directory a session's files go to is kept in the operator's
 * private folder, never asked of the target.
 */
final class Handover {
    private Handover() {
    }

    /** A started session whose files wait to be handed over. */
    static final class Record {
        final String pid;
        final String session;
        final Path staged;
        final String remote;
        final Path dest;
        final Path file;

        Record(String pid, String session, Path staged, String remote, Path dest, Path file) {
            this.pid = pid;
            this.session = session;
            this.staged = staged;
            this.remote = remote;
            this.dest = dest;
            this.file = file;
        }

        /** {@code text} with the staged directory's name inside the target replaced by the operator's directory. */
        String rewrite(String text) {
            return text.replace(remote, dest.toString());
        }
    }

    /**
     * Creates {@code dest} for the operator (0700), or checks the one that exists: a directory of
     * this user's, not a link, writable by nobody else.
     */
    static Path prepare(Path dest) {
        Path d = dest.toAbsolutePath().normalize();
        try {
            try {
                Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException exists) {
                // checked below
            }
            String wrong = OwnDirectory.problem(d, false);
            if (wrong != null) {
                throw new Wiretrace.Failure(Wiretrace.FAILED, "refusing the output directory " + d + ": it " + wrong
                        + "; whoever can write it could read the capture or swap its files. Name a new directory with -w");
            }
            return d;
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot create the output directory " + d + ": " + e.getMessage());
        }
    }

    static void save(Staging staging, String session, Path staged, Path dest) {
        Properties p = new Properties();
        p.setProperty("pid", staging.pid);
        p.setProperty("started", Proc.started(Long.parseLong(staging.pid)));
        p.setProperty("session", session);
        p.setProperty("staged", staged.toString());
        p.setProperty("remote", staging.remote(staged));
        p.setProperty("dest", dest.toString());
        Path f = records().resolve(staging.pid + "-" + session + ".properties");
        try (OutputStream o = PrivateFile.create(f)) {
            p.store(o, "a wiretrace capture whose files stop hands over");
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot note the session in " + f + ": " + e.getMessage());
        }
    }

    /** The records of {@code pid} (this very process, not an earlier one of the same pid), oldest first. */
    static List<Record> of(String pid) {
        List<Record> found = new ArrayList<>();
        String started = Proc.started(Long.parseLong(pid));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(records(), pid + "-*.properties")) {
            for (Path f : files) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
                    p.load(in);
                }
                if (!started.equals(p.getProperty("started"))) {
                    Files.deleteIfExists(f); // of a process that ended; its staging went with its /tmp or stays
                    continue;
                }
                found.add(new Record(pid, p.getProperty("session"), Paths.get(p.getProperty("staged")),
                        p.getProperty("remote"), Paths.get(p.getProperty("dest")), f));
            }
        } catch (IOException | RuntimeException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot read the sessions noted in " + records() + ": " + e);
        }
        found.sort((a, b) -> a.file.toString().compareTo(b.file.toString()));
        return found;
    }

    static Optional<Record> find(String pid, String session) {
        return of(pid).stream().filter(r -> r.session.equals(session)).findFirst();
    }

    /**
     * Copies the regular files of the staged directory into the record's destination (each new,
     * 0600, this user's; a name taken there gets a numbered one), then removes the staged
     * directory and the record. Links and anything else that is not a regular file are left out
     * and named. Returns a line per file.
     */
    static String deliver(Record r) {
        StringBuilder out = new StringBuilder();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(r.staged)) {
            ds.forEach(files::add);
        } catch (NoSuchFileException e) {
            forget(r);
            return "the files of session " + r.session + " are gone from " + r.staged + " (the target ended?)";
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot list " + r.staged + ": " + e.getMessage());
        }
        files.sort(null);
        prepare(r.dest);
        for (Path f : files) {
            try {
                PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile()) {
                    out.append("left out ").append(f).append(": not a regular file\n");
                    continue;
                }
                Path to = copy(f, r.dest);
                out.append("  ").append(to).append(" (").append(Files.size(to)).append(" bytes)\n");
                Files.delete(f);
            } catch (IOException e) {
                out.append("could not move ").append(f).append(" to ").append(r.dest).append(": ").append(e.getMessage())
                        .append('\n');
            }
        }
        PrivateFiles.deleteTree(r.staged); // what was left out too, links removed, never followed
        if (Files.exists(r.staged, LinkOption.NOFOLLOW_LINKS)) {
            out.append("left ").append(r.staged).append(" in place\n");
        }
        forget(r);
        return out.toString().stripTrailing();
    }

    private static Path copy(Path from, Path dir) throws IOException {
        String name = from.getFileName().toString();
        for (int n = 0;; n++) {
            Path to = dir.resolve(n == 0 ? name : name + "." + n);
            try (InputStream in = Files.newInputStream(from, LinkOption.NOFOLLOW_LINKS);
                    OutputStream o = PrivateFile.create(to)) {
                in.transferTo(o);
                return to;
            } catch (FileAlreadyExistsException taken) {
                // the next number
            }
        }
    }

    static void forget(Record r) {
        try {
            Files.deleteIfExists(r.file);
        } catch (IOException ignored) {
            // a stale record is dropped when its process is gone
        }
    }

    private static Path records() {
        Path d = AgentClient.privateDir().resolve("sessions");
        try {
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException exists) {
            // inside our private folder: ours
        } catch (IOException e) {
            throw new Wiretrace.Failure(Wiretrace.FAILED, "cannot create " + d + ": " + e.getMessage());
        }
        return d;
    }
}
