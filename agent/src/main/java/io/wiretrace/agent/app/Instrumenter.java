package io.wiretrace.agent.app;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.wiretrace.bootstrap.Dispatcher;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.pool.TypePool;

/**
 * Installs the socket advice into the JDK classes and takes it out again. The rules cover
 * NioSocketImpl (java.net.Socket on JDK 13+), PlainSocketImpl and its streams (JDK 11, or
 * -Djdk.net.usePlainSocketImpl), and the NIO channels, which are the paths Tomcat, Jetty,
 * Undertow, Netty, the JDK HttpClient, HttpURLConnection, OkHttp and Apache HttpClient use.
 */
public final class Instrumenter {
    private static final class Rule {
        final String type;
        final ElementMatcher<? super MethodDescription> method;
        final Class<?> enter;
        final Class<?> advice; // the exit advice; Advices.Close has only an entry
        final int op;

        Rule(String type, ElementMatcher<? super MethodDescription> method, Class<?> advice, int op) {
            this(type, method, Advices.Enter.class, advice, op);
        }

        Rule(String type, ElementMatcher<? super MethodDescription> method, Class<?> enter, Class<?> advice, int op) {
            this.type = type;
            this.method = method;
            this.enter = enter;
            this.advice = advice;
            this.op = op;
        }
    }

    private static final String NIO_SOCKET = "sun.nio.ch.NioSocketImpl";
    private static final String PLAIN_SOCKET = "java.net.AbstractPlainSocketImpl";
    private static final String CHANNEL = "sun.nio.ch.SocketChannelImpl";
    private static final String SERVER_CHANNEL = "sun.nio.ch.ServerSocketChannelImpl";

    private static final List<Rule> RULES = List.of(
            new Rule(NIO_SOCKET, named("connect").and(takesArguments(SocketAddress.class, int.class)),
                    Advices.VoidWithArgument.class, Dispatcher.CONNECT),
            new Rule(NIO_SOCKET, named("accept").and(takesArguments(1)),
                    Advices.VoidWithArgument.class, Dispatcher.ACCEPT),
            // JDK 25 added a fourth (timeout) argument to implRead.
            new Rule(NIO_SOCKET, named("implRead").and(returns(int.class)), Advices.ArrayIo.class, Dispatcher.READ),
            new Rule(NIO_SOCKET, named("implWrite").and(returns(int.class)), Advices.ArrayWriteEnter.class,
                    Advices.ArrayIo.class, Dispatcher.WRITE),
            new Rule(NIO_SOCKET, named("close").and(takesArguments(0)), Advices.Close.class, Dispatcher.CLOSE),

            new Rule(PLAIN_SOCKET, named("connect").and(takesArguments(SocketAddress.class, int.class)),
                    Advices.VoidWithArgument.class, Dispatcher.CONNECT),
            new Rule(PLAIN_SOCKET, named("accept").and(takesArguments(1)),
                    Advices.VoidWithArgument.class, Dispatcher.ACCEPT),
            new Rule(PLAIN_SOCKET, named("close").and(takesArguments(0)), Advices.Close.class, Dispatcher.CLOSE),
            new Rule("java.net.SocketInputStream", named("read").and(takesArguments(byte[].class, int.class, int.class, int.class)),
                    Advices.StreamEnter.class, Advices.StreamRead.class, Dispatcher.READ),
            new Rule("java.net.SocketOutputStream", named("socketWrite").and(takesArguments(byte[].class, int.class, int.class)),
                    Advices.StreamWriteEnter.class, Advices.StreamWrite.class, Dispatcher.WRITE),

            new Rule(CHANNEL, named("connect").and(takesArguments(SocketAddress.class)),
                    Advices.BoolConnect.class, Dispatcher.CONNECT),
            new Rule(CHANNEL, named("finishConnect").and(takesArguments(0)), Advices.BoolResult.class, Dispatcher.FINISH_CONNECT),
            new Rule(CHANNEL, named("read").and(takesArguments(ByteBuffer.class)), Advices.BufferIo.class, Dispatcher.READ),
            new Rule(CHANNEL, named("write").and(takesArguments(ByteBuffer.class)), Advices.BufferWriteEnter.class,
                    Advices.BufferIo.class, Dispatcher.WRITE),
            new Rule(CHANNEL, named("read").and(takesArguments(3)).and(takesArgument(0, ByteBuffer[].class)),
                    Advices.BuffersIo.class, Dispatcher.READ),
            new Rule(CHANNEL, named("write").and(takesArguments(3)).and(takesArgument(0, ByteBuffer[].class)),
                    Advices.BuffersWriteEnter.class, Advices.BuffersIo.class, Dispatcher.WRITE),
            new Rule(CHANNEL, named("implCloseSelectableChannel"), Advices.Close.class, Dispatcher.CLOSE),

            new Rule(SERVER_CHANNEL, named("accept").and(takesArguments(0)), Advices.ObjectResult.class, Dispatcher.ACCEPT),

            // name resolution: getByName and InetSocketAddress(host, port) come through here
            new Rule("java.net.InetAddress", named("getAllByName").and(takesArguments(String.class)),
                    Advices.LookupEnter.class, Advices.LookupExit.class, Dispatcher.LOOKUP),

            // TLS handshakes of SSLSocket (HttpsURLConnection, most blocking clients)
            new Rule("sun.security.ssl.SSLSocketImpl", named("startHandshake").and(takesArguments(0)),
                    Advices.VoidExit.class, Dispatcher.HANDSHAKE),
            // and their plaintext: HTTPS exchanges are read where the app reads and writes them
            new Rule("sun.security.ssl.SSLSocketImpl$AppInputStream",
                    named("read").and(takesArguments(byte[].class, int.class, int.class)),
                    Advices.OuterEnter.class, Advices.OuterRead.class, Dispatcher.TLS_READ),
            new Rule("sun.security.ssl.SSLSocketImpl$AppOutputStream",
                    named("write").and(takesArguments(byte[].class, int.class, int.class)),
                    Advices.OuterWriteEnter.class, Advices.OuterWrite.class, Dispatcher.TLS_WRITE),
            // SSLEngine (HttpClient's HTTPS): every wrap and unwrap funnels into the 6-argument forms
            new Rule("sun.security.ssl.SSLEngineImpl", named("wrap").and(takesArguments(6)),
                    Advices.EngineEnter.class, Advices.EngineIo.class, Dispatcher.ENGINE_WRAP),
            new Rule("sun.security.ssl.SSLEngineImpl", named("unwrap").and(takesArguments(6)),
                    Advices.EngineEnter.class, Advices.EngineIo.class, Dispatcher.ENGINE_UNWRAP));

