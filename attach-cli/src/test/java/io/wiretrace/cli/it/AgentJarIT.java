package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * Jar hygiene: the agent manifest is complete, and no class of the agent's dependencies (or of
 * its core) sits where the app's class loaders could see it. Only the entry class is visible
 * to the system class loader; the dispatcher is defined in the bootstrap loader at start.
 */
class AgentJarIT {
    @Test
    void manifestDeclaresTheAgent() throws Exception {
        try (JarFile jar = new JarFile(Harness.AGENT_JAR.toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("io.wiretrace.agent.Agent", main.getValue("Agent-Class"));
            assertEquals("io.wiretrace.agent.Agent", main.getValue("Premain-Class"));
            assertEquals("true", main.getValue("Can-Retransform-Classes"));
            assertNotNull(main.getValue("Implementation-Version"));
        }
    }

    @Test
    void nothingButTheEntryIsVisible() throws Exception {
        List<String> visible = new ArrayList<>();
        boolean byteBuddy = false;
        boolean pcap4j = false;
        boolean jna = false;
        try (JarFile jar = new JarFile(Harness.AGENT_JAR.toFile())) {
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                String n = e.getName();
                byteBuddy |= n.equals("wiretrace-inf/net/bytebuddy/ByteBuddy.class");
                pcap4j |= n.equals("wiretrace-inf/org/pcap4j/core/Pcaps.class");
                jna |= n.equals("wiretrace-inf/com/sun/jna/Native.class");
                if (n.startsWith("wiretrace-inf/") || n.startsWith("META-INF/") || n.endsWith("/")
                        || n.matches("io/wiretrace/agent/Agent(\\$\\w+)?\\.class")) {
                    continue;
                }
                visible.add(n);
            }
            assertEquals(List.of(), visible, "entries the app's class loaders could see");
            assertTrue(byteBuddy && pcap4j && jna, "dependencies missing from wiretrace-inf/");

            List<String> boot = java.util.Collections.list(jar.entries()).stream().map(JarEntry::getName)
                    .filter(n -> n.startsWith("wiretrace-inf/boot/") && n.endsWith(".class")).sorted().toList();
            assertEquals(List.of("wiretrace-inf/boot/io/wiretrace/bootstrap/Dispatcher$Hooks.class",
                    "wiretrace-inf/boot/io/wiretrace/bootstrap/Dispatcher.class"), boot);
            assertTrue(jar.getEntry("wiretrace-inf/io/wiretrace/bootstrap/Dispatcher.class") == null,
                    "the dispatcher must exist once, in the bootstrap loader");
        }
    }

    @Test
    void cliEmbedsTheSameAgent() throws Exception {
        try (JarFile cli = new JarFile(Harness.CLI_JAR.toFile())) {
            JarEntry embedded = cli.getJarEntry("wiretrace-agent.jar");
            assertNotNull(embedded, "wiretrace.jar does not embed the agent");
            try (InputStream in = cli.getInputStream(embedded)) {
                assertArrayEquals(Files.readAllBytes(Harness.AGENT_JAR), in.readAllBytes());
            }
            assertEquals("io.wiretrace.cli.Wiretrace", cli.getManifest().getMainAttributes().getValue("Main-Class"));
        }
    }

    @Test
    void cliHoldsNoAgentClass() throws Exception {
        try (JarFile cli = new JarFile(Harness.CLI_JAR.toFile())) {
            List<String> names = java.util.Collections.list(cli.entries()).stream().map(JarEntry::getName).toList();
            assertEquals(List.of(), names.stream().filter(n -> n.startsWith("io/wiretrace/agent/")
                    || n.startsWith("io/wiretrace/bootstrap/")).toList(), "agent classes in the CLI jar");
            assertTrue(names.contains("io/wiretrace/analysis/offline/Offline.class"), "the shared analysis is missing");
            assertTrue(names.contains("io/wiretrace/analysis/protocol/build.properties"), "the build identity is missing");
        }
    }
}
