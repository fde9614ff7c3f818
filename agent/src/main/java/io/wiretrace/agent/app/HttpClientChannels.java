package io.wiretrace.agent.app;

import java.lang.reflect.Method;

/**
 * The socket channel under a JDK HttpClient connection ({@code HttpConnection.channel()}, the
 * plain TCP channel also for TLS), read once per request sent for another thread's request.
 * {@code jdk.internal.net.http} is opened to the agent at start (BootstrapInstaller).
 */
final class HttpClientChannels {
    private static final Method CHANNEL;

    static {
        Method m = null;
        try {
            m = Class.forName("jdk.internal.net.http.HttpConnection", false, ClassLoader.getPlatformClassLoader())
                    .getDeclaredMethod("channel");
            m.setAccessible(true);
        } catch (Throwable t) {
            m = null; // not this JDK's layout: requests sent by the client's threads keep no context
        }
        CHANNEL = m;
    }

    private HttpClientChannels() {
    }

    static Object channel(Object connection) throws Exception {
        return CHANNEL == null || connection == null ? null : CHANNEL.invoke(connection);
    }
}
