package io.wiretrace.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The agent's entry, seen by the system class loader. It builds the agent's own class loader
 * over the {@code wiretrace-inf/} entries of this jar once, and hands every call to the core
 * inside it. Only JDK classes are used here.
 */
public final class Agent {
    static final String INF = "wiretrace-inf/";
    private static Method execute;

    private Agent() {
    }

    public static void premain(String args, Instrumentation inst) {
        agentmain(args, inst, true);
    }

    public static void agentmain(String args, Instrumentation inst) {
        agentmain(args, inst, false);
    }

    private static synchronized void agentmain(String args, Instrumentation inst, boolean premain) {
        try {
            if (execute == null) {
                execute = load(inst);
            }
            execute.invoke(null, args, inst, premain);
        } catch (Throwable t) {
            // Never let anything escape into the target JVM; the core reports its own errors.
            System.err.println("wiretrace: agent failed to load: " + t);
        }
    }

    private static Method load(Instrumentation inst) throws Exception {
        File jar = new File(Agent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JarFile agentJar = new JarFile(jar);
        ClassLoader loader = new InfLoader(agentJar, jar.toURI().toURL(), ClassLoader.getPlatformClassLoader());
        Class<?> main = Class.forName("io.wiretrace.agent.control.AgentCommands", true, loader);
        return main.getMethod("execute", String.class, Instrumentation.class, boolean.class);
    }

    /** Loads classes and resources from the {@code wiretrace-inf/} prefix of the agent jar. */
    static final class InfLoader extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final JarFile jar;
        private final String base;

        InfLoader(JarFile jar, URL jarUrl, ClassLoader parent) {
            super("wiretrace", parent);
            this.jar = jar;
            this.base = "jar:" + jarUrl + "!/";
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            JarEntry entry = jar.getJarEntry(INF + name.replace('.', '/') + ".class");
            if (entry == null) {
                throw new ClassNotFoundException(name);
            }
            try (InputStream in = jar.getInputStream(entry)) {
                byte[] bytes = in.readAllBytes();
                return defineClass(name, bytes, 0, bytes.length, Agent.class.getProtectionDomain());
            } catch (IOException e) {
                throw new ClassNotFoundException(name, e);
            }
        }

        @Override
        protected URL findResource(String name) {
            if (jar.getEntry(INF + name) == null) {
                return null;
            }
            try {
                return new URL(base + INF + name);
            } catch (MalformedURLException e) {
                return null;
            }
        }

        @Override
        protected Enumeration<URL> findResources(String name) {
            URL url = findResource(name);
            return java.util.Collections.enumeration(
                    url == null ? java.util.List.of() : java.util.List.of(url));
        }
    }
}
