/**
 * The JDK's own JFR events, read into the analysis' terms ({@code JdkEvents}): the agent's live
 * stream and the CLI's report read them the same way. The only analysis package that may use
 * {@code jdk.jfr}; depends on {@code verdict}.
 */
package io.wiretrace.analysis.jfr;
