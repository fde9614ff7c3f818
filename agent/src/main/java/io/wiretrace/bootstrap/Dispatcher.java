package io.wiretrace.bootstrap;

/**
 * The one class that advice inlined into JDK socket classes links against. It lives on the
 * bootstrap class path, so it must stay tiny and depend on nothing but java.base; the agent's
 * own class loader installs the hooks at start and clears them at stop. Every class of the JVM
 * can see this one, so the hooks are read through {@link #hooks()} and set only by the holder of
 * the key that claimed the dispatcher first ({@link #install}): the agent, right after defining it.
 */
public final class Dispatcher {
    /**
     * The version of this class's interface with the advice. A JVM keeps the first dispatcher
     * defined in it for its life; an agent whose advice expects another refuses to start.
     * 1 had no such field; 2 added enterWrite; 3 added Netty's native transports (enterAddress,
     * ioAddress, NATIVE_ACCEPT, RING_CONNECT, RING_CONNECTED) and requests' contexts across threads
     * (carry, CLIENT_REQUEST, CLIENT_HEADERS, EXECUTE, HAND_OFF); 4 made the hooks private: the
     * advice reads them through hooks(), only the owner's key sets them (install).
     */
    public static final int ABI = 4;

    public static final int CONNECT = 1;
    public static final int FINISH_CONNECT = 2;
    public static final int ACCEPT = 3;
    public static final int READ = 4;
    public static final int WRITE = 5;
    public static final int CLOSE = 6;
    /** A name lookup ({@code InetAddress.getAllByName}); the "socket" is the host name. */
    public static final int LOOKUP = 7;
    /** A TLS handshake on an SSLSocket ({@code startHandshake}). */
    public static final int HANDSHAKE = 8;
    /** Plaintext read and written through an SSLSocket's streams; the "socket" is the SSLSocket. */
    public static final int TLS_READ = 9;
    public static final int TLS_WRITE = 10;
    /**
     * An SSLEngine's wrap (plaintext in, TLS records out) and unwrap; the "socket" is the engine,
     * and {@code io}'s result packs bytesProduced &lt;&lt; 32 | bytesConsumed, its sign bit set when
     * the call finished the handshake.
     */
    public static final int ENGINE_WRAP = 11;
    public static final int ENGINE_UNWRAP = 12;
    /**
     * An accept of Netty's native transports ({@code io.netty.channel.unix.Socket.accept}): the
     * socket is the listening one, {@code exit}'s result the new file descriptor, whose socket
     * object Netty makes later.
     */
    public static final int NATIVE_ACCEPT = 13;
    /**
     * The JDK HttpClient made its own copy of a request to send ({@code HttpRequestImpl}'s
     * constructor, on the thread that called send or sendAsync): {@code enter}'s socket is the copy.
     */
    public static final int CLIENT_REQUEST = 14;
    /**
     * The JDK HttpClient is about to write a request's headers on a connection, maybe on a thread of
     * its own ({@code Http1Request.headers}): {@code exit}'s socket is the connection, its arg the request.
     */
    public static final int CLIENT_HEADERS = 15;
    /**
     * Netty's io_uring transport submits a connect to the kernel's ring ({@code exit}'s socket is
     * the channel's unsafe, its arg the peer address), and later learns how it ended
     * ({@code exit}'s result: 0, or minus the errno).
     */
    public static final int RING_CONNECT = 18;
    public static final int RING_CONNECTED = 19;
    /** {@code carry} from an executor's {@code execute}: a Future there already carries its task. */
    public static final int EXECUTE = 16;
    /** {@code carry} from a {@code submit} or a server's dispatch to a worker. */
    public static final int HAND_OFF = 17;

    private static volatile Hooks hooks;
    /** The key of whoever may set the hooks: the first to {@link #install}. */
    private static Object owner;

    private Dispatcher() {
    }

    /** The hooks the advice calls, or null: none. */
    public static Hooks hooks() {
        return hooks;
    }

    /**
     * Sets the hooks (null: none) if {@code key} owns the dispatcher; the first non-null key
     * becomes its owner for the JVM's life. Returns false, changing nothing, for any other key.
     */
    public static synchronized boolean install(Object key, Hooks h) {
        if (key == null || (owner != null && owner != key)) {
            return false;
        }
        owner = key;
        hooks = h;
        return true;
    }

    public interface Hooks {
        /** Called before a socket call; a result of 0 means "do not call {@link #exit}". */
        long enter(int op, Object socket);

        /**
         * Called before a write, with the bytes about to be written: {@code data} is a byte[]
         * ({@code length} bytes from {@code offset}), a ByteBuffer (its remaining bytes;
         * offset and length -1) or a ByteBuffer[] (from index {@code offset}). As {@link #enter}.
         */
        long enterWrite(int op, Object socket, Object data, int offset, int length);

        /**
         * Called after a connect, finishConnect or accept (reads and writes go to {@link #io}).
         * {@code result} is 1/0 for a boolean; {@code arg} is the peer address of a connect or
         * the socket an accept produced.
         */
        void exit(int op, Object socket, long token, long result, Throwable thrown, Object arg);

        /**
         * Called after a read or write with its data: {@code data} is the call's byte[] (the
         * bytes from {@code offset}) or its ByteBuffer (the {@code result} bytes before its
         * position; {@code offset} is -1).
         */
        void io(int op, Object socket, long token, long result, Throwable thrown, Object data, int offset);

        /**
         * Before a write from native memory (Netty's native transports): {@code length} bytes at
         * {@code address}, or, when {@code length} is negative, an array of {@code -length}
         * iovecs at {@code address}. As {@link #enter}.
         */
        long enterAddress(int op, Object socket, long address, int length);

        /**
         * After a read or write in native memory: its bytes start at {@code address} (an iovec
         * array when {@code length} is negative, as in {@link #enterAddress}); 0: not known.
         */
        void ioAddress(int op, Object socket, long token, long result, Throwable thrown, long address, int length);

        /**
         * Work about to be handed to another thread (an executor's task, a server's dispatch to a
         * worker): a Runnable or Callable to run in its place, carrying the request the current
         * thread works for; null: hand over the task itself.
         */
        Object carry(int op, Object task);
    }
}
