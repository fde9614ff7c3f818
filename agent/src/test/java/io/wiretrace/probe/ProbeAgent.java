package io.wiretrace.probe;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test-only agent that tells whether wiretrace's advice is still woven into the JDK: it
 * installs a counting hook in the dispatcher and reports how often advice called it.
 * {@code install}, {@code throwing} (hooks that throw), {@code read,FILE} (writes the count to
 * FILE), {@code clear}.
 */
public final class ProbeAgent {
    static final AtomicLong CALLS = new AtomicLong();

    private ProbeAgent() {
    }

    public static void agentmain(String args, Instrumentation inst) throws Exception {
        Class<?> dispatcher = Class.forName("io.wiretrace.bootstrap.Dispatcher", true, null);
        Class<?> hooks = Class.forName("io.wiretrace.bootstrap.Dispatcher$Hooks", true, null);
        // the field is private (only wiretrace's key sets it): a test may reach in, the app's code would have to too
        java.lang.reflect.Field field = dispatcher.getDeclaredField("hooks");
        field.setAccessible(true);
        String[] parts = args.split(",", 2);
        switch (parts[0]) {
            case "install":
                CALLS.set(0);
                Object counting = Proxy.newProxyInstance(ProbeAgent.class.getClassLoader(), new Class<?>[] {hooks},
                        (proxy, method, a) -> {
                            CALLS.incrementAndGet();
                            return method.getReturnType() == long.class ? 1L : null;
                        });
                field.set(null, counting);
                break;
            case "throwing":
                // Hooks that fail on every call: the advice must keep that away from the app.
                field.set(null, Proxy.newProxyInstance(ProbeAgent.class.getClassLoader(),
                        new Class<?>[] {hooks}, (proxy, method, a) -> {
                            CALLS.incrementAndGet();
                            throw new IllegalStateException("probe: failing on purpose");
                        }));
                break;
            case "read":
                Files.write(Paths.get(parts[1]), String.valueOf(CALLS.get()).getBytes());
                break;
            case "clear":
                field.set(null, null);
                break;
            default:
                throw new IllegalArgumentException(args);
        }
    }
}
