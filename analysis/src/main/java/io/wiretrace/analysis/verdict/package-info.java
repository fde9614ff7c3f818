/**
 * Verdicts: the {@code Verdict} names, the evidence a flow keeps ({@code EvidenceRing}), the calls
 * to explain and the rules that explain them ({@code VerdictRules}). Depends on the TCP analysis.
 */
package io.wiretrace.analysis.verdict;
