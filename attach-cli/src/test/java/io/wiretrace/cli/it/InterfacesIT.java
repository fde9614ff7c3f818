package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `interfaces` lists what tcpdump -D lists; -i takes those numbers, and several -i make one pcapng. */
class InterfacesIT {
    @TempDir
    Path tmp;

    @Test
    void listedAsTcpdumpListsThemAndCapturedOnSeveral() throws Exception {
        Process d = new ProcessBuilder("tcpdump", "-D").start();
        String tcpdumpList = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(d.waitFor(30, TimeUnit.SECONDS));
        try (Traffic traffic = new Traffic(); Harness.App app = Harness.idle()) {
            String listed = Harness.cli("interfaces", app.pid()).expect(0).out.trim();
            assertEquals(tcpdumpList, listed);

            String lo = listed.lines().filter(l -> l.matches("\\d+\\.lo .*")).findFirst().orElseThrow()
                    .replaceAll("^(\\d+)\\..*", "$1");
            Harness.cli("start", app.pid(), "-i", "999", traffic.filter()).expect(2)
                    .oneLineError("there is no interface number 999");
            Path out = tmp.resolve("out");
            String started = Harness.cli("start", app.pid(), "-i", lo, "-i", "any", "-w", out.toString(),
                    traffic.filter()).expect(0).out;
            assertTrue(started.contains("capturing on lo, any"), started);
            traffic.send(200, 500, 5_000);
            String stopped = Harness.cli("stop", app.pid()).expect(0).out;

            // each datagram crosses lo once, and "any" sees it too
            Map<String, Long> perInterface = Evidence.tshark("-r", out.resolve("trace.pcapng").toString(),
                    "-T", "fields", "-e", "frame.interface_name").lines().filter(l -> !l.isBlank())
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertEquals(Map.of("lo", traffic.sent, "any", traffic.sent), perInterface);
            assertTrue(stopped.contains((2 * traffic.sent) + " packets captured"), stopped);
            assertTrue(stopped.contains("  lo: " + traffic.sent + " captured"), stopped);
            assertTrue(stopped.contains("  any: " + traffic.sent + " captured"), stopped);
        }
    }
}
