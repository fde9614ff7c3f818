package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WeakIdentityMapTest {
    @Test
    void keysAreToldApartByIdentityAndSurviveGrowingAndRemovals() {
        WeakIdentityMap<Integer> m = new WeakIdentityMap<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            String k = new String("k"); // all equal, none the same
            keys.add(k);
            assertNull(m.putIfAbsent(k, i));
        }
        assertEquals(5_000, m.size());
        assertEquals(0, m.putIfAbsent(keys.get(0), 99), "the first mapping stays");
        assertNull(m.get(new String("k")));
        for (int i = 0; i < keys.size(); i += 2) {
            assertEquals(i, m.remove(keys.get(i)));
        }
        assertNull(m.remove(keys.get(0)));
        for (int i = 0; i < keys.size(); i++) {
            assertEquals(i % 2 == 0 ? null : (Integer) i, m.get(keys.get(i)));
        }
        assertEquals(2_500, m.size());
        m.clear();
        assertEquals(0, m.size());
        assertNull(m.get(keys.get(1)));
    }

    @Test
    void anObjectTheAppDroppedIsCollectedAndHandedBackOnce() throws Exception {
        WeakIdentityMap<String> m = new WeakIdentityMap<>();
        Object kept = new Object();
        m.putIfAbsent(kept, "kept");
        Object removed = new Object();
        m.putIfAbsent(removed, "removed");
        m.remove(removed);
        WeakReference<Object> dropped = dropInto(m, "dropped");
        List<String> gone = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gone.isEmpty() && System.nanoTime() < end) {
            System.gc();
            m.expunge(gone::add);
        }
        assertNull(dropped.get(), "the map kept it alive");
        assertEquals(List.of("dropped"), gone, "a removed entry is not handed back");
        m.expunge(gone::add);
        assertEquals(1, gone.size());
        assertEquals(1, m.size());
        assertSame("kept", m.get(kept));
    }

    private static WeakReference<Object> dropInto(WeakIdentityMap<String> m, String value) {
        Object o = new Object();
        m.putIfAbsent(o, value);
        assertTrue(m.containsKey(o));
        return new WeakReference<>(o);
    }
}
