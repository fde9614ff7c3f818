package io.wiretrace.analysis.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SqlTest {
    @Test
    void literalsBecomeParametersAfterTheStatementsOwn() {
        assertEquals("SELECT * FROM users WHERE name = $2 AND id = $1 AND age > $3",
                Sql.normalize("SELECT * FROM users WHERE name = 'bob' AND id = $1 AND age > 42", true));
        assertEquals("select pg_sleep($1)", Sql.normalize("select pg_sleep(0.4)", true));
        assertEquals("UPDATE t1 SET col2 = ? WHERE id IN (?, ?, ?)",
                Sql.normalize("UPDATE t1 SET col2 = 'it''s' WHERE id IN (1, 2.5, 3e10)", false));
    }

    @Test
    void secretsInAnyLiteralFormAreGone() {
        String[] pg = {"ALTER USER bob PASSWORD 'secret'", "SELECT E'sec\\'ret'", "SELECT $$secret$$",
            "SELECT $tag$se$$cret$tag$", "SELECT X'5ec2e7'", "SELECT B'1010', 'a' 'secret'"};
        for (String s : pg) {
            String n = Sql.normalize(s, true);
            assertFalse(n.contains("secret") || n.contains("5ec2e7") || n.contains("1010") || n.contains("ret"), s + " -> " + n);
        }
        String[] my = {"SET PASSWORD = 'secret'", "SELECT \"secret\"", "SELECT 'sec\\'ret'", "SELECT 0x5ec2e7"};
        for (String s : my) {
            String n = Sql.normalize(s, false);
            assertFalse(n.contains("secret") || n.contains("5ec2e7") || n.contains("ret"), s + " -> " + n);
        }
    }

    @Test
    void identifiersCommentsAndSpaceAsPgStatStatementsKeepsThem() {
        assertEquals("SELECT \"Weird 'name'\" FROM \"t 1\" WHERE a = $1",
                Sql.normalize("SELECT \"Weird 'name'\"   FROM \"t 1\"\n  WHERE a = 'x' -- trailing 'secret'\n", true));
        assertEquals("SELECT `col 'x'` FROM t WHERE b = ?", Sql.normalize("SELECT `col 'x'` /* 'secret' */ FROM t WHERE b = 7", false));
        assertEquals("SELECT a$1 FROM t", Sql.normalize("SELECT a$1 FROM t", true));
    }

    @Test
    void longStatementsAreCutAndAnOpenLiteralHidesTheRest() {
        StringBuilder sb = new StringBuilder("SELECT ");
        for (int i = 0; i < 2000; i++) {
            sb.append("col").append(i).append(", ");
        }
        String n = Sql.normalize(sb, true);
        assertEquals(Sql.MAX + 1, n.length());
        assertTrue(n.endsWith("…"));
        assertEquals("INSERT INTO t VALUES ($1", Sql.normalize("INSERT INTO t VALUES ('secret, cut before its quote", true));
    }
}
