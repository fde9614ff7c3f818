/**
 * Where a slow call's time went inside the JVM: {@code History} keeps the recent JDK events of
 * each thread from a JFR stream (JDK 14+), on JFR's stream thread, for the correlator's thread to
 * explain calls with. Depends on {@code analysis} only; never runs on an app thread.
 */
package io.wiretrace.agent.inapp;
