package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The counters tcpdump prints when it exits, recorded every period for each capture interface;
 * when no packets can be captured at all, one event per period that says why ({@link #packetsOff}).
 */
@Name("wiretrace.CaptureStatistics")
@Label("Capture Statistics")
@Description("Packet counters of one capture interface since the capture started, as tcpdump prints them at exit.")
@Category({"Wiretrace", "Capture"})
@Period("1 s")
@StackTrace(false)
public final class CaptureStatisticsEvent extends Event {
    @Label("Interface")
    @Description("The capture interface, as -i named it.")
    public String captureInterface;

    @Label("Packets Captured")
    @Description("Packets written to the capture files.")
    public long packetsCaptured;

    @Label("Packets Received by Filter")
    @Description("Packets that matched the filter, as libpcap counts them (on lo, each packet counts twice).")
    public long packetsReceived;

    @Label("Packets Dropped by Kernel")
    @Description("Packets the kernel dropped because its capture buffer was full (on lo, each counts twice).")
    public long packetsDroppedByKernel;

    @Label("Packets Dropped by Interface")
    @Description("Packets the network interface or its driver dropped.")
    public long packetsDroppedByInterface;

    @Label("Packets Dropped by Wiretrace")
    @Description("Packets libpcap handed over that wiretrace could not write, e.g. after the disk filled up.")
    public long packetsDroppedByWiretrace;

    @Label("Bytes Captured")
    @Description("Captured bytes of the packets written, as cut to the snapshot length.")
    @DataAmount
    public long bytesCaptured;

    @Label("File")
    @Description("The capture file being written.")
    public String file;

    @Label("Packets Off")
    @Description("Why no packets are captured at all (the app's user may not capture, or libpcap cannot be loaded),"
            + " or null while they are. The socket events and slow calls are still recorded; their verdicts then"
            + " rest on the app's own timings alone.")
    public String packetsOff;

    @Label("Exchange Threshold")
    @Description("The least time an HTTP exchange took to be recorded (--exchange-threshold); 0: every exchange is in"
            + " the recording. Above 0 the shorter ones are counted instead (Incoming and Outgoing Exchanges Not"
            + " Recorded).")
    @Timespan(Timespan.NANOSECONDS)
    public long exchangeThreshold;

    @Label("Incoming Exchanges Not Recorded")
    @Description("HTTP exchanges the app served that ended since the last such event and are not in the recording,"
            + " being shorter than the exchange threshold; counted on one interface's event only.")
    public long incomingUnrecorded;

    @Label("Outgoing Exchanges Not Recorded")
    @Description("HTTP exchanges the app made that ended since the last such event and are not in the recording,"
            + " being shorter than the exchange threshold; counted on one interface's event only.")
    public long outgoingUnrecorded;
}
