package io.wiretrace.agent.core;

import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The agent core's entry: runs one command (start, status, stop) and answers it, in the reply
 * file the CLI named or, when started with -javaagent, on stderr.
 */
public final class Main {
    private static Session session;

    private Main() {
    }

    public static synchronized void execute(String text, Instrumentation inst, boolean premain) {
        Args args = null;
        Reply reply;
        try {
            args = Args.parse(text);
            Boot.prepare(inst);
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
                Session s = Session.start(args, inst);
                session = s;
                return Reply.ok(s.describeStart() + "\nstarted in " + (System.nanoTime() - began) / 1_000_000 + " ms");
            case "interfaces":
                return Reply.ok(Interfaces.describeAll());
            case "status":
                return session == null ? Reply.ok("state: idle (no capture running)") : Reply.ok(session.status());
            case "stop":
                if (session == null) {
                    return Reply.failed("no capture is running");
                }
                String stopped = stopIfCurrent(session);
                return Reply.ok(stopped + "\nstopped in " + (System.nanoTime() - began) / 1_000_000 + " ms");
            default:
                throw new IllegalArgumentException("unknown agent command '" + args.command()
                        + "' (expected start, status, stop or interfaces)");
        }
    }

    /** Ends {@code s} if it is still the current session; also the shutdown hook's way in. */
    static synchronized String stopIfCurrent(Session s) {
        if (session != s) {
            return null;
        }
        session = null;
        return s.stop();
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
