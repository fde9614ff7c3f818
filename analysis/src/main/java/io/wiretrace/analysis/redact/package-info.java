/**
 * What of a target's names, values and command lines may be shown, the one set of rules for every
 * output (environment.txt, list, recording.jfr); and text from elsewhere made safe for a terminal.
 * Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.redact;
