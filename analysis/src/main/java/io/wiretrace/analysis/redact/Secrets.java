package io.wiretrace.analysis.redact;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The redaction rules, in one place: a value is a secret when its name says so (a property, an
 * environment variable, a flag, a JSON key, a query parameter), and some values hold one whatever
 * their name (a URL's password, Oracle's {@code user/password@host}, a bearer token). The rules
 * err towards hiding: better a lost value than a leaked one.
 */
public final class Secrets {
    public static final String REDACTED = "<redacted>";

    /** Parts of a name (compared without case and without {@code -_.}) that make its value a secret. */
    private static final String[] SECRET_PARTS = {"pass", "pwd", "secret", "token", "credential", "apikey",
        "privatekey", "accesskey", "auth", "bearer", "sessionid", "cookie", "connectionstring", "signature"};
    /** Words of a name (split at separators and camelCase) that make its value a secret, too short to look for inside one. */
    private static final List<String> SECRET_WORDS = List.of("pw", "dsn", "jwt", "pin", "otp");
    /** Names that contain a secret part and are none: the shell's working directories. */
    private static final List<String> HARMLESS = List.of("PWD", "OLDPWD");
    private static final Pattern NAME_WORDS = Pattern.compile("[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])");
    private static final Pattern WORD = Pattern.compile("\\S+");
    /** scheme://user:password@host, the user possibly empty (redis://:password@host). */
    private static final Pattern URL_PASSWORD = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^/\\s:@]*:([^/\\s]*)@");
    /** Oracle's connect strings: scott/tiger@host, jdbc:oracle:thin:scott/tiger@//host:1521/db. */
    private static final Pattern ORACLE_PASSWORD = Pattern.compile(
            "(?:^|(?<=[\\s=:\"']))[A-Za-z0-9_$#.]+/([^/@\\s\"']+)@(?=\\S)");
    /** name=value in a query or among a URL's parameters: ?user=u&password=x, ;token=t. */
    private static final Pattern PARAMETER = Pattern.compile("[?&;]([A-Za-z0-9_.\\-\\[\\]]+)=([^&;#\\s]*)");
    /** "name": "value" (or a number, true …) in JSON, e.g. spring.application.json. */
    private static final Pattern JSON_MEMBER = Pattern.compile(
            "\"((?:[^\"\\\\]|\\\\.){1,200})\"\\s*:\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s,}\\]\"]+))");
    private static final Pattern BEARER = Pattern.compile("(?i)\\bbearer\\s+([A-Za-z0-9._~+/=-]+)");
    private static final Pattern NAME_VALUE = Pattern.compile("-*[A-Za-z_][A-Za-z0-9_.\\-]*=.*");

    private Secrets() {
    }

    /** Whether a name says its value is a secret: {@code DB_PASSWORD}, {@code -Dapp.api-key}, {@code dbPw}, {@code SENTRY_DSN}. */
    public static boolean isSecretName(String name) {
        if (name == null || HARMLESS.contains(name)) {
            return false;
        }
        String bare = name.startsWith("-D") ? name.substring(2) : name.replaceFirst("^-+", "");
        String compact = bare.toLowerCase(Locale.ROOT).replaceAll("[-_.\\s]", "");
        for (String part : SECRET_PARTS) {
            if (compact.contains(part)) {
                return true;
            }
        }
        for (String word : NAME_WORDS.split(bare)) {
            if (SECRET_WORDS.contains(word.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** The value of {@code name} as it may be shown: all of it redacted when the name says so, else its secrets. */
    public static String value(String name, String value) {
        if (value == null) {
            return null;
        }
        return isSecretName(name) ? REDACTED : redact(value);
    }

    /**
     * A command line, a list of arguments or any value with its secrets replaced by {@link #REDACTED}:
     * the value of a {@code name=value} word whose name says so (and the words after it up to the
     * next option: a value with spaces), the words after {@code --password}, and what
     * {@link #spans} finds inside values.
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(text.length());
        int at = 0;
        for (int[] s : spans(text)) {
            out.append(text, at, s[0]).append(REDACTED);
            at = s[1];
        }
        return out.append(text, at, text.length()).toString();
    }

    /** {@code text} with each character of its secrets replaced by {@code *}: the same length. */
    public static String mask(String name, String text) {
        if (text == null) {
            return null;
        }
        char[] c = text.toCharArray();
        for (int[] s : name != null && isSecretName(name) ? List.of(new int[] {0, c.length}) : spans(text)) {
            Arrays.fill(c, s[0], s[1], '*');
        }
        return new String(c);
    }

    /**
     * Where the secrets in {@code text} are: ranges [start, end) of its characters, in order, not
     * overlapping; an empty range marks an empty value of a secret name ({@code --password=}).
     */
    public static List<int[]> spans(String text) {
        List<int[]> found = new ArrayList<>();
        words(text, found);
        group(URL_PASSWORD, text, 1, found);
        group(ORACLE_PASSWORD, text, 1, found);
        group(BEARER, text, 1, found);
        Matcher m = PARAMETER.matcher(text);
        while (m.find()) {
            if (isSecretName(m.group(1))) {
                found.add(new int[] {m.start(2), m.end(2)});
            }
        }
        m = JSON_MEMBER.matcher(text);
        while (m.find()) {
            if (isSecretName(m.group(1))) {
                int g = m.group(2) != null ? 2 : 3;
                found.add(new int[] {m.start(g), m.end(g)});
            }
        }
        return merge(found);
    }

    /** The name-based rules, word by word. */
    private static void words(String text, List<int[]> found) {
        Matcher w = WORD.matcher(text);
        boolean secretRun = false; // the words after a secret's name, up to the next option
        while (w.find()) {
            String word = w.group();
            boolean option = word.startsWith("-") || NAME_VALUE.matcher(word).matches();
            if (secretRun && !option) {
                found.add(new int[] {w.start(), w.end()});
                continue;
            }
            secretRun = false;
            int eq = word.indexOf('=');
            if (eq > 0 && isSecretName(word.substring(0, eq))) {
                found.add(new int[] {w.start() + eq + 1, w.end()});
                secretRun = true;
            } else if (eq < 0 && word.startsWith("-") && !word.startsWith("-D") && !word.startsWith("-X")
                    && isSecretName(word)) {
                secretRun = true; // --password hunter2: the words after it
            }
        }
    }

    private static void group(Pattern p, String text, int group, List<int[]> found) {
        Matcher m = p.matcher(text);
        while (m.find()) {
            if (m.end(group) > m.start(group)) {
                found.add(new int[] {m.start(group), m.end(group)});
            }
        }
    }

    private static List<int[]> merge(List<int[]> spans) {
        spans.sort((a, b) -> a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(b[1], a[1]));
        List<int[]> out = new ArrayList<>();
        for (int[] s : spans) {
            int[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && s[0] <= last[1]) {
                last[1] = Math.max(last[1], s[1]);
            } else {
                out.add(s);
            }
        }
        return out;
    }
}
