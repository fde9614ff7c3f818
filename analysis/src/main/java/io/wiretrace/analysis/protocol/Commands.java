package io.wiretrace.analysis.protocol;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The agent's commands, the keys each takes, and what the agent publishes about itself as agent
 * properties (the CLI reads them through the Attach API without loading anything).
 */
public final class Commands {
    public static final String START = "start";
    public static final String STATUS = "status";
    public static final String PROGRESS = "progress";
    public static final String STOP = "stop";
    public static final String INTERFACES = "interfaces";
    /**
     * A token the CLI makes up per command: the agent publishes its {@link Reply} as the agent
     * property {@link #REPLY_PROPERTY}{@code <token>}, where the CLI reads it. No file travels
     * between them, so a JVM of another user or in a container answers the same way.
     */
    public static final String REPLY = "reply";
    /** The prefix of the agent property that carries a {@link Reply}. */
    public static final String REPLY_PROPERTY = "wiretrace.reply.";
    /**
     * With start, the capture's session id (the CLI makes it up); with stop, the session to stop:
     * a stop that names another session leaves the capture running.
     */
    public static final String SESSION = "session";
    /** The CLI's {@link Build#id()}: an agent of another build refuses to start. */
    public static final String BUILD = "build";
    /** The agent's state ("idle", "capturing DIR"), once it has been loaded. */
    public static final String STATE_PROPERTY = "wiretrace.state";
    /** The loaded agent's {@link Build#id()}. */
    public static final String BUILD_PROPERTY = "wiretrace.build";
    /** The running capture's session id; absent when idle. */
    public static final String SESSION_PROPERTY = "wiretrace.session";
    /** What {@code status} shows, published by the agent twice a second while a capture runs. */
    public static final String STATUS_PROPERTY = "wiretrace.status";
    /** collect's progress line ({@code key=value ...}), published with the status. */
    public static final String PROGRESS_PROPERTY = "wiretrace.progress";
    /** When the status was last published: milliseconds since the epoch. */
    public static final String PUBLISHED_PROPERTY = "wiretrace.published";
    /** The capture interfaces as the target sees them ({@code interfaces}' answer), published at start. */
    public static final String INTERFACES_PROPERTY = "wiretrace.interfaces";
    /** The running capture's output directory, as the target names it. */
    public static final String DIR_PROPERTY = "wiretrace.dir";
    /**
     * A file in the output directory that asks the running agent to stop: it holds a stop
     * command in the {@link Args} grammar (with its reply token), and the agent looks for it
     * five times a second. So a capture is stopped without a second agent load.
     */
    public static final String STOP_FILE = ".wiretrace-stop";

    private Commands() {
    }

    /** The keys {@code command} takes. */
    public static Set<String> keys(String command) {
        Set<String> keys = new LinkedHashSet<>();
        keys.add(REPLY);
        keys.add(BUILD);
        if (START.equals(command)) {
            keys.addAll(StartOptions.KEYS);
        }
        if (START.equals(command) || STOP.equals(command)) {
            keys.add(SESSION);
        }
        return Collections.unmodifiableSet(keys);
    }

    /**
     * Whether {@code command} only reads or ends a capture: an agent of another build, loaded
     * earlier, may answer it (the CLI says whose answer it is); it must not start one.
     */
    public static boolean readsOrEnds(String command) {
        return STATUS.equals(command) || PROGRESS.equals(command) || STOP.equals(command);
    }

    /** Whether {@code token} may name a reply or a session: 1 to 64 letters, digits and dashes. */
    public static boolean isToken(String token) {
        return token != null && token.matches("[A-Za-z0-9-]{1,64}");
    }

    /** The words for an agent whose build differs from the CLI's, and what to do about it. */
    public static String skew(String pid, String agentBuild, String cliBuild) {
        return "the JVM " + pid + " runs the wiretrace agent of " + (agentBuild == null
                ? "an older build (one without a build identity)" : "build " + agentBuild)
                + ", loaded earlier, and this wiretrace is build " + cliBuild + "; a JVM keeps the agent"
                + " it loaded first. Use the wiretrace.jar of that build, or restart the app to use this one";
    }
}
