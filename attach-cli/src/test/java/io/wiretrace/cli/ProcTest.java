package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What /proc says about a process, as the checks before an attach read it. */
class ProcTest {
    @Test
    void thisJvmIsOne() {
        Proc self = Proc.self();
        assertNull(self.notAJvm());
        assertEquals(ProcessHandle.current().pid(), self.nsPid); // the tests run in the host's pid namespace
        assertEquals(System.getProperty("user.name"), self.user());
    }

    @Test
    void aProcessThatDiesOfSigquitIsNot() throws Exception {
        // A child of a JVM inherits SIGQUIT blocked, but its action is the default one: it is not caught.
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            String why = Proc.read(sleep.pid()).notAJvm();
            assertTrue(why != null && why.contains("does not catch SIGQUIT"), why);
        } finally {
            sleep.destroy();
            sleep.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void noSuchProcess() {
        long pid = 4_000_000;
        while (ProcessHandle.of(pid).isPresent()) {
            pid++;
        }
        assertNull(Proc.read(pid));
    }
}
