package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.tools.attach.VirtualMachineDescriptor;
import com.sun.tools.attach.spi.AttachProvider;
import io.wiretrace.analysis.protocol.Reply;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** What reaches the terminal of what the agent and a JVM's perfdata say. */
class OutputTest {
    @Test
    void theNetworksControlCharactersReachNoTerminal() {
        StringWriter s = new StringWriter();
        // a path and a host as a peer sent them: a screen clear, a carriage return, a C1 escape
        Output.print(new Reply(Wiretrace.OK, "slow: GET /x\u001b[2J 812 ms\nhost: evil\rok\u009b31m"), "1", new PrintWriter(s));
        assertEquals("slow: GET /x?[2J 812 ms\nhost: evil?ok?31m" + System.lineSeparator(), s.toString());
        Wiretrace.Failure f = assertThrows(Wiretrace.Failure.class,
                () -> Output.print(new Reply(Wiretrace.FAILED, "no\u0007pe"), "1", new PrintWriter(new StringWriter())));
        assertEquals("1: no?pe", f.getMessage());
    }

    @Test
    void listShowsACommandLineWithoutItsSecrets() {
        AttachProvider provider = AttachProvider.providers().get(0);
        Targets.Jvm jvm = new Targets.Jvm(new VirtualMachineDescriptor(provider, "42",
                "app.jar --db.password=hunter2 --url=redis://:pw@cache:6379\u001b[8m"), null);
        assertEquals("app.jar --db.password=<redacted> --url=redis://:<redacted>@cache:6379?[8m", jvm.name());
    }
}
