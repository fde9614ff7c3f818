package io.wiretrace.analysis.h2;

/**
 * What a {@link FrameReader} found, called synchronously from {@link FrameReader#feed} once the
 * frame (for headers, the whole block) has been fed. It must not throw.
 */
public interface FrameListener {
    /**
     * A complete header block (HEADERS and any CONTINUATION) on a stream. method, path and
     * grpcStatus are null and status 0 when the block has none (trailers, say); the path is cut
     * and its query replaced as {@link io.wiretrace.analysis.http.RequestLine} records a target.
     */
    void headers(int streamId, boolean endStream, String method, String path, int status, String grpcStatus);

    /** A DATA frame: its payload's length, padding included (as flow control counts it). */
    void data(int streamId, int length, boolean endStream);

    /** RST_STREAM. */
    void reset(int streamId, long errorCode);

    /** GOAWAY. */
    void goAway(int lastStreamId, long errorCode);

    /** WINDOW_UPDATE; stream 0 is the connection. */
    void windowUpdate(int streamId, int increment);

    /**
     * A SETTINGS frame that is not an ACK: its SETTINGS_INITIAL_WINDOW_SIZE and
     * SETTINGS_HEADER_TABLE_SIZE, -1 where it has none.
     */
    void settings(int initialWindowSize, int headerTableSize);

    /**
     * The reader lost track (a malformed frame, a header block too large to keep, an HPACK error):
     * nothing more will be reported for this direction.
     */
    void lost(String why);
}
