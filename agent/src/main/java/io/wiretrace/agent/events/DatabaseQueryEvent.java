package io.wiretrace.agent.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * One round trip to a database (PostgreSQL, MySQL or MariaDB, Redis), seen in the bytes the app
 * wrote and read: from the request's first bytes written to the answer's last bytes read.
 */
@Name("wiretrace.DatabaseQuery")
@Label("Database Query")
@Description("A query, a batch of statements or a command sent to a database and its answer, from the bytes the app wrote "
        + "and read on one connection.")
@Category({"Wiretrace", "Database"})
@StackTrace(false)
@Threshold("20 ms")
public final class DatabaseQueryEvent extends ConnectionEvent {
    @Label("System")
    @Description("postgresql, mysql (MySQL and MariaDB) or redis.")
    public String system;

    @Label("Statement")
    @Description("The statement, normalised: every literal replaced by a parameter ($n, or ? for MySQL), comments dropped; "
            + "for Redis the command's name only; empty when not seen (prepared before the capture began).")
    public String statement;

    @Label("Statements")
    @Description("Statements or commands in the round trip (a batch, a pipeline); the first is named.")
    public int statements;

    @Label("Rows")
    @Description("Rows returned or changed, as the database counted them; -1 if it did not say.")
    public long rows;

    @Label("Error")
    @Description("The error the database answered with: an SQLSTATE (PostgreSQL), an error number (MySQL), "
            + "an error's first word (Redis); empty if none.")
    public String error;

    @Label("Answered")
    @Description("Whether the whole answer came; false when the connection ended or failed first.")
    public boolean answered;

    @Label("Request Thread")
    @Description("The thread that wrote the request.")
    public String requestThread;

    @Label("Request Sent")
    @Description("Time from the start until the request's last bytes were written.")
    @Timespan(Timespan.NANOSECONDS)
    public long requestSent;

    @Label("First Byte")
    @Description("Time from the start until the answer's first bytes were read.")
    @Timespan(Timespan.NANOSECONDS)
    public long firstByte;

    @Label("Last Byte")
    @Description("Time from the start until the answer's last bytes were read.")
    @Timespan(Timespan.NANOSECONDS)
    public long lastByte;

    @Label("Request Bytes")
    @Description("Bytes of the request as the app wrote them.")
    @DataAmount
    public long requestBytes;

    @Label("Response Bytes")
    @Description("Bytes of the answer as the app read them.")
    @DataAmount
    public long responseBytes;
}
