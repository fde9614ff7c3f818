package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** One name lookup through {@code InetAddress}: the JDK's cache answers most of them at once. */
@Name("wiretrace.DnsLookup")
@Label("DNS Lookup")
@Description("A host name resolved through InetAddress (getByName, getAllByName, InetSocketAddress), cache hits included.")
@Category({"Wiretrace", "DNS"})
@StackTrace(false)
@Threshold("20 ms")
public final class DnsLookupEvent extends Event {
    @Label("Host")
    @Description("The host name the app asked for.")
    public String host;

    @Label("Addresses")
    @Description("The addresses it resolved to, comma separated (at most eight).")
    public String addresses;

    @Label("Failure")
    @Description("The exception the lookup ended with, if any.")
    public String failure;
}
