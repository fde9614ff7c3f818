package io.wiretrace.agent.control;

import java.lang.reflect.Method;
import java.util.Properties;

/** What the agent tells the CLI without being asked: the JVM's agent properties, readable through the Attach API. */
final class AgentProperties {
    private AgentProperties() {
    }

    private static Properties properties;

    /** Sets an agent property; should a JDK lack agent properties, a system property says it. */
    static synchronized void publish(String key, String value) {
        Properties p = properties();
        if (p != null) {
            p.setProperty(key, value);
        } else {
            System.setProperty(key, value);
        }
    }

    static synchronized void remove(String key) {
        Properties p = properties();
        if (p != null) {
            p.remove(key);
        } else {
            System.clearProperty(key);
        }
    }

    private static Properties properties() {
        if (properties == null) {
            try {
                Class<?> vm = Class.forName("jdk.internal.vm.VMSupport");
                Method m = vm.getMethod("getAgentProperties");
                m.setAccessible(true);
                properties = (Properties) m.invoke(null);
            } catch (Throwable t) {
                return null;
            }
        }
        return properties;
    }
}
