package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiretrace.sample.Server;
import io.wiretrace.sample.Upstream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default interface (any) and -s as tcpdump means it: packets cut to N bytes keep their original length. */
class CaptureOptionsIT {
    @TempDir
    Path tmp;

    @Test
    void defaultInterfaceAndSnaplen() throws Exception {
        try (Server upstream = new Upstream(0).server(0).start();
                Harness.App app = Harness.shop(Harness.currentJava(), upstream.port())) {
            Path out = tmp.resolve("out");
            String started = Harness.cli("start", app.pid(), "-s", "96", "-w", out.toString(), "tcp port " + app.port)
                    .expect(0).out;
            assertTrue(started.contains("capturing on any") && started.contains("snaplen 96"), started);
            String item = "x".repeat(400); // a request and a response larger than 96 bytes
            String[] r = Harness.get(app.port, "/orders?item=" + item);
            assertTrue(r[1].startsWith("HTTP/1.1 200"), r[1]);
            Harness.cli("stop", app.pid()).expect(0);

            Path pcapng = out.resolve("trace.pcapng");
            List<String> frames = Evidence.tshark("-r", pcapng.toString(), "-T", "fields",
                    "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_name").lines()
                    .filter(l -> !l.isBlank()).toList();
            assertTrue(frames.size() >= 6, "too few packets: " + frames);
            boolean cut = false;
            for (String f : frames) {
                String[] v = f.split("\t");
                int len = Integer.parseInt(v[0]);
                int cap = Integer.parseInt(v[1]);
                assertEquals(Math.min(len, 96), cap, "captured length of " + f);
                assertEquals("any", v[2]);
                cut |= len > 96;
            }
            assertTrue(cut, "no packet was longer than the snaplen: " + frames);
            assertTrue(Evidence.pcapFlows(pcapng).contains(
                    Evidence.flow("127.0.0.1", Integer.parseInt(r[0]), "127.0.0.1", app.port)));
        }
    }
}
