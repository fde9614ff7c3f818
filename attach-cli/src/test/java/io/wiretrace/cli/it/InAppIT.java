package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that spent their time inside the app, not on the network ({@link InAppApp}): each gets
 * the in-app verdict that names where — live, in the agent's {@code wiretrace.SlowCall} and
 * status, and in the bundle's report.json. With -Dwiretrace.verdictJdk=<JDK 21+> the app runs
 * there too, and the CPU and sleep requests run once more on virtual threads.
 */
class InAppIT {
    @TempDir
    Path tmp;

    /** The request, the verdict, and what the evidence must name. */
    private static final String[][] PLATFORM = {
        {"/cpu", "APP_CPU", "InAppApp.burn"},
        {"/monitor", "APP_LOCK", "a monitor of io.wiretrace.cli.it.InAppApp$Stock held by inapp-holder"},
        {"/sleep", "APP_WAIT", "slept at", "InAppApp.nap"},
        {"/park", "APP_WAIT", "parked at", "InAppApp.pause"},
        {"/lock", "APP_LOCK", "java.util.concurrent.locks.ReentrantLock$NonfairSync", "InAppApp.locked"},
    };
    /** On a virtual thread JFR reports samples and sleeps, not parks nor monitor waits (they unmount it). */
    private static final String[][] VIRTUAL = {
        {"/cpu", "APP_CPU", "InAppApp.burn"},
        {"/sleep", "APP_WAIT", "slept at", "InAppApp.nap"},
    };

    @Test
    void timeSpentInTheAppIsNamed() throws Exception {
        String java = System.getProperty("wiretrace.verdictJdk", System.getProperty("java.home"));
        Path classes = Paths.get(InAppApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (Harness.App app = new Harness.App(List.of(Harness.java(java), "-cp", classes.toString(),
                InAppApp.class.getName()))) {
            int vport = Integer.parseInt(app.ready.replaceAll(".* vport=(-?\\d+).*", "$1"));
            CollectIT.Collect collect = new CollectIT.Collect(tmp, app.pid(), "-d", "120s", "-i", "lo", "--slow", "200ms",
                    "tcp port " + app.port + (vport > 0 ? " or tcp port " + vport : ""));
            collect.awaitOutput("collecting from " + app.pid());

            get(app.port, "/"); // the first request loads the server's classes: not part of any case
            Map<String, String[]> expected = new LinkedHashMap<>();
            for (String[] x : PLATFORM) {
                expected.put(get(app.port, x[0]), x);
            }
            if (vport > 0) {
                for (String[] x : VIRTUAL) {
                    expected.put(get(vport, x[0]), x);
                }
            }
            // live: the status counts each verdict once the calls are explained
            String status = Harness.awaitExplained(app.pid(), expected.size());
            Map<String, Integer> counts = new LinkedHashMap<>();
            expected.values().forEach(x -> counts.merge(x[1], 1, Integer::sum));
            counts.forEach((v, n) -> assertTrue(count(status, v) >= n, v + " × " + n + " expected in:\n" + status));
            assertTrue(status.contains("in-app verdicts: on"), status);

            Path bundle = CollectIT.interruptAndUnpack(collect, tmp.resolve("bundle"));
            // the agent's own verdicts, as it committed them
            List<RecordedEvent> slow = new ArrayList<>();
            for (RecordedEvent e : Evidence.events(bundle.resolve("recording.jfr"))) {
                if (e.getEventType().getName().equals("wiretrace.SlowCall")) {
                    slow.add(e);
                }
            }
            Map<String, Object> report = CollectIT.json(bundle.resolve("report.json"));
            for (Map.Entry<String, String[]> x : expected.entrySet()) {
                int clientPort = Integer.parseInt(x.getKey());
                String[] want = x.getValue();
                // the request's call, not its wait to be read (see Accuracy.ownCall)
                RecordedEvent live = slow.stream().filter(e -> e.getInt("remotePort") == clientPort
                        && "http".equals(e.getString("call")) && Accuracy.ownCall(e))
                        .findFirst().orElse(null);
                Accuracy.idle((List.of(VIRTUAL).contains(want) ? "virtual " : "") + want[0], want[1], live == null ? null : live.getString("verdict"));
                assertNotNull(live, want[0] + " from port " + clientPort + ": no SlowCall among " + slow);
                assertVerdict(want, live.getString("verdict"), live.getString("evidence"));
                assertTrue(live.getLong("callThreadId") > 0, live.toString());
                Map<String, Object> call = reported(report, clientPort);
                assertVerdict(want, (String) call.get("verdict"), (String) call.get("evidence"));
                assertEquals(null, call.get("inAppFromRecording"), "the live verdict is the report's: " + call);
            }
        }
    }

    /** Requests {@code path}; returns the client's port, which the call's remotePort is. */
    private static String get(int port, String path) throws Exception {
        String[] r = Harness.get(port, path);
        assertTrue(r[1].startsWith("HTTP/1.1 200"), path + ": " + r[1]);
        return r[0];
    }

    private static void assertVerdict(String[] want, String verdict, String evidence) {
        assertEquals(want[1], verdict, want[0] + ": " + evidence);
        for (int i = 2; i < want.length; i++) {
            assertTrue(evidence.contains(want[i]), want[0] + ": '" + want[i] + "' not in: " + evidence);
        }
    }

    private static int count(String status, String verdict) {
        Matcher m = Pattern.compile("[(,] " + verdict + " (\\d+)").matcher(status.replace("(" + verdict, "( " + verdict));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> reported(Map<String, Object> report, int clientPort) {
        return CollectIT.list(report, "slowCalls").stream().map(o -> (Map<String, Object>) o)
                .filter(c -> ((Number) c.get("remotePort")).intValue() == clientPort && "http".equals(c.get("call"))
                        && Accuracy.ownCall(c))
                .findFirst().orElseThrow(() -> new AssertionError("no slow call from port " + clientPort + " in "
                        + report.get("slowCalls")));
    }
}
