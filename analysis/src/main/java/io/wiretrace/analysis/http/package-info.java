/**
 * HTTP as wiretrace records it: request lines, the query redacted, and the names for what a
 * connection carries. Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.http;
