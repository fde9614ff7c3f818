package io.wiretrace.agent.control;

import java.lang.reflect.Method;
import java.util.Properties;

/** What the agent tells the CLI without being asked: the JVM's agent properties, readable through the Attach API. */
final class AgentProperties {
    private AgentProperties() {
    }

    /** Sets an agent property; should a JDK lack agent properties, a system property says it. */
    static void publish(String key, String value) {
        try {
            Class<?> vm = Class.forName("jdk.internal.vm.VMSupport");
            Method m = vm.getMethod("getAgentProperties");
            m.setAccessible(true);
            ((Properties) m.invoke(null)).setProperty(key, value);
        } catch (Throwable t) {
            System.setProperty(key, value);
        }
    }
}
