package io.wiretrace.agent.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("wiretrace.SocketAccept")
@Label("Socket Accept")
@Description("The app accepted a TCP connection; the duration is the time spent waiting in accept().")
@StackTrace(false)
public final class SocketAcceptEvent extends ConnectionEvent {
}
