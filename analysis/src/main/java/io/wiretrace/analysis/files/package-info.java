/**
 * Files and directories wiretrace finds already there, in places other users share: whether they
 * may be trusted. Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.files;
