package io.wiretrace.agent.events;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

@Name("wiretrace.SocketWrite")
@Label("Socket Write")
@Description("One write call on a TCP connection of the app.")
@Threshold("20 ms")
public final class SocketWriteEvent extends ConnectionEvent {
    @Label("Bytes Written")
    @Description("Bytes the write call wrote; 0 when it failed.")
    @DataAmount
    public long bytesWritten;

    @Label("Failure")
    @Description("The exception the write ended with, empty when it succeeded.")
    public String failure;
}
