/**
 * The packet capture on the agent's own threads: interfaces as libpcap lists them, one
 * {@code Source} per interface (libpcap's loop into a pipe, a reader thread), the files it
 * writes through the analysis' savefile writer. Each packet goes to a {@code PacketSink}; the
 * capture knows nothing else of the agent (not the app's code, not the correlation).
 */
package io.wiretrace.agent.capture;
