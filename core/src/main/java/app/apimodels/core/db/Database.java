package app.apimodels.core.db;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;

/**
 * The database the engine keeps its state in: a container DataSource, or a HikariCP pool on
 * {@code apimodels.db.url}, or an embedded H2 file under the data directory. Migrated by Flyway
 * with its own history table, so it can share a schema with the host application.
 */
public final class Database implements AutoCloseable {

    public enum Vendor { H2, POSTGRESQL }

    private final DataSource dataSource;
    private final HikariDataSource owned;
    private final Vendor vendor;

    private Database(DataSource dataSource, HikariDataSource owned) {
        this.dataSource = dataSource;
        this.owned = owned;
        this.vendor = detect(dataSource);
    }

    /** Uses the given DataSource, or builds a pool from settings. Then migrates the schema. */
    public static Database open(DataSource given, Settings settings) {
        Database db;
        if (given != null) {
            db = new Database(given, null);
        } else {
            // DB_CLOSE_ON_EXIT=FALSE: H2 would otherwise close the embedded database from a JVM shutdown
            // hook of its own, beside the server's hook that stops the application, so the ledger's last
            // writes at a SIGTERM could find it closed (seen on Jetty: a settlement then waits in the
            // journal for the next start). The engine closes the pool itself; the last connection
            // closed closes the database.
            String url = settings.find(Keys.DB_URL).orElseGet(() ->
                    "jdbc:h2:file:" + settings.get(Keys.DATA_DIR).toAbsolutePath().normalize().resolve("apimodels")
                            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE");
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(url);
            String driver = driverFor(url);
            if (driver != null) {
                hc.setDriverClassName(driver);
            }
            settings.find(Keys.DB_USER).ifPresent(hc::setUsername);
            settings.find(Keys.DB_PASSWORD).ifPresent(hc::setPassword);
            hc.setMaximumPoolSize(settings.get(Keys.DB_POOL_SIZE));
            hc.setPoolName("apimodels");
            if (url.startsWith("jdbc:postgresql:")) {
                // One round trip for a batch of inserts: the ledger writer relies on it.
                hc.addDataSourceProperty("reWriteBatchedInserts", "true");
            }
            HikariDataSource pool;
            try {
                pool = new HikariDataSource(hc);
            } catch (RuntimeException e) {
                throw new ConfigException("apimodels.db.url: cannot connect to " + redact(url) + ": " + e.getMessage(), e);
            }
            db = new Database(pool, pool);
        }
        db.migrate();
        return db;
    }

    /**
     * The driver of a URL we support, named so the pool loads it itself. Inside a web application a
     * driver in WEB-INF/lib is often not known to {@link java.sql.DriverManager} (the server set it
     * up before the application existed), which would then answer "no suitable driver".
     */
    private static String driverFor(String url) {
        if (url.startsWith("jdbc:h2:")) {
            return "org.h2.Driver";
        }
        return url.startsWith("jdbc:postgresql:") ? "org.postgresql.Driver" : null;
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    private static Vendor detect(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            String name = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
            if (name.contains("postgres")) {
                return Vendor.POSTGRESQL;
            }
            if (name.contains("h2")) {
                return Vendor.H2;
            }
            throw new ConfigException("apimodels.db: unsupported database '" + name + "' (PostgreSQL or H2)");
        } catch (SQLException e) {
            throw new ConfigException("apimodels.db: cannot connect: " + e.getMessage(), e);
        }
    }

    /**
     * Every object of ours is prefixed {@code apimodels_}, so the engine can share a schema with the
     * host application. Flyway refuses a non-empty schema without its history table unless told to
     * baseline; the baseline is version 0, below every migration of ours, so it only records "the
     * host was here first" and every migration still runs (never skipped over the host's tables).
     */
    private void migrate() {
        Flyway.configure(Database.class.getClassLoader())
                .dataSource(dataSource)
                .table("apimodels_schema_history")
                .locations("classpath:app/apimodels/core/db/migration")
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
    }

    public Vendor vendor() {
        return vendor;
    }

    /** For libraries that manage their own connections (the job runner). */
    /** The pool's own counters, when this database made the pool (not for a DataSource it was given). */
    public Optional<HikariPoolMXBean> pool() {
        return Optional.ofNullable(owned).map(HikariDataSource::getHikariPoolMXBean);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
