package io.wiretrace.analysis.pcap;

import java.time.ZonedDateTime;

/**
 * The strftime(3) conversions that file names use, for {@code -G} names as tcpdump makes them
 * ({@code trace-%Y%m%d-%H%M%S.pcapng}). Others are refused when the capture starts, not
 * silently copied into a name.
 */
public final class Strftime {
    static final String SUPPORTED = "%Y %y %m %d %e %j %H %M %S %s %F %T %z %%";

    private Strftime() {
    }

    static void check(String pattern) {
        format(pattern, ZonedDateTime.now());
    }

    static String format(String pattern, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder(pattern.length() + 16);
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (++i == pattern.length()) {
                throw new IllegalArgumentException("file name '" + pattern + "' ends in a lone %");
            }
            char k = pattern.charAt(i);
            switch (k) {
                case 'Y': sb.append(t.getYear()); break;
                case 'y': two(sb, t.getYear() % 100); break;
                case 'm': two(sb, t.getMonthValue()); break;
                case 'd': two(sb, t.getDayOfMonth()); break;
                case 'e': sb.append(t.getDayOfMonth() < 10 ? " " : "").append(t.getDayOfMonth()); break;
                case 'j': sb.append(String.format("%03d", t.getDayOfYear())); break;
                case 'H': two(sb, t.getHour()); break;
                case 'M': two(sb, t.getMinute()); break;
                case 'S': two(sb, t.getSecond()); break;
                case 's': sb.append(t.toEpochSecond()); break;
                case 'F': sb.append(format("%Y-%m-%d", t)); break;
                case 'T': sb.append(format("%H:%M:%S", t)); break;
                case 'z': {
                    int secs = t.getOffset().getTotalSeconds();
                    sb.append(secs < 0 ? '-' : '+');
                    two(sb, Math.abs(secs) / 3600);
                    two(sb, Math.abs(secs) / 60 % 60);
                    break;
                }
                case '%': sb.append('%'); break;
                default:
                    throw new IllegalArgumentException("file name '" + pattern + "': %" + k
                            + " is not supported (supported: " + SUPPORTED + ")");
            }
        }
        return sb.toString();
    }

    private static void two(StringBuilder sb, int v) {
        if (v < 10) {
            sb.append('0');
        }
        sb.append(v);
    }
}
