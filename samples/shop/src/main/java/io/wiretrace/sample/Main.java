package io.wiretrace.sample;

import java.io.IOException;
import java.net.URI;

public final class Main {
    private static final String USAGE = String.join(System.lineSeparator(),
            "usage: java -jar sample-shop.jar upstream [--port N] [--delay-ms N]",
            "       java -jar sample-shop.jar shop --upstream http://127.0.0.1:PORT [--port N]",
            "       java -jar sample-shop.jar all [--port N] [--delay-ms N]",
            "Port 0 (the default) picks a free port; READY port=<port> on stdout tells which.");

    private Main() {
    }

    public static void main(String[] args) {
        try {
            System.out.println("READY " + start(args));
            System.out.flush();
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (IOException e) {
            System.err.println("cannot listen: " + Reply.oneLine(e));
            System.exit(1);
        }
    }

    /** Starts the servers the arguments ask for and returns what goes after READY. */
    static String start(String[] args) throws IOException {
        String command = args.length == 0 ? "" : args[0];
        switch (command) {
            case "upstream": {
                Args opts = Args.parse(args, 1, "--port", "--delay-ms");
                Server upstream = upstream(opts).server(opts.port()).start().stopOnExit();
                return "port=" + upstream.port();
            }
            case "shop": {
                Args opts = Args.parse(args, 1, "--upstream", "--port");
                URI target = opts.url("--upstream");
                Server shop = new Shop(target).server(opts.port()).start().stopOnExit();
                return "port=" + shop.port();
            }
            case "all": {
                Args opts = Args.parse(args, 1, "--port", "--delay-ms");
                Upstream upstreamApp = upstream(opts);
                int port = opts.port();
                Server upstream = upstreamApp.server(0).start().stopOnExit();
                Server shop = new Shop(URI.create("http://127.0.0.1:" + upstream.port()))
                        .server(port).start().stopOnExit();
                return "port=" + shop.port() + " upstream=" + upstream.port();
            }
            default:
                throw new IllegalArgumentException(command.isEmpty()
                        ? "missing subcommand" : "unknown subcommand: " + command);
        }
    }

    private static Upstream upstream(Args opts) {
        return new Upstream(opts.number("--delay-ms", 0));
    }
}
