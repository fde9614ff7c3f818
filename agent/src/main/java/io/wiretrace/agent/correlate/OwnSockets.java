package io.wiretrace.agent.correlate;

import io.wiretrace.analysis.tcp.Flow;
import io.wiretrace.analysis.tcp.FlowKey;
import io.wiretrace.analysis.tcp.ProcNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The TCP sockets of this JVM, as the kernel shows them to the process itself: the inodes of
 * /proc/self/fd's "socket:[inode]" links, found in /proc/self/net/tcp and tcp6 (the JVM's own
 * network namespace, so also in a container). Whatever opened them — JDK sockets or native
 * code such as Netty's epoll transport — a flow with one of these ends is the JVM's. Read on the
 * correlator's thread only; connections are remembered a while after they were last seen, at
 * most {@link #MAX_SOCKETS} of them.
 */
final class OwnSockets {
    static final int MAX_SOCKETS = 65_536;
    static final long REMEMBER_NANOS = 30_000_000_000L;
    private final Path fds;
    private final Path[] tables;
    /** Connections (own end in a, peer in b) → when last seen (ns since the epoch). */
    private final Map<FlowKey, Long> connections = new HashMap<>();
    /** Listening ends (a fields, port; address 0 = any) seen at the last refresh. */
    private Set<FlowKey> listeners = new HashSet<>();
    long refreshed;
    /**
     * What a reading takes (ns of the correlator's thread; the kernel writes every socket of the
     * namespace): the least of the last three, so that one slow reading (the first, cold) does not count.
     */
    long cost;
    private final long[] costs = new long[3];
    private int readings;
    boolean failed;

    OwnSockets() {
        this(Paths.get("/proc/self"));
    }

    OwnSockets(Path proc) {
        fds = proc.resolve("fd");
        tables = new Path[] {proc.resolve("net/tcp"), proc.resolve("net/tcp6")};
    }

    /** Reads them again; {@code now} in ns since the epoch. */
    void refresh(long now) {
        long began = System.nanoTime();
        try {
            read(now);
        } finally {
            costs[readings++ % costs.length] = System.nanoTime() - began;
            long least = Long.MAX_VALUE;
            for (int i = 0; i < Math.min(readings, costs.length); i++) {
                least = Math.min(least, costs[i]);
            }
            cost = least;
        }
    }

    private void read(long now) {
        refreshed = now;
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(fds)) {
            for (Path p : d) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException | UnsupportedOperationException e) {
                    continue; // closed meanwhile
                }
                if (target.startsWith("socket:[") && target.endsWith("]")) {
                    inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                }
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            return;
        }
        Set<FlowKey> listening = new HashSet<>();
        for (Path t : tables) {
            try (BufferedReader r = Files.newBufferedReader(t, StandardCharsets.US_ASCII)) {
                String line;
                while ((line = r.readLine()) != null) {
                    ProcNet s = ProcNet.parse(line);
                    if (s == null || !inodes.contains(s.inode)) {
                        continue;
                    }
                    if (s.listening) {
                        listening.add(s.key);
                    } else if (connections.size() < MAX_SOCKETS || connections.containsKey(s.key)) {
                        connections.put(s.key, now);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no IPv6 in this kernel, say: the other table still counts
            }
        }
        listeners = listening;
        for (Iterator<Long> it = connections.values().iterator(); it.hasNext();) {
            if (now - it.next() > REMEMBER_NANOS) {
                it.remove();
            }
        }
    }

    /**
     * Which end of the flow is this JVM's: 1 the client, 2 the server, 0 neither (as far as the
     * refreshes saw). A flow to a port the JVM listens on is its own though the connection came
     * and went between two refreshes.
     */
    int end(Flow f) {
        FlowKey client = new FlowKey(f.ipVersion(), f.clientHi(), f.clientLo(), f.clientPort(), f.serverHi(),
                f.serverLo(), f.serverPort());
        if (connections.containsKey(client)) {
            return 1;
        }
        FlowKey server = new FlowKey(f.ipVersion(), f.serverHi(), f.serverLo(), f.serverPort(), f.clientHi(),
                f.clientLo(), f.clientPort());
        if (connections.containsKey(server)) {
            return 2;
        }
        if (listeners.contains(new FlowKey(f.ipVersion(), f.serverHi(), f.serverLo(), f.serverPort(), 0, 0, 0))
                || listeners.contains(new FlowKey(f.ipVersion(), 0, 0, f.serverPort(), 0, 0, 0))
                || listeners.contains(new FlowKey(6, 0, 0, f.serverPort(), 0, 0, 0))) {
            return 2; // an IPv6 wildcard listener takes IPv4 connections too (unless v6only)
        }
        return 0;
    }

    /** Whether the JVM's client end of the flow was there at the last reading (a connect still trying). */
    boolean clientOpen(Flow f) {
        Long seen = connections.get(new FlowKey(f.ipVersion(), f.clientHi(), f.clientLo(), f.clientPort(), f.serverHi(),
                f.serverLo(), f.serverPort()));
        return seen != null && seen == refreshed;
    }

    int size() {
        return connections.size() + listeners.size();
    }
}
