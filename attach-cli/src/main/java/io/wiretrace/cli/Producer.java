package io.wiretrace.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guard of a capture made outside the target JVM (see {@link Outside}): a small process of
 * its own, started by the CLI in a session of its own so that it outlives a {@code start}, that
 * runs the capture command (tcpdump writing classic pcap to its standard output, which is the
 * FIFO the agent reads) and ends it as soon as any of these holds: the agent no longer holds the
 * FIFO open (its capture stopped), the target process is gone (or its pid was reused), or the
 * deadline passed. So the capture process never outlives both the capture and the target.
 *
 * <p>Usage: {@code Producer PID STARTED UNTIL_MILLIS FIFO LOG -- COMMAND...}; UNTIL_MILLIS 0 means
 * no deadline.
 */
public final class Producer {
    static final long TICK_MILLIS = 200;
    /** How long the agent has to open its end of the FIFO. */
    static final long OPEN_MILLIS = TimeUnit.SECONDS.toMillis(60);

    private Producer() {
    }

    public static void main(String[] args) throws Exception {
        int dash = Arrays.asList(args).indexOf("--");
        if (dash != 5 || args.length < 7) {
            System.err.println("usage: Producer PID STARTED UNTIL_MILLIS FIFO LOG -- COMMAND...");
            System.exit(2);
        }
        long pid = Long.parseLong(args[0]);
        String started = args[1];
        long until = Long.parseLong(args[2]);
        Path fifo = Paths.get(args[3]);
        File log = new File(args[4]);
        List<String> command = new ArrayList<>(Arrays.asList(args).subList(dash + 1, args.length));
        String fifoId = id(fifo);

        // Opening the FIFO for writing waits for the agent to open it for reading: not forever.
        Thread guard = new Thread(() -> {
            long end = System.currentTimeMillis() + OPEN_MILLIS;
            while (!opened && System.currentTimeMillis() < end && targetAlive(pid, started)) {
                sleep(TICK_MILLIS);
            }
            if (!opened) {
                deleteQuietly(fifo);
                Runtime.getRuntime().halt(3);
            }
        }, "open-guard");
        guard.setDaemon(true);
        guard.start();
        Process capture = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(fifo.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(log)).start();
        opened = true;
        String why = watch(capture, pid, started, until, fifoId);
        if (why != null) {
            capture.destroy();
            if (!capture.waitFor(2, TimeUnit.SECONDS)) {
                capture.destroyForcibly();
            }
            Files.writeString(log.toPath(), "wiretrace: the capture process ended because " + why + "\n",
                    java.nio.file.StandardOpenOption.APPEND);
        }
        deleteQuietly(fifo);
        System.exit(capture.waitFor());
    }

    private static volatile boolean opened;

    private static String id(Path p) throws IOException {
        return Files.getAttribute(p, "unix:dev") + ":" + Files.getAttribute(p, "unix:ino");
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the CLI's stop removes the directory
        }
    }

    /** Waits until the capture process ends (null) or must end (why). */
    private static String watch(Process capture, long pid, String started, long until, String fifoId) throws Exception {
        int tick = 0;
        while (!capture.waitFor(TICK_MILLIS, TimeUnit.MILLISECONDS)) {
            if (!targetAlive(pid, started)) {
                return "the target process " + pid + " is gone";
            }
            if (until > 0 && System.currentTimeMillis() > until) {
                return "its deadline " + Instant.ofEpochMilli(until) + " passed";
            }
            if (++tick % 5 == 0 && !holds(pid, fifoId)) {
                return "the agent in " + pid + " closed its end (its capture stopped)";
            }
        }
        return null;
    }

    static boolean targetAlive(long pid, String started) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && started.equals(Proc.started(pid));
    }

    /** Whether a file descriptor of {@code pid} is the FIFO (by device and inode, whatever its name there). */
    static boolean holds(long pid, String fifoId) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (fifoId.equals(id(fd))) {
                        return true;
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
            return false;
        } catch (IOException e) {
            return false; // the process is gone
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
