package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A capture started while packets flow has no hole at its start. libpcap swaps a filter in by
 * putting a reject-all filter on the socket first: what arrives in between is lost, uncounted,
 * while what came before the swap is still in the ring. A file would hold a few packets, a hole,
 * and the rest; tshark marks the hole in a TCP flow as segments not captured. wiretrace's files
 * begin after the swap, also when tcpdump captures for the JVM (it writes its file header after
 * its swap). Numbered UDP datagrams at about 50,000 a second, a capture started and
 * stopped over them a few times: each file's numbers run without a gap.
 */
class CaptureStartIT {
    private static final int ROUNDS = 4;
    private static final int RATE = 50_000;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "--packets {0}")
    @ValueSource(strings = {"app", "outside"})
    void aCaptureStartedUnderTrafficBeginsWithoutAHole(String packets) throws Exception {
        List<String> rounds = new ArrayList<>();
        try (Harness.App app = Harness.idle()) {
            for (int round = 0; round < ROUNDS; round++) {
                Path out = tmp.resolve("out-" + round);
                AtomicBoolean sending = new AtomicBoolean(true);
                AtomicReference<Throwable> failed = new AtomicReference<>();
                try (Traffic traffic = new Traffic()) {
                    Thread sender = new Thread(() -> {
                        try {
                            while (sending.get()) {
                                traffic.send(5_000, 200, RATE);
                            }
                        } catch (Throwable t) {
                            failed.set(t);
                        }
                    }, "capture-start-traffic");
                    sender.start();
                    try {
                        Harness.cli("start", app.pid(), "-i", "lo", "--packets", packets, "-w", out.toString(),
                                traffic.filter()).expect(0);
                        Path file = out.resolve("trace.pcapng");
                        // about 10,000 datagrams (a second's worth) in the file
                        assertTrue(Harness.await(Duration.ofSeconds(30), () -> file.toFile().length() >= 1_500_000),
                                "the capture wrote no 1.5 MB");
                    } finally {
                        sending.set(false);
                        sender.join(30_000);
                    }
                    String stopped = Harness.cli("stop", app.pid()).expect(0).out;
                    assertEquals(null, failed.get(), "sending");
                    assertTrue(Pattern.compile("(?m)^0 packets dropped by kernel").matcher(stopped).find(), stopped);
                    assertFalse(Pattern.compile("[1-9]\\d* packets? dropped by (kernel|wiretrace)").matcher(stopped).find(),
                            stopped);
                    List<Savefile.Packet> got = Savefile.read(out.resolve("trace.pcapng"));
                    List<String> holes = new ArrayList<>();
                    long previous = -1;
                    for (int i = 0; i < got.size(); i++) {
                        long n = number(got.get(i).data());
                        if (previous >= 0 && n != previous + 1) {
                            holes.add("packet " + i + ": datagram " + n + " after " + previous);
                        }
                        previous = n;
                    }
                    rounds.add("round " + round + ": " + got.size() + " packets of " + traffic.sent + " sent, holes "
                            + holes);
                    assertTrue(holes.isEmpty(), String.join("\n", rounds));
                }
            }
        }
        System.out.println("CaptureStartIT --packets " + packets + " " + String.join("\n", rounds));
    }

    /** The datagram's number: the first 8 bytes of its payload, behind Ethernet, IPv4 and UDP headers. */
    private static long number(byte[] frame) {
        int ip = 14;
        int udp = ip + (frame[ip] & 0x0f) * 4;
        return ByteBuffer.wrap(frame, udp + 8, 8).getLong();
    }
}
