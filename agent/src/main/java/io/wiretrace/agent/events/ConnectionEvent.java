package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;

/** The fields every event about one connection carries (the event contract in the docs). */
@Category({"Wiretrace", "Socket"})
public abstract class ConnectionEvent extends Event {
    @Label("Connection Id")
    @Description("Identifies the connection within one capture; the pcapng packet comments name the same id.")
    public long connectionId;

    @Label("Local Address")
    @Description("The address of the app's end of the connection.")
    public String localAddress;

    @Label("Local Port")
    @Description("The port of the app's end of the connection.")
    public int localPort;

    @Label("Remote Address")
    @Description("The address of the peer's end of the connection.")
    public String remoteAddress;

    @Label("Remote Port")
    @Description("The port of the peer's end of the connection.")
    public int remotePort;

    public final void set(long id, String localAddress, int localPort, String remoteAddress, int remotePort) {
        this.connectionId = id;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
    }
}
