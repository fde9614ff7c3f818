package io.wiretrace.analysis.offline;

import static io.wiretrace.analysis.tcp.Frame.ACK;
import static io.wiretrace.analysis.tcp.Frame.FIN;
import static io.wiretrace.analysis.tcp.Frame.SYN;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Capture files made up packet by packet, for the tests of what is read from them. */
public final class SyntheticCapture {
    static final int CLIENT = 0x0a000001; // 10.0.0.1
    static final int SERVER = 0x0a000002; // 10.0.0.2

    private SyntheticCapture() {
    }

    /** One TCP connection from 10.0.0.1:port to 10.0.0.2:80; the client's sequence numbers wrap. */
    public static final class Tcp {
        private final Pcapng cap;
        private final int port;
        private final int[] isn = {0xFFFF_FFF0, 0x1234_5678};
        private final int[] next = isn.clone();

        public Tcp(Pcapng cap, int port) {
            this.cap = cap;
            this.port = port;
        }

        public void client(long nanos, int flags, String data, String... comments) {
            send(0, nanos, flags, data, comments);
        }

        public void server(long nanos, int flags, String data, String... comments) {
            send(1, nanos, flags, data, comments);
        }

        private void send(int side, long nanos, int flags, String data, String... comments) {
            byte[] payload = data.getBytes(StandardCharsets.ISO_8859_1);
            int seq = (flags & SYN) != 0 ? isn[side] : next[side];
            int ack = (flags & ACK) != 0 ? next[1 - side] : 0;
            boolean c = side == 0;
            cap.packet(nanos, frame(c ? CLIENT : SERVER, c ? port : 80, c ? SERVER : CLIENT, c ? 80 : port, seq, ack,
                    flags, payload), comments);
            next[side] = seq + payload.length + ((flags & (SYN | FIN)) != 0 ? 1 : 0);
        }
    }

    /** Ethernet, IPv4, TCP without options. */
    static byte[] frame(int src, int sport, int dst, int dport, int seq, int ack, int flags, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(54 + payload.length);
        b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payload.length)).putShort((short) 1)
                .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0).putInt(src).putInt(dst);
        b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack).put((byte) 0x50).put((byte) flags)
                .putShort((short) 64240).putInt(0).put(payload);
        return b.array();
    }

    /** A little-endian pcapng file: one section, one Ethernet interface with nanosecond timestamps. */
    public static final class Pcapng {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Pcapng() {
            block(0x0A0D0D0A, body(16).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1));
            block(1, body(20).putShort((short) 1).putShort((short) 0).putInt(0)
                    .putShort((short) 9).putShort((short) 1).put((byte) 9).put(new byte[3]).putInt(0));
        }

        public void packet(long nanos, byte[] frame, String... comments) {
            ByteBuffer b = body(64 + frame.length + 256 * Math.min(comments.length, 16) + 8 * comments.length);
            b.putInt(0).putInt((int) (nanos >>> 32)).putInt((int) nanos).putInt(frame.length).putInt(frame.length)
                    .put(frame);
            pad(b);
            for (String c : comments) {
                byte[] text = c.getBytes(StandardCharsets.UTF_8);
                b.putShort((short) 1).putShort((short) text.length).put(text);
                pad(b);
            }
            if (comments.length > 0) {
                b.putInt(0);
            }
            block(6, b);
        }

        public Path write(Path file) throws IOException {
            return Files.write(file, out.toByteArray());
        }

        private static ByteBuffer body(int capacity) {
            return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        }

        private static void pad(ByteBuffer b) {
            while ((b.position() & 3) != 0) {
                b.put((byte) 0);
            }
        }

        private void block(int type, ByteBuffer body) {
            body.flip();
            int len = 12 + body.remaining();
            ByteBuffer b = body(len).putInt(type).putInt(len).put(body).putInt(len);
            out.write(b.array(), 0, len);
        }
    }
}
