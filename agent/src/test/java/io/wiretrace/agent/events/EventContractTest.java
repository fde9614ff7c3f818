package io.wiretrace.agent.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.Configuration;
import jdk.jfr.DataAmount;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;
import jdk.jfr.ValueDescriptor;
import org.junit.jupiter.api.Test;

/** The JFR events are an interface users query by name and field: the contract in the docs. */
class EventContractTest {
    private static final Map<Class<? extends Event>, String> NAMES = Map.of(
            SocketConnectEvent.class, "wiretrace.SocketConnect",
            SocketAcceptEvent.class, "wiretrace.SocketAccept",
            SocketReadEvent.class, "wiretrace.SocketRead",
            SocketWriteEvent.class, "wiretrace.SocketWrite",
            SocketCloseEvent.class, "wiretrace.SocketClose");

    /** Every event of this package. */
    private static final List<Class<? extends Event>> ALL = List.of(
            SocketConnectEvent.class, SocketAcceptEvent.class, SocketReadEvent.class, SocketWriteEvent.class,
            SocketCloseEvent.class, HttpExchangeEvent.class, DatabaseQueryEvent.class, DnsLookupEvent.class,
            TlsHandshakeEvent.class, TcpConnectionEvent.class, SlowCallEvent.class, CaptureStatisticsEvent.class,
            TriggerEvent.class);
    /** The fields JFR itself gives every event. */
    private static final Set<String> IMPLICIT = Set.of("startTime", "duration", "eventThread", "stackTrace");
    private static final Pattern DURATION = Pattern.compile("rtt(Min|Avg|Max)|handshakeRtt|\\w+Duration|lifetime"
            + "|connect|dns|tls|explained|requestSent|firstByte|lastByte|longestGap|\\w+Threshold");
    private static final Pattern BYTES = Pattern.compile("bytes\\w*|\\w+Bytes");
    private static final Pattern EPOCH_MILLIS = Pattern.compile("\\w+Start");
    /** The agent's recording settings, also the file users import in Mission Control. */
    private static final String JFC = "/io/wiretrace/agent/wiretrace.jfc";

    @Test
    void everyEventAndFieldIsLabelledDescribedAndHasItsUnit() {
        for (Class<? extends Event> type : ALL) {
            EventType t = EventType.getEventType(type);
            String name = t.getName();
            assertTrue(name.startsWith("wiretrace."), name);
            assertEquals("Wiretrace", t.getCategoryNames().get(0), name);
            assertTrue(isTitleCase(t.getLabel()), name + " label " + t.getLabel());
            assertSentence(t.getDescription(), name);
            for (ValueDescriptor v : t.getFields()) {
                if (IMPLICIT.contains(v.getName())) {
                    continue;
                }
                String f = name + "." + v.getName();
                assertTrue(v.getLabel() != null && isTitleCase(v.getLabel()), f + " label " + v.getLabel());
                assertSentence(v.getDescription(), f);
                if (DURATION.matcher(v.getName()).matches()) {
                    assertEquals("jdk.jfr.Timespan", v.getContentType(), f);
                    assertEquals(Timespan.NANOSECONDS, v.getAnnotation(Timespan.class).value(), f);
                } else if (BYTES.matcher(v.getName()).matches()) {
                    assertEquals("jdk.jfr.DataAmount", v.getContentType(), f);
                    assertEquals(DataAmount.BYTES, v.getAnnotation(DataAmount.class).value(), f);
                } else if (EPOCH_MILLIS.matcher(v.getName()).matches()) {
                    assertEquals("jdk.jfr.Timestamp", v.getContentType(), f);
                    assertEquals(Timestamp.MILLISECONDS_SINCE_EPOCH, v.getAnnotation(Timestamp.class).value(), f);
                } else {
                    assertNull(v.getContentType(), f + " is a plain value (a port, an id, a count)");
                }
            }
        }
    }

