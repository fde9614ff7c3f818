package io.wiretrace.agent.app;

/** What an app thread's socket calls tell {@link HttpExchanges}, as {@link Tracer} tells it, for tests in other packages. */
public final class AppSide {
    private AppSide() {
    }

    /** A write of all of {@code b}: looked at before it leaves, counted after. */
    public static void write(Conn c, byte[] b) {
        HttpExchanges.beforeWrite(c, b, 0, b.length);
        HttpExchanges.write(c, b, 0, b.length, b.length, System.nanoTime());
    }

    /** A read that returned all of {@code b}. */
    public static void read(Conn c, byte[] b) {
        HttpExchanges.read(c, b, 0, b.length, b.length, System.nanoTime());
    }
}