    private static final Set<String> TYPES = new LinkedHashSet<>();

    static {
        RULES.forEach(r -> TYPES.add(r.type));
    }

    private final Instrumentation inst;
    private final ClassFileTransformer transformer = new ClassFileTransformer() {
        @Override
        public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd, byte[] bytes) {
            return Instrumenter.this.transform(loader, name, bytes);
        }
    };
    private final ByteBuddy byteBuddy = new ByteBuddy()
            .with(TypeValidation.DISABLED)
            .with(Implementation.Context.Disabled.Factory.INSTANCE); // no added fields or initializers
    /** A class defined while install() retransforms is transformed twice: a set names it once. */
    public final Set<String> instrumented = Collections.synchronizedSet(new LinkedHashSet<>());
    public final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    private Instrumenter(Instrumentation inst) {
        this.inst = inst;
    }

    /**
     * Adds the transformer (it also sees these classes if they load later) and retransforms the
     * ones already loaded. Byte Buddy's AgentBuilder would do the same, but its set-up touches
     * sun.misc.Unsafe, which JDK 24+ reports on the app's stderr.
     */
    public static Instrumenter install(Instrumentation inst) throws UnmodifiableClassException {
        Instrumenter i = new Instrumenter(inst);
        inst.addTransformer(i.transformer, true);
        try {
            List<Class<?>> loaded = loaded();
            if (!loaded.isEmpty()) {
                inst.retransformClasses(loaded.toArray(new Class<?>[0]));
            }
        } catch (RuntimeException | UnmodifiableClassException | Error e) {
            i.reset();
            throw e;
        }
        return i;
    }

    /** Removes the advice: the JDK classes are retransformed back to their original code. */
    public void reset() throws UnmodifiableClassException {
        inst.removeTransformer(transformer);
        List<Class<?>> loaded = loaded();
        if (!loaded.isEmpty()) {
            inst.retransformClasses(loaded.toArray(new Class<?>[0]));
        }
    }

    private static List<Class<?>> loaded() {
        List<Class<?>> loaded = new ArrayList<>();
        for (String name : TYPES) {
            try {
                loaded.add(Class.forName(name, false, null));
            } catch (ClassNotFoundException e) {
                // Not in this JDK (NioSocketImpl before 13, PlainSocketImpl after 17).
            }
        }
        return loaded;
    }

    private byte[] transform(ClassLoader loader, String internalName, byte[] bytes) {
        if (loader != null || internalName == null) {
            return null; // only JDK classes, which the bootstrap loader defines
        }
        String name = internalName.replace('/', '.');
        if (!TYPES.contains(name)) {
            return null;
        }
        try {
            ClassFileLocator locator = new ClassFileLocator.Compound(
                    ClassFileLocator.Simple.of(name, bytes), ClassFileLocator.ForClassLoader.ofBootLoader());
            TypeDescription type = TypePool.Default.of(locator).describe(name).resolve();
            DynamicType.Builder<?> builder = byteBuddy.decorate(type, locator);
            for (Rule r : RULES) {
                if (r.type.equals(name)) {
                    builder = builder.visit(advice(r));
                }
            }
            byte[] out = builder.make().getBytes();
            instrumented.add(name);
            return out;
        } catch (Throwable t) {
            failures.add(name + ": " + t);
            return null; // the class stays as it was
        }
    }

    private static AsmVisitorWrapper advice(Rule r) {
        Advice.WithCustomMapping mapping = Advice.withCustomMapping().bind(Advices.Op.class, (Object) r.op);
        Advice advice;
        if (r.advice == Advices.Close.class) {
            advice = mapping.to(Advices.Close.class); // entry only
        } else {
            advice = mapping.to(r.enter, r.advice);
        }
        return advice.on(r.method);
    }

}
