package io.wiretrace.agent.app;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * Netty's native transports (epoll, kqueue): their sockets are {@code io.netty.channel.unix.Socket}
 * objects (a {@code FileDescriptor}), found by class name so that a shaded copy (gRPC's) counts
 * too, and read through their public methods, once per connection. Their bytes sit in native
 * memory: a per-thread direct ByteBuffer is pointed at them, so the HTTP and TLS readers see them
 * without a copy and without an allocation. If the JDK does not let the view be made, the
 * connections and calls are still followed, only their bytes are not read.
 */
final class NativeSockets {
    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SO_DOMAIN = 39;
    private static final int SOCK_STREAM = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    /** Per class: null if not a Netty file descriptor, else its methods. */
    private static final ClassValue<Methods> METHODS = new ClassValue<Methods>() {
        @Override
        protected Methods computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                if (c.getName().endsWith("io.netty.channel.unix.FileDescriptor")) {
                    return new Methods(type);
                }
            }
            return null;
        }
    };

    private static final class Methods {
        final Method fd;
        final Method local;
        final Method remote;
        final Method intOpt;

        Methods(Class<?> type) {
            fd = find(type, "intValue");
            local = find(type, "localAddress");
            remote = find(type, "remoteAddress");
            intOpt = find(type, "getIntOpt", int.class, int.class);
        }

        private static Method find(Class<?> type, String name, Class<?>... args) {
            try {
                return type.getMethod(name, args);
            } catch (NoSuchMethodException e) {
                return null; // a FileDescriptor that is no socket (a pipe)
            }
        }
    }

    private NativeSockets() {
    }

    static boolean is(Object socket) {
        return socket != null && METHODS.get(socket.getClass()) != null;
    }

    /** Its file descriptor, or -1. */
    static int fd(Object socket) throws Exception {
        Methods m = METHODS.get(socket.getClass());
        return m == null ? -1 : (Integer) m.fd.invoke(socket);
    }

    /** A TCP socket (IPv4 or IPv6, stream): not a datagram, UNIX domain socket or pipe. */
    static boolean isTcp(Object socket) throws Exception {
        Methods m = METHODS.get(socket.getClass());
        if (m == null || m.intOpt == null || m.remote == null) {
            return false;
        }
        int domain = (Integer) m.intOpt.invoke(socket, SOL_SOCKET, SO_DOMAIN);
        return (domain == AF_INET || domain == AF_INET6) && (Integer) m.intOpt.invoke(socket, SOL_SOCKET, SO_TYPE) == SOCK_STREAM;
    }

    /** The connection's tuple under a new id, or null when it is not a connected TCP socket. */
    static Conn tuple(Object socket, LongSupplier ids) throws Exception {
        if (!isTcp(socket)) {
            return null;
        }
        Methods m = METHODS.get(socket.getClass());
        Object local = m.local.invoke(socket);
        Object remote = m.remote.invoke(socket);
        if (!(local instanceof InetSocketAddress) || !(remote instanceof InetSocketAddress)) {
            return null;
        }
        InetSocketAddress l = (InetSocketAddress) local;
        InetSocketAddress r = (InetSocketAddress) remote;
        return new Conn(ids.getAsLong(), Sockets.host(l.getAddress()), l.getPort(), Sockets.host(r.getAddress()), r.getPort());
    }

    // ---- native memory

    private static final MethodHandle PUT_LONG; // (Object, long offset, long value)
    private static final MethodHandle GET_LONG; // (long address)
    private static final long ADDRESS;
    private static final Constructor<?> VIEW;
    /** Why the bytes cannot be read, or null. */
    static final Throwable UNREADABLE;

    static {
        MethodHandle put = null;
        MethodHandle get = null;
        long address = -1;
        Constructor<?> view = null;
        Throwable why = null;
        try {
            Class<?> unsafeType = Class.forName("jdk.internal.misc.Unsafe");
            Object unsafe = unsafeType.getMethod("getUnsafe").invoke(null);
            MethodHandles.Lookup lookup = MethodHandles.lookup(); // jdk.internal.misc is exported to the agent alone
            put = lookup.findVirtual(unsafeType, "putLong", MethodType.methodType(void.class, Object.class, long.class, long.class))
                    .bindTo(unsafe);
            get = lookup.findVirtual(unsafeType, "getLong", MethodType.methodType(long.class, long.class)).bindTo(unsafe);
            Field f = Buffer.class.getDeclaredField("address");
            address = (Long) unsafeType.getMethod("objectFieldOffset", Field.class).invoke(unsafe, f);
            Class<?> direct = Class.forName("java.nio.DirectByteBuffer");
            try {
                view = direct.getDeclaredConstructor(long.class, long.class); // JDK 21+
            } catch (NoSuchMethodException e) {
                view = direct.getDeclaredConstructor(long.class, int.class);
            }
            view.setAccessible(true);
            ByteBuffer probe = newView(view);
            if (!probe.isDirect() || probe.capacity() != Integer.MAX_VALUE) {
                throw new IllegalStateException("unexpected view " + probe);
            }
        } catch (Throwable t) {
            why = t;
            view = null;
        }
        PUT_LONG = put;
        GET_LONG = get;
        ADDRESS = address;
        VIEW = view;
        UNREADABLE = why;
    }

    private static ByteBuffer newView(Constructor<?> c) throws Exception {
        Object capacity = c.getParameterTypes()[1] == long.class ? (Object) (long) Integer.MAX_VALUE : (Object) Integer.MAX_VALUE;
        return (ByteBuffer) c.newInstance(0L, capacity);
    }

    /** A view for one thread to point at native memory again and again; null if none can be made. */
    static ByteBuffer newView() {
        try {
            return VIEW == null ? null : newView(VIEW);
        } catch (Exception e) {
            return null;
        }
    }

    /** Points {@code view} at {@code length} bytes at {@code address}: readable from index 0 to length. */
    static ByteBuffer point(ByteBuffer view, long address, int length) throws Throwable {
        PUT_LONG.invokeExact((Object) view, ADDRESS, address);
        view.limit(length);
        view.position(0);
        return view;
    }

    /** Iovec i of an array at {@code iov} (64-bit Linux: base, then length): its base and length. */
    static long iovBase(long iov, int i) throws Throwable {
        return (long) GET_LONG.invokeExact(iov + 16L * i);
    }

    static long iovLength(long iov, int i) throws Throwable {
        return (long) GET_LONG.invokeExact(iov + 16L * i + 8);
    }
}
