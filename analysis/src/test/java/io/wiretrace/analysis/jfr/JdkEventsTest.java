package io.wiretrace.analysis.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.analysis.verdict.InApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdkEventsTest {
    @TempDir
    Path tmp;

    /**
     * The sleeps of an app's thread become in-app events; those of wiretrace's and JFR's own
     * threads, which never serve a request, do not (a busy capture's would fill the ring).
     */
    @Test
    void theToolsOwnThreadsAreLeftOut() throws Exception {
        Path file = tmp.resolve("r.jfr");
        List<Long> ids = new ArrayList<>();
        try (Recording r = new Recording()) {
            r.enable("jdk.ThreadSleep").withThreshold(java.time.Duration.ZERO).withStackTrace();
            r.start();
            for (String name : List.of("app-worker", "wiretrace-capture", "JFR Event Stream")) {
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, name);
                t.start();
                t.join();
                ids.add(t.getId());
            }
            r.stop();
            r.dump(file);
        }
        List<Long> seen = new ArrayList<>();
        int sleeps = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ThreadSleep") || !ids.contains(e.getThread().getJavaThreadId())) {
                continue;
            }
            sleeps++;
            InApp.Event x = JdkEvents.of(e);
            if (x != null) {
                seen.add(x.thread);
            }
        }
        assertEquals(3, sleeps, "the recording has the three sleeps");
        assertEquals(List.of(ids.get(0)), seen);
        assertTrue(Files.size(file) > 0);
    }
}
