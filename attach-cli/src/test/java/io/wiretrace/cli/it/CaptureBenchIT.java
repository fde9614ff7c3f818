package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The capture benchmark's smoke run (bench/capture/run with SMOKE=1) against the jars this build
 * made: it runs, it measures tcpdump and wiretrace on the same traffic, and wiretrace writes as
 * many packets as tcpdump. A functional check; the figures it prints are not judged.
 */
class CaptureBenchIT {
    private static final Path RUN = Paths.get(System.getProperty("wiretrace.captureBench"));
    /** A row of the benchmark's table: rate, capturer, offered, written. */
    private static final Pattern ROW = Pattern.compile("^\\S+k\\s+(tcpdump|wiretrace)\\s+(\\d+)\\s+(\\d+|\\?)\\s", Pattern.MULTILINE);

    @Test
    void smokeRun() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(RUN.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("SMOKE", "1");
        env.put("WIRETRACE_JAR", Harness.CLI_JAR.toString());
        env.put("SHOP_JAR", Harness.SHOP_JAR.toString());
        env.put("JDK", System.getProperty("java.home"));
        env.put("PORT", String.valueOf(freeUdpPort()));
        Process p = pb.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        if (!p.waitFor(Harness.DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroy); // the benchmark's own children: target JVM, tcpdump
            p.destroy();
            fail("bench/capture/run did not finish within " + Harness.DEADLINE + ":\n" + output.get(10, TimeUnit.SECONDS));
        }
        String out = output.get(10, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), out);

        int together = out.indexOf("TOGETHER");
        assertTrue(together >= 0, "no table of the together phase:\n" + out);
        Map<String, long[]> rows = new HashMap<>();
        Matcher m = ROW.matcher(out.substring(together));
        while (m.find()) {
            rows.put(m.group(1), new long[] {Long.parseLong(m.group(2)), m.group(3).equals("?") ? -1 : Long.parseLong(m.group(3))});
        }
        assertEquals(List.of("tcpdump", "wiretrace"), rows.keySet().stream().sorted().toList(), out);
        long tcpdump = rows.get("tcpdump")[1];
        assertTrue(tcpdump > 0, "tcpdump wrote no packets:\n" + out);
        assertEquals(tcpdump, rows.get("wiretrace")[1], "packets wiretrace wrote vs tcpdump's:\n" + out);
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(" + e + ")";
        }
    }
}
