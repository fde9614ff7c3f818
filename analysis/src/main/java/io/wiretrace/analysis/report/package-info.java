/**
 * The report: report.json and report.html from a capture's files and recording.jfr, made by the
 * CLI ({@code collect}, {@code analyze}) and, for a bundle that a trigger cut, by the agent in the
 * target JVM, then focused on the call that fired. {@code Report} builds, focuses and writes it;
 * the rest is its own. Depends on {@code offline}, {@code verdict}, {@code jfr}, {@code redact},
 * {@code files}, and reads the recording through {@code jdk.jfr.consumer}.
 */
package io.wiretrace.analysis.report;