    @Test
    void settingsFileEnablesEveryEventAndNamesOnlyKnownOnes() throws Exception {
        Configuration c;
        try (InputStream in = EventContractTest.class.getResourceAsStream(JFC)) {
            assertNotNull(in, JFC + " is not on the class path");
            c = Configuration.create(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
        assertEquals("wiretrace", c.getLabel());
        assertSentence(c.getDescription(), JFC);
        Map<String, String> settings = c.getSettings();
        Set<String> named = settings.keySet().stream().map(k -> k.substring(0, k.indexOf('#')))
                .collect(Collectors.toCollection(TreeSet::new));
        for (Class<? extends Event> type : ALL) {
            FlightRecorder.register(type);
            assertEquals("true", settings.get(EventType.getEventType(type).getName() + "#enabled"), type.getName());
        }
        // which code opened a connection is worth a stack walk; an accept's (the server's accept loop)
        // or a close's is not (its cost: the jfc). A recording made without the file takes the classes'.
        for (Class<? extends Event> type : List.of(SocketConnectEvent.class, SocketAcceptEvent.class, SocketCloseEvent.class)) {
            EventType t = EventType.getEventType(type);
            String byClass = t.getSettingDescriptors().stream().filter(d -> d.getName().equals("stackTrace"))
                    .map(jdk.jfr.SettingDescriptor::getDefaultValue).findFirst().orElse("(none)");
            String want = type == SocketConnectEvent.class ? "true" : "false";
            assertEquals(want, settings.get(t.getName() + "#stackTrace"), t.getName());
            assertEquals(want, byClass, t.getName());
        }
        for (String e : List.of("wiretrace.SocketRead", "wiretrace.SocketWrite", "wiretrace.HttpExchange",
                "wiretrace.DatabaseQuery", "wiretrace.DnsLookup")) {
            assertEquals("0 ms", settings.get(e + "#threshold"), e);
        }
        assertEquals("1 s", settings.get("wiretrace.CaptureStatistics#period"));
        // System properties and environment variables may hold secrets; the recording is shared.
        assertFalse(named.contains("jdk.InitialSystemProperty"));
        assertFalse(named.contains("jdk.InitialEnvironmentVariable"));
        assertFalse(named.contains("jdk.JVMInformation")); // the command line as it is, secrets included
        // wiretrace's own socket events say the same; the JDK's would time every socket call again
        assertFalse(named.contains("jdk.SocketRead") || named.contains("jdk.SocketWrite"));
        named.removeAll(FlightRecorder.getFlightRecorder().getEventTypes().stream().map(EventType::getName)
                .collect(Collectors.toList()));
        named.remove("jdk.VirtualThreadPinned"); // JDK 21+: virtual threads

        assertEquals(Set.of(), named, "events this JDK (" + Runtime.version() + ") does not know");
    }

    @Test
    void namesFieldsAndMetadata() {
        NAMES.forEach((type, name) -> {
            EventType t = EventType.getEventType(type);
            assertEquals(name, t.getName());
            assertEquals(List.of("Wiretrace", "Socket"), t.getCategoryNames(), name);
            assertTrue(isTitleCase(t.getLabel()), name + " label " + t.getLabel());
            assertNotNull(t.getDescription(), name + " has no description");
            assertTrue(t.getDescription().endsWith("."), name + " description is not a sentence");
            Map<String, String> fields = t.getFields().stream()
                    .collect(Collectors.toMap(ValueDescriptor::getName, ValueDescriptor::getTypeName));
            assertEquals("java.lang.String", fields.get("localAddress"), name);
            assertEquals("int", fields.get("localPort"), name);
            assertEquals("java.lang.String", fields.get("remoteAddress"), name);
            assertEquals("int", fields.get("remotePort"), name);
            assertEquals("long", fields.get("connectionId"), name);
            for (ValueDescriptor v : t.getFields()) {
                assertTrue(v.getLabel() != null && isTitleCase(v.getLabel()), name + "." + v.getName() + " label");
            }
        });
    }

    @Test
    void httpExchange() {
        EventType t = EventType.getEventType(HttpExchangeEvent.class);
        assertEquals("wiretrace.HttpExchange", t.getName());
        assertEquals(List.of("Wiretrace", "HTTP"), t.getCategoryNames());
        assertTrue(t.getDescription().endsWith("."));
        for (String f : List.of("connectionId", "localAddress", "localPort", "remoteAddress", "remotePort",
                "method", "path", "status", "direction", "requestThread")) {
            assertNotNull(t.getField(f), f);
        }
        for (ValueDescriptor v : t.getFields()) {
            assertTrue(v.getLabel() != null && isTitleCase(v.getLabel()), v.getName() + " label " + v.getLabel());
        }
        for (String f : List.of("requestSent", "firstByte", "lastByte")) {
            assertEquals("jdk.jfr.Timespan", t.getField(f).getContentType(), f);
        }
        assertEquals("jdk.jfr.DataAmount", t.getField("responseBytes").getContentType());
    }

    @Test
    void diagnosisEvents() {
        Map<Class<? extends Event>, List<String>> expected = Map.of(
                SlowCallEvent.class, List.of("wiretrace.SlowCall", "Wiretrace", "Diagnosis"),
                TcpConnectionEvent.class, List.of("wiretrace.TcpConnection", "Wiretrace", "TCP"),
                DnsLookupEvent.class, List.of("wiretrace.DnsLookup", "Wiretrace", "DNS"));
        expected.forEach((type, meta) -> {
            EventType t = EventType.getEventType(type);
            assertEquals(meta.get(0), t.getName());
            assertEquals(meta.subList(1, 3), t.getCategoryNames(), meta.get(0));
            assertTrue(t.getDescription() != null && t.getDescription().endsWith("."), meta.get(0));
            for (ValueDescriptor v : t.getFields()) {
                assertTrue(v.getLabel() != null && isTitleCase(v.getLabel()), meta.get(0) + "." + v.getName() + " label");
            }
        });
        EventType slow = EventType.getEventType(SlowCallEvent.class);
        for (String f : List.of("connectionId", "localAddress", "localPort", "remoteAddress", "remotePort", "call",
                "verdict", "evidence", "callThread", "request", "failure", "evidenceFrames", "join")) {
            assertNotNull(slow.getField(f), f);
        }
        for (String f : List.of("callDuration", "explained")) {
            assertEquals("jdk.jfr.Timespan", slow.getField(f).getContentType(), f);
        }
        assertEquals("jdk.jfr.Timestamp", slow.getField("callStart").getContentType());
        EventType tcp = EventType.getEventType(TcpConnectionEvent.class);
        for (String f : List.of("retransmissionsOut", "retransmissionsIn", "duplicateAcks", "zeroWindowsOut",
                "zeroWindowsIn", "synRetransmissions", "resetsIn", "finsOut")) {
            assertEquals("int", tcp.getField(f).getTypeName(), f);
        }
        for (String f : List.of("handshakeRtt", "rttMin", "rttAvg", "rttMax", "lifetime")) {
            assertEquals("jdk.jfr.Timespan", tcp.getField(f).getContentType(), f);
        }
        assertEquals("jdk.jfr.DataAmount", tcp.getField("bytesOut").getContentType());
    }

    @Test
    void captureStatistics() {
        EventType t = EventType.getEventType(CaptureStatisticsEvent.class);
        assertEquals("wiretrace.CaptureStatistics", t.getName());
        assertEquals(List.of("Wiretrace", "Capture"), t.getCategoryNames());
        assertTrue(t.getDescription().endsWith("."));
        for (String f : List.of("packetsCaptured", "packetsReceived", "packetsDroppedByKernel",
                "packetsDroppedByInterface", "packetsDroppedByWiretrace")) {
            assertEquals("long", t.getField(f).getTypeName(), f);
        }
        for (ValueDescriptor v : t.getFields()) {
            assertTrue(v.getLabel() != null && isTitleCase(v.getLabel()), v.getName() + " label");
        }
        assertEquals("jdk.jfr.DataAmount", t.getField("bytesCaptured").getContentType());
    }

    @Test
    void sizesAndDurationsCarryUnits() {
        assertEquals("jdk.jfr.DataAmount", EventType.getEventType(SocketReadEvent.class).getField("bytesRead").getContentType());
        assertEquals("jdk.jfr.Timespan", EventType.getEventType(SocketCloseEvent.class).getField("lifetime").getContentType());
        assertEquals("jdk.jfr.DataAmount", EventType.getEventType(SocketWriteEvent.class).getField("bytesWritten").getContentType());
    }

    private static void assertSentence(String description, String what) {
        assertTrue(description != null && !description.isBlank(), what + " has no description");
        assertTrue(description.endsWith("."), what + " description is not a sentence: " + description);
    }

    private static boolean isTitleCase(String label) {
        String[] words = label.split(" ");
        for (int i = 0; i < words.length; i++) {
            boolean minor = i > 0 && List.of("a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to")
                    .contains(words[i]);
            if (words[i].isEmpty() || !(minor || Character.isUpperCase(words[i].charAt(0)))) {
                return false;
            }
        }
        return true;
    }
}
