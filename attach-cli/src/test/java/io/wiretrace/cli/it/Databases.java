package io.wiretrace.cli.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real database servers from Debian, started for a test as the unprivileged user {@code nobody} in a
 * directory of their own, listening on loopback on a port below the ephemeral range: PostgreSQL
 * (trust authentication, user {@code wt}; TLS with a self-signed certificate if asked) and MariaDB (no grant tables: any user gets in).
 */
final class Databases implements AutoCloseable {
    static final String POSTGRES_BIN = "/usr/lib/postgresql/15/bin";

    final Path dir;
    final int port;
    private final Process server;
    private final StringBuffer log = new StringBuffer();

    private Databases(Path dir, int port, List<String> command) throws Exception {
        this.dir = dir;
        this.port = port;
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LANG", "C");
        server = pb.start();
        java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                log.append(new String(server.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                log.append(e);
            }
        });
        boolean up = Harness.await(Harness.DEADLINE, () -> {
            if (!server.isAlive()) {
                throw new AssertionError("the database server ended: " + command + "\n" + log);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        if (!up) {
            close();
            throw new AssertionError("the database server did not listen on " + port + ": " + command + "\n" + log);
        }
    }

    /** PostgreSQL 15, its cluster made anew (trust authentication for user wt); with {@code tls}, a self-signed certificate. */
    static Databases postgres(boolean tls) throws Exception {
        Path dir = ownedByNobody();
        Path data = dir.resolve("data");
        run(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", POSTGRES_BIN + "/initdb", "-D",
                data.toString(), "-U", "wt", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"));
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                POSTGRES_BIN + "/postgres", "-D", data.toString(), "-k", dir.toString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "shared_buffers=16MB"));
        if (tls) {
            Path[] pair = certificate(dir);
            command.addAll(List.of("-c", "ssl=on", "-c", "ssl_cert_file=" + pair[1], "-c", "ssl_key_file=" + pair[0]));
        }
        int port = freePort();
        command.addAll(List.of("-p", String.valueOf(port)));
        return new Databases(dir, port, command);
    }

    /** MariaDB, its data directory made anew, without grant tables; with {@code tls}, a self-signed certificate. */
    static Databases mariadb(boolean tls) throws Exception {
        Path dir = ownedByNobody();
        Path data = dir.resolve("data");
        run(List.of("mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=nobody", "--skip-test-db",
                "--auth-root-authentication-method=normal"));
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "mariadbd", "--no-defaults", "--datadir=" + data, "--bind-address=127.0.0.1",
                "--socket=" + dir.resolve("mysqld.sock"), "--pid-file=" + dir.resolve("mysqld.pid"), "--skip-grant-tables",
                "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--skip-name-resolve"));
        if (tls) {
            Path[] pair = certificate(dir);
            command.addAll(List.of("--ssl-cert=" + pair[1], "--ssl-key=" + pair[0]));
        }
        int port = freePort();
        command.add("--port=" + port);
        return new Databases(dir, port, command);
    }

    /** A self-signed key and certificate for localhost in {@code dir}, readable by nobody alone: {key, certificate}. */
    private static Path[] certificate(Path dir) throws Exception {
        Path key = dir.resolve("server.key");
        Path cert = dir.resolve("server.crt");
        run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-subj", "/CN=localhost", "-days", "1"));
        run(List.of("chown", "nobody:nogroup", key.toString(), cert.toString()));
        run(List.of("chmod", "600", key.toString()));
        return new Path[] {key, cert};
    }

    private static Path ownedByNobody() throws Exception {
        Path dir = Files.createTempDirectory(Paths.get("/tmp"), "wiretrace-db");
        run(List.of("chown", "nobody:nogroup", dir.toString()));
        return dir;
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(command + " failed:\n" + out);
        }
    }

    /** A port below the ephemeral range (32768-60999) that nothing listens on now. */
    private static int freePort() throws IOException {
        for (int i = 0; i < 100; i++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 32000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException e) {
                // taken: another
            }
        }
        throw new IOException("no free port below 32000");
    }

    @Override
    public void close() throws Exception {
        server.destroy(); // SIGTERM: both shut down
        if (!server.waitFor(20, TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>();
            all.sorted(Comparator.reverseOrder()).forEach(paths::add);
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
    }
}
