package io.wiretrace.analysis.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.File;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys from address literals, parsed here: never a name lookup (the correlator holds the readers' lock). */
class FlowKeyTest {
    @Test
    void literalsGiveTheBytesInetAddressGives() throws Exception {
        for (String a : List.of("10.0.0.1", "255.255.255.255", "0.0.0.0", "::1", "::", "2001:db8::1", "fe80::1:2",
                "2001:db8:0:0:1:0:0:1", "1:2:3:4:5:6:7:8", "::ffff:10.1.2.3", "64:ff9b::192.0.2.33", "1::")) {
            assertArrayEquals(InetAddress.getByName(a).getAddress(), FlowKey.literal(a), a);
        }
        assertArrayEquals(InetAddress.getByName("fe80::1").getAddress(), FlowKey.literal("fe80::1%lo"));
    }

    @Test
    void anythingElseIsNotALiteral() {
        for (String a : List.of("", "localhost", "1host", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4x", "1::2::3",
                "1:2:3:4:5:6:7:8:9", "12345::1", "g::1", "1.2.3.4:80", ":::", "::1.2.3.4.5", "١.2.3.4")) {
            assertNull(FlowKey.literal(a), a);
            assertNull(FlowKey.of(a, 80), a);
        }
    }

    /**
     * A name that looks like a literal to a first glance ("1host": a digit first) is never looked
     * up: in a JVM whose resolver knows it (a hosts file), it still gives no key.
     */
    @Test
    void aNameThatStartsWithADigitIsNotResolved(@TempDir Path dir) throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.write(hosts, "10.9.9.9 1host\n".getBytes(StandardCharsets.US_ASCII));
        Path out = dir.resolve("out");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"),
                Lookup.class.getName(), out.toString()).redirectErrorStream(true).start();
        p.getInputStream().transferTo(System.out);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue());
        assertEquals("resolver: /10.9.9.9, key: null", Files.readString(out));
    }

    /** Run in a JVM with the hosts file: what the resolver says of "1host", and FlowKey's answer. */
    static final class Lookup {
        public static void main(String[] args) throws Exception {
            String resolved = InetAddress.getByName("1host").toString().replace("1host", "");
            Files.writeString(new File(args[0]).toPath(), "resolver: " + resolved + ", key: " + FlowKey.of("1host", 80));
        }
    }
}
