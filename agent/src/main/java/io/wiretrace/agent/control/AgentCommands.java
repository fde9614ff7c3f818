package io.wiretrace.agent.control;

import io.wiretrace.agent.capture.Capture;
import io.wiretrace.agent.capture.Interfaces;
import io.wiretrace.agent.capture.Ticker;
import io.wiretrace.analysis.protocol.Args;
import io.wiretrace.analysis.protocol.Build;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import io.wiretrace.analysis.protocol.StartOptions;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The agent core's entry: runs one command (start, status, stop) and answers it as an agent
 * property the CLI reads through the Attach API or, when started with -javaagent, on stderr.
 * While a capture runs, its status is published every second, and a stop can be asked for
 * with a request file, so that {@code status}, collect's progress and {@code stop} need no further
 * agent load.
 */
public final class AgentCommands {
    /** How many replies stay published: a CLI reads its own right after its load returns. */
    private static final int KEPT_REPLIES = 8;
    /** How often the output directory is looked at for a stop request. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /**
     * Every fourth tick, once a second: the status, the progress, and the recordings' thresholds.
     * Each round builds the status's text in code that runs too seldom to be compiled soon: twice a
     * second, this thread took 1.3-1.8 ms of CPU a second of an idle capture.
     */
    private static final int PUBLISH_TICKS = 4;
    private static final Deque<String> replies = new ArrayDeque<>();
    /** A stop request is a line of a few keys. */
    private static final int MAX_REQUEST = 4096;
    private static volatile Session session;
    /** The running capture's session id, or null. */
    private static String sessionId;
    /** When the current session stops by itself (collect's guard against a CLI that went away), or null. */
    private static Instant deadline;
    private static Thread deadlineThread;

    private AgentCommands() {
    }

    public static synchronized void execute(String text, Instrumentation inst, boolean premain) {
        Args args = null;
        Reply reply;
        try {
            args = Args.parse(text);
            try {
                BootstrapInstaller.prepare(inst); // also opens the agent properties to this module
            } finally {
                AgentProperties.publish(Commands.BUILD_PROPERTY, Build.id()); // which build answers, also a refusal
                if (session == null) {
                    AgentProperties.publish(Commands.STATUS_PROPERTY, idleStatus());
                }
            }
            String cli = args.get(Commands.BUILD, null);
            if (cli != null && !cli.equals(Build.id()) && !Commands.readsOrEnds(args.command())) {
                throw new IllegalStateException(Commands.skew(String.valueOf(ProcessHandle.current().pid()), Build.id(), cli));
            }
            args.only(Commands.keys(args.command()));
            if (Commands.STOP.equals(args.command()) && Commands.isToken(args.get(Commands.REPLY, null))) {
                stopLater(args);
                return;
            }
            reply = run(args, inst);
        } catch (IllegalArgumentException e) {
            reply = Reply.usage(e.getMessage());
        } catch (Capture.CaptureException e) {
            reply = e.usage ? Reply.usage(e.getMessage()) : Reply.failed(e.getMessage());
        } catch (IllegalStateException e) {
            reply = Reply.failed(e.getMessage());
        } catch (Throwable t) {
            reply = Reply.failed("agent error: " + t);
        }
        answer(args, reply, premain);
    }

    private static Reply run(Args args, Instrumentation inst) throws Exception {
        long began = System.nanoTime();
        switch (args.command()) {
            case "start":
                if (session != null) {
                    return Reply.failed("a capture is already running (since " + session.startedAt
                            + ", writing to " + session.dir + "); stop it first");
                }
                String id = args.get(Commands.SESSION, UUID.randomUUID().toString().substring(0, 8));
                if (!Commands.isToken(id)) {
                    throw new IllegalArgumentException("session must be 1 to 64 letters, digits or dashes, not '" + id + "'");
                }
                StartOptions options = StartOptions.parse(args.values());
                Duration limit = options.deadline;
                Session s = Session.start(options, inst, AgentCommands::stopIfCurrent);
                session = s;
                sessionId = id;
                if (limit != null) {
                    stopAt(s, Instant.now().plus(limit));
                }
                publishWhileRunning(s);
                return Reply.ok("session: " + id + "\n" + s.describeStart()
                        + (deadline != null ? "\nstops by itself at " + deadline : "")
                        + "\nstarted in " + (System.nanoTime() - began) / 1_000_000 + " ms");
            case "interfaces":
                return Reply.ok(Interfaces.describeAll());
            case "status":
                return Reply.ok(session == null ? idleStatus() : status(session));
            case "progress":
                return session == null ? Reply.ok("state=idle") : Reply.ok(session.progress());
            case "stop":
                return stop(args.get(Commands.SESSION, null));
            default:
                throw new IllegalArgumentException("unknown agent command '" + args.command()
                        + "' (expected start, status, progress, stop or interfaces)");
        }
    }

