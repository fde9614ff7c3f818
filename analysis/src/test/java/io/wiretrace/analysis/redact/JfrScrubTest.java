package io.wiretrace.analysis.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secrets of a JVM's properties, environment and command line leave a recording; the rest stays readable. */
class JfrScrubTest {
    static final List<String> SECRETS = List.of("hunter2-secret", "env-secret-42", "arg-secret-7", "url-secret-9");
    @TempDir
    static Path tmp;
    static Path recorded;

    /** A JVM that records with the JDK's default settings, as an app does, and exits. */
    @BeforeAll
    static void record() throws Exception {
        recorded = tmp.resolve("app.jfr");
        ProcessBuilder pb = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:StartFlightRecording:settings=default,dumponexit=true,filename=" + recorded,
                "-Xmx64m", "-Dapp.db.password=hunter2-secret", "-Dspring.datasource.url=jdbc:postgresql://u:url-secret-9@h/db",
                "-cp", System.getProperty("java.class.path"), Exit.class.getName(), "--db.password=arg-secret-7")
                .redirectErrorStream(true);
        pb.environment().put("DB_PASSWORD", "env-secret-42");
        Process p = pb.start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, said);
    }

    public static final class Exit {
        public static void main(String[] args) {
            // the recording's first chunk holds the events; the exit writes it
        }
    }

    @Test
    void masksSecretsInPlace() throws Exception {
        Path f = Files.copy(recorded, tmp.resolve("scrubbed.jfr"));
        String before = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String s : SECRETS) {
            assertTrue(before.contains(s), s + " is not in the recording to begin with");
        }
        long size = Files.size(f);

        assertTrue(JfrScrub.scrub(f) >= 4);

        String after = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String s : SECRETS) {
            assertFalse(after.contains(s), s);
        }
        assertEquals(size, Files.size(f));
        List<RecordedEvent> events = RecordingFile.readAllEvents(f);
        assertEquals(RecordingFile.readAllEvents(recorded).size(), events.size());
        assertEquals("**************", property(events, "jdk.InitialSystemProperty", "app.db.password"));
        assertEquals("jdbc:postgresql://u:************@h/db",
                property(events, "jdk.InitialSystemProperty", "spring.datasource.url"));
        assertEquals(System.getProperty("java.home"), property(events, "jdk.InitialSystemProperty", "java.home"));
        assertEquals("*************", property(events, "jdk.InitialEnvironmentVariable", "DB_PASSWORD"));
        assertEquals(System.getenv("PATH"), property(events, "jdk.InitialEnvironmentVariable", "PATH"));
        RecordedEvent jvm = events.stream().filter(e -> e.getEventType().getName().equals("jdk.JVMInformation"))
                .findFirst().orElseThrow();
        assertTrue(jvm.getString("jvmArguments").contains("-Dapp.db.password=************** "), jvm.getString("jvmArguments"));
        assertTrue(jvm.getString("jvmArguments").contains("-Xmx64m"), jvm.getString("jvmArguments"));
        assertEquals("--db.password=************", jvm.getString("javaArguments").replaceFirst(".*Exit ", ""));

        assertEquals(0, JfrScrub.scrub(f)); // nothing left to do
    }

    @Test
    void refusesWhatIsNoRecording() throws IOException {
        Path f = Files.write(tmp.resolve("not.jfr"), "FLR\0 but not a chunk at all, long enough to be read".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> JfrScrub.scrub(f));
        Path cut = tmp.resolve("cut.jfr");
        byte[] whole = Files.readAllBytes(recorded);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThrows(IOException.class, () -> JfrScrub.scrub(cut));
    }

    private static String property(List<RecordedEvent> events, String type, String key) {
        List<String> values = events.stream().filter(e -> e.getEventType().getName().equals(type)
                && key.equals(e.getString("key"))).map(e -> e.getString("value")).distinct().collect(Collectors.toList());
        assertEquals(1, values.size(), type + " " + key + ": " + values);
        return values.get(0);
    }
}
