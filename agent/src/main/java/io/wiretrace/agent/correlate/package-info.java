/**
 * The join of packets and socket calls, live: the capture's readers hand it packets
 * ({@code PacketSink}), app threads hand it connections and slow calls ({@code CallSink}), and
 * its own thread explains each call with the analysis' verdict rules and commits
 * {@code wiretrace.SlowCall}. It depends on the app package (the connection objects), the capture
 * (its sink interface), the events and the analysis; never on the control.
 */
package io.wiretrace.agent.correlate;
