package io.wiretrace.cli.it;

import io.wiretrace.analysis.pcap.CaptureFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The packets of a classic pcap or a pcapng file, through the agent's capture file reader, for
 * comparing captures packet by packet. A file still being written may end inside a record: that
 * tail is ignored. (tshark stays the judge of whether a file is valid; this only lists what is in it.)
 */
final class Savefile {
    record Packet(int iface, long nanos, int originalLength, byte[] data) {
        /** Timestamp, lengths and bytes: what two captures of the same packet share. */
        String key() {
            return nanos + "/" + originalLength + "/" + data.length + "/" + Arrays.hashCode(data);
        }
    }

    private Savefile() {
    }

    static List<Packet> read(Path file) throws IOException {
        List<Packet> out = new ArrayList<>();
        CaptureFile.read(file, (iface, linkType, nanos, buf, offset, captured, original) -> {
            byte[] data = new byte[captured];
            buf.get(offset, data);
            out.add(new Packet(iface, nanos, original, data));
        });
        return out;
    }
}
