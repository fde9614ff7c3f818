/**
 * The agent's entry ({@code Agent-Class}, {@code Premain-Class}): loaded by the app's system class
 * loader, so it uses nothing but the JDK. It builds the agent's own class loader over the jar's
 * {@code wiretrace-inf/} entries and hands every command to {@code control.AgentCommands} inside it
 * (src/docs/classloaders.md).
 */
package io.wiretrace.agent;
