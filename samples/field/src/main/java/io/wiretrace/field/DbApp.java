package io.wiretrace.field;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;

/**
 * A web app that talks to its database through HikariCP and a JDBC driver, on a JDK HTTP server:
 * {@code /orders} runs a slow query (a prepared statement that sleeps for {@code ?sleep=} seconds,
 * with a literal that must never be recorded), {@code /rows} a plain statement that returns three
 * rows on a connection of its own (opened for it, not from the pool), {@code /fail} a query on a
 * table that does not exist, {@code /fast} a quick query through the pool (for load). The pool has
 * two connections, or {@code -Ddbapp.pool=N}. Prints {@code READY port=N}.
 *
 * <p>Usage: {@code DbApp JDBC_URL USER PASSWORD postgresql|mysql}.
 */
public final class DbApp {
    private DbApp() {
    }

    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setUsername(args[1]);
        config.setPassword(args[2]);
        int size = Integer.getInteger("dbapp.pool", 2);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        HikariDataSource pool = new HikariDataSource(config);
        String sleep = args[3].equals("postgresql") ? "SELECT pg_sleep(?), 'secret-literal' AS tag"
                : "SELECT SLEEP(?), 'secret-literal' AS tag";
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setExecutor(Executors.newFixedThreadPool(Math.max(4, 2 * size)));
        server.createContext("/orders", x -> answer(x, () -> {
            try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sleep)) {
                s.setDouble(1, 0.4);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return "slept";
                }
            }
        }));
        server.createContext("/rows", x -> answer(x, () -> {
            try (Connection c = DriverManager.getConnection(args[0], args[1], args[2]); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3")) {
                int n = 0;
                while (r.next()) {
                    n++;
                }
                return n + " rows";
            }
        }));
        server.createContext("/fast", x -> answer(x, () -> {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT 1")) {
                r.next();
                return "fast";
            }
        }));
        server.createContext("/fail", x -> answer(x, () -> {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.executeQuery("SELECT * FROM no_such_table WHERE secret = 'secret-literal'");
                return "no error?";
            }
        }));
        server.start();
        System.out.println("READY port=" + server.getAddress().getPort());
        System.out.flush();
    }

    private interface Work {
        String run() throws SQLException;
    }

    private static void answer(HttpExchange x, Work work) throws IOException {
        int status = 200;
        String body;
        try {
            body = work.run();
        } catch (SQLException e) {
            status = 500;
            body = "error " + e.getSQLState();
        }
        byte[] b = (body + "\n").getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }
}