    /**
     * A stop asked for through the Attach API runs on a thread of the agent's: the Attach Listener
     * (which the JVM's exit and every other attach wait on) is free at once, and the CLI waits for
     * the published reply, as it does for a stop file's.
     */
    private static void stopLater(Args args) {
        Capture.daemon("wiretrace-stop", () -> {
            synchronized (AgentCommands.class) {
                Reply reply;
                try {
                    reply = stop(args.get(Commands.SESSION, null));
                } catch (Throwable t) {
                    reply = Reply.failed("agent error: " + t);
                }
                answer(args, reply, false);
            }
        }).start();
    }

    /** The stop command: ends the capture, only if it is session {@code wanted} when that is not null. */
    private static synchronized Reply stop(String wanted) {
        long began = System.nanoTime();
        if (session == null) {
            return Reply.failed("no capture is running");
        }
        if (wanted != null && !wanted.equals(sessionId)) {
            return Reply.failed("the capture running is session " + sessionId + " (since " + session.startedAt
                    + "), not " + wanted + "; it is left running");
        }
        String stopped = stopIfCurrent(session);
        return Reply.ok(stopped + "\nstopped in " + (System.nanoTime() - began) / 1_000_000 + " ms");
    }

    /** Ends {@code s} if it is still the current session; also the shutdown hook's way in. */
    static synchronized String stopIfCurrent(Session s) {
        if (session != s) {
            return null;
        }
        session = null;
        sessionId = null;
        deadline = null;
        if (deadlineThread != null) {
            LockSupport.unpark(deadlineThread);
            deadlineThread = null;
        }
        String stopped = s.stop();
        AgentProperties.remove(Commands.SESSION_PROPERTY);
        AgentProperties.remove(Commands.DIR_PROPERTY);
        AgentProperties.remove(Commands.PROGRESS_PROPERTY);
        AgentProperties.remove(Commands.PUBLISHED_PROPERTY);
        AgentProperties.publish(Commands.STATUS_PROPERTY, idleStatus());
        return stopped;
    }

    private static String status(Session s) {
        return status(s, s.stats());
    }

    private static String status(Session s, Capture.Stats st) {
        return "session: " + sessionId + "\n" + s.status(st) + (deadline != null ? "\nstops by itself at " + deadline : "")
                + "\nagent: wiretrace " + Build.id();
    }

    private static String idleStatus() {
        return "state: idle (no capture running)\nagent: wiretrace " + Build.id();
    }

