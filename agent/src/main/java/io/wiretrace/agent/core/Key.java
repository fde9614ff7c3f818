package io.wiretrace.agent.core;

import io.wiretrace.agent.core.events.Conn;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/** A flow's endpoints as the join keys them: the app's side first. */
final class Key {
    final int version;
    final long aHi;
    final long aLo;
    final int aPort;
    final long bHi;
    final long bLo;
    final int bPort;

    Key(int version, long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        this.version = version;
        this.aHi = aHi;
        this.aLo = aLo;
        this.aPort = aPort;
        this.bHi = bHi;
        this.bLo = bLo;
        this.bPort = bPort;
    }

    static Key of(Conn c) {
        Key l = of(c.localAddress, c.localPort);
        Key r = of(c.remoteAddress, c.remotePort);
        if (l == null || r == null || l.version != r.version) {
            return null;
        }
        return new Key(l.version, l.aHi, l.aLo, l.aPort, r.aHi, r.aLo, r.aPort);
    }

    /** One endpoint (in the a fields) from an address literal; null if it is not one. */
    static Key of(String address, int port) {
        try {
            if (address == null || address.isEmpty() || !(Character.isDigit(address.charAt(0))
                    || address.indexOf(':') >= 0)) {
                return null; // a host name: never resolve here
            }
            InetAddress a = InetAddress.getByName(address);
            byte[] b = a.getAddress();
            ByteBuffer bb = ByteBuffer.wrap(b);
            if (a instanceof Inet4Address) {
                return new Key(4, 0, bb.getInt() & 0xFFFFFFFFL, port, 0, 0, 0);
            }
            return new Key(6, bb.getLong(), bb.getLong(), port, 0, 0, 0);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Key)) {
            return false;
        }
        Key k = (Key) o;
        return version == k.version && aHi == k.aHi && aLo == k.aLo && aPort == k.aPort && bHi == k.bHi
                && bLo == k.bLo && bPort == k.bPort;
    }

    @Override
    public int hashCode() {
        long h = aLo * 31 + bLo;
        h = h * 31 + aHi * 7 + bHi;
        return (int) (h ^ h >>> 32) * 31 + (aPort << 16 | bPort);
    }
}
