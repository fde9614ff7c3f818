package io.wiretrace.analysis.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one grammar for agent arguments, used by {@code -javaagent:wiretrace-agent.jar=ARGS} and
 * by the CLI: {@code command[,key=value]...}, for example
 * {@code start,w=/tmp/out,i=any,s=0,filter=tcp port 443}. A value may carry {@code ,} {@code =}
 * or {@code %} as {@code %2C} {@code %3D} {@code %25}. {@code @FILE} reads the whole string from
 * FILE, for arguments longer than the attach protocol takes.
 */
public final class Args {
    private final String command;
    private final Map<String, String> values;

    public Args(String command, Map<String, String> values) {
        this.command = command;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Args parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("no command given (expected start, status or stop)");
        }
        text = text.strip();
        if (text.startsWith("@")) {
            try {
                text = Files.readString(Paths.get(text.substring(1)), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read agent arguments from " + text.substring(1), e);
            }
        }
        String[] parts = text.split(",", -1);
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                continue;
            }
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("agent argument '" + parts[i] + "' is not key=value");
            }
            values.put(parts[i].substring(0, eq), decode(parts[i].substring(eq + 1)));
        }
        return new Args(parts[0].strip(), values);
    }

    public String format() {
        StringBuilder sb = new StringBuilder(command);
        values.forEach((k, v) -> sb.append(',').append(k).append('=').append(encode(v)));
        return sb.toString();
    }

    public String command() {
        return command;
    }

    public String get(String key, String otherwise) {
        return values.getOrDefault(key, otherwise);
    }

    public Map<String, String> values() {
        return values;
    }

    /** Fails on a key that is not one of {@code known}: an option this build does not take is never ignored. */
    public Args only(java.util.Collection<String> known) {
        for (String k : values.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("the agent's " + command + " takes no option '" + k + "'"
                        + (known.isEmpty() ? "" : " (it takes " + String.join(", ", known) + ")"));
            }
        }
        return this;
    }

    static String encode(String v) {
        return v.replace("%", "%25").replace(",", "%2C").replace("=", "%3D");
    }

    static String decode(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%' && i + 2 < v.length()) {
                sb.append((char) Integer.parseInt(v.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
