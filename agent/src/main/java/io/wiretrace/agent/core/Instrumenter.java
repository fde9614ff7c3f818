package io.wiretrace.agent.core;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.wiretrace.bootstrap.Dispatcher;
import java.lang.instrument.Instrumentation;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.AgentBuilder.RedefinitionStrategy;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.JavaModule;

/**
 * Installs the socket advice into the JDK classes and takes it out again. The rules cover
 * NioSocketImpl (java.net.Socket on JDK 13+), PlainSocketImpl and its streams (JDK 11, or
 * -Djdk.net.usePlainSocketImpl), and the NIO channels, which are the paths Tomcat, Jetty,
 * Undertow, Netty, the JDK HttpClient, HttpURLConnection, OkHttp and Apache HttpClient use.
 */
final class Instrumenter {
    private static final class Rule {
        final String type;
        final ElementMatcher<? super MethodDescription> method;
        final Class<?> advice; // the exit advice; Advices.Close has only an entry
        final int op;

        Rule(String type, ElementMatcher<? super MethodDescription> method, Class<?> advice, int op) {
            this.type = type;
            this.method = method;
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
            new Rule(NIO_SOCKET, named("implRead").and(returns(int.class)), Advices.IntResult.class, Dispatcher.READ),
            new Rule(NIO_SOCKET, named("implWrite").and(returns(int.class)), Advices.IntResult.class, Dispatcher.WRITE),
            new Rule(NIO_SOCKET, named("close").and(takesArguments(0)), Advices.Close.class, Dispatcher.CLOSE),

            new Rule(PLAIN_SOCKET, named("connect").and(takesArguments(SocketAddress.class, int.class)),
                    Advices.VoidWithArgument.class, Dispatcher.CONNECT),
            new Rule(PLAIN_SOCKET, named("accept").and(takesArguments(1)),
                    Advices.VoidWithArgument.class, Dispatcher.ACCEPT),
            new Rule(PLAIN_SOCKET, named("close").and(takesArguments(0)), Advices.Close.class, Dispatcher.CLOSE),
            new Rule("java.net.SocketInputStream", named("read").and(takesArguments(byte[].class, int.class, int.class, int.class)),
                    Advices.StreamRead.class, Dispatcher.READ),
            new Rule("java.net.SocketOutputStream", named("socketWrite").and(takesArguments(byte[].class, int.class, int.class)),
                    Advices.StreamWrite.class, Dispatcher.WRITE),

            new Rule(CHANNEL, named("connect").and(takesArguments(SocketAddress.class)),
                    Advices.BoolConnect.class, Dispatcher.CONNECT),
            new Rule(CHANNEL, named("finishConnect").and(takesArguments(0)), Advices.BoolResult.class, Dispatcher.FINISH_CONNECT),
            new Rule(CHANNEL, named("read").and(takesArguments(ByteBuffer.class)), Advices.IntResult.class, Dispatcher.READ),
            new Rule(CHANNEL, named("write").and(takesArguments(ByteBuffer.class)), Advices.IntResult.class, Dispatcher.WRITE),
            new Rule(CHANNEL, named("read").and(takesArguments(3)).and(takesArgument(0, ByteBuffer[].class)),
                    Advices.LongResult.class, Dispatcher.READ),
            new Rule(CHANNEL, named("write").and(takesArguments(3)).and(takesArgument(0, ByteBuffer[].class)),
                    Advices.LongResult.class, Dispatcher.WRITE),
            new Rule(CHANNEL, named("implCloseSelectableChannel"), Advices.Close.class, Dispatcher.CLOSE),

            new Rule(SERVER_CHANNEL, named("accept").and(takesArguments(0)), Advices.ObjectResult.class, Dispatcher.ACCEPT));

    private final ResettableClassFileTransformer transformer;
    private final RedefinitionStrategy.DiscoveryStrategy discovery;
    final List<String> instrumented = Collections.synchronizedList(new ArrayList<>());
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    private Instrumenter(Instrumentation inst) {
        Set<String> types = new LinkedHashSet<>();
        RULES.forEach(r -> types.add(r.type));
        Set<Class<?>> loaded = new LinkedHashSet<>();
        for (String name : types) {
            try {
                loaded.add(Class.forName(name, false, null));
            } catch (ClassNotFoundException e) {
                // Not in this JDK (NioSocketImpl before 13, PlainSocketImpl after 17).
            }
        }
        discovery = new RedefinitionStrategy.DiscoveryStrategy.Explicit(loaded);
        AgentBuilder builder = new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
                .disableClassFormatChanges()
                .with(RedefinitionStrategy.RETRANSFORMATION)
                .with(discovery)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(new AgentBuilder.Listener.Adapter() {
                    @Override
                    public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module,
                            boolean loaded, DynamicType dynamicType) {
                        instrumented.add(type.getName());
                    }

                    @Override
                    public void onError(String type, ClassLoader loader, JavaModule module, boolean loaded,
                            Throwable error) {
                        failures.add(type + ": " + error);
                    }
                })
                // The default ignores JDK classes, which are exactly the ones we want.
                .ignore(none());
        for (String type : types) {
            builder = builder.type(named(type)).transform((b, td, cl, module, pd) -> {
                for (Rule r : RULES) {
                    if (r.type.equals(type)) {
                        b = b.visit(advice(r));
                    }
                }
                return b;
            });
        }
        transformer = builder.installOn(inst);
    }

    private static AsmVisitorWrapper advice(Rule r) {
        Advice.WithCustomMapping mapping = Advice.withCustomMapping().bind(Advices.Op.class, (Object) r.op);
        Advice advice;
        if (r.advice == Advices.Close.class) {
            advice = mapping.to(Advices.Close.class); // entry only
        } else if (r.advice == Advices.StreamRead.class || r.advice == Advices.StreamWrite.class) {
            advice = mapping.to(Advices.StreamEnter.class, r.advice);
        } else {
            advice = mapping.to(Advices.Enter.class, r.advice);
        }
        return advice.on(r.method);
    }

    static Instrumenter install(Instrumentation inst) {
        return new Instrumenter(inst);
    }

    /** Removes the advice: the JDK classes are retransformed back to their original code. */
    boolean reset(Instrumentation inst) {
        return transformer.reset(inst, RedefinitionStrategy.RETRANSFORMATION, discovery);
    }
}
