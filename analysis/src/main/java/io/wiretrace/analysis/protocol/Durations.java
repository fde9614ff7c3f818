package io.wiretrace.analysis.protocol;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them: {@code 200ms}, {@code 60s}, {@code 5m}, {@code 1h}, {@code 0}. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ns|us|ms|s|m|h)?");

    private Durations() {
    }

    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 200ms, 60s, 5m)");
        }
        try {
            Duration d = of(Long.parseLong(m.group(1)), m.group(2), text);
            d.toNanos(); // the callers count in nanoseconds
            return d;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration (at most 292 years)");
        }
    }

    private static Duration of(long n, String u, String text) {
        String unit = u == null ? (n == 0 ? "s" : "") : u;
        switch (unit) {
            case "ns":
                return Duration.ofNanos(n);
            case "us":
                return Duration.ofNanos(Math.multiplyExact(n, 1000L));
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                throw new IllegalArgumentException("'" + text + "' needs a unit (ms, s, m or h)");
        }
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.format("%.1f", ms / 1000.0)) + "s";
    }
}
