/**
 * The TCP analysis: frames parsed, flows keyed by their 4-tuple, and per packet what Wireshark's
 * {@code tcp.analysis.*} says (retransmissions, duplicate ACKs, zero windows, RTTs). Depends on
 * nothing else of wiretrace.
 */
package io.wiretrace.analysis.tcp;
