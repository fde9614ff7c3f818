package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientTest {
    @Test
    void oldAgentCopiesGoOnceNoJvmHoldsThem(@TempDir Path dir) throws Exception {
        Path current = Files.createFile(dir.resolve("wiretrace-agent-current.jar"));
        Path held = Files.createFile(dir.resolve("wiretrace-agent-held.jar"));
        Path stale = Files.createFile(dir.resolve("wiretrace-agent-stale.jar"));
        Path fresh = Files.createFile(dir.resolve("wiretrace-agent-fresh.jar"));
        Path other = Files.createFile(dir.resolve("reply-x.txt"));
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(11));
        for (Path p : new Path[] {held, stale, other}) {
            Files.setLastModifiedTime(p, old);
        }
        try (FileChannel open = FileChannel.open(held)) {
            AgentClient.pruneUnused(dir, current, dir);
            assertTrue(Files.exists(current), "the current copy was deleted");
            assertTrue(Files.exists(held), "a copy a process holds open was deleted");
            assertFalse(Files.exists(stale), "an unused old copy was kept");
            assertTrue(Files.exists(fresh), "a copy another CLI just extracted was deleted");
            assertTrue(Files.exists(other), "a file that is not an agent copy was deleted");
        }
    }

    /**
     * Reading the target's properties fails now and then when the agent removes a key meanwhile
     * (the JDK snapshots the keys, then finds a value gone: a NullPointerException in the
     * target, an IOException here): the read is tried again, a few times.
     */
    @Test
    void aPropertiesReadThatRacesARemovalIsTriedAgain() throws Exception {
        FakeVm flaky = new FakeVm(2);
        assertEquals("yes", AgentClient.properties(flaky, true).getProperty("wiretrace.state"));
        assertEquals(3, flaky.calls);
        FakeVm broken = new FakeVm(Integer.MAX_VALUE);
        assertThrows(java.io.IOException.class, () -> AgentClient.properties(broken, true));
        assertEquals(5, broken.calls);
    }

    /** A VM whose agent properties fail {@code failures} times, then hold wiretrace.state=yes. */
    private static final class FakeVm extends com.sun.tools.attach.VirtualMachine {
        private final int failures;
        int calls;

        FakeVm(int failures) {
            super(new com.sun.tools.attach.spi.AttachProvider() {
                @Override
                public String name() {
                    return "fake";
                }

                @Override
                public String type() {
                    return "fake";
                }

                @Override
                public com.sun.tools.attach.VirtualMachine attachVirtualMachine(String id) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public java.util.List<com.sun.tools.attach.VirtualMachineDescriptor> listVirtualMachines() {
                    return java.util.List.of();
                }
            }, "1");
            this.failures = failures;
        }

        @Override
        public java.util.Properties getAgentProperties() throws java.io.IOException {
            if (calls++ < failures) {
                throw new java.io.IOException("java.lang.NullPointerException");
            }
            java.util.Properties p = new java.util.Properties();
            p.setProperty("wiretrace.state", "yes");
            return p;
        }

        @Override
        public java.util.Properties getSystemProperties() {
            return new java.util.Properties();
        }

        @Override
        public void detach() {
        }

        @Override
        public void loadAgent(String agent, String options) {
        }

        @Override
        public void loadAgentLibrary(String agentLibrary, String options) {
        }

        @Override
        public void loadAgentPath(String agentPath, String options) {
        }

        @Override
        public void startManagementAgent(java.util.Properties agentProperties) {
        }

        @Override
        public String startLocalManagementAgent() {
            return "";
        }
    }
}
