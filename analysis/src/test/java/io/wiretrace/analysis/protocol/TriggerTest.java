package io.wiretrace.analysis.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TriggerTest {
    private static final long MS = 1_000_000L;

    @Test
    void slowFiresAboveItsDurationOnly() {
        Trigger t = Trigger.parse("slow>2s");
        assertEquals(Trigger.Kind.SLOW, t.kind);
        assertFalse(t.fires("read", "SERVER_THINK", 2000 * MS, 0, "10.0.0.5", 5432, null));
        assertTrue(t.fires("read", "SERVER_THINK", 2001 * MS, 0, "10.0.0.5", 5432, null));
        assertTrue(Trigger.parse("slow>=2s").fires("read", null, 2000 * MS, 0, "h", 1, null));
    }

    @Test
    void qualifiersNarrowTheCalls() {
        Trigger t = Trigger.parse("slow>100ms, kind=http, peer=10.0.0.5:8080, path=/api/*");
        assertTrue(t.fires("http", "SERVER_THINK", 300 * MS, 200, "10.0.0.5", 8080, "GET /api/orders?id=1"));
        assertFalse(t.fires("read", "SERVER_THINK", 300 * MS, 200, "10.0.0.5", 8080, "GET /api/orders"), "kind");
        assertFalse(t.fires("http", "SERVER_THINK", 300 * MS, 200, "10.0.0.6", 8080, "GET /api/orders"), "address");
        assertFalse(t.fires("http", "SERVER_THINK", 300 * MS, 200, "10.0.0.5", 8081, "GET /api/orders"), "port");
        assertFalse(t.fires("http", "SERVER_THINK", 300 * MS, 200, "10.0.0.5", 8080, "GET /health"), "path");
        assertFalse(t.fires("http", "SERVER_THINK", 300 * MS, 200, "10.0.0.5", 8080, null), "no request");
        Trigger any = Trigger.parse("slow>100ms,peer=::1");
        assertTrue(any.fires("read", null, 300 * MS, 0, "::1", 9, null));
        Trigger v6 = Trigger.parse("slow>100ms,peer=[::1]:5432");
        assertTrue(v6.fires("read", null, 300 * MS, 0, "::1", 5432, null));
        assertFalse(v6.fires("read", null, 300 * MS, 0, "::1", 5433, null));
        // a glob's other characters are literal
        assertFalse(Trigger.parse("slow>1ms,path=/a.c").fires("http", null, 5 * MS, 0, "h", 1, "GET /abc"));
    }

    @Test
    void verdictAndStatus() {
        Trigger reset = Trigger.parse("verdict=peer_reset");
        assertEquals("PEER_RESET", reset.verdict);
        assertTrue(reset.fires("read", "PEER_RESET", MS, 0, "h", 1, null));
        assertFalse(reset.fires("read", "SERVER_THINK", MS, 0, "h", 1, null));
        assertFalse(reset.fires("http", null, MS, 500, "h", 1, "GET /"), "handed over for its status: no verdict");
        Trigger s = Trigger.parse("status>=500");
        assertEquals(500, s.statusAtLeast);
        assertTrue(s.fires("http", null, MS, 503, "h", 1, "GET /"));
        assertFalse(s.fires("http", null, MS, 404, "h", 1, "GET /"));
        assertFalse(s.fires("http", null, MS, 0, "h", 1, "GET /"), "no answer is no status");
        assertEquals(500, Trigger.parse("status>499").statusAtLeast);
        Trigger exactly = Trigger.parse("status=503");
        assertTrue(exactly.fires("http", null, MS, 503, "h", 1, "GET /"));
        assertFalse(exactly.fires("http", null, MS, 504, "h", 1, "GET /"));
    }

    @Test
    void rates() {
        Trigger r = Trigger.parse("retrans>50/s");
        assertEquals(Trigger.Kind.RETRANS, r.kind);
        assertEquals(50.0, r.perSecond);
        assertFalse(r.onCalls());
        assertFalse(r.fires("read", "NETWORK_LOSS", 10_000 * MS, 0, "h", 1, null), "a rate is no call's");
        assertEquals(Trigger.Kind.RESETS, Trigger.parse("resets>2.5/s").kind);
    }

    @Test
    void wrongTriggersSayWhy() {
        for (String bad : new String[] {"", "slow", "slow<2s", "slow>2", "slow>0ms", "verdict=SLOW", "status>=700",
            "status>=50", "retrans>50", "resets>x/s", "retrans>5/s,peer=h", "slow>1s,kind=udp", "slow>1s,port=80",
            "slow>1s,peer=h:99999", "slow>1s,peer=", "status>=500,kind=read", "slow>1s;status>=500"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trigger.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--trigger"), bad + ": " + e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Trigger.parse("verdict=LOST")).getMessage()
                .contains("NETWORK_LOSS"), "names the verdicts there are");
    }

    @Test
    void watchOptions() {
        Map<String, String> v = new HashMap<>();
        v.put("trigger", "slow>2s;status>=500");
        StartOptions o = StartOptions.parse(v);
        assertTrue(o.watch());
        assertEquals(2, o.triggers.size());
        assertEquals(Duration.ofSeconds(10), o.after);
        assertEquals(Duration.ofMinutes(10), o.keep);
        assertEquals(null, o.before);
        assertEquals(5, o.maxBundles);
        assertEquals(200_000_000L, o.diskBytes);
        assertEquals(40_000_000L, o.recordingBytes());
        assertEquals(160_000_000L, o.ringBytes());
        v.put("disk", "1GB");
        v.put("C", "10");
        v.put("W", "5");
        assertEquals(50_000_000L, StartOptions.parse(v).ringBytes(), "-C x -W bounds the files too");
        assertEquals(1_500_000L, StartOptions.bytes("1.5MB"));
        assertEquals(2_000_000_000L, StartOptions.bytes("2g"));
        assertThrows(IllegalArgumentException.class, () -> StartOptions.bytes("2 TB"));
        assertThrows(IllegalArgumentException.class, () -> StartOptions.bytes("MB"));
    }

    @Test
    void watchOptionsThatDoNotFit() {
        String[][] bad = {{"after", "10m"}, {"before", "11m"}, {"disk", "10MB"}, {"G", "60"}, {"format", "pcap"},
            {"C", "100"}, {"max-bundles", "0"}, {"keep", "0"}, {"cooldown", "-1s"}};
        for (String[] kv : bad) {
            Map<String, String> v = new HashMap<>();
            v.put("trigger", "slow>2s");
            v.put(kv[0], kv[1]);
            assertThrows(IllegalArgumentException.class, () -> StartOptions.parse(v), kv[0] + "=" + kv[1]);
        }
        Map<String, String> noTrigger = new HashMap<>();
        noTrigger.put("after", "10s");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StartOptions.parse(noTrigger)).getMessage()
                .contains("--trigger"));
        assertFalse(StartOptions.parse(new HashMap<>()).watch());
    }
}
