package io.wiretrace.analysis.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArgsTest {
    @Test
    void parsesWhatAUserTypes() {
        Args a = Args.parse("start,i=lo,w=/tmp/out,filter=tcp port 443 and host 10.0.0.5");
        assertEquals("start", a.command());
        assertEquals("lo", a.get("i", null));
        assertEquals("/tmp/out", a.get("w", null));
        assertEquals("tcp port 443 and host 10.0.0.5", a.get("filter", null));
        assertEquals("any", a.get("missing", "any"));
    }

    @Test
    void roundTripsValuesWithSeparators() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("filter", "tcp[13] & 2 != 0, 50% = odd");
        v.put("w", "/tmp/a,b=c%d");
        Args a = new Args("start", v);
        Args back = Args.parse(a.format());
        assertEquals(v, back.values());
        assertEquals("start", back.command());
    }

    @Test
    void readsLongArgumentsFromAFile(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("args");
        Files.writeString(f, "stop,reply=/tmp/r\n");
        Args a = Args.parse("@" + f);
        assertEquals("stop", a.command());
        assertEquals("/tmp/r", a.get("reply", null));
    }

    @Test
    void rejectsMalformedArguments() {
        assertThrows(IllegalArgumentException.class, () -> Args.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Args.parse("start,novalue"));
    }

    @Test
    void parsesDurations() {
        assertEquals(200, Durations.parse("200ms").toMillis());
        assertEquals(60_000, Durations.parse("60s").toMillis());
        assertEquals(300_000, Durations.parse("5m").toMillis());
        assertEquals(0, Durations.parse("0").toNanos());
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("soon"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("200"));
    }

    @Test
    void replyRoundTrips() {
        Reply r = Reply.parse(new Reply(2, "bad filter\nsecond line").format());
        assertEquals(2, r.code);
        assertEquals("bad filter\nsecond line", r.text);
    }
}
