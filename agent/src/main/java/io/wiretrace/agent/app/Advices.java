package io.wiretrace.agent.app;

import io.wiretrace.bootstrap.Dispatcher;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * Advice inlined into the JDK's socket classes: one entry class per way of finding the socket,
 * one exit class per kind of method signature; the operation is bound as a constant through
 * {@link Op}. The code here runs on app threads inside
 * java.base, so it only reads {@link Dispatcher#hooks()} and calls them; Byte Buddy's
 * {@code suppress} swallows anything that escapes.
 */
final class Advices {
    private Advices() {
    }

    /** The {@link Dispatcher} operation, bound per method by {@link Instrumenter}. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    @interface Op {
    }

    /** Entry of every call on the socket object itself; the exit classes below pair with it. */
    static final class Enter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enter(op, self);
        }
    }

    /** Entry of {@code implWrite(byte[], int, int)} on a SocketImpl, with the bytes to write. */
    static final class ArrayWriteEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) Object data,
                @Advice.Argument(1) int offset, @Advice.Argument(2) int length) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterWrite(op, self, data, offset, length);
        }
    }

    /** Entry of {@code write(ByteBuffer)} on a channel, with the buffer to write. */
    static final class BufferWriteEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) Object data) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterWrite(op, self, data, -1, -1);
        }
    }

    /** Entry of {@code write(ByteBuffer[], int, int)} on a channel, with the buffers to write. */
    static final class BuffersWriteEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) Object data,
                @Advice.Argument(1) int offset) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterWrite(op, self, data, offset, -1);
        }
    }

    /** Entry of JDK 11's {@code SocketOutputStream.socketWrite(byte[], int, int)}, with the bytes to write. */
    static final class StreamWriteEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.FieldValue("impl") Object impl, @Advice.Argument(0) Object data,
                @Advice.Argument(1) int offset, @Advice.Argument(2) int length) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterWrite(op, impl, data, offset, length);
        }
    }

    /** Entry of JDK 11's socket streams, whose socket is their {@code impl} field. */
    static final class StreamEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.FieldValue("impl") Object impl) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enter(op, impl);
        }
    }

    /** {@code int implRead/implWrite(byte[], int, int...)} on a SocketImpl: the data is an array slice. */
    static final class ArrayIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return int result, @Advice.Thrown Throwable thrown,
                @Advice.Argument(0) Object data, @Advice.Argument(1) int offset) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, self, token, result, thrown, data, offset);
                }
            }
        }
    }

    /** {@code int read/write(ByteBuffer)} on a channel: the data ends at the buffer's position. */
    static final class BufferIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return int result, @Advice.Thrown Throwable thrown, @Advice.Argument(0) Object data) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, self, token, result, thrown, data, -1);
                }
            }
        }
    }

    /** {@code long read/write(ByteBuffer[], int, int)} on a channel: the data starts in the array's offset. */
    static final class BuffersIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return long result, @Advice.Thrown Throwable thrown,
                @Advice.Argument(0) Object data, @Advice.Argument(1) int offset) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, self, token, result, thrown, data, offset);
                }
            }
        }
    }

    /** {@code boolean connect(SocketAddress)} on a channel: false means still pending. */
    static final class BoolConnect {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return boolean result, @Advice.Thrown Throwable thrown,
                @Advice.Argument(0) Object remote) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, self, token, result ? 1L : 0L, thrown, remote);
                }
            }
        }
    }

    /** {@code boolean finishConnect()} on a channel. */
    static final class BoolResult {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return boolean result, @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, self, token, result ? 1L : 0L, thrown, null);
                }
            }
        }
    }

    /**
     * {@code void connect(SocketAddress, int)} and {@code void accept(SocketImpl)} on a
     * SocketImpl: the argument is the peer address or the accepted socket.
     */
    static final class VoidWithArgument {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Thrown Throwable thrown, @Advice.Argument(0) Object arg) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, self, token, 1L, thrown, arg);
                }
            }
        }
    }

    /** {@code SocketChannel accept()} on a server channel: null when nothing was pending. */
    static final class ObjectResult {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return Object result, @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, self, token, 0L, thrown, result);
                }
            }
        }
    }

    /** Entry of an SSLSocket stream's {@code read}: the socket is the stream's outer instance. */
    static final class OuterEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.FieldValue("this$0") Object outer) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enter(op, outer);
        }
    }

    /** Entry of an SSLSocket stream's {@code write(byte[], int, int)}, with the plaintext. */
    static final class OuterWriteEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.FieldValue("this$0") Object outer, @Advice.Argument(0) Object data,
                @Advice.Argument(1) int offset, @Advice.Argument(2) int length) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterWrite(op, outer, data, offset, length);
        }
    }

    /** {@code int read(byte[], int, int)} of an SSLSocket's input stream: the plaintext read. */
    static final class OuterRead {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.FieldValue("this$0") Object outer, @Advice.Enter long token,
                @Advice.Return int result, @Advice.Thrown Throwable thrown,
                @Advice.Argument(0) Object data, @Advice.Argument(1) int offset) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, outer, token, result, thrown, data, offset);
                }
            }
        }
    }

    /** {@code void write(byte[], int, int)} of an SSLSocket's output stream: all len bytes or a throw. */
    static final class OuterWrite {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.FieldValue("this$0") Object outer, @Advice.Enter long token,
                @Advice.Argument(0) Object data, @Advice.Argument(1) int offset, @Advice.Argument(2) int len,
                @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, outer, token, thrown == null ? len : 0L, thrown, data, offset);
                }
            }
        }
    }

    /**
     * Entry of an SSLEngine's 6-argument {@code wrap} (with the plaintext to wrap) or {@code unwrap}
     * (with the records to unwrap).
     */
    static final class EngineEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) Object srcs,
                @Advice.Argument(1) int offset) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterWrite(op, self, srcs, offset, -1);
        }
    }

    /** Exit of an SSLEngine's 6-argument wrap or unwrap: what it produced into its destination buffers. */
    static final class EngineIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return Object result, @Advice.Thrown Throwable thrown,
                @Advice.Argument(3) Object dsts, @Advice.Argument(4) int offset) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    long r = 0L;
                    if (result instanceof javax.net.ssl.SSLEngineResult) {
                        javax.net.ssl.SSLEngineResult x = (javax.net.ssl.SSLEngineResult) result;
                        r = (long) x.bytesProduced() << 32 | x.bytesConsumed();
                        if (x.getHandshakeStatus() == javax.net.ssl.SSLEngineResult.HandshakeStatus.FINISHED) {
                            r |= Long.MIN_VALUE;
                        }
                    }
                    h.io(op, self, token, r, thrown, dsts, offset);
                }
            }
        }
    }

    /** A method without arguments whose end is all that matters: {@code SSLSocket.startHandshake()}. */
    static final class VoidExit {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, self, token, 1L, thrown, null);
                }
            }
        }
    }

    /** {@code InetAddress.getAllByName(String)}: static, so the host name stands for the socket. */
    static final class LookupEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.Argument(0) Object host) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enter(op, host);
        }
    }

    /** Its exit, with the addresses it resolved. */
    static final class LookupExit {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.Argument(0) Object host, @Advice.Enter long token,
                @Advice.Return Object result, @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, host, token, 0L, thrown, result);
                }
            }
        }
    }

    /** {@code close()}: seen on entry, while the socket still knows its addresses. */
    static final class Close {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Op int op, @Advice.This Object self) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                h.enter(op, self);
            }
        }
    }

    /** JDK 11's {@code SocketInputStream.read(byte[], int, int, int)}: the socket is its impl. */
    static final class StreamRead {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.FieldValue("impl") Object impl, @Advice.Enter long token,
                @Advice.Return int result, @Advice.Thrown Throwable thrown,
                @Advice.Argument(0) Object data, @Advice.Argument(1) int offset) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, impl, token, result, thrown, data, offset);
                }
            }
        }
    }

    /** JDK 11's {@code SocketOutputStream.socketWrite(byte[], int, int)}: all len bytes or a throw. */
    static final class StreamWrite {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.FieldValue("impl") Object impl, @Advice.Enter long token,
                @Advice.Argument(0) Object data, @Advice.Argument(1) int offset, @Advice.Argument(2) int len,
                @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.io(op, impl, token, thrown == null ? len : 0L, thrown, data, offset);
                }
            }
        }
    }

    // ---- Netty's native transports (io.netty.channel.unix.FileDescriptor and Socket)

    /** Entry of {@code sendAddress/writeAddress(long address, int pos, int limit)}: the bytes about to be written. */
    static final class AddressEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) long address,
                @Advice.Argument(1) int pos, @Advice.Argument(2) int limit) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterAddress(op, self, address + pos, limit - pos);
        }
    }

    /** {@code int recvAddress/readAddress/sendAddress/writeAddress(long address, int pos, int limit)}. */
    static final class AddressIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return int result, @Advice.Thrown Throwable thrown, @Advice.Argument(0) long address,
                @Advice.Argument(1) int pos, @Advice.Argument(2) int limit) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.ioAddress(op, self, token, result, thrown, address + pos, limit - pos);
                }
            }
        }
    }

    /** Entry of {@code long writevAddresses(long iov, int count)}: an array of iovecs about to be written. */
    static final class IovEnter {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static long enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) long iov,
                @Advice.Argument(1) int count) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            return h == null ? 0L : h.enterAddress(op, self, iov, -count);
        }
    }

    /** Its exit. */
    static final class IovIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return long result, @Advice.Thrown Throwable thrown, @Advice.Argument(0) long iov,
                @Advice.Argument(1) int count) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.ioAddress(op, self, token, result, thrown, iov, -count);
                }
            }
        }
    }

    /** {@code long sendFile(...)}: bytes written that never pass through Java. */
    static final class LongIo {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return long result, @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.ioAddress(op, self, token, result, thrown, 0L, 0);
                }
            }
        }
    }

    /** {@code int accept(byte[])}: the accepted connection's file descriptor. */
    static final class IntResult {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self, @Advice.Enter long token,
                @Advice.Return int result, @Advice.Thrown Throwable thrown) {
            if (token != 0L) {
                Dispatcher.Hooks h = Dispatcher.hooks();
                if (h != null) {
                    h.exit(op, self, token, result, thrown, null);
                }
            }
        }
    }

    // ---- a request's context across threads

    /** A constructor's end: the object made ({@code HttpRequestImpl}, the HttpClient's copy of a request). */
    static final class Constructed {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Op int op, @Advice.This Object self) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                h.enter(op, self);
            }
        }
    }

    /** {@code Http1Request.headers()}: the request whose headers are about to go out on the connection. */
    static final class ClientHeaders {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Op int op, @Advice.FieldValue("connection") Object connection,
                @Advice.FieldValue("request") Object request) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                h.exit(op, connection, 1L, 0L, null, request);
            }
        }
    }

    /** A task handed to another thread, as the first argument: the task that carries the request goes instead. */
    static final class CarryFirst {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Op int op,
                @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC) Object task) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                Object carried = h.carry(op, task);
                if (carried != null) {
                    task = carried;
                }
            }
        }
    }

    /** The same, as the second argument ({@code HttpServerExchange.dispatch(Executor, Runnable)}). */
    static final class CarrySecond {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Op int op,
                @Advice.Argument(value = 1, readOnly = false, typing = Assigner.Typing.DYNAMIC) Object task) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                Object carried = h.carry(op, task);
                if (carried != null) {
                    task = carried;
                }
            }
        }
    }

    /** io_uring's {@code connect(remote, local, promise)} on a channel's unsafe: the connect is submitted. */
    static final class RingConnect {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Op int op, @Advice.This Object self, @Advice.Argument(0) Object remote) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                h.exit(op, self, 1L, 0L, null, remote);
            }
        }
    }

    /** io_uring's {@code connectComplete(op, res, flags, data)}: how the submitted connect ended. */
    static final class RingConnected {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Op int op, @Advice.This Object self, @Advice.Argument(1) int res) {
            Dispatcher.Hooks h = Dispatcher.hooks();
            if (h != null) {
                h.exit(op, self, 1L, res, null, null);
            }
        }
    }
}
