package io.wiretrace.agent.capture;

import java.nio.ByteBuffer;

/**
 * What the capture's readers hand every packet to, on their thread, a chunk at a time under one
 * lock (the correlator). The capture never depends on what it does with them.
 */
public interface PacketSink {
    /**
     * One captured frame ({@code capLen} bytes at {@code offset}), its time in ns since the epoch.
     * Returns the comment for its pcapng block (UTF-8), or null.
     */
    byte[] packet(int linkType, ByteBuffer buf, int offset, int capLen, int origLen, long nanos);

    /** Whether the packet just handed over should get room for a comment written later; see {@link #placed}. */
    boolean reserve();

    /** Where the capture file put that room (-1: nowhere). */
    void placed(long location);

    /** Runs {@code r} under the lock that {@link #packet} is called under (a chunk of records at a time). */
    Object lock();
}
