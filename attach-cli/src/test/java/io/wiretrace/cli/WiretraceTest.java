package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI's contract without a target: help, usage errors and their exit codes. */
class WiretraceTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Wiretrace.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void helpNamesEveryCommand() {
        assertEquals(0, run("--help"));
        for (String c : new String[] {"list", "interfaces", "start", "status", "stop"}) {
            assertTrue(out.toString().contains(c), out.toString());
        }
        assertTrue(out.toString().contains("Exit codes"), out.toString());
    }

    @Test
    void startHelpExplainsTheTcpdumpOptions() {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true)); // picocli's own warnings go there
        try {
            assertEquals(0, run("start", "--help"));
        } finally {
            System.setErr(stderr);
        }
        assertEquals("", warnings.toString(), "picocli warned while formatting the help");
        String help = out.toString();
        assertTrue(help.contains("trace-%Y%m%d-%H%M%S.pcapng"), help);
        for (String o : new String[] {"-i", "-s", "-B", "-C", "-W", "-G", "-w", "--name", "--format", "--slow",
            "filter", "<target>"}) {
            assertTrue(help.contains(o), "start --help lacks " + o + ":\n" + help);
        }
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, run("start"));
        assertTrue(err.toString().contains("Missing required parameter"), err.toString());
        assertEquals(2, run("start", "123", "--no-such-option"));
        assertEquals(2, run("frobnicate"));
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals(2, run("start", "1", "--slow", "soon"));
        assertTrue(err.toString().contains("'soon' is not a duration"), err.toString());
        assertEquals(2, run("start", "1", "--format", "xml"));
        assertEquals(2, run("start", "1", "-s", "-5"));
    }

    @Test
    void rotationAndInterfaceOptionsAreCheckedBeforeAttaching() {
        assertEquals(2, run("start", "1", "-W", "5"));
        assertTrue(err.toString().contains("give -C or -G too"), err.toString());
        assertEquals(2, run("start", "1", "-C", "0"));
        assertEquals(2, run("start", "1", "-G", "-1"));
        assertEquals(2, run("start", "1", "-B", "0"));
        assertEquals(2, run("start", "1", "-C", "1.5"));
        assertEquals(2, run("start", "1", "--format", "pcap", "-i", "lo", "-i", "eth0"));
        assertTrue(err.toString().contains("--format pcap holds one interface"), err.toString());
        assertEquals(2, run("start", "1", "-i", "lo,eth0"));
    }

    /** Values past their bounds: a usage error that says which, never an overflow or a raw exception. */
    @Test
    void outOfBoundsValuesAreUsageErrors() {
        assertEquals(2, run("start", "1", "-B", "3000000"));
        assertTrue(err.toString().contains("-B takes a whole number from 1 to 2097151, not '3000000'"), err.toString());
        assertEquals(2, run("start", "1", "--name", "report.html"));
        assertTrue(err.toString().contains("--name report.html is a file the output directory holds"), err.toString());
        assertEquals(2, run("collect", "1", "--name", "environment.txt"));
        assertEquals(2, run("start", "1", "--slow", "0"));
        assertTrue(err.toString().contains("--slow takes at least 1ms, not 0"), err.toString());
        assertEquals(2, run("collect", "1", "-d", "9999999999999999h"));
        assertTrue(err.toString().contains("'9999999999999999h' is too long a duration"), err.toString());
        assertEquals(2, run("collect", "1", "-d", "99999999999999999999s"));
        assertEquals(2, run("status", "99999999999999999999"));
        assertTrue(err.toString().contains("no process with pid 99999999999999999999 (too large for a pid)"), err.toString());
        assertEquals(2, run("stop", "99999999999999999999"));
        assertTrue(!err.toString().contains("Exception"), err.toString());
    }

    @Test
    void versionIsPrinted() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("wiretrace "), out.toString());
    }

    /** Without packets, neither collect's progress nor its summary may read as "0 packets, all fine". */
    @Test
    void packetsOffIsSaidNotCountedAsZero() {
        String line = CollectCommand.line(CollectCommand.parse("seconds=3 packets=off connections=4 slow=1 state=capturing"),
                java.time.Duration.ofSeconds(3));
        assertEquals("   3s  packets off  4 connections  1 slow calls (app timings only)", line);
        assertTrue(CollectCommand.line(CollectCommand.parse("packets=12 bytes=3000000 drops=0 connections=4 slow=1"),
                java.time.Duration.ofSeconds(3)).contains("12 packets  3.0 MB  0 drops"));

        java.util.Map<String, Object> capture = new java.util.HashMap<>();
        capture.put("packets", null);
        capture.put("packetsOff", "the app's user may not capture (no CAP_NET_RAW)");
        AnalyzeCommand.summary(java.util.Map.of("capture", capture, "source", java.util.Map.of("verdicts", "recording"),
                "verdicts", java.util.List.of()), new PrintWriter(out));
        assertEquals("no capture file; verdicts from the recording (live)\n"
                + "packets: off in the target — the app's user may not capture (no CAP_NET_RAW); the verdicts rest on"
                + " the app's timings alone\nno slow or failed call\n", out.toString());
    }

    /** A recording that lost its oldest part is said, not passed over: its verdicts are not all there were. */
    @Test
    void aRecordingThatBeginsAfterTheCaptureIsSaid() {
        java.util.Map<String, Object> capture = new java.util.HashMap<>();
        capture.put("packets", 497L);
        capture.put("conversations", 23);
        capture.put("recordingReach", java.util.Map.of("from", "2026-12-06T19:42:13Z", "secondsNotCovered", 2075L,
                "callsFromPackets", 3));
        AnalyzeCommand.summary(java.util.Map.of("capture", capture, "source", java.util.Map.of("verdicts", "recording"),
                "verdicts", java.util.List.of()), new PrintWriter(out));
        assertEquals("497 packets, 23 TCP conversations; verdicts from the recording (live)\n"
                + "recording: from 2026-12-06T19:42:13Z only, 2075 s after the first packet (its size limit); the 3 slow"
                + " or failed calls before it are judged from the packets alone\nno slow or failed call\n", out.toString());
    }

    @Test
    void aThresholdOnExchangesIsSaid() {
        java.util.Map<String, Object> capture = new java.util.HashMap<>();
        capture.put("packets", 10L);
        capture.put("conversations", 2);
        capture.put("exchangeThreshold", "the recording holds only the HTTP exchanges of at least 10.0 ms");
        AnalyzeCommand.summary(java.util.Map.of("capture", capture, "source", java.util.Map.of("verdicts", "recording"),
                "verdicts", java.util.List.of()), new PrintWriter(out));
        assertEquals("10 packets, 2 TCP conversations; verdicts from the recording (live)\n"
                + "requests: the recording holds only the HTTP exchanges of at least 10.0 ms\nno slow or failed call\n",
                out.toString());
    }
}
