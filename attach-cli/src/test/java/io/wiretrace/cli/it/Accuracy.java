package io.wiretrace.cli.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;

/**
 * The rows of the accuracy table (src/scripts/accuracy, src/docs/verdicts.md): the verdict tests
 * say, next to their assertions and before them, which verdict a scenario expected and which the
 * agent gave. One row per slow call: test class, scenario, the app's JDK, idle or load, expected,
 * given ({@code -} for no slow call at all). Expected is a verdict, {@link #NOT_SLOW} for a call
 * that must not be slow (a healthy stream), or {@code -} where the test cannot tell (a healthy call
 * that became slow under load on its own). Rows go to {@code wiretrace.accuracy}/RUN.tsv, RUN
 * naming the failsafe execution: {@code jdk25} where the app runs on {@code wiretrace.verdictJdk}.
 */
final class Accuracy {
    static final String NOT_SLOW = "NOT_SLOW";
    static final String LATE_READ = "APP_READ_LATE";
    private static final String NONE = "-";

    private Accuracy() {
    }

    /** The slow calls of a scenario that ran alone, on the JDK the verdict tests' app runs on. */
    static void idle(String scenario, String expected, List<RecordedEvent> slow) {
        idle(scenario, appJdk(), expected, slow);
    }

    static void idle(String scenario, String jdk, String expected, List<RecordedEvent> slow) {
        rows(scenario, jdk, "idle", expected, slow);
    }

    /** One call's verdict, null for none. */
    static void idle(String scenario, String expected, String given) {
        row(scenario, appJdk(), "idle", expected, given);
    }

    /** The slow calls of a scenario that ran among others under load. */
    static void load(String scenario, String jdk, String expected, List<RecordedEvent> slow) {
        rows(scenario, jdk, "load", expected, slow);
    }

    /**
     * Whether a slow call is the request's own, not its wait to be read. The first request after
     * a start may sit in the kernel while the app's threads run the code the start threw out of
     * the JIT (seen: 204–368 ms, also after the JIT was quiet): a call of its own, rightly
     * APP_READ_LATE, beside the call the test looks for.
     */
    static boolean ownCall(RecordedEvent slowCall) {
        return !LATE_READ.equals(slowCall.getString("verdict"));
    }

    /** The same for a slow call of the report (report.json's slowCalls). */
    static boolean ownCall(Map<?, ?> slowCall) {
        return !LATE_READ.equals(slowCall.get("verdict"));
    }

    /** The wiretrace.SlowCall events among {@code events} whose request is {@code request}. */
    static List<RecordedEvent> slow(List<RecordedEvent> events, String request) {
        return events.stream().filter(e -> e.getEventType().getName().equals("wiretrace.SlowCall"))
                .filter(e -> request.equals(e.getString("request"))).collect(Collectors.toList());
    }

    /** The feature version of the JDK the verdict tests' app runs on (-Dwiretrace.verdictJdk, else this one). */
    static String appJdk() {
        return jdk(System.getProperty("wiretrace.verdictJdk", System.getProperty("java.home")));
    }

    /** The feature version of the JDK at {@code home}, from its release file. */
    static String jdk(String home) {
        try {
            Matcher m = Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(Files.readString(Paths.get(home, "release")));
            return m.find() ? m.group(1) : "?";
        } catch (IOException e) {
            return "?";
        }
    }

    private static void rows(String scenario, String jdk, String mode, String expected, List<RecordedEvent> slow) {
        if (slow.isEmpty()) {
            row(scenario, jdk, mode, expected, null);
        }
        slow.forEach(e -> row(scenario, jdk, mode, expected, e.getString("verdict")));
    }

    private static synchronized void row(String scenario, String jdk, String mode, String expected, String given) {
        // the test that called, also through a lambda that a collection of the JDK ran
        String test = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(s -> s
                .map(StackWalker.StackFrame::getDeclaringClass).filter(c -> c != Accuracy.class
                        && c.getPackageName().equals(Accuracy.class.getPackageName())).findFirst())
                .map(c -> c.getNestHost().getSimpleName()).orElse("?");
        String run = System.getProperty("wiretrace.verdictJdk") == null ? "main" : "jdk25";
        String line = String.join("\t", run, test, clean(scenario), jdk, mode, clean(expected),
                given == null ? NONE : clean(given)) + "\n";
        Path dir = Paths.get(System.getProperty("wiretrace.accuracy", "target/accuracy"));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(run + ".tsv"), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String clean(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }
}
