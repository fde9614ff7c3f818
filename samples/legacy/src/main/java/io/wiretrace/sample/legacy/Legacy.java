package io.wiretrace.sample.legacy;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.CodeSource;
import java.util.Properties;

import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;

/** Uses the app's own old Byte Buddy and JNA, and says which copies it got. */
final class Legacy {
    public interface CLib extends Library {
        int getpid();
    }

    private Legacy() {
    }

    static String report() throws Exception {
        return "bytebuddy=" + version(ByteBuddy.class, "META-INF/maven/net.bytebuddy/byte-buddy/pom.properties") + "\n"
                + "bytebuddy.source=" + source(ByteBuddy.class) + "\n"
                + "jna.version=" + jnaVersion() + "\n"
                + "jna.source=" + source(Native.class) + "\n"
                + "tostring=" + byteBuddyToString() + "\n"
                + "pid=" + pid() + "\n";
    }

    static String byteBuddyToString() throws ReflectiveOperationException {
        Class<?> type = new ByteBuddy()
                .subclass(Object.class)
                .method(ElementMatchers.named("toString"))
                .intercept(FixedValue.value("legacy-bb"))
                .make()
                .load(Legacy.class.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
                .getLoaded();
        return type.getDeclaredConstructor().newInstance().toString();
    }

    /** Read at run time: Native.VERSION is a constant the compiler would copy in here. */
    static String jnaVersion() throws ReflectiveOperationException {
        Field version = Native.class.getField("VERSION");
        // Declared in a package-private interface, so reflection needs a nudge.
        version.setAccessible(true);
        return String.valueOf(version.get(null));
    }

    static int pid() {
        CLib c = Native.loadLibrary("c", CLib.class);
        return c.getpid();
    }

    /**
     * Byte Buddy's manifest has no Implementation-Version and a fat jar drops it anyway,
     * so fall back to the Maven pom.properties that sits next to the class.
     */
    static String version(Class<?> type, String pomProperties) throws IOException {
        String version = type.getPackage().getImplementationVersion();
        if (version != null) {
            return version;
        }
        URL source = location(type);
        if (source == null) {
            return "unknown";
        }
        // Only this class's own jar, so another copy elsewhere on the class path cannot answer.
        try (URLClassLoader jar = new URLClassLoader(new URL[] {source}, null)) {
            URL resource = jar.findResource(pomProperties);
            if (resource != null) {
                try (InputStream in = resource.openStream()) {
                    Properties properties = new Properties();
                    properties.load(in);
                    version = properties.getProperty("version");
                }
            }
        }
        return version != null ? version : source.toString();
    }

    static String source(Class<?> type) {
        URL location = location(type);
        return location == null ? "unknown" : location.toString();
    }

    private static URL location(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        return source == null ? null : source.getLocation();
    }
}
