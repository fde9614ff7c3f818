package io.wiretrace.sample.legacy;

import io.wiretrace.sample.Args;
import io.wiretrace.sample.Reply;
import io.wiretrace.sample.Server;
import io.wiretrace.sample.Shop;

import java.io.IOException;
import java.net.URI;

public final class LegacyMain {
    private static final String USAGE = String.join(System.lineSeparator(),
            "usage: java -jar sample-legacy.jar legacy --upstream http://127.0.0.1:PORT [--port N]",
            "Port 0 (the default) picks a free port; READY port=<port> on stdout tells which.");

    private LegacyMain() {
    }

    public static void main(String[] args) throws Exception {
        Server server;
        try {
            if (args.length == 0 || !"legacy".equals(args[0])) {
                throw new IllegalArgumentException(args.length == 0
                        ? "missing subcommand" : "unknown subcommand: " + args[0]);
            }
            Args opts = Args.parse(args, 1, "--upstream", "--port");
            URI upstream = opts.url("--upstream");
            int port = opts.port();
            // Initialise the old libraries before READY, i.e. before any agent can arrive.
            Legacy.report();
            server = start(upstream, port).stopOnExit();
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        } catch (IOException e) {
            System.err.println("cannot listen: " + Reply.oneLine(e));
            System.exit(1);
            return;
        }
        System.out.println("READY port=" + server.port());
        System.out.flush();
    }

    /** The shop's routes plus /legacy. */
    static Server start(URI upstream, int port) throws IOException {
        return new Shop(upstream).server(port)
                .route("/legacy", query -> Reply.text(200, Legacy.report()))
                .start();
    }
}
