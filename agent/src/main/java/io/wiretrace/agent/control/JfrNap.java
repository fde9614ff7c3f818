package io.wiretrace.agent.control;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.pool.TypePool;

/**
 * Before JDK 21, JFR's "JFR Periodic Tasks" thread, once the last recording has stopped, wakes
 * every 10 ms for as long as the JVM lives (JDK-8302821, fixed in 21): with no periodic event
 * enabled, the time to the next one comes out as 0, and its nap is at least 10 ms. That is a
 * hundred wake-ups a second, 4-6 ms of CPU a second on an idle JVM, which wiretrace's recording
 * would leave behind in an app that never used JFR. So at {@code stop}, on those JDKs, the nap
 * ({@code PlatformRecorder.takeNap(long)}) is retransformed: while no recording runs, a nap that
 * the JDK would make 10 ms lasts 1 s, the longest the JDK itself naps with a recording running
 * ({@code Options.WAIT_INTERVAL}). A recording started meanwhile gets its first periodic events
 * within that second, as it would if it started during such a nap; a stream's shorter flush
 * interval notifies the nap at once, as before. With a recording running nothing changes. The
 * advice refers to jdk.jfr's public API only and cannot throw into the thread; if the method is
 * not there (another JDK), nothing matches and nothing changes. The class keeps the change after
 * the transformer is removed, until something else retransforms it, which brings the JDK's own
 * code back.
 */
final class JfrNap {
    static final String TYPE = "jdk.jfr.internal.PlatformRecorder";
    /** The nap while no recording runs, in ms. */
    static final long IDLE_NAP_MS = 1000;
    private static boolean done; // read and written under install's lock

    private JfrNap() {
    }

    /** Whether this JDK has the spin (before 21). */
    static boolean needed() {
        return Runtime.version().feature() < 21;
    }

    /**
     * Retransforms the nap, once per JVM; null when done (or not needed), else why not. Never
     * throws: the JDK's behaviour stays as it was.
     */
    static synchronized String install(Instrumentation inst) {
        if (done || !needed() || inst == null) {
            return null;
        }
        Class<?> recorder;
        try {
            recorder = Class.forName(TYPE, false, null);
        } catch (Throwable t) {
            return "no " + TYPE + ": " + t;
        }
        if (!inst.isRetransformClassesSupported() || !inst.isModifiableClass(recorder)) {
            return TYPE + " cannot be retransformed";
        }
        String[] failure = {"its class file was not handed to the transformer"};
        ClassFileTransformer t = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                    ProtectionDomain pd, byte[] bytes) {
                if (redefined != recorder) {
                    return null;
                }
                try {
                    byte[] out = transformed(bytes);
                    failure[0] = null;
                    return out;
                } catch (Throwable e) {
                    failure[0] = e.toString();
                    return null;
                }
            }
        };
        inst.addTransformer(t, true);
        try {
            inst.retransformClasses(recorder);
        } catch (Throwable e) {
            failure[0] = e.toString();
        } finally {
            inst.removeTransformer(t);
        }
        done = failure[0] == null;
        return failure[0];
    }

    static byte[] transformed(byte[] bytes) {
        ClassFileLocator locator = new ClassFileLocator.Compound(ClassFileLocator.Simple.of(TYPE, bytes),
                ClassFileLocator.ForClassLoader.ofBootLoader());
        TypeDescription type = TypePool.Default.of(locator).describe(TYPE).resolve();
        return new ByteBuddy()
                .with(TypeValidation.DISABLED)
                .with(Implementation.Context.Disabled.Factory.INSTANCE)
                .decorate(type, locator)
                .visit(Advice.to(Nap.class).on(named("takeNap").and(takesArguments(long.class))))
                .make()
                .getBytes();
    }

    /** Inlined into PlatformRecorder.takeNap(long): it refers to jdk.jfr's public API only. */
    static final class Nap {
        private Nap() {
        }

        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(value = 0, readOnly = false) long duration) {
            if (duration < 10 && FlightRecorder.isInitialized()) {
                for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
                    if (r.getState() == RecordingState.RUNNING) {
                        return;
                    }
                }
                duration = IDLE_NAP_MS;
            }
        }
    }
}
