/**
 * {@code wiretrace analyze} from packets alone: the same TCP analysis, evidence and verdict rules
 * as the live agent, over capture files. Depends on the other analysis packages.
 */
package io.wiretrace.analysis.offline;
