package io.wiretrace.agent.events;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("wiretrace.SocketClose")
@Label("Socket Close")
@Description("The app closed a TCP connection, or dropped its socket unclosed and the GC collected it.")
@StackTrace(false)
public final class SocketCloseEvent extends ConnectionEvent {
    @Label("Bytes Read")
    @Description("Bytes the app read on the connection while wiretrace watched it.")
    @DataAmount
    public long bytesRead;

    @Label("Bytes Written")
    @Description("Bytes the app wrote on the connection while wiretrace watched it.")
    @DataAmount
    public long bytesWritten;

    @Label("Lifetime")
    @Description("Time from when wiretrace first saw the connection until it was closed.")
    @Timespan(Timespan.NANOSECONDS)
    public long lifetime;
}
