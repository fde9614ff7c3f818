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
    /** Where the agent writes its {@link Reply}. */
    public static final String REPLY = "reply";
    /** The CLI's {@link Build#id()}: an agent of another build refuses to start. */
    public static final String BUILD = "build";
    /** The agent's state ("idle", "capturing DIR"), once it has been loaded. */
    public static final String STATE_PROPERTY = "wiretrace.state";
    /** The loaded agent's {@link Build#id()}. */
    public static final String BUILD_PROPERTY = "wiretrace.build";

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
        return Collections.unmodifiableSet(keys);
    }

    /**
     * Whether {@code command} only reads or ends a capture: an agent of another build, loaded
     * earlier, may answer it (the CLI says whose answer it is); it must not start one.
     */
    public static boolean readsOrEnds(String command) {
        return STATUS.equals(command) || PROGRESS.equals(command) || STOP.equals(command);
    }

    /** The words for an agent whose build differs from the CLI's, and what to do about it. */
    public static String skew(String pid, String agentBuild, String cliBuild) {
        return "the JVM " + pid + " runs the wiretrace agent of " + (agentBuild == null
                ? "an older build (one without a build identity)" : "build " + agentBuild)
                + ", loaded earlier, and this wiretrace is build " + cliBuild + "; a JVM keeps the agent"
                + " it loaded first. Use the wiretrace.jar of that build, or restart the app to use this one";
    }
}
