package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.files.PrivateFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the CLI writes, bundles, unpacks and removes, when someone else has put a link, a FIFO or a
 * file of theirs where it works: nothing is written or read through a link, no FIFO is opened,
 * nothing lands or is deleted outside the directory at hand. The tests run as root (chown).
 */
class PrivateFilesTest {
    @TempDir
    Path dir;
    @TempDir
    Path elsewhere;
    /** A file of root's outside the directory, which the links point at. */
    private Path precious;

    @BeforeEach
    void setUp() throws IOException {
        precious = Files.writeString(elsewhere.resolve("precious"), "root's own\n");
    }

    private void preciousUntouched() throws IOException {
        assertEquals("root's own\n", Files.readString(precious));
        assertEquals(List.of(precious), list(elsewhere), "files appeared beside the link's target");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static List<Path> list(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    private static void chownNobody(Path p) throws IOException {
        UserPrincipal nobody = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(p, nobody);
    }

    private static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
        assertTrue(mk.waitFor(30, TimeUnit.SECONDS) && mk.exitValue() == 0, new String(mk.getInputStream().readAllBytes()));
    }

    @Test
    void privateFileWriteCreatesAFileOnlyItsOwnerCanRead() throws IOException {
        Path p = dir.resolve("environment.txt");
        PrivateFile.write(p, "text\n");
        assertEquals("text\n", Files.readString(p));
        assertEquals("rw-------", mode(p));
    }

    @Test
    void privateFileWriteRefusesALinkAndWritesNothingThroughIt() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("environment.txt"), precious);
        Path dangling = Files.createSymbolicLink(dir.resolve("report.json"), elsewhere.resolve("new"));
        for (Path p : List.of(link, dangling)) {
            IOException e = assertThrows(FileAlreadyExistsException.class, () -> PrivateFile.write(p, "x"));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
            assertTrue(Files.isSymbolicLink(p), "the link was replaced");
        }
        preciousUntouched();
    }

    @Test
    void privateFileWriteReplacesItsOwnFileButNotAnotherUsersOrAHardLink() throws IOException {
        Path own = Files.writeString(dir.resolve("report.json"), "old");
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rw-r--r--"));
        Object before = Files.readAttributes(own, "unix:ino").get("ino");
        PrivateFile.write(own, "new");
        assertEquals("new", Files.readString(own));
        assertEquals("rw-------", mode(own));
        assertNotEquals(before, Files.readAttributes(own, "unix:ino").get("ino"), "written in place, not renamed over");

        Path theirs = Files.writeString(dir.resolve("report.html"), "theirs");
        chownNobody(theirs);
        Path hard = Files.createLink(dir.resolve("environment.txt"), precious);
        for (Path p : List.of(theirs, hard)) {
            assertThrows(FileAlreadyExistsException.class, () -> PrivateFile.write(p, "x"));
        }
        assertEquals("theirs", Files.readString(theirs));
        assertEquals(List.of(hard, theirs, own), list(dir), "a temporary file was left");
        preciousUntouched();
    }

    /** A capture directory into which its owner (the target's user) or someone else put more than the capture. */
    private Path plantedCaptureDirectory() throws Exception {
        Files.writeString(dir.resolve("trace.pcapng"), "packets");
        Files.writeString(dir.resolve("environment.txt"), "wiretrace: test\n");
        Files.createSymbolicLink(dir.resolve("leak.pcapng"), precious);
        mkfifo(dir.resolve("pipe.pcapng"));
        Path theirs = Files.writeString(dir.resolve("theirs.txt"), "theirs");
        chownNobody(theirs);
        Files.createLink(dir.resolve("hard.jfr"), precious);
        Files.createDirectory(dir.resolve("sub"));
        return dir;
    }

    private static Map<String, String> entries(Path zip) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(zip))) {
            ZipEntry e;
            while ((e = z.getNextEntry()) != null) {
                m.put(e.getName(), new String(z.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    @Test
    void theBundleHoldsOnlyRegularFilesOfTheirOwnersAndOpensNoFifo() throws Exception {
        Path capture = plantedCaptureDirectory();
        Path out = Files.createDirectory(elsewhere.resolve("out"));
        Path bundle = out.resolve("b.zip");
        // a FIFO that were opened would block the open until a writer comes: none does
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> CollectCommand.zip(capture, bundle, "b"));
        Map<String, String> entries = entries(bundle);
        assertEquals(List.of("b/environment.txt", "b/trace.pcapng"), List.copyOf(entries.keySet()));
        assertEquals("packets", entries.get("b/trace.pcapng"));
        String env = entries.get("b/environment.txt");
        assertTrue(env.startsWith("wiretrace: test\n\n[not bundled]\n"), env);
        for (String s : List.of("leak.pcapng: is a symbolic link", "pipe.pcapng: is not a regular file",
                "theirs.txt: is owned by uid 65534", "hard.jfr: has 2 hard links", "sub: is a directory")) {
            assertTrue(env.contains(s), "environment.txt lacks '" + s + "':\n" + env);
        }
        assertFalse(String.join("", entries.values()).contains("root's own"), "a linked file's contents were bundled");
        assertEquals("rw-------", mode(bundle));
        assertEquals(List.of(bundle), list(out), "a temporary file was left");
    }

    @Test
    void theBundleIsNeverWrittenThroughALinkAtItsNameOrItsTemporaryName() throws Exception {
        Files.writeString(dir.resolve("trace.pcapng"), "packets");
        Path out = Files.createDirectory(elsewhere.resolve("out"));
        Path bundle = out.resolve("b.zip");
        Path tmp = out.resolve(".b.zip.tmp");
        for (Path planted : List.of(bundle, tmp)) {
            Files.createSymbolicLink(planted, precious);
            IOException e = assertThrows(FileAlreadyExistsException.class, () -> CollectCommand.zip(dir, bundle, "b"));
            assertTrue(e.getMessage().contains(planted.toString()), e.getMessage());
            assertEquals(List.of(planted), list(out));
            assertTrue(Files.isSymbolicLink(planted), "the link was replaced");
            Files.delete(planted);
        }
        assertEquals("root's own\n", Files.readString(precious));
        CollectCommand.zip(dir, bundle, "b"); // and with nothing planted, it is made
        assertEquals(Map.of("b/trace.pcapng", "packets"), entries(bundle));
    }

    @Test
    void deleteTreeRemovesLinksNotWhatTheyName() throws IOException {
        Path tree = Files.createDirectory(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("a/b"));
        Files.writeString(tree.resolve("a/b/file"), "x");
        Files.createSymbolicLink(tree.resolve("a/up"), elsewhere);
        Files.createSymbolicLink(tree.resolve("a/b/file-link"), precious);
        Path linkedTree = Files.createSymbolicLink(dir.resolve("linked"), elsewhere);

        AnalyzeCommand.deleteTree(tree);
        assertFalse(Files.exists(tree, LinkOption.NOFOLLOW_LINKS));
        AnalyzeCommand.deleteTree(linkedTree); // the link goes, not the directory it names
        assertFalse(Files.exists(linkedTree, LinkOption.NOFOLLOW_LINKS));
        preciousUntouched();
    }

    private Path zip(Map<String, String> entries) throws IOException {
        Path zip = dir.resolve("in.zip");
        try (OutputStream o = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(o)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return zip;
    }

    @Test
    void unzipKeepsEveryEntryInsideAndCreatesEachFileAnew() throws IOException {
        Path into = Files.createDirectory(dir.resolve("into"));
        Path zip = zip(new TreeMap<>(Map.of("b/", "", "b/trace.pcapng", "packets", "b/recording.jfr", "events")));
        Bundle.unpack(zip, into);
        assertEquals(List.of(into.resolve("recording.jfr"), into.resolve("trace.pcapng")), list(into));
        assertEquals("rw-------", mode(into.resolve("trace.pcapng")));

        for (String name : List.of("../../../" + elsewhere + "/escaped", elsewhere + "/absolute", "b/../x", "b/..",
                "..\\x", "C:/x", "b/.")) {
            Path none = Files.createDirectory(dir.resolve("none" + list(dir).size()));
            Wiretrace.Failure f = assertThrows(Wiretrace.Failure.class,
                    () -> Bundle.unpack(zip(Map.of(name, "x")), none), name);
            assertTrue(f.getMessage().contains("entry 1 ("), f.getMessage());
            assertEquals(List.of(), list(none), name);
            preciousUntouched();
        }

        Path linked = Files.createDirectory(dir.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("trace.pcapng"), precious);
        assertThrows(Wiretrace.Failure.class, () -> Bundle.unpack(zip, linked));
        preciousUntouched();

        ByteArrayOutputStream twice = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(twice)) {
            for (String name : List.of("a/trace.pcapng", "b/trace.pcapng")) {
                z.putNextEntry(new ZipEntry(name));
                z.closeEntry();
            }
        }
        Path dup = Files.write(dir.resolve("dup.zip"), twice.toByteArray());
        Wiretrace.Failure f = assertThrows(Wiretrace.Failure.class,
                () -> Bundle.unpack(dup, Files.createDirectory(dir.resolve("dup"))));
        assertTrue(f.getMessage().contains("more than one file named trace.pcapng"), f.getMessage());
        preciousUntouched();
    }
}
