package io.wiretrace.agent.capture;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;

/**
 * The capture interfaces as libpcap lists them in this process, with the flags {@code tcpdump -D}
 * prints (pcap4j 1.8.2 keeps only some of them, and not the connection status).
 */
public final class Interfaces {
    static final int LOOPBACK = 0x1;
    static final int UP = 0x2;
    static final int RUNNING = 0x4;
    static final int WIRELESS = 0x8;
    static final int STATUS = 0x30;
    static final int CONNECTED = 0x10;
    static final int DISCONNECTED = 0x20;
    static final int NOT_APPLICABLE = 0x30;

    static final class Nif {
        final String name;
        final String description;
        final int flags;

        Nif(String name, String description, int flags) {
            this.name = name;
            this.description = description;
            this.flags = flags;
        }

        /** As tcpdump -D prints it after "N.": name, description, flags. */
        String describe() {
            StringBuilder sb = new StringBuilder(name);
            if (description != null) {
                sb.append(" (").append(description).append(')');
            }
            if (flags != 0) {
                List<String> words = new ArrayList<>();
                if ((flags & UP) != 0) {
                    words.add("Up");
                }
                if ((flags & RUNNING) != 0) {
                    words.add("Running");
                }
                if ((flags & LOOPBACK) != 0) {
                    words.add("Loopback");
                }
                if ((flags & WIRELESS) != 0) {
                    words.add("Wireless");
                }
                sb.append(" [").append(words.isEmpty() ? "none" : String.join(", ", words));
                boolean wireless = (flags & WIRELESS) != 0;
                switch (flags & STATUS) {
                    case 0:
                        sb.append(wireless ? ", Association status unknown" : ", Connection status unknown");
                        break;
                    case CONNECTED:
                        sb.append(wireless ? ", Associated" : ", Connected");
                        break;
                    case DISCONNECTED:
                        sb.append(wireless ? ", Not associated" : ", Disconnected");
                        break;
                    default:
                        break;
                }
                sb.append(']');
            }
            return sb.toString();
        }
    }

    private Interfaces() {
    }

    static List<Nif> list() throws Capture.CaptureException {
        try {
            return listNative();
        } catch (LinkageError e) { // libpcap, or JNA's own native part (a musl JVM)
            throw Capture.CaptureException.noLibpcap(e);
        }
    }

    private static List<Nif> listNative() throws Capture.CaptureException {
        NativeLibrary pcap = NativeLibrary.getInstance(System.getProperty("org.pcap4j.core.pcapLibName", "pcap"));
        Memory head = new Memory(Native.POINTER_SIZE);
        Memory errbuf = new Memory(256); // PCAP_ERRBUF_SIZE
        int rc = pcap.getFunction("pcap_findalldevs").invokeInt(new Object[] {head, errbuf});
        if (rc != 0) {
            throw new Capture.CaptureException("cannot list capture interfaces: " + errbuf.getString(0));
        }
        List<Nif> out = new ArrayList<>();
        Pointer first = head.getPointer(0);
        try {
            // struct pcap_if { pcap_if *next; char *name; char *description; pcap_addr *addresses; u_int flags; }
            int p = Native.POINTER_SIZE;
            for (Pointer i = first; i != null; i = i.getPointer(0)) {
                Pointer name = i.getPointer(p);
                Pointer desc = i.getPointer(2L * p);
                out.add(new Nif(name.getString(0), desc == null ? null : desc.getString(0), i.getInt(4L * p)));
            }
        } finally {
            if (first != null) {
                Function free = pcap.getFunction("pcap_freealldevs");
                free.invokeVoid(new Object[] {first});
            }
        }
        return out;
    }

    /** tcpdump -D's list: "1.eth0 [Up, Running, Connected]", one per line. */
    public static String describeAll() throws Capture.CaptureException {
        StringBuilder sb = new StringBuilder();
        List<Nif> all = list();
        for (int i = 0; i < all.size(); i++) {
            sb.append(i + 1).append('.').append(all.get(i).describe()).append('\n');
        }
        return sb.toString().trim();
    }

    /** -i as tcpdump takes it: a name, or a number from the list. */
    static String resolve(String given, List<Nif> all) throws Capture.CaptureException {
        List<String> names = new ArrayList<>();
        for (Nif n : all) {
            names.add(n.name);
        }
        if (names.contains(given)) {
            return given;
        }
        if (given.matches("[0-9]+")) {
            int n = Integer.parseInt(given);
            if (n >= 1 && n <= all.size()) {
                return all.get(n - 1).name;
            }
            throw new Capture.CaptureException("there is no interface number " + given + " (1 to " + all.size()
                    + "; `wiretrace interfaces <target>` lists them)", true);
        }
        throw new Capture.CaptureException("no capture interface named '" + given + "'; this host has: "
                + String.join(", ", names), true);
    }
}
