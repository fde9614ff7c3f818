package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * wiretrace and tcpdump capture the same traffic with the same filter: the files hold the same
 * packets, with the same timestamps (ns), lengths and bytes.
 */
class CaptureVsTcpdumpIT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}, snaplen {1}")
    @CsvSource({"pcapng, 0", "pcap, 100"})
    void samePacketsAsTcpdump(String format, int snaplen) throws Exception {
        Path theirs = tmp.resolve("tcpdump.pcap");
        Path out = tmp.resolve("out");
        try (Traffic traffic = new Traffic();
                Harness.App app = Harness.idle();
                Tcpdump tcpdump = new Tcpdump("-i", "lo", "-s", String.valueOf(snaplen), "-B", "32768",
                        "--time-stamp-precision=nano", "-w", theirs.toString(), traffic.filter())) {
            Harness.cli("start", app.pid(), "-i", "lo", "-s", String.valueOf(snaplen), "--format", format,
                    "-w", out.toString(), traffic.filter()).expect(0);
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
        }
    }

    static List<String> keys(List<Savefile.Packet> packets) {
        return packets.stream().map(Savefile.Packet::key).collect(Collectors.toList());
    }
}
