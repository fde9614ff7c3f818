package io.wiretrace.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import io.wiretrace.analysis.protocol.Args;
import io.wiretrace.analysis.protocol.Commands;
import io.wiretrace.analysis.protocol.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop asked through the Attach API does its work on a thread of the agent's: the Attach
 * Listener answers at once (the JVM's exit and every other attach wait on it), and the reply is
 * published when the capture has stopped (it waits 250 ms for the kernel's last packets).
 */
class StopIT {
    @Test
    void stopFreesTheAttachListenerAtOnceAndPublishesItsReply(@TempDir Path tmp) throws Exception {
        try (Harness.App app = Harness.idle()) {
            Path out = tmp.resolve("out");
            Harness.cli("start", app.pid(), "-i", "lo", "-w", out.toString()).expect(0);
            String token = UUID.randomUUID().toString();
            VirtualMachine vm = VirtualMachine.attach(app.pid());
            try {
                vm.loadAgent(Harness.AGENT_JAR.toString(), new Args(Commands.STOP, Map.of(Commands.REPLY, token)).format());
                assertNull(vm.getAgentProperties().getProperty(Commands.REPLY_PROPERTY + token),
                        "the stop ran on the Attach Listener: its reply was there when the load returned");
                AtomicReference<String> reply = new AtomicReference<>();
                assertTrue(Harness.await(Harness.DEADLINE, () -> {
                    reply.set(vm.getAgentProperties().getProperty(Commands.REPLY_PROPERTY + token));
                    return reply.get() != null;
                }), "no reply was published");
                Reply r = Reply.parse(reply.get());
                assertEquals(0, r.code, r.text);
                assertTrue(r.text.contains("stopped in "), r.text);
            } finally {
                vm.detach();
            }
            assertTrue(Files.exists(out.resolve("recording.jfr")));
            String status = Harness.cli("status", app.pid()).out;
            assertTrue(status.contains("idle"), status);
        }
    }
}
