package io.wiretrace.agent.core;

import io.wiretrace.agent.core.events.Conn;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.SocketOptions;
import java.nio.channels.SocketChannel;
import java.util.function.LongSupplier;

/**
 * Reads the 4-tuple of a socket object seen by the advice: a {@link SocketChannel} through its
 * public API, a {@link SocketImpl} (NioSocketImpl, or PlainSocketImpl before JDK 13) through
 * its protected fields, which {@link Session} opens to the agent with
 * {@code Instrumentation.redefineModule}. Called once per connection, never per read.
 */
final class Sockets {
    private static Field address;
    private static Field port;
    private static Field localport;

    private Sockets() {
    }

    static synchronized void init() throws ReflectiveOperationException {
        if (address == null) {
            Field a = SocketImpl.class.getDeclaredField("address");
            Field p = SocketImpl.class.getDeclaredField("port");
            Field l = SocketImpl.class.getDeclaredField("localport");
            a.setAccessible(true);
            p.setAccessible(true);
            l.setAccessible(true);
            port = p;
            localport = l;
            address = a;
        }
    }

    /** The connection's tuple under a new id from {@code ids}, or null when the socket is not connected. */
    static Conn tuple(Object socket, LongSupplier ids) throws Exception {
        if (socket instanceof SocketChannel) {
            SocketChannel ch = (SocketChannel) socket;
            SocketAddress local = ch.getLocalAddress();
            SocketAddress remote = ch.getRemoteAddress();
            if (!(local instanceof InetSocketAddress) || !(remote instanceof InetSocketAddress)) {
                return null;
            }
            InetSocketAddress l = (InetSocketAddress) local;
            InetSocketAddress r = (InetSocketAddress) remote;
            return new Conn(ids.getAsLong(), host(l.getAddress()), l.getPort(), host(r.getAddress()), r.getPort());
        }
        if (socket instanceof SocketImpl) {
            InetAddress remote = (InetAddress) address.get(socket);
            int remotePort = port.getInt(socket);
            if (remote == null || remotePort == 0) {
                return null;
            }
            Object local = ((SocketOptions) socket).getOption(SocketOptions.SO_BINDADDR);
            return new Conn(ids.getAsLong(), host((InetAddress) local), localport.getInt(socket), host(remote), remotePort);
        }
        return null;
    }

    /** A channel bound to a non-IP address: a UNIX domain socket (JDK 16+). */
    static boolean isUnixDomain(Object socket) throws Exception {
        if (!(socket instanceof SocketChannel)) {
            return false;
        }
        SocketAddress local = ((SocketChannel) socket).getLocalAddress();
        return local != null && !(local instanceof InetSocketAddress);
    }

    static String host(InetAddress a) {
        return a == null ? "" : a.getHostAddress();
    }

    static String host(Object socketAddress) {
        if (socketAddress instanceof InetSocketAddress) {
            InetSocketAddress s = (InetSocketAddress) socketAddress;
            return s.getAddress() != null ? s.getAddress().getHostAddress() : s.getHostString();
        }
        return "";
    }

    static int port(Object socketAddress) {
        return socketAddress instanceof InetSocketAddress ? ((InetSocketAddress) socketAddress).getPort() : 0;
    }
}
