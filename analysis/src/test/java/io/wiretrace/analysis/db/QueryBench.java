package io.wiretrace.analysis.db;

import static io.wiretrace.analysis.db.Bytes.concat;
import static io.wiretrace.analysis.db.Bytes.my;
import static io.wiretrace.analysis.db.Bytes.pg;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * ns and bytes allocated per round trip of the database readers, as the agent runs them on an app
 * thread: {@code QueryBench [ROUNDS]}. Each round feeds 20,000 round trips of one connection:
 * PostgreSQL as pgjdbc sends a prepared statement the first time (Parse, Bind, Describe, Execute,
 * Sync; the answer with 10 rows) and after (Bind, Execute, Sync), and MySQL's COM_QUERY with a
 * 10-row result set. The statement's normalisation is in the figures (it runs once per Parse or
 * COM_QUERY). Medians of the rounds.
 */
public final class QueryBench {
    private QueryBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        String sql = "select o.id, o.total, c.name from orders o join customers c on c.id = o.customer_id where o.id = $1 "
                + "and o.status = 'open' limit 10";
        byte[] parse = concat(pg('P', new Bytes().cstring("").cstring(sql).u8(0, 1).int32(23)),
                pg('B', new Bytes().cstring("").cstring("").u8(0, 0, 0, 1).int32(2).text("42").u8(0, 0)),
                pg('D', new Bytes().u8('P').cstring("")), pg('E', new Bytes().cstring("").int32(0)), pg('S', new Bytes()));
        byte[] named = concat(pg('P', new Bytes().cstring("S_1").cstring(sql).u8(0, 1).int32(23)),
                pg('B', new Bytes().cstring("").cstring("S_1").u8(0, 0, 0, 1).int32(2).text("42").u8(0, 0)),
                pg('D', new Bytes().u8('P').cstring("")), pg('E', new Bytes().cstring("").int32(0)), pg('S', new Bytes()));
        byte[] bind = concat(pg('B', new Bytes().cstring("").cstring("S_1").u8(0, 0, 0, 1).int32(2).text("42").u8(0, 0)),
                pg('E', new Bytes().cstring("").int32(0)), pg('S', new Bytes()));
        Bytes answer = new Bytes().bytes(pg('1', new Bytes())).bytes(pg('2', new Bytes()));
        for (int i = 0; i < 10; i++) {
            answer.bytes(pg('D', new Bytes().u8(0, 3).int32(4).text("1234").int32(6).text("100.50").int32(5).text("alice")));
        }
        byte[] pgAnswer = answer.bytes(pg('C', new Bytes().cstring("SELECT 10"))).bytes(pg('Z', new Bytes().u8('I'))).get();

        byte[] query = my(0, new Bytes().u8(3).text(sql.replace("$1", "42")));
        Bytes rows = new Bytes().bytes(my(1, new Bytes().u8(3)));
        for (int i = 0; i < 3; i++) {
            rows.bytes(my(2 + i, new Bytes().u8(3).text("def").u8(0, 0, 0).u8(1).text("a").u8(0).u8(0x0c).le(45, 2).le(11, 4)
                    .u8(3).le(0, 2).u8(0).u8(0, 0)));
        }
        for (int i = 0; i < 10; i++) {
            rows.bytes(my(5 + i, new Bytes().u8(4).text("1234").u8(6).text("100.50").u8(5).text("alice")));
        }
        byte[] myAnswer = rows.bytes(my(15, new Bytes().u8(0xfe, 0, 0).le(2, 2).le(0, 2))).get();

        int trips = 20_000;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        String[] names = {"postgresql parse+bind (unnamed)", "postgresql bind of S_1", "mysql COM_QUERY"};
        for (int kind = 0; kind < 3; kind++) {
            long[] ns = new long[rounds];
            long[] bytes = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                Wire w;
                if (kind == 2) {
                    w = MysqlWire.midStream(query, 0, query.length);
                } else {
                    w = PgWire.midStream(named, 0, named.length);
                    w.fromClient(named, 0, named.length);
                    w.fromServer(pgAnswer, 0, pgAnswer.length);
                }
                long a0 = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
                long t0 = System.nanoTime();
                for (int i = 0; i < trips; i++) {
                    if (kind == 0) {
                        w.fromClient(parse, 0, parse.length);
                        w.fromServer(pgAnswer, 0, pgAnswer.length);
                    } else if (kind == 1) {
                        w.fromClient(bind, 0, bind.length);
                        w.fromServer(pgAnswer, 0, pgAnswer.length);
                    } else {
                        w.fromClient(query, 0, query.length);
                        w.fromServer(myAnswer, 0, myAnswer.length);
                    }
                }
                ns[r] = (System.nanoTime() - t0) / trips;
                bytes[r] = (mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - a0) / trips;
                if (w.ended != w.begun || w.lost != null || w.rows != 10) {
                    throw new AssertionError(names[kind] + ": " + w.begun + "/" + w.ended + " " + w.lost + " rows " + w.rows);
                }
            }
            Arrays.sort(ns);
            Arrays.sort(bytes);
            System.out.printf("%-34s %6d ns per round trip (median of %d rounds, best %d), %5d bytes allocated%n",
                    names[kind], ns[rounds / 2], rounds, ns[0], bytes[rounds / 2]);
        }
    }
}
