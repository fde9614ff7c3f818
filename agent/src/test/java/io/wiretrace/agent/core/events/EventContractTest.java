package io.wiretrace.agent.core.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Event;
import jdk.jfr.EventType;
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
                "verdict", "evidence", "callThread", "request", "failure", "evidenceFrames")) {
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
