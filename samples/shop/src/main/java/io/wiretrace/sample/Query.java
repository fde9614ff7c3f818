package io.wiretrace.sample;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

final class Query {
    static final long MAX_DELAY_MS = 60_000;

    private Query() {
    }

    static Map<String, String> parse(URI uri) {
        Map<String, String> params = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            params.putIfAbsent(decode(name), decode(value));
        }
        return params;
    }

    static String item(Map<String, String> params) {
        String item = params.get("item");
        return item == null || item.isEmpty() ? "widget" : item;
    }

    /** The delay-ms parameter, or null when absent. */
    static Long delayMs(Map<String, String> params) {
        String value = params.get("delay-ms");
        if (value == null) {
            return null;
        }
        try {
            long ms = Long.parseLong(value);
            if (ms >= 0 && ms <= MAX_DELAY_MS) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("delay-ms must be 0.." + MAX_DELAY_MS);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
