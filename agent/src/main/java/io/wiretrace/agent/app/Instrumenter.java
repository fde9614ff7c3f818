package io.wiretrace.agent.app;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.wiretrace.bootstrap.Dispatcher;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
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
 * Undertow, Netty's NIO transport, the JDK HttpClient, HttpURLConnection, OkHttp and Apache
 * HttpClient use. Netty's native transports (epoll, kqueue) do their I/O in JNI: their rules
 * cover the two classes all of it passes through ({@code io.netty.channel.unix.FileDescriptor}
 * and {@code Socket}, also under a shading prefix), in whatever class loader defines them, when
 * it does; an app without Netty is never touched.
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
                    Advices.EngineEnter.class, Advices.EngineIo.class, Dispatcher.ENGINE_UNWRAP),

            // a request's context across threads: the JDK HttpClient's copy of a request is made on
            // the caller's thread, its headers are written on the client's own threads
            new Rule("jdk.internal.net.http.HttpRequestImpl",
                    isConstructor().and(takesArguments(2)).and(takesArgument(1, ProxySelector.class)),
                    null, Advices.Constructed.class, Dispatcher.CLIENT_REQUEST),
            new Rule("jdk.internal.net.http.Http1Request", named("headers").and(takesArguments(0)),
                    null, Advices.ClientHeaders.class, Dispatcher.CLIENT_HEADERS),
            // executors: a task handed over carries the request (a FutureTask reaching execute was
            // made by submit, whose task already carries it; CompletableFuture's async stages go
            // through ForkJoinPool.execute or an executor's execute)
            new Rule("java.util.concurrent.ThreadPoolExecutor", named("execute").and(takesArguments(Runnable.class)),
                    null, Advices.CarryFirst.class, Dispatcher.EXECUTE),
            new Rule("java.util.concurrent.AbstractExecutorService", named("submit").and(takesArgument(0, Runnable.class).or(takesArgument(0, Callable.class))),
                    null, Advices.CarryFirst.class, Dispatcher.HAND_OFF),
            new Rule("java.util.concurrent.ForkJoinPool", named("execute").and(takesArguments(Runnable.class)),
                    null, Advices.CarryFirst.class, Dispatcher.HAND_OFF));

    private static final String NETTY_FD = "io.netty.channel.unix.FileDescriptor";
    private static final String NETTY_SOCKET = "io.netty.channel.unix.Socket";
    private static final String NETTY_LINUX_SOCKET = "io.netty.channel.epoll.LinuxSocket";
    private static final String NETTY_EXECUTOR = "io.netty.util.concurrent.SingleThreadEventExecutor";
    private static final String NETTY_RING_UNSAFE = "io.netty.channel.uring.AbstractIoUringChannel$AbstractUringUnsafe";
    /** How the names of the classes looked for in the app's loaders end: a quick test for all others. */
    private static final List<String> APP_SUFFIXES = List.of("Socket", "FileDescriptor", "SingleThreadEventExecutor",
            "AbstractUringUnsafe", "HttpServerExchange");

    /**
     * Netty 4.1 and 4.2: epoll reads with Socket.recv*, writes with Socket.send* and
     * FileDescriptor.writev* (before 4.1.80, and kqueue, with FileDescriptor.read and write).
     */
    private static final List<Rule> NETTY = List.of(
            new Rule(NETTY_FD, named("read").and(takesArguments(ByteBuffer.class, int.class, int.class)),
                    Advices.ArrayIo.class, Dispatcher.READ),
            new Rule(NETTY_FD, named("readAddress").and(takesArguments(long.class, int.class, int.class)),
                    Advices.AddressIo.class, Dispatcher.READ),
            new Rule(NETTY_FD, named("write").and(takesArguments(ByteBuffer.class, int.class, int.class)),
                    Advices.ArrayWriteEnter.class, Advices.ArrayIo.class, Dispatcher.WRITE),
            new Rule(NETTY_FD, named("writeAddress").and(takesArguments(long.class, int.class, int.class)),
                    Advices.AddressEnter.class, Advices.AddressIo.class, Dispatcher.WRITE),
            new Rule(NETTY_FD, named("writev").and(takesArguments(4)).and(takesArgument(0, ByteBuffer[].class)),
                    Advices.BuffersWriteEnter.class, Advices.BuffersIo.class, Dispatcher.WRITE),
            new Rule(NETTY_FD, named("writevAddresses").and(takesArguments(long.class, int.class)),
                    Advices.IovEnter.class, Advices.IovIo.class, Dispatcher.WRITE),
            new Rule(NETTY_FD, named("close").and(takesArguments(0)), Advices.Close.class, Dispatcher.CLOSE),

            new Rule(NETTY_SOCKET, named("recv").and(takesArguments(ByteBuffer.class, int.class, int.class)),
                    Advices.ArrayIo.class, Dispatcher.READ),
            new Rule(NETTY_SOCKET, named("recvAddress").and(takesArguments(long.class, int.class, int.class)),
                    Advices.AddressIo.class, Dispatcher.READ),
            new Rule(NETTY_SOCKET, named("send").and(takesArguments(ByteBuffer.class, int.class, int.class)),
                    Advices.ArrayWriteEnter.class, Advices.ArrayIo.class, Dispatcher.WRITE),
            new Rule(NETTY_SOCKET, named("sendAddress").and(takesArguments(long.class, int.class, int.class)),
                    Advices.AddressEnter.class, Advices.AddressIo.class, Dispatcher.WRITE),
            new Rule(NETTY_SOCKET, named("connect").and(takesArguments(SocketAddress.class)),
                    Advices.BoolConnect.class, Dispatcher.CONNECT),
            new Rule(NETTY_SOCKET, named("finishConnect").and(takesArguments(0)), Advices.BoolResult.class,
                    Dispatcher.FINISH_CONNECT),
            new Rule(NETTY_SOCKET, named("accept").and(takesArguments(byte[].class)), Advices.IntResult.class,
                    Dispatcher.NATIVE_ACCEPT),

            // a FileRegion (a file sent with sendfile): bytes that never pass through Java
            new Rule(NETTY_LINUX_SOCKET, named("sendFile").and(takesArguments(4)).and(returns(long.class)),
                    Advices.LongIo.class, Dispatcher.WRITE),

            // io_uring (Netty 4.2) submits its I/O to a ring, with no socket call to put advice on; its
            // flows get the packets-only verdicts, and its connects that fail are seen here
            new Rule(NETTY_RING_UNSAFE, named("connect").and(takesArguments(3)).and(takesArgument(0, SocketAddress.class)),
                    null, Advices.RingConnect.class, Dispatcher.RING_CONNECT),
            new Rule(NETTY_RING_UNSAFE, named("connectComplete").and(takesArguments(4)).and(takesArgument(1, int.class)),
                    null, Advices.RingConnected.class, Dispatcher.RING_CONNECTED),

            // work handed to an event loop or a business executor (any transport) carries the request
            new Rule(NETTY_EXECUTOR, named("execute").or(named("lazyExecute")).and(takesArguments(Runnable.class)),
                    null, Advices.CarryFirst.class, Dispatcher.HAND_OFF));

    /** Servers that read a request on one thread and hand it to a worker. */
    private static final List<Rule> FRAMEWORKS = List.of(
            new Rule("io.undertow.server.HttpServerExchange",
                    named("dispatch").and(takesArguments(Executor.class, Runnable.class)),
                    null, Advices.CarrySecond.class, Dispatcher.HAND_OFF));

    private static final Set<String> TYPES = new LinkedHashSet<>();
    private static final Set<String> NETTY_TYPES = new LinkedHashSet<>();
    private static final Set<String> FRAMEWORK_TYPES = new LinkedHashSet<>();

    static {
        RULES.forEach(r -> TYPES.add(r.type));
        NETTY.forEach(r -> NETTY_TYPES.add(r.type));
        FRAMEWORKS.forEach(r -> FRAMEWORK_TYPES.add(r.type));
    }

    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private final Instrumentation inst;
    private final ClassFileTransformer transformer = new ClassFileTransformer() {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                ProtectionDomain pd, byte[] bytes) {
            byte[] out = Instrumenter.this.transform(loader, name, bytes);
            if (out != null && module != null && module.isNamed() && !module.canRead(Dispatcher.class.getModule())) {
                // Netty in a named module: the advice inlined into it links against the dispatcher
                inst.redefineModule(module, Set.of(Dispatcher.class.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
            }
            return out;
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
        i.retransformApp();
        return i;
    }

    /** Removes the advice: the classes are retransformed back to their original code. */
    public void reset() throws UnmodifiableClassException {
        inst.removeTransformer(transformer);
        List<Class<?>> loaded = loaded();
        if (!loaded.isEmpty()) {
            inst.retransformClasses(loaded.toArray(new Class<?>[0]));
        }
        retransformApp();
    }

    /**
     * Netty's and the servers' classes already loaded, in any class loader, and the JDK HttpClient's
     * if the app loaded them (none is loaded here), one by one: one that cannot be changed is named
     * among the failures and costs the capture nothing else.
     */
    private void retransformApp() {
        for (Class<?> c : inst.getAllLoadedClasses()) {
            String name = c.getName();
            boolean platform = c.getClassLoader() == PLATFORM && TYPES.contains(name); // the JDK HttpClient, if used
            if ((platform || netty(name) != null || FRAMEWORK_TYPES.contains(name)) && inst.isModifiableClass(c)) {
                try {
                    inst.retransformClasses(c);
                } catch (Throwable t) {
                    failures.add(c.getName() + ": " + t);
                }
            }
        }
    }

    private static List<Class<?>> loaded() {
        List<Class<?>> loaded = new ArrayList<>();
        for (String name : TYPES) {
            try {
                if (!name.startsWith("jdk.internal.net.http.")) { // the platform loader's: retransformApp, if loaded
                    loaded.add(Class.forName(name, false, null));
                }
            } catch (ClassNotFoundException e) {
                // Not in this JDK (NioSocketImpl before 13, PlainSocketImpl after 17).
            }
        }
        return loaded;
    }

    /** The Netty type that {@code name} is, maybe under a shading prefix; or null. */
    private static boolean appSuffix(String name) {
        for (String suffix : APP_SUFFIXES) {
            if (name.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    private static String netty(String name) {
        if (!appSuffix(name)) {
            return null;
        }
        for (String t : NETTY_TYPES) {
            if (name.endsWith(t) && (name.length() == t.length() || name.charAt(name.length() - t.length() - 1) == '.')) {
                return t;
            }
        }
        return null;
    }

    private byte[] transform(ClassLoader loader, String internalName, byte[] bytes) {
        boolean jdk = loader == null || loader == PLATFORM;
        if (internalName == null || (!jdk && !appSuffix(internalName))) {
            return null; // the app's own classes load by the thousand: no work for them
        }
        String name = internalName.replace('/', '.');
        String nettyType = netty(name);
        List<Rule> rules;
        String ruleType;
        if (nettyType != null) {
            rules = NETTY;
            ruleType = nettyType;
        } else if (jdk && TYPES.contains(name)) {
            rules = RULES; // the JDK's, which the bootstrap and platform loaders define
            ruleType = name;
        } else if (!jdk && FRAMEWORK_TYPES.contains(name)) {
            rules = FRAMEWORKS;
            ruleType = name;
        } else {
            return null;
        }
        try {
            ClassFileLocator locator = new ClassFileLocator.Compound(ClassFileLocator.Simple.of(name, bytes),
                    loader == null ? ClassFileLocator.ForClassLoader.ofBootLoader() : ClassFileLocator.ForClassLoader.of(loader),
                    ClassFileLocator.ForClassLoader.ofBootLoader());
            TypeDescription type = TypePool.Default.of(locator).describe(name).resolve();
            DynamicType.Builder<?> builder = byteBuddy.decorate(type, locator);
            for (Rule r : rules) {
                if (r.type.equals(ruleType)) {
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
        if (r.enter == null) {
            advice = mapping.to(r.advice); // one method, entry or exit
        } else if (r.advice == Advices.Close.class) {
            advice = mapping.to(Advices.Close.class); // entry only
        } else {
            advice = mapping.to(r.enter, r.advice);
        }
        return advice.on(r.method);
    }

}
