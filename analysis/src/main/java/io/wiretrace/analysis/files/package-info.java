/**
 * Files and directories wiretrace finds already there, in places other users share: whether they
 * may be trusted; and the files it writes there ({@code PrivateFile}: one step, 0600, never
 * through a link). Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.files;
