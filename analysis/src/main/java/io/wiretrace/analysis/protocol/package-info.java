/**
 * The agent and the CLI talking: the argument grammar ({@code Args}), the commands and the keys
 * each takes, the start options checked in one place, replies, durations, and the build's
 * identity. Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.protocol;
