/**
 * HTTP/2 as the agent sees it in the bytes an app reads and writes: per direction of a connection,
 * a {@code FrameReader} that follows the frames as they come, in pieces of any size, and reports
 * header blocks (method, path, status, grpc-status), DATA lengths, resets, GOAWAYs, window updates
 * and settings; and {@code Hpack}, the header decoder, which keeps no header value but those it
 * reports, so that no cookie or token is held. Made to run on the app's threads: no locks, no
 * allocation per frame, bounded memory, and no exception for malformed input. Depends on
 * {@code http} (paths are recorded as request targets are) and nothing else of wiretrace.
 */
package io.wiretrace.analysis.h2;
