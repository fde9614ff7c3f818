package io.wiretrace.agent.control;

import io.wiretrace.agent.capture.Capture;
import io.wiretrace.agent.capture.Interfaces;
import io.wiretrace.analysis.protocol.Args;
import io.wiretrace.analysis.protocol.Build;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import io.wiretrace.analysis.protocol.StartOptions;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;

/**
 * The agent core's entry: runs one command (start, status, stop) and answers it, in the reply
 * file the CLI named or, when started with -javaagent, on stderr.
 */
public final class AgentCommands {
    private static volatile Session session;
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
            }
            String cli = args.get(Commands.BUILD, null);
            if (cli != null && !cli.equals(Build.id()) && !Commands.readsOrEnds(args.command())) {
                throw new IllegalStateException(Commands.skew(String.valueOf(ProcessHandle.current().pid()), Build.id(), cli));
            }
            args.only(Commands.keys(args.command()));
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
                StartOptions options = StartOptions.parse(args.values());
                Duration limit = options.deadline;
                Session s = Session.start(options, inst, AgentCommands::stopIfCurrent);
                session = s;
                if (limit != null) {
                    watch(s, Instant.now().plus(limit));
                }
                return Reply.ok(s.describeStart() + (deadline != null ? "\nstops by itself at " + deadline : "")
                        + "\nstarted in " + (System.nanoTime() - began) / 1_000_000 + " ms");
            case "interfaces":
                return Reply.ok(Interfaces.describeAll());
            case "status":
                return Reply.ok((session == null ? "state: idle (no capture running)"
                        : session.status() + (deadline != null ? "\nstops by itself at " + deadline : ""))
                        + "\nagent: wiretrace " + Build.id());
            case "progress":
                return session == null ? Reply.ok("state=idle") : Reply.ok(session.progress());
            case "stop":
                if (session == null) {
                    return Reply.failed("no capture is running");
                }
                String stopped = stopIfCurrent(session);
                return Reply.ok(stopped + "\nstopped in " + (System.nanoTime() - began) / 1_000_000 + " ms");
            default:
                throw new IllegalArgumentException("unknown agent command '" + args.command()
                        + "' (expected start, status, progress, stop or interfaces)");
        }
    }

    /** Ends {@code s} if it is still the current session; also the shutdown hook's way in. */
    static synchronized String stopIfCurrent(Session s) {
        if (session != s) {
            return null;
        }
        session = null;
        deadline = null;
        if (deadlineThread != null) {
            LockSupport.unpark(deadlineThread);
            deadlineThread = null;
        }
        return s.stop();
    }

    /** Stops {@code s} at {@code at} unless it was stopped before: the capture always ends. */
    private static void watch(Session s, Instant at) {
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

    private static void answer(Args args, Reply reply, boolean premain) {
        String file = args == null ? null : args.get("reply", null);
        if (file != null) {
            try {
                Path p = Paths.get(file);
                Files.deleteIfExists(p);
                Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(p, reply.format().getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE);
                return;
            } catch (Exception e) {
                System.err.println("wiretrace: cannot write the reply to " + file + ": " + e);
            }
        }
        if (premain || reply.code != 0) {
            System.err.println("wiretrace: " + reply.text.replace("\n", "\nwiretrace: "));
        }
    }
}
