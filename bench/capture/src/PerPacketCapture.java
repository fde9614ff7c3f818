import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.concurrent.TimeoutException;

/**
 * Design B, today's agent: one thread calls pcap4j's getNextRawPacketEx() per packet and writes
 * each packet as a pcapng EPB. The loop, the flush policy and stop() are a copy of
 * agent/src/main/java/io/wiretrace/agent/core/Capture.java (2026-11-26), so that the benchmark
 * measures today's path even while the agent is being rewritten.
 */
final class PerPacketCapture extends CaptureBase {
    private static final long FLUSH_NANOS = 500_000_000L;

    private final PcapngOut out;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean draining;
    private long lastFlush = System.nanoTime();

    PerPacketCapture(String iface, String filter, Path file) throws Exception {
        super(iface, filter, file);
        out = new PcapngOut(file, "wiretrace-bench B");
        out.addInterface(handle.getDlt().value(), SNAPLEN, iface);
        thread = thread("wiretrace-capture", this::run);
    }

    @Override
    void start() {
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                byte[] data;
                try {
                    data = handle.getNextRawPacketEx();
                } catch (TimeoutException e) {
                    if (draining) {
                        break;
                    }
                    flushIfDue(true);
                    continue;
                } catch (EOFException e) {
                    break;
                }
                Timestamp ts = handle.getTimestamp();
                long nanos = Math.floorDiv(ts.getTime(), 1000L) * 1_000_000_000L + ts.getNanos();
                Integer original = handle.getOriginalLength();
                out.packet(0, nanos, data, original != null ? original : data.length);
                packets++;
                bytes += data.length;
                flushIfDue(false);
            }
        } catch (Throwable t) {
            if (running) {
                fail(this, t);
            }
        } finally {
            try {
                out.flush();
            } catch (IOException e) {
                fail(this, e);
            }
        }
    }

    private void flushIfDue(boolean idle) throws IOException {
        long now = System.nanoTime();
        if (idle || now - lastFlush > FLUSH_NANOS) {
            out.flush();
            lastFlush = now;
        }
    }

    @Override
    void stop() throws Exception {
        draining = true;
        thread.join(2L * TIMEOUT_MILLIS + 50);
        running = false;
        try {
            handle.breakLoop();
        } catch (Exception ignored) {
            // closed below either way
        }
        thread.join(2000);
        out.close();
    }
}
