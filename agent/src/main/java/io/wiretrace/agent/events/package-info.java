/**
 * The JFR events ({@code wiretrace.*}): the event contract of the docs. They depend on jdk.jfr
 * alone; whoever commits one fills it in.
 */
package io.wiretrace.agent.events;
