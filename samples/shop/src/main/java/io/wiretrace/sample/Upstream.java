package io.wiretrace.sample;

import java.io.IOException;
import java.util.Map;

/** The inventory service the shop calls. */
public final class Upstream {
    private final long delayMs;

    public Upstream(long delayMs) {
        this.delayMs = delayMs;
    }

    public Server server(int port) throws IOException {
        return Server.create("upstream", port)
                .route("/inventory", this::inventory)
                .route("/health", query -> Reply.text(200, "ok"));
    }

    private Reply inventory(Map<String, String> query) throws InterruptedException {
        String item = Query.item(query);
        Long delay = Query.delayMs(query);
        long ms = delay == null ? delayMs : delay;
        if (ms > 0) {
            Thread.sleep(ms);
        }
        int count = Math.floorMod(item.hashCode(), 100);
        return Reply.json(200, "{\"item\":" + Reply.quote(item) + ",\"count\":" + count + "}");
    }
}
