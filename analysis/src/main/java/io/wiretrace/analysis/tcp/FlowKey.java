package io.wiretrace.analysis.tcp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * A flow's endpoints as numbers, the app's side first: how the join finds a flow for a connection
 * (and an endpoint alone, in the a fields, for a connect that has no connection yet).
 */
public final class FlowKey {
    public final int version;
    public final long aHi;
    public final long aLo;
    public final int aPort;
    public final long bHi;
    public final long bLo;
    public final int bPort;

    public FlowKey(int version, long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        this.version = version;
        this.aHi = aHi;
        this.aLo = aLo;
        this.aPort = aPort;
        this.bHi = bHi;
        this.bLo = bLo;
        this.bPort = bPort;
    }

    /** The key of a connection from its ends' address literals; null if either is not one. */
    public static FlowKey of(String localAddress, int localPort, String remoteAddress, int remotePort) {
        FlowKey l = of(localAddress, localPort);
        FlowKey r = of(remoteAddress, remotePort);
        if (l == null || r == null || l.version != r.version) {
            return null;
        }
        return new FlowKey(l.version, l.aHi, l.aLo, l.aPort, r.aHi, r.aLo, r.aPort);
    }

    /** One endpoint (in the a fields) from an address literal; null if it is not one. */
    public static FlowKey of(String address, int port) {
        try {
            if (address == null || address.isEmpty() || !(Character.isDigit(address.charAt(0))
                    || address.indexOf(':') >= 0)) {
                return null; // a host name: never resolve here
            }
            InetAddress a = InetAddress.getByName(address);
            byte[] b = a.getAddress();
            ByteBuffer bb = ByteBuffer.wrap(b);
            if (a instanceof Inet4Address) {
                return new FlowKey(4, 0, bb.getInt() & 0xFFFFFFFFL, port, 0, 0, 0);
            }
            return new FlowKey(6, bb.getLong(), bb.getLong(), port, 0, 0, 0);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FlowKey)) {
            return false;
        }
        FlowKey k = (FlowKey) o;
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
