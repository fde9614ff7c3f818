package io.wiretrace.analysis.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start options' bounds: a value out of them is a usage error with a message, never an overflow. */
class StartOptionsTest {
    private static String refused(Map<String, String> v) {
        return assertThrows(IllegalArgumentException.class, () -> StartOptions.parse(v)).getMessage();
    }

    @Test
    void theBufferFitsLibpcapsInt() {
        assertEquals(StartOptions.MAX_BUFFER_KIB, StartOptions.parse(Map.of("B", "2097151")).bufferKiB);
        assertTrue(StartOptions.MAX_BUFFER_KIB * 1024 > 0, "its bytes fit an int");
        String m = refused(Map.of("B", "2097152"));
        assertTrue(m.contains("-B takes a whole number from 1 to 2097151, not '2097152'"), m);
        assertTrue(refused(Map.of("B", "99999999999999999999")).contains("-B takes"));
    }

    @Test
    void theNameIsNotAnotherFileOfTheDirectory() {
        for (String name : new String[] {"report.html", "report.json", "recording.jfr", "environment.txt",
            "report-error.txt", ".wiretrace-stop"}) {
            String m = refused(Map.of("name", name));
            assertTrue(m.contains("--name " + name + " is a file the output directory holds"), m);
        }
        assertEquals("report.pcapng", StartOptions.parse(Map.of("name", "report.pcapng")).name);
    }

    @Test
    void slowIsAtLeastAMillisecond() {
        assertTrue(refused(Map.of("slow", "0")).contains("--slow takes at least 1ms, not 0"));
        assertTrue(refused(Map.of("slow", "999us")).contains("--slow takes at least 1ms"));
        assertEquals(Duration.ofMillis(1), StartOptions.parse(Map.of("slow", "1ms")).slow);
    }

    /** HTTP exchanges are recorded from 10 ms unless --exchange-threshold says otherwise; 0 records every one. */
    @Test
    void exchangesAreRecordedFromTenMillisecondsUnlessAThresholdIsGiven() {
        assertEquals(Duration.ofMillis(10), StartOptions.parse(Map.of()).exchangeThreshold);
        assertEquals(Duration.ZERO, StartOptions.parse(Map.of("exchange-threshold", "0ms")).exchangeThreshold);
        assertEquals(Duration.ofMillis(100), StartOptions.parse(Map.of("exchange-threshold", "100ms")).exchangeThreshold);
        assertThrows(IllegalArgumentException.class, () -> StartOptions.parse(Map.of("exchange-threshold", "soon")));
    }

    /** Socket calls under 10 ms stay out of the JFR unless asked for; 0 asks for every one. */
    @Test
    void jfrThresholdIsTenMillisecondsUnlessGiven() {
        assertEquals(Duration.ofMillis(10), StartOptions.parse(Map.of()).jfrThreshold);
        assertEquals(Duration.ZERO, StartOptions.parse(Map.of("jfr-threshold", "0ms")).jfrThreshold);
    }

    @Test
    void aHugeDurationIsAUsageError() {
        for (String d : new String[] {"99999999999999999999s", "9999999999999999h", "9223372036854775807us",
            "300000000d"}) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(d), d);
        }
        String m = assertThrows(IllegalArgumentException.class, () -> Durations.parse("9999999999999999h")).getMessage();
        assertEquals("'9999999999999999h' is too long a duration (at most 292 years)", m);
        assertEquals(Duration.ofHours(2_562_047), Durations.parse("2562047h"));
    }
}
