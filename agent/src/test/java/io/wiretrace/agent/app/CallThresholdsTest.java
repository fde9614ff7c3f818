package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiretrace.agent.events.SocketWriteEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;

/** The lowest threshold any recording gives socket reads and writes, however it names them. */
class CallThresholdsTest {
    @Test
    void theLowestOverTheRecordingsNotStoppedByNameOrById() {
        assertEquals(Long.MAX_VALUE, CallThresholds.lowest(List.of()), "no recording keeps any call");
        try (Recording ours = new Recording(); Recording byId = new Recording(); Recording plain = new Recording();
                Recording jfc = new Recording(); Recording other = new Recording()) {
            ours.enable("wiretrace.SocketRead").withThreshold(Duration.ofMillis(10));
            ours.enable("wiretrace.SocketWrite").withThreshold(Duration.ofMillis(10));
            other.enable("jdk.SocketRead").withThreshold(Duration.ZERO);
            assertEquals(10_000_000L, CallThresholds.lowest(List.of(ours, other)), "another event's threshold is not ours");

            byId.enable(SocketWriteEvent.class).withThreshold(Duration.ofMillis(3));
            assertEquals(3_000_000L, CallThresholds.lowest(List.of(ours, byId)), "an event enabled by its class is keyed by its id");

            plain.enable("wiretrace.SocketRead");
            assertEquals(CallThresholds.DEFAULT_NANOS, CallThresholds.lowest(List.of(plain)), "enabled without a threshold: the annotation's");

            jfc.setSettings(Map.of("wiretrace.SocketRead#enabled", "true", "wiretrace.SocketRead#threshold", "0 ns"));
            assertEquals(0L, CallThresholds.lowest(List.of(ours, jfc)));

            jfc.start();
            jfc.stop();
            assertEquals(10_000_000L, CallThresholds.lowest(List.of(ours, jfc)), "a stopped recording keeps nothing more");
        }
    }

    @Test
    void timespansAsJfrWritesThemAndZeroForWhatCannotBeRead() {
        assertEquals(10_000_000L, CallThresholds.nanos("10 ms"));
        assertEquals(20_000_000L, CallThresholds.nanos("20ms"));
        assertEquals(0L, CallThresholds.nanos("0 ns"));
        assertEquals(1_500L, CallThresholds.nanos("1500 ns"));
        assertEquals(7_000L, CallThresholds.nanos("7 us"));
        assertEquals(2_000_000_000L, CallThresholds.nanos(" 2 s "));
        assertEquals(60_000_000_000L, CallThresholds.nanos("1 m"));
        assertEquals(Long.MAX_VALUE, CallThresholds.nanos("infinity"));
        assertEquals(Long.MAX_VALUE, CallThresholds.nanos("999999999999 d"));
        assertEquals(0L, CallThresholds.nanos("10 fortnights"));
        assertEquals(0L, CallThresholds.nanos("ms"));
        assertEquals(0L, CallThresholds.nanos("1.5 ms"));
    }
}
