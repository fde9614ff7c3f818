package io.wiretrace.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent sets the mode of its output files without following a link put in their place. */
class SessionFilesTest {
    @TempDir
    Path tmp;

    @Test
    void chmodSetsTheModeOfTheFileItself() throws IOException {
        Path jfr = Files.createFile(tmp.resolve("recording.jfr"));
        Files.setPosixFilePermissions(jfr, PosixFilePermissions.fromString("rw-r--r--"));
        Session.chmod(jfr, "rw-------");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(jfr)));
    }

    @Test
    void aLinkInPlaceOfAnOutputFileIsRefusedNotFollowed() throws IOException {
        Path elsewhere = Files.createFile(tmp.resolve("someone-elses"));
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));
        Path link = Files.createSymbolicLink(tmp.resolve("recording.jfr"), elsewhere);
        IOException e = assertThrows(IOException.class, () -> Session.chmod(link, "rw-------"));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(elsewhere)), e.toString());
    }
}
