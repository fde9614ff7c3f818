package io.wiretrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** Every class in the JVM sees the dispatcher: only the key that claimed it sets the hooks. */
class DispatcherTest {
    private static Dispatcher.Hooks hooks() {
        return (Dispatcher.Hooks) Proxy.newProxyInstance(DispatcherTest.class.getClassLoader(),
                new Class<?>[] {Dispatcher.Hooks.class}, (proxy, method, args) -> null);
    }

    @Test
    void onlyTheOwnersKeySetsTheHooks() throws Exception {
        for (java.lang.reflect.Field f : Dispatcher.class.getDeclaredFields()) {
            assertTrue(!f.getName().equals("hooks") || !Modifier.isPublic(f.getModifiers()), "a public hooks field");
        }
        Object key = new Object();
        Dispatcher.Hooks mine = hooks();
        assertTrue(Dispatcher.install(key, mine));
        assertSame(mine, Dispatcher.hooks());

        assertFalse(Dispatcher.install(new Object(), hooks()), "another key");
        assertFalse(Dispatcher.install(null, null), "no key");
        assertSame(mine, Dispatcher.hooks());

        assertTrue(Dispatcher.install(key, null));
        assertNull(Dispatcher.hooks());
    }
}
