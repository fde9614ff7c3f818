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
 * One HTTP/1.x request and its response on a connection, or one HTTP/2 stream, seen in the bytes
 * the app wrote and read. It starts when the request's first bytes were written (outgoing) or read
 * (incoming) and ends with the response's last bytes.
 */
@Name("wiretrace.HttpExchange")
@Label("HTTP Exchange")
@Description("An HTTP request and its response (HTTP/1.x, or one HTTP/2 stream), from the bytes the app wrote and read on one connection.")
@Category({"Wiretrace", "HTTP"})
@StackTrace(false)
@Threshold("20 ms")
public final class HttpExchangeEvent extends ConnectionEvent {
    @Label("Direction")
    @Description("outgoing: the app called a server; incoming: the app served a client.")
    public String direction;

    @Label("Method")
    @Description("The request method, e.g. GET.")
    public String method;

    @Label("Path")
    @Description("The request path; a query string is replaced by '?…'.")
    public String path;

    @Label("Stream")
    @Description("The HTTP/2 stream id; 0 for HTTP/1.x.")
    public int streamId;

    @Label("Status")
    @Description("The response status code, or 0 when no response came before the connection ended.")
    public int status;

    @Label("Request Thread")
    @Description("The thread that wrote (outgoing) or read (incoming) the request.")
    public String requestThread;

    @Label("Request Sent")
    @Description("Time from the start until the request's last bytes were written (outgoing) or read (incoming).")
    @Timespan(Timespan.NANOSECONDS)
    public long requestSent;

    @Label("First Byte")
    @Description("Time from the start until the response's first bytes were read (outgoing) or written (incoming).")
    @Timespan(Timespan.NANOSECONDS)
    public long firstByte;

    @Label("Last Byte")
    @Description("Time from the start until the response's last bytes were read (outgoing) or written (incoming).")
    @Timespan(Timespan.NANOSECONDS)
    public long lastByte;

    @Label("DNS")
    @Description("On a connection's first exchange, the name lookup that gave the app the address it connected to "
            + "(on the connecting thread, within a second before); 0 if none was seen or on later exchanges.")
    @Timespan(Timespan.NANOSECONDS)
    public long dns;

    @Label("Connect")
    @Description("On a connection's first exchange, the app's connect; 0 on later exchanges and incoming ones.")
    @Timespan(Timespan.NANOSECONDS)
    public long connect;

    @Label("TLS")
    @Description("On a connection's first exchange, its TLS handshake; 0 if none or on later exchanges.")
    @Timespan(Timespan.NANOSECONDS)
    public long tls;

    @Label("Request Bytes")
    @Description("Bytes of the request, headers and body, as the app wrote (outgoing) or read (incoming) them.")
    @DataAmount
    public long requestBytes;

    @Label("Response Bytes")
    @Description("Bytes of the response, headers and body, as the app read (outgoing) or wrote (incoming) them.")
    @DataAmount
    public long responseBytes;

    @Label("Streamed")
    @Description("The response streamed: server-sent events, a chunked response flushed piece by piece, a WebSocket "
            + "after its 101, an HTTP/2 or gRPC stream whose DATA came piece by piece. Its time is judged by its first "
            + "byte, not by its duration.")
    public boolean streamed;

    @Label("Stream Kind")
    @Description("How the stream was known: sse, chunked, websocket, h2 or grpc; null when it did not stream.")
    public String streamKind;

    @Label("Longest Gap")
    @Description("The longest time between two pieces of the response after its first byte (for a WebSocket, between "
            + "two of the server's writes).")
    @Timespan(Timespan.NANOSECONDS)
    public long longestGap;

    /** The exchange's fields; times are System.nanoTime() (0: not reached), made relative to its start. */
    public void set(boolean incoming, String method, String path, int status, String thread, long start, long sent,
            long first, long last, long requestBytes, long responseBytes) {
        this.direction = incoming ? "incoming" : "outgoing";
        this.method = method;
        this.path = path;
        this.status = status;
        this.requestThread = thread;
        this.requestSent = sent - start;
        this.firstByte = first == 0 ? 0 : first - start;
        this.lastByte = last == 0 ? 0 : last - start;
        this.requestBytes = requestBytes;
        this.responseBytes = responseBytes;
    }
}
