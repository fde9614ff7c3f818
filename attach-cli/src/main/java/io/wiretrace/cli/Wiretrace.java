package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Build;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "wiretrace",
        mixinStandardHelpOptions = true,
        versionProvider = Wiretrace.Version.class,
        separator = " ",
        description = "Captures the network traffic of a running Java app from inside its JVM, without a"
                + " restart, and ties it to the app's socket calls: a pcapng for Wireshark and a JFR recording"
                + " for Mission Control that name the same connections.",
        subcommands = {ListCommand.class, InterfacesCommand.class, StartCommand.class, StatusCommand.class, StopCommand.class,
            CollectCommand.class, WatchCommand.class, AnalyzeCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 the operation failed (the reason is printed), 2 usage error."})
public final class Wiretrace implements Runnable {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Wiretrace());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            PrintWriter err = line.getErr();
            if (e instanceof Failure) {
                err.println("wiretrace: " + e.getMessage());
                return ((Failure) e).code;
            }
            err.println("wiretrace: " + e);
            return FAILED;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** An outcome other than success: its message is printed after "wiretrace: ". */
    static final class Failure extends RuntimeException {
        final int code;

        Failure(int code, String message) {
            super(message);
            this.code = code;
        }

        /** A failure for what {@code cause} says: kept, so that a test can tell a reader's error from a bug. */
        Failure(int code, String message, Throwable cause) {
            super(message, cause);
            this.code = code;
        }
    }

    /** This build: its version and the commit it was built from (Build.id()). */
    static String version() {
        return Build.id();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"wiretrace " + version()};
        }
    }
}
