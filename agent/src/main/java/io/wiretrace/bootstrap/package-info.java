/**
 * The dispatcher that advice inlined into JDK classes calls: defined in the bootstrap class
 * loader, so it depends on java.base alone, stays tiny, and declares its interface version
 * ({@code Dispatcher.ABI}) for the agent that finds one already defined.
 */
package io.wiretrace.bootstrap;
