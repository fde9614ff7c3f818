package io.wiretrace.analysis.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * This build's identity: the project version and the commit it was built from ("-dirty" when
 * the work tree had changes). The agent and the CLI of one build carry the same one, since both
 * jars hold this module; a CLI never drives an agent of another build without saying so.
 */
public final class Build {
    private static final String ID;
    private static final String VERSION;

    static {
        Properties p = new Properties();
        try (InputStream in = Build.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // an unknown build: said so below
        }
        VERSION = known(p.getProperty("version"), "unknown");
        String commit = known(p.getProperty("commit"), "unknown");
        ID = VERSION + "+" + commit + ("true".equals(p.getProperty("dirty")) ? "-dirty" : "");
    }

    private Build() {
    }

    /** "0.1.0+c66417e": what two builds compare. */
    public static String id() {
        return ID;
    }

    public static String version() {
        return VERSION;
    }

    /** A value the build filled in, or {@code otherwise} (a build without git, say). */
    private static String known(String v, String otherwise) {
        return v == null || v.isEmpty() || v.startsWith("${") ? otherwise : v;
    }
}
