import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNetworkInterface;

/**
 * One-off checks of the libpcap/pcap4j behaviour design A relies on, printed as PROBE lines:
 * FIFO open order, pcap_loop with no traffic, breakLoop() latency, breakLoop() before loop(),
 * and handle.close() while a loop runs. Usage: Probe PORT (a UDP port that gets no traffic).
 */
public final class Probe {
    static PcapHandle open(int port) throws Exception {
        PcapHandle h = new PcapHandle.Builder("lo").snaplen(262144)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(100).bufferSize(32 << 20)
                .timestampPrecision(PcapHandle.TimestampPrecision.NANO).build();
        h.setFilter("udp port " + port, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN);
        return h;
    }

    static Path fifo() throws Exception {
        Path dir = Files.createTempDirectory("probe-");
        Path p = dir.resolve("f");
        if (DumpCapture.LibC.INSTANCE.mkfifo(p.toString(), 0600) != 0) {
            throw new IllegalStateException("mkfifo");
        }
        return p;
    }

    static Thread loopThread(PcapHandle h, PcapDumper d, long[] returnedAt, String[] how) {
        Thread t = new Thread(() -> {
            try {
                h.loop(-1, d);
                how[0] = "returned normally";
            } catch (InterruptedException e) {
                how[0] = "InterruptedException (PCAP_ERROR_BREAK)";
            } catch (Exception e) {
                how[0] = e.toString();
            }
            returnedAt[0] = System.nanoTime();
        }, "probe-loop");
        t.setDaemon(true);
        return t;
    }

    @SuppressWarnings("try") // the FileChannel below is opened only for its effect
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);

        // 1. dumpOpen on a FIFO nobody reads: fopen("w") blocks in open(2)
        {
            PcapHandle h = open(port);
            Path f = fifo();
            PcapDumper[] d = new PcapDumper[1];
            Thread t = new Thread(() -> {
                try {
                    d[0] = h.dumpOpen(f.toString());
                } catch (Exception e) {
                    // reported below
                }
            });
            t.setDaemon(true);
            t.start();
            t.join(1000);
            System.out.println("PROBE fifo_dumpOpen_without_reader blocked_after_1s=" + t.isAlive());
            try (FileChannel r = FileChannel.open(f, StandardOpenOption.READ)) { // unblocks it
                t.join(1000);
                System.out.println("PROBE fifo_dumpOpen_after_reader_opens returned=" + !t.isAlive());
                d[0].close();
            }
            h.close();
            Files.delete(f);
            Files.delete(f.getParent());
        }

        // 2. pcap_loop into a dumper with no traffic: does it ever return by itself? then breakLoop latency
        {
            PcapHandle h = open(port);
            Path f = fifo();
            FileChannel rw = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PcapDumper d = h.dumpOpen(f.toString());
            FileChannel r = FileChannel.open(f, StandardOpenOption.READ);
            rw.close();
            long[] at = {0};
            String[] how = {null};
            Thread t = loopThread(h, d, at, how);
            t.start();
            t.join(3000);
            System.out.println("PROBE loop_no_traffic still_running_after_3s=" + t.isAlive());
            // handle.close() while the loop runs: pcap4j's close() takes the handle's write lock,
            // which the running loop() holds for reading
            Thread closer = new Thread(h::close);
            closer.setDaemon(true);
            closer.start();
            closer.join(1000);
            System.out.println("PROBE close_while_loop_runs blocked_after_1s=" + closer.isAlive());
            long t0 = System.nanoTime();
            h.breakLoop();
            t.join(3000);
            System.out.println("PROBE breakLoop_no_traffic loop_ended=" + !t.isAlive() + " after_us="
                    + (at[0] - t0) / 1000 + " how=" + how[0].replace(' ', '_'));
            closer.join(3000);
            System.out.println("PROBE close_after_loop_ended returned=" + !closer.isAlive());
            d.close();
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(100);
            int n = r.read(b);
            int eof = r.read(java.nio.ByteBuffer.allocate(10));
            System.out.println("PROBE fifo_after_dumper_close read_bytes=" + n + " then=" + eof + " (24 = pcap file header, -1 = EOF)");
            r.close();
            Files.delete(f);
            Files.delete(f.getParent());
        }

        // 3. breakLoop() before loop() starts (stop() racing start())
        {
            PcapHandle h = open(port);
            Path f = Files.createTempFile("probe", ".pcap");
            PcapDumper d = h.dumpOpen(f.toString());
            h.breakLoop();
            long[] at = {0};
            String[] how = {null};
            Thread t = loopThread(h, d, at, how);
            long t0 = System.nanoTime();
            t.start();
            t.join(2000);
            System.out.println("PROBE breakLoop_before_loop loop_ended=" + !t.isAlive()
                    + (t.isAlive() ? "" : " after_us=" + (at[0] - t0) / 1000 + " how=" + how[0].replace(' ', '_')));
            if (t.isAlive()) {
                h.breakLoop();
                t.join(2000);
            }
            d.close();
            h.close();
            Files.delete(f);
        }
    }
}
