package io.wiretrace.analysis.h2;

import io.netty.handler.codec.http2.Http2Headers;
import io.wiretrace.analysis.http.RequestLine;
import java.util.ArrayList;
import java.util.List;

/** A listener that writes down what it is told, one line per event. */
final class Recorder implements FrameListener {
    final List<String> events = new ArrayList<>();
    int lost;

    static String headersEvent(int stream, boolean end, String method, String path, int status, String grpc) {
        return "HEADERS " + stream + (end ? " end " : " ") + method + " " + path + " " + status + " " + grpc;
    }

    /** What the reader reports for these headers: the path as RequestLine records it. */
    static String headersEvent(int stream, boolean end, Http2Headers h) {
        CharSequence status = h.status();
        CharSequence grpc = h.get("grpc-status");
        return headersEvent(stream, end, h.method() == null ? null : h.method().toString(),
                h.path() == null ? null : RequestLine.target(h.path()),
                status == null ? 0 : Integer.parseInt(status.toString()), grpc == null ? null : grpc.toString());
    }

    static String dataEvent(int stream, int length, boolean end) {
        return "DATA " + stream + " " + length + (end ? " end" : "");
    }

    static String resetEvent(int stream, long code) {
        return "RST_STREAM " + stream + " " + code;
    }

    static String goAwayEvent(int last, long code) {
        return "GOAWAY " + last + " " + code;
    }

    static String windowUpdateEvent(int stream, int increment) {
        return "WINDOW_UPDATE " + stream + " " + increment;
    }

    static String settingsEvent(int window, int table) {
        return "SETTINGS " + window + " " + table;
    }

    @Override
    public void headers(int streamId, boolean endStream, String method, String path, int status, String grpcStatus) {
        events.add(headersEvent(streamId, endStream, method, path, status, grpcStatus));
    }

    @Override
    public void data(int streamId, int length, boolean endStream) {
        events.add(dataEvent(streamId, length, endStream));
    }

    @Override
    public void reset(int streamId, long errorCode) {
        events.add(resetEvent(streamId, errorCode));
    }

    @Override
    public void goAway(int lastStreamId, long errorCode) {
        events.add(goAwayEvent(lastStreamId, errorCode));
    }

    @Override
    public void windowUpdate(int streamId, int increment) {
        events.add(windowUpdateEvent(streamId, increment));
    }

    @Override
    public void settings(int initialWindowSize, int headerTableSize) {
        events.add(settingsEvent(initialWindowSize, headerTableSize));
    }

    @Override
    public void lost(String why) {
        lost++;
        events.add("LOST " + why);
    }
}
