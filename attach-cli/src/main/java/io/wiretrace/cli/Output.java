package io.wiretrace.cli;

import io.wiretrace.analysis.protocol.Reply;
import java.io.PrintWriter;

/** Prints the agent's reply: to stdout on success, as a failure otherwise. */
final class Output {
    private Output() {
    }

    static int print(Reply reply, String pid, PrintWriter out) {
        if (reply.code != Wiretrace.OK) {
            throw new Wiretrace.Failure(reply.code, pid + ": " + reply.text);
        }
        out.println(reply.text);
        out.flush();
        return Wiretrace.OK;
    }
}
