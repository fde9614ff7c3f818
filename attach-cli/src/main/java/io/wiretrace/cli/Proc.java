package io.wiretrace.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process as /proc describes it, read before wiretrace attaches to it. Attaching sends SIGQUIT
 * to a JVM that has not started its attach listener yet: a JVM catches it, any other process
 * (whose SIGQUIT has the default action) dies of it.
 */
final class Proc {
    /** SIGQUIT is signal 3: bit 2 of the SigCgt mask. */
    private static final long SIGQUIT = 1L << 2;
    /** CAP_NET_RAW is capability 13 of the CapEff mask. */
    private static final long CAP_NET_RAW = 1L << 13;

    final long pid;
    /** The effective uid: the one the kernel and the target's attach listener check. */
    final int uid;
    /** The effective gid. */
    final int gid;
    /** Its pid in its innermost pid namespace (a container's): the name of its perfdata file there. */
    final long nsPid;
    /** SigCgt: the signals it has a handler for. */
    private final long caught;
    /** CapEff: its effective capabilities. */
    private final long capabilities;

    private Proc(long pid, int uid, int gid, long nsPid, long caught, long capabilities) {
        this.pid = pid;
        this.uid = uid;
        this.gid = gid;
        this.nsPid = nsPid;
        this.caught = caught;
        this.capabilities = capabilities;
    }

    /** The process {@code pid}, or null when there is none (or it ended while being read). */
    static Proc read(long pid) {
        String status;
        try {
            status = Files.readString(dir(pid).resolve("status"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
        int uid = -1;
        int gid = -1;
        long nsPid = pid;
        long caught = 0;
        long capabilities = 0;
        for (String line : status.split("\n")) {
            String[] f = line.split("\\s+");
            if (f[0].equals("Uid:") && f.length > 2) {
                uid = Integer.parseInt(f[2]);
            } else if (f[0].equals("Gid:") && f.length > 2) {
                gid = Integer.parseInt(f[2]);
            } else if (f[0].equals("CapEff:") && f.length > 1) {
                capabilities = Long.parseUnsignedLong(f[1], 16);
            } else if (f[0].equals("NSpid:")) {
                nsPid = Long.parseLong(f[f.length - 1]); // the innermost; kernels before 4.1 have no NSpid
            } else if (f[0].equals("SigCgt:") && f.length > 1) {
                caught = Long.parseUnsignedLong(f[1], 16);
            }
        }
        return uid < 0 || gid < 0 ? null : new Proc(pid, uid, gid, nsPid, caught, capabilities);
    }

    /** Whether it may open a packet socket: CAP_NET_RAW in its effective set. */
    boolean mayCapture() {
        return (capabilities & CAP_NET_RAW) != 0;
    }

    /** When it started, so that a pid reused by a later process is not taken for it ("?" if unknown). */
    static String started(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).map(Object::toString).orElse("?");
    }

    static Proc self() {
        return read(ProcessHandle.current().pid());
    }

    /** Why attaching could kill it or reach no JVM; null when it looks like a JVM. */
    String notAJvm() {
        if ((caught & SIGQUIT) == 0) {
            return "it does not catch SIGQUIT, which attaching sends (a JVM does, unless started with -Xrs),"
                    + " so it would be killed";
        }
        String maps;
        try {
            maps = new String(Files.readAllBytes(dir(pid).resolve("maps")), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null; // not readable to us (an undumpable process): the SIGQUIT check above stands
        }
        return maps.contains("/libjvm.so") ? null : "it has no libjvm.so mapped";
    }

    /** The user it runs as, by name: /proc/<pid> is owned by that user (unless the process is undumpable). */
    String user() {
        try {
            if (Files.getAttribute(dir(pid), "unix:uid").equals(uid)) {
                return Files.getOwner(dir(pid)).getName();
            }
        } catch (IOException | RuntimeException e) {
            // the uid below
        }
        return "uid " + uid;
    }

    private static Path dir(long pid) {
        return Path.of("/proc", String.valueOf(pid));
    }
}
