package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A bundle from elsewhere unpacks within its limits, as it inflates, or not at all. */
class BundleTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    /** A zip of {@code sizes.length} files of zeros (a zip bomb in small: 1 MiB deflates to about 1 KiB). */
    private Path zeros(String name, int... sizes) throws IOException {
        Path zip = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(o)) {
            for (int i = 0; i < sizes.length; i++) {
                z.putNextEntry(new ZipEntry("bundle/file" + i));
                z.write(new byte[sizes[i]]);
                z.closeEntry();
            }
        }
        return zip;
    }

    private Path into() throws IOException {
        return Files.createTempDirectory(dir, "into");
    }

    private static long size(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            long n = 0;
            for (Path p : (Iterable<Path>) s::iterator) {
                n += Files.size(p);
            }
            return n;
        }
    }

    @Test
    void eachLimitHoldsAsTheFilesInflate() throws IOException {
        Path within = into();
        Bundle.unpack(zeros("ok.zip", MIB, MIB), within, 2, MIB, 2 * MIB);
        assertEquals(2L * MIB, size(within));

        Path tooMany = into();
        Wiretrace.Failure f = assertThrows(Wiretrace.Failure.class,
                () -> Bundle.unpack(zeros("many.zip", 1, 1, 1), tooMany, 2, MIB, MIB));
        assertTrue(f.getMessage().endsWith("many.zip holds more than 2 entries; not analyzed"), f.getMessage());

        Path bomb = into();
        assertTrue(Files.size(zeros("bomb.zip", 64 * MIB)) < MIB / 8);
        f = assertThrows(Wiretrace.Failure.class, () -> Bundle.unpack(dir.resolve("bomb.zip"), bomb, 2, MIB, 4 * MIB));
        assertTrue(f.getMessage().contains("entry 1 ('bundle/file0') unpacks to more than 1048576 bytes"), f.getMessage());
        assertTrue(size(bomb) <= MIB, "unpacked " + size(bomb));

        Path total = into();
        f = assertThrows(Wiretrace.Failure.class,
                () -> Bundle.unpack(zeros("total.zip", MIB, MIB, MIB), total, 10, MIB, 2 * MIB + 10));
        assertTrue(f.getMessage().contains("unpacks to more than 2097162 bytes"), f.getMessage());
        assertTrue(size(total) <= 2 * MIB + 10, "unpacked " + size(total));
    }

    @Test
    void analyzeRefusesABundleThatClimbsOutAndLeavesNothingBehind() throws IOException {
        Path zip = dir.resolve("climb.zip");
        try (OutputStream o = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(o)) {
            z.putNextEntry(new ZipEntry("bundle/../../escaped.pcapng"));
            z.write(new byte[] {1, 2, 3});
            z.closeEntry();
        }
        List<Path> before = unpackedDirs();
        StringWriter err = new StringWriter();
        CommandLine cl = Wiretrace.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        assertEquals(Wiretrace.FAILED, cl.execute("analyze", zip.toString(), "-o", dir.resolve("out").toString()));
        assertTrue(err.toString().contains("entry 1 ('bundle/../../escaped.pcapng') climbs out of the bundle"),
                err.toString());
        assertEquals(before, unpackedDirs(), "a temporary directory was left behind");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(zip), left.toList(), "written beside the bundle");
        }
    }

    /** The temporary directories analyze unpacks bundles into. */
    static List<Path> unpackedDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("wiretrace-analyze")).sorted().toList();
        }
    }
}
