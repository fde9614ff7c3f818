package io.wiretrace.analysis.h2;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Whether a secret is anywhere in what an object holds: every object reachable from it through
 * instance fields (of wiretrace's classes), arrays and collections, looked at as strings, bytes
 * and chars.
 */
final class Secrets {
    private Secrets() {
    }

    static void assertNone(Object root, String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.ISO_8859_1);
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        int looked = 0;
        while (!todo.isEmpty()) {
            Object o = todo.pop();
            if (!seen.add(o)) {
                continue;
            }
            looked++;
            if (o instanceof String) {
                if (((String) o).contains(secret)) {
                    fail("a string holds the secret: " + o);
                }
            } else if (o instanceof byte[]) {
                if (indexOf((byte[]) o, bytes) >= 0) {
                    fail("a byte[" + ((byte[]) o).length + "] holds the secret");
                }
            } else if (o instanceof char[]) {
                if (new String((char[]) o).contains(secret)) {
                    fail("a char[] holds the secret");
                }
            } else if (o instanceof Object[]) {
                for (Object e : (Object[]) o) {
                    if (e != null) {
                        todo.push(e);
                    }
                }
            } else if (o instanceof Collection) {
                todo.addAll((Collection<?>) o);
            } else if (o instanceof Map) {
                todo.addAll(((Map<?, ?>) o).keySet());
                todo.addAll(((Map<?, ?>) o).values());
            } else if (o.getClass().getName().startsWith("io.wiretrace.")) {
                for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
                    for (Field f : c.getDeclaredFields()) {
                        if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                            continue;
                        }
                        try {
                            f.setAccessible(true);
                            Object v = f.get(o);
                            if (v != null) {
                                todo.push(v);
                            }
                        } catch (IllegalAccessException e) {
                            throw new AssertionError(e);
                        }
                    }
                }
            }
        }
        if (looked < 5) {
            fail("looked at too little: " + looked);
        }
    }

    static int indexOf(byte[] b, byte[] s) {
        outer:
        for (int i = 0; i + s.length <= b.length; i++) {
            for (int k = 0; k < s.length; k++) {
                if (b[i + k] != s[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
