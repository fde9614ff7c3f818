/**
 * Database exchanges as wiretrace records them: the PostgreSQL, MySQL (MariaDB) and Redis wire
 * protocols read from the bytes each way of a connection, and statements normalised so that no
 * literal (a password, a name, an amount) is ever recorded. Depends on nothing else of wiretrace.
 */
package io.wiretrace.analysis.db;
