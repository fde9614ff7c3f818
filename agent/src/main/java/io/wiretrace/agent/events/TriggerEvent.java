package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A watch's trigger fired. The connection fields name the call that fired it (connection id -1
 * and empty addresses for a rate, or a call on no connection), and {@link #outcome} says what the
 * watch did about it.
 */
@Name("wiretrace.Trigger")
@Label("Trigger")
@Description("A trigger of wiretrace watch fired: what fired it, and whether it cut a bundle.")
@Category({"Wiretrace", "Watch"})
@StackTrace(false)
public final class TriggerEvent extends ConnectionEvent {
    @Label("Trigger")
    @Description("The trigger as given to watch, e.g. slow>2s or verdict=PEER_RESET.")
    public String trigger;

    @Label("What Fired It")
    @Description("The call or the rate that fired it, in one sentence.")
    public String what;

    @Label("Verdict")
    @Description("The verdict of the call that fired it, if a call did and has one.")
    public String verdict;

    @Label("Firing")
    @Description("How many times this trigger has fired in this watch, this time included.")
    public long firing;

    @Label("Outcome")
    @Description("bundle (a bundle will hold it), window (inside the window of an earlier firing's bundle),"
            + " cooldown, or max-bundles (as many bundles as allowed were written).")
    public String outcome;

    @Label("Bundle")
    @Description("The bundle that holds it, if any.")
    public String bundle;
}
