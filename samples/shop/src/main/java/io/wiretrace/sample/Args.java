package io.wiretrace.sample;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** "--name value" options after the subcommand; bad input throws IllegalArgumentException. */
public final class Args {
    private final Map<String, String> values;

    private Args(Map<String, String> values) {
        this.values = values;
    }

    public static Args parse(String[] args, int from, String... allowed) {
        List<String> known = List.of(allowed);
        Map<String, String> values = new HashMap<>();
        for (int i = from; i < args.length; i += 2) {
            String name = args[i];
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option: " + name);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + name);
            }
            values.put(name, args[i + 1]);
        }
        return new Args(values);
    }

    public int port() {
        long port = number("--port", 0);
        if (port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535");
        }
        return (int) port;
    }

    public long number(String name, long fallback) {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " needs a number >= 0, got: " + value);
    }

    public URI url(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        try {
            URI uri = new URI(value);
            if ("http".equals(uri.getScheme()) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " needs an http://host:port URL, got: " + value);
    }
}
