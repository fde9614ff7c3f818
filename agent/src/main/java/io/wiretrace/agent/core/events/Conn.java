package io.wiretrace.agent.core.events;

import java.util.concurrent.atomic.AtomicLong;

/** One TCP connection of the app as its socket calls see it. */
public final class Conn {
    public final long id;
    public final String localAddress;
    public final int localPort;
    public final String remoteAddress;
    public final int remotePort;
    public final long openedNanos = System.nanoTime();
    /** The thread that opened it, or first used it. */
    public final String thread = Thread.currentThread().getName();
    public final AtomicLong bytesRead = new AtomicLong();
    public final AtomicLong bytesWritten = new AtomicLong();
    /** Who opened it: {@link #CLIENT} (the app connected), {@link #SERVER} (it accepted) or 0, not seen. */
    public volatile int role;
    /** The application protocol's state (HTTP/1.x), kept by the agent's core. */
    public Object protocol;
    /** When the app closed it (System.nanoTime), or 0. */
    public volatile long closedNanos;
    /** Its flow in the capture, once joined (the correlator's, on its lock). */
    public Object flow;

    public static final int CLIENT = 1;
    public static final int SERVER = 2;

    public Conn(long id, String localAddress, int localPort, String remoteAddress, int remotePort) {
        this.id = id;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
    }

    @Override
    public String toString() {
        return "conn " + id + " " + localAddress + ":" + localPort + " -> " + remoteAddress + ":" + remotePort;
    }
}
