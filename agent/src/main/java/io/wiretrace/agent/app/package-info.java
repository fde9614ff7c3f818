/**
 * Code that runs on the app's threads: the Byte Buddy advice and its installer, the socket hooks
 * ({@code Tracer}), TLS views, the HTTP/1.x exchange parser and the connection objects
 * ({@code Conn}). It never blocks, never takes a lock the agent's threads hold for long, and hands
 * its findings over through {@code CallSink}: it depends on the JFR events and the analysis,
 * never on the capture, the correlation or the control.
 */
package io.wiretrace.agent.app;
