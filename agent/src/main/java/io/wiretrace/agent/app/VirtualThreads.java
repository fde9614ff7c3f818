package io.wiretrace.agent.app;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Whether a thread is virtual (JDK 21+), without linking against the JDK 21 API: the agent also
 * loads on JDK 11, where no thread is.
 */
final class VirtualThreads {
    private static final MethodHandle IS_VIRTUAL = find();

    private VirtualThreads() {
    }

    private static MethodHandle find() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** The current thread if it is virtual, else null. */
    static Thread current() {
        Thread t = Thread.currentThread();
        if (IS_VIRTUAL == null) {
            return null;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t) ? t : null;
        } catch (Throwable e) {
            return null;
        }
    }
}
