package io.wiretrace.agent.app;

import java.lang.reflect.Field;
import java.net.Inet6Address;
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
 * its protected fields, which the agent opens to itself (BootstrapInstaller) with
 * {@code Instrumentation.redefineModule}. Called once per connection, never per read.
 */
public final class Sockets {
    private static Field address;
    private static Field port;
    private static Field localport;

    private Sockets() {
    }

    public static synchronized void init() throws ReflectiveOperationException {
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
        if (NativeSockets.is(socket)) {
            return NativeSockets.tuple(socket, ids);
        }
        return null;
    }

    /**
     * A channel bound to a non-IP address (a UNIX domain socket, JDK 16+), or a file descriptor
     * of Netty's native transports that is not a TCP socket: never looked at again.
     */
    static boolean isUnixDomain(Object socket) throws Exception {
        if (NativeSockets.is(socket)) {
            return !NativeSockets.isTcp(socket);
        }
        if (!(socket instanceof SocketChannel)) {
            return false;
        }
        SocketAddress local = ((SocketChannel) socket).getLocalAddress();
        return local != null && !(local instanceof InetSocketAddress);
    }

    /** The address as Wireshark writes it: IPv6 in the RFC 5952 short form ({@code ::1}). */
    static String host(InetAddress a) {
        if (a == null) {
            return "";
        }
        String text = a.getHostAddress();
        return a instanceof Inet6Address ? compress(text) : text;
    }

    /** {@code 0:0:0:0:0:0:0:1} to {@code ::1}: the longest run of two or more zero groups becomes {@code ::}. */
    static String compress(String ipv6) {
        int percent = ipv6.indexOf('%');
        String scope = percent < 0 ? "" : ipv6.substring(percent);
        String[] groups = (percent < 0 ? ipv6 : ipv6.substring(0, percent)).split(":");
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; ) {
            int j = i;
            while (j < groups.length && groups[j].replaceFirst("^0+(?=.)", "").equals("0")) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < groups.length; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(groups[i].replaceFirst("^0+(?=.)", ""));
        }
        return sb.append(scope).toString();
    }

    static String host(Object socketAddress) {
        if (socketAddress instanceof InetSocketAddress) {
            InetSocketAddress s = (InetSocketAddress) socketAddress;
            return s.getAddress() != null ? host(s.getAddress()) : s.getHostString();
        }
        return "";
    }

    static int port(Object socketAddress) {
        return socketAddress instanceof InetSocketAddress ? ((InetSocketAddress) socketAddress).getPort() : 0;
    }
}
