package io.wiretrace.agent.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("wiretrace.SocketConnect")
@Label("Socket Connect")
@Description("The app opened a TCP connection; the duration runs from connect() until the connection was established or failed.")
@StackTrace(true)
public final class SocketConnectEvent extends ConnectionEvent {
    @Label("Failure")
    @Description("Why the connect failed, empty when it succeeded.")
    public String failure;
}
