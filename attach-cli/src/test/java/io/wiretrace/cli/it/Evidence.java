package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Reads what a capture left: the pcapng through tshark (the reference reader), the JFR through jdk.jfr. */
final class Evidence {
    private Evidence() {
    }

    /** A TCP flow as an unordered pair of endpoints, so both directions and both sides name it alike. */
    static String flow(String a, int ap, String b, int bp) {
        String x = a + ":" + ap;
        String y = b + ":" + bp;
        return x.compareTo(y) < 0 ? x + " <-> " + y : y + " <-> " + x;
    }

    static String tshark(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tshark"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tshark did not finish");
        String complaints = err.lines()
                .filter(l -> !l.isBlank() && !l.startsWith("Running as user"))
                .collect(Collectors.joining("\n"));
        assertEquals(0, p.exitValue(), "tshark failed: " + err);
        assertEquals("", complaints, "tshark complained");
        return new String(out, StandardCharsets.UTF_8);
    }

    static Set<String> pcapFlows(Path pcapng) throws Exception {
        String out = tshark("-r", pcapng.toString(), "-Y", "tcp", "-T", "fields",
                "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-E", "separator=,");
        Set<String> flows = new TreeSet<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(",");
            flows.add(flow(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3])));
        }
        return flows;
    }

    static int pcapPackets(Path pcapng) throws Exception {
        return (int) tshark("-r", pcapng.toString(), "-T", "fields", "-e", "frame.number").lines()
                .filter(l -> !l.isBlank()).count();
    }

    /** The sequence numbers that {@link Traffic} put at the start of each datagram, in file order. */
    static List<Long> udpSequences(Path file) throws Exception {
        return tshark("-r", file.toString(), "-Y", "udp", "-T", "fields", "-e", "data.data").lines()
                .filter(l -> !l.isBlank()).map(l -> Long.parseUnsignedLong(l.trim().substring(0, 16), 16)).toList();
    }

    /** wiretrace's events about connections (those with a connection id). */
    static List<RecordedEvent> events(Path jfr) throws Exception {
        return RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().startsWith("wiretrace.") && e.hasField("connectionId"))
                .collect(Collectors.toList());
    }

    static String flow(RecordedEvent e) {
        return flow(e.getString("localAddress"), e.getInt("localPort"),
                e.getString("remoteAddress"), e.getInt("remotePort"));
    }

    static String type(RecordedEvent e) {
        return e.getEventType().getName().substring("wiretrace.".length());
    }

    /** Flows named by the JFR events, checking on the way that one flow has one connection id. */
    static Set<String> jfrFlows(List<RecordedEvent> events) {
        java.util.Map<String, Long> ids = new java.util.HashMap<>();
        java.util.Map<Long, String> flows = new java.util.HashMap<>();
        for (RecordedEvent e : events) {
            if (type(e).equals("SocketConnect") && e.getString("failure") != null) {
                continue;
            }
            String f = flow(e);
            long id = e.getLong("connectionId");
            assertTrue(id > 0, () -> "event without a connection id: " + type(e) + " " + f);
            Long before = ids.putIfAbsent(f + "/" + e.getString("localAddress") + ":" + e.getInt("localPort"), id);
            if (before != null) {
                assertEquals(before, id, "one side of " + f + " carries two connection ids");
            }
            String other = flows.putIfAbsent(id, f);
            if (other != null) {
                assertEquals(other, f, "connection id " + id + " names two flows");
            }
        }
        Set<String> result = new TreeSet<>();
        events.stream().filter(e -> !(type(e).equals("SocketConnect") && e.getString("failure") != null))
                .forEach(e -> result.add(flow(e)));
        assertFalse(result.isEmpty(), "no socket events in the recording");
        return result;
    }

    static Set<String> typesFor(List<RecordedEvent> events, String flow) {
        return events.stream().filter(e -> flow(e).equals(flow)).map(Evidence::type)
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
