package io.wiretrace.agent.events;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

@Name("wiretrace.SocketRead")
@Label("Socket Read")
@Description("One read call on a TCP connection of the app.")
@Threshold("20 ms")
public final class SocketReadEvent extends ConnectionEvent {
    @Label("Bytes Read")
    @Description("Bytes the read returned; 0 at end of stream or when it failed.")
    @DataAmount
    public long bytesRead;

    @Label("End of Stream")
    @Description("The peer had closed its side: the read returned end of stream.")
    public boolean endOfStream;

    @Label("Failure")
    @Description("The exception the read ended with, empty when it succeeded.")
    public String failure;
}
