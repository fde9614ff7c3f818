/**
 * The agent's commands and lifecycle: {@code AgentCommands} answers start, status, progress, stop
 * and interfaces; a {@code Session} wires one capture together (the capture, the correlator, the
 * advice, the recording) and takes it apart again; the bootstrap dispatcher is defined here. It
 * runs on the Attach Listener thread (or main, with -javaagent) and may use every other package;
 * nothing depends on it.
 */
package io.wiretrace.agent.control;