    /**
     * Publishes the session, its status and its progress line now and then every second while
     * {@code s} runs: the CLI reads them without loading the agent again (each load stays in
     * the JVM for good, and JDK 21+ prints a warning for it).
     */
    private static void publishWhileRunning(Session s) {
        AgentProperties.publish(Commands.SESSION_PROPERTY, sessionId);
        AgentProperties.publish(Commands.DIR_PROPERTY, s.dir.toString());
        try {
            AgentProperties.publish(Commands.INTERFACES_PROPERTY, Interfaces.describeAll());
        } catch (Throwable t) {
            AgentProperties.publish(Commands.INTERFACES_PROPERTY, "not known: " + t);
        }
        publish(s);
        Path request = s.dir.resolve(Commands.STOP_FILE);
        Ticker ticks = new Ticker();
        Capture.daemon("wiretrace-status", () -> {
            try {
                for (long tick = 1;; tick++) {
                    ticks.await(TICK_NANOS);
                    boolean publishing = tick % PUBLISH_TICKS == 0;
                    if (publishing) {
                        // outside the lock: JFR's own, which this takes, may be held while a recording is written out
                        s.readThresholds();
                    }
                    synchronized (AgentCommands.class) {
                        if (session != s) {
                            return;
                        }
                        try {
                            // File.exists first: Files.exists makes an exception for every absent file, four
                            // times a second (a link to nothing is no request, and is left alone)
                            if (request.toFile().exists() && Files.exists(request, LinkOption.NOFOLLOW_LINKS)) {
                                stopAsked(request);
                            } else if (publishing) {
                                publish(s);
                            }
                        } catch (Throwable t) {
                            // the next round tries again; a CLI whose request stays unread loads the agent
                        }
                    }
                }
            } finally {
                ticks.close();
            }
        }).start();
    }

    /**
     * A stop asked for with a file in the output directory (its owner or root put it there):
     * the CLI stops a capture without loading the agent again. The file holds the reply token
     * and, optionally, the session; the answer is published like a command's.
     */
    private static void stopAsked(Path request) {
        Args args = null;
        Reply reply;
        try {
            String text;
            // a regular file, read without following a link; anything else is not a request
            try (InputStream in = Files.isRegularFile(request, LinkOption.NOFOLLOW_LINKS)
                    ? Files.newInputStream(request, LinkOption.NOFOLLOW_LINKS) : InputStream.nullInputStream()) {
                text = new String(in.readNBytes(MAX_REQUEST), StandardCharsets.UTF_8).trim();
            }
            Files.delete(request);
            args = Args.parse(text);
            args.only(Commands.keys(Commands.STOP));
            reply = Commands.STOP.equals(args.command()) ? stop(args.get(Commands.SESSION, null))
                    : Reply.usage("a stop request holds '" + args.command() + "'");
        } catch (Exception e) {
            deleteQuietly(request);
            reply = Reply.failed("cannot read the stop request " + request + ": " + e);
        }
        answer(args, reply, false);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException | RuntimeException ignored) {
            // asked again, it is read again
        }
    }

    private static void publish(Session s) {
        try {
            s.expunge();
            Capture.Stats st = s.stats();
            AgentProperties.publish(Commands.STATUS_PROPERTY, status(s, st) + "\npublished at " + Instant.now());
            AgentProperties.publish(Commands.PROGRESS_PROPERTY, s.progress(st));
            AgentProperties.publish(Commands.PUBLISHED_PROPERTY, String.valueOf(System.currentTimeMillis()));
        } catch (RuntimeException e) {
            // the next round tries again; the status command still answers
        }
    }

    /** Stops {@code s} at {@code at} unless it was stopped before: the capture always ends. */
    private static void stopAt(Session s, Instant at) {
        deadline = at;
        deadlineThread = Capture.daemon("wiretrace-deadline", () -> {
            while (session == s) {
                long left = Duration.between(Instant.now(), at).toNanos();
                if (left <= 0) {
                    stopIfCurrent(s);
                    return;
                }
                LockSupport.parkNanos(left);
            }
        });
        deadlineThread.start();
    }

    /**
     * Publishes {@code reply} under the CLI's token, keeping the last few; with no token (a
     * -javaagent start) or a failure, it also goes to stderr.
     */
    private static void answer(Args args, Reply reply, boolean premain) {
        String token = args == null ? null : args.get(Commands.REPLY, null);
        if (Commands.isToken(token)) {
            replies.addLast(Commands.REPLY_PROPERTY + token);
            AgentProperties.publish(Commands.REPLY_PROPERTY + token, reply.format());
            while (replies.size() > KEPT_REPLIES) {
                AgentProperties.remove(replies.removeFirst());
            }
            return;
        }
        if (premain || reply.code != 0) {
            System.err.println("wiretrace: " + reply.text.replace("\n", "\nwiretrace: "));
        }
    }
}
