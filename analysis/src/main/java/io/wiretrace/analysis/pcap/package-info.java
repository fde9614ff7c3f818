/**
 * Capture files: the rotating pcapng/pcap writer ({@code SavefileWriter}), the reader
 * ({@code CaptureFile}), strftime for {@code -G} names, and the packet comments, written and read
 * in one place ({@code PacketComments}). Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.pcap;
