/**
 * What the agent and the CLI share: plain Java 11 with no dependency, loaded inside the target
 * JVM by the agent's class loader and in the CLI alike. It never depends on the agent.
 */
package io.wiretrace.analysis;
