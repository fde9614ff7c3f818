package io.wiretrace.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.wiretrace.bootstrap.Dispatcher;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How a request's context goes with the work its thread hands over, and leaves each thread as it was. */
class RequestContextTest {
    @Test
    void workHandedOverOutsideARequestIsLeftAlone() {
        RequestContext.swap(0);
        assertNull(RequestContext.carry((Runnable) () -> { }));
    }

    @Test
    void aTaskRunsUnderTheRequestItWasHandedOverForAndRestoresTheThread() throws Exception {
        long[] seen = new long[2];
        RequestContext.swap(41);
        Runnable r = (Runnable) RequestContext.carry((Runnable) () -> seen[0] = RequestContext.current());
        @SuppressWarnings("unchecked")
        Callable<Long> c = (Callable<Long>) RequestContext.carry((Callable<Long>) RequestContext::current);
        assertNull(RequestContext.carry(r), "carried once");
        RequestContext.swap(0);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            pool.submit(() -> RequestContext.swap(5)).get(); // the worker works for another request
            pool.submit(r).get(10, TimeUnit.SECONDS);
            assertEquals(41, seen[0]);
            assertEquals(41L, pool.submit(c).get(10, TimeUnit.SECONDS));
            pool.submit(() -> seen[1] = RequestContext.current()).get(10, TimeUnit.SECONDS);
            assertEquals(5, seen[1], "the worker is back to what it worked for");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, RequestContext.current(), "the handing thread is untouched");
    }

    @Test
    void anExecutorsFutureIsLeftToTheTaskItWasMadeFrom() {
        Tracer t = new Tracer(null);
        RequestContext.swap(3);
        try {
            assertNull(t.carry(Dispatcher.EXECUTE, new FutureTask<>(() -> 1)), "submit carried its task already");
            assertNotNull(t.carry(Dispatcher.EXECUTE, (Runnable) () -> { }));
            assertNotNull(t.carry(Dispatcher.HAND_OFF, new FutureTask<>(() -> 1)));
            RequestContext.leave(3);
            assertEquals(0, RequestContext.current());
        } finally {
            RequestContext.swap(0);
        }
    }
}
