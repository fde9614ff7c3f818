package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Reply;
import io.wiretrace.analysis.redact.Terminal;
import java.io.PrintWriter;

/**
 * Prints the agent's reply: to stdout on success, as a failure otherwise. The reply holds what
 * came from the network (paths, hosts): its control characters reach no terminal.
 */
final class Output {
    private Output() {
    }

    static int print(Reply reply, String pid, PrintWriter out) {
        if (reply.code != Wiretrace.OK) {
            throw new Wiretrace.Failure(reply.code, pid + ": " + Terminal.printable(reply.text));
        }
        out.println(Terminal.printable(reply.text));
        out.flush();
        return Wiretrace.OK;
    }
}
