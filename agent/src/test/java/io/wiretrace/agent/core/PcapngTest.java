package io.wiretrace.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's output as tshark, the reference reader, sees it. */
class PcapngTest {
    /** Ethernet + IPv4 + TCP SYN from 10.0.0.1:40000 to 10.0.0.2:443, 54 bytes. */
    private static byte[] frame() {
        int[] b = {
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
            0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void tsharkReadsPacketsWithNanosecondTimestampsAndOriginalLengths(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("t.pcapng");
        try (Pcapng w = new Pcapng(file, "wiretrace-test")) {
            w.addInterface(1, 262144, "eth-test");
            w.packet(0, 1_700_000_000_123_456_789L, frame(), 54);
            w.packet(0, 1_700_000_001_000_000_001L, frame(), 1514); // truncated by snaplen
        }
        List<String> lines = tshark(file, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len",
                "-e", "frame.cap_len", "-e", "ip.src", "-e", "tcp.dstport", "-E", "separator=,");
        assertEquals(List.of(
                "1700000000.123456789,54,54,10.0.0.1,443",
                "1700000001.000000001,1514,54,10.0.0.1,443"), lines);
        List<String> iface = tshark(file, "-T", "fields", "-e", "frame.interface_name", "-c", "1");
        assertEquals(List.of("eth-test"), iface);
    }

    private static List<String> tshark(Path file, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("tshark", "-r", file.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), err);
        assertEquals("", err.lines().filter(l -> !l.startsWith("Running as user")).reduce("", String::concat), err);
        return out.lines().filter(l -> !l.isBlank()).collect(java.util.stream.Collectors.toList());
    }
}
