package app.apimodels.core.db;

import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedded H2 database used when neither a DataSource nor apimodels.db.url is given. */
class EmbeddedDatabaseTest {

    @TempDir
    Path dataDir;

    /**
     * H2 left to itself closes a file database from a JVM shutdown hook, which runs beside the
     * server's own hook (Jetty, Payara Micro at SIGTERM) while the application is still writing its
     * ledger. Only the engine's pool may close it.
     */
    @Test
    void isClosedByTheEngineNotByH2AtJvmExit() throws Exception {
        Settings settings = new Settings(ConfigSource.of(Map.of("apimodels.data-dir", dataDir.toString())));
        Database db = Database.open(null, settings);
        try {
            assertThat(db.vendor()).isEqualTo(Database.Vendor.H2);
            assertThat(((HikariDataSource) db.dataSource()).getJdbcUrl())
                    .startsWith("jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("apimodels"))
                    .contains(";DB_CLOSE_ON_EXIT=FALSE");
            try (Connection c = db.connection();
                 ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM apimodels_schema_history")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getInt(1)).isPositive();
            }
        } finally {
            db.close();
        }
        assertThat(((HikariDataSource) db.dataSource()).isClosed()).isTrue();
    }
}
