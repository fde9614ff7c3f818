package io.wiretrace.agent.control;

import io.wiretrace.bootstrap.Dispatcher;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts the dispatcher into the bootstrap class loader, where advice inlined into java.base can
 * link against it, and grants the agent the module access it needs.
 *
 * <p>The usual way, {@code Instrumentation.appendToBootstrapClassLoaderSearch}, makes HotSpot
 * print "Sharing is only supported for boot loader classes because bootstrap classpath has been
 * appended" on the app's stderr and turns class data sharing off for classes the app loads
 * afterwards. Defining the two classes directly has neither effect and needs no temp file.
 */
final class BootstrapInstaller {
    static final String DISPATCHER = "io.wiretrace.bootstrap.Dispatcher";
    private static final List<String> CLASSES = List.of(DISPATCHER + "$Hooks", DISPATCHER);
    private static boolean done;
    /** The dispatcher's key: this loader's, for the JVM's life (a later load reuses the loader). */
    private static final Object KEY = new Object();

    private BootstrapInstaller() {
    }

    static synchronized void prepare(Instrumentation inst) throws Exception {
        if (done) {
            return;
        }
        Module base = Object.class.getModule();
        Module self = BootstrapInstaller.class.getModule();
        inst.redefineModule(base, Set.of(), Map.of("jdk.internal.misc", Set.of(self)),
                Map.of("java.net", Set.of(self), "java.nio", Set.of(self), "jdk.internal.vm", Set.of(self)), Set.of(), Map.of());
        Class<?> dispatcher = loaded(DISPATCHER);
        if (dispatcher != null) {
            int abi = abi(dispatcher);
            if (abi != Dispatcher.ABI) {
                // Defined by another wiretrace build in this JVM; boot classes stay for its life.
                throw new IllegalStateException("this JVM holds the socket dispatcher of another wiretrace build"
                        + " (interface version " + abi + ", this build needs " + Dispatcher.ABI + "), which cannot be"
                        + " replaced while it runs; use that build, or restart the app");
            }
        }
        if (dispatcher == null) {
            Class<?> unsafeType = Class.forName("jdk.internal.misc.Unsafe");
            Object unsafe = unsafeType.getMethod("getUnsafe").invoke(null);
            Method define = unsafeType.getMethod("defineClass", String.class, byte[].class, int.class, int.class,
                    ClassLoader.class, ProtectionDomain.class);
            for (String name : CLASSES) {
                byte[] bytes;
                try (InputStream in = BootstrapInstaller.class.getClassLoader()
                        .getResourceAsStream("boot/" + name.replace('.', '/') + ".class")) {
                    bytes = in.readAllBytes();
                }
                dispatcher = (Class<?>) define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
            }
        }
        // Claimed at once: only this key sets the hooks from now on (any code in the JVM sees the class).
        if (!Dispatcher.install(KEY, null)) {
            throw new IllegalStateException("the socket dispatcher in this JVM is held by other code; use the"
                    + " wiretrace build loaded first, or restart the app");
        }
        // java.base does not read unnamed modules; the advice in it must read the dispatcher's.
        inst.redefineModule(base, Set.of(dispatcher.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
        // The JDK HttpClient: its connections' channels are read once per request sent for another thread.
        java.util.Optional<Module> http = ModuleLayer.boot().findModule("java.net.http");
        if (http.isPresent()) {
            inst.redefineModule(http.get(), Set.of(dispatcher.getModule()), Map.of(),
                    Map.of("jdk.internal.net.http", Set.of(self)), Set.of(), Map.of());
        }
        done = true;
    }

    /** Sets the hooks the advice calls (null: none). */
    static void hooks(Dispatcher.Hooks h) {
        if (!Dispatcher.install(KEY, h)) {
            throw new IllegalStateException("the socket dispatcher in this JVM is held by other code");
        }
    }

    /** The interface version of a dispatcher already defined; 1 for one from before the version was declared. */
    private static int abi(Class<?> dispatcher) {
        try {
            return dispatcher.getField("ABI").getInt(null);
        } catch (ReflectiveOperationException e) {
            return 1;
        }
    }

    private static Class<?> loaded(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
