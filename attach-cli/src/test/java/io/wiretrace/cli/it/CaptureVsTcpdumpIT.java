package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * wiretrace and tcpdump capture the same traffic with the same filter: the files hold the same
 * packets, with the same timestamps (ns), lengths and bytes; wiretrace's kernel ring got each
 * loopback packet once where tcpdump's got it twice ({@code LoopbackCopies}).
 */
class CaptureVsTcpdumpIT {
    @TempDir
    Path tmp;

    /** libpcap writes into a ring in the JVM, or with the app's {@code -Dwiretrace.capture.ring=false} into a pipe. */
    @ParameterizedTest(name = "{0}, snaplen {1}, through a {2}")
    @CsvSource({"pcapng, 0, ring", "pcap, 100, ring", "pcapng, 0, pipe"})
    void samePacketsAsTcpdump(String format, int snaplen, String stream) throws Exception {
        Path theirs = tmp.resolve("tcpdump.pcap");
        Path out = tmp.resolve("out");
        List<String> java = new java.util.ArrayList<>(List.of(Harness.currentJava()));
        if (stream.equals("pipe")) {
            java.add("-Dwiretrace.capture.ring=false");
        }
        java.addAll(List.of("-jar", Harness.SHOP_JAR.toString(), "upstream"));
        try (Traffic traffic = new Traffic();
                Harness.App app = new Harness.App(java);
                Tcpdump tcpdump = new Tcpdump("-i", "lo", "-s", String.valueOf(snaplen), "-B", "32768",
                        "--time-stamp-precision=nano", "-w", theirs.toString(), traffic.filter())) {
            Harness.cli("start", app.pid(), "-i", "lo", "-s", String.valueOf(snaplen), "--format", format,
                    "-w", out.toString(), traffic.filter()).expect(0);
            // the pipe shows among the app's open files (a FIFO, removed once opened); the ring does not
            assertEquals(stream.equals("pipe"), pipes(app.pid()) > 0, "the capture's stream is a " + stream);
            traffic.send(3000, 1400, 20_000);
            assertTrue(Harness.await(Duration.ofSeconds(30), () -> Savefile.read(theirs).size() == traffic.sent),
                    "tcpdump did not write all " + traffic.sent + " packets");
            String stopped = Harness.cli("stop", app.pid()).expect(0).out;
            String tcpdumpSaid = tcpdump.stop();

            Path ours = out.resolve("trace." + format);
            List<Savefile.Packet> expected = Savefile.read(theirs);
            List<Savefile.Packet> got = Savefile.read(ours);
            assertEquals(traffic.sent, expected.size(), tcpdumpSaid);
            assertEquals(keys(expected), keys(got), "wiretrace's packets differ from tcpdump's");
            if (snaplen > 0) {
                assertTrue(got.stream().anyMatch(p -> p.originalLength() > snaplen));
                assertTrue(got.stream().allMatch(p -> p.data().length <= snaplen));
            }
            assertEquals(traffic.sent, Evidence.pcapPackets(ours), "tshark's count");
            assertTrue(stopped.contains(traffic.sent + " packets captured"), stopped);
            assertTrue(stopped.contains("0 packets dropped by kernel"), stopped);
            assertTrue(stopped.contains("0 packets dropped by wiretrace"), stopped);
            // on loopback the kernel hands a capture each packet twice, leaving and arriving (tcpdump's
            // ring gets both copies): wiretrace's filter keeps the outgoing one out of its ring
            assertTrue(stopped.contains(traffic.sent + " packets received by filter"), stopped);
        }
    }

    /**
     * On {@code any} (the default) loopback's packets come twice as well, and their leaving copies
     * are kept out of the ring in the same way; another interface's leaving packets are not
     * loopback's and are kept (the check compares the interface's index).
     */
    @Test
    void onAnyEachLoopbackPacketIsCopiedOnce() throws Exception {
        Path out = tmp.resolve("any");
        try (Traffic traffic = new Traffic();
                Harness.App app = new Harness.App(List.of(Harness.currentJava(), "-jar", Harness.SHOP_JAR.toString(),
                        "upstream"))) {
            Harness.cli("start", app.pid(), "-i", "any", "-w", out.toString(), traffic.filter()).expect(0);
            traffic.send(2000, 1400, 20_000);
            assertTrue(Harness.await(Duration.ofSeconds(30),
                    () -> Harness.cli("status", app.pid()).out.contains(traffic.sent + " packets captured")),
                    Harness.cli("status", app.pid()).out);
            String stopped = Harness.cli("stop", app.pid()).expect(0).out;
            assertTrue(stopped.contains(traffic.sent + " packets captured"), stopped);
            assertTrue(stopped.contains(traffic.sent + " packets received by filter"), stopped);
            assertEquals(traffic.sent, Evidence.pcapPackets(out.resolve("trace.pcapng")), "tshark's count");
        }
    }

    /** The JVM's open FIFOs that the capture made (named pcap-…). */
    private static long pipes(String pid) throws java.io.IOException {
        try (java.util.stream.Stream<Path> fds = java.nio.file.Files.list(Path.of("/proc", pid, "fd"))) {
            return fds.filter(fd -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(fd).getFileName().toString().startsWith("pcap-");
                } catch (java.io.IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }

    static List<String> keys(List<Savefile.Packet> packets) {
        return packets.stream().map(Savefile.Packet::key).collect(Collectors.toList());
    }
}
