package app.apimodels.core.db;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine is dropped into a host application's own database: it must migrate beside the host's
 * tables — even ones named like the concepts it has — and never touch them.
 */
class HostTablesTest {

    @TempDir
    Path dataDir;

    private static final List<String> HOST_TABLES = List.of("account", "task", "transfer", "hold");

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void migratesBesideTheHostsTablesAndLeavesThemUntouched(TestDatabases kind) throws SQLException {
        Map<String, String> settings = new HashMap<>(kind.settings());
        settings.put("apimodels.data-dir", dataDir.toString());
        settings.put("apimodels.bootstrap.admin-key", "sk-host-tables-admin-key-0123456789");
        try (Connection c = connect(settings); Statement s = c.createStatement()) {
            // The host's own shapes: same names as apimodels' concepts, different columns.
            s.execute("CREATE TABLE account (id INT PRIMARY KEY, login VARCHAR(40) NOT NULL, balance_cents INT)");
            s.execute("CREATE TABLE task (id INT PRIMARY KEY, title VARCHAR(80), done BOOLEAN)");
            s.execute("CREATE TABLE transfer (id INT PRIMARY KEY, note VARCHAR(80))");
            s.execute("CREATE TABLE hold (id INT PRIMARY KEY, item VARCHAR(80))");
            s.execute("INSERT INTO account VALUES (1, 'alice', 100), (2, 'bob', 250)");
            s.execute("INSERT INTO task VALUES (1, 'ship it', FALSE)");
            s.execute("INSERT INTO transfer VALUES (7, 'host transfer')");
            s.execute("INSERT INTO hold VALUES (9, 'host hold')");
        }
        Map<String, List<String>> before = snapshot(settings);

        // Started twice: the first start migrates, the second finds its own history and changes nothing.
        for (int start = 0; start < 2; start++) {
            try (ApiModels engine = ApiModels.builder().config(ConfigSource.of(settings)).build()) {
                assertThat(engine.ready()).isTrue();
            }
        }

        assertThat(snapshot(settings)).isEqualTo(before);
        try (Connection c = connect(settings); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM apimodels_account WHERE role = 'admin'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the engine's own account table holds the bootstrap admin").isEqualTo(1);
        }
        try (Connection c = connect(settings); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                     "SELECT COUNT(*) FROM apimodels_schema_history WHERE success AND version IN ('1', '2')")) {
            rs.next();
            assertThat(rs.getLong(1)).as("every migration of ours ran (none skipped by a baseline)").isEqualTo(2);
        }
    }

    /** Every host table's columns and rows, as text, in a stable order. */
    private static Map<String, List<String>> snapshot(Map<String, String> settings) throws SQLException {
        Map<String, List<String>> out = new HashMap<>();
        try (Connection c = connect(settings); Statement s = c.createStatement()) {
            for (String table : HOST_TABLES) {
                List<String> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY id")) {
                    int columns = rs.getMetaData().getColumnCount();
                    StringBuilder header = new StringBuilder();
                    for (int i = 1; i <= columns; i++) {
                        header.append(rs.getMetaData().getColumnName(i).toLowerCase()).append(' ');
                    }
                    rows.add(header.toString());
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= columns; i++) {
                            row.append(rs.getString(i)).append('|');
                        }
                        rows.add(row.toString());
                    }
                }
                out.put(table, rows);
            }
        }
        return out;
    }

    private static Connection connect(Map<String, String> settings) throws SQLException {
        return DriverManager.getConnection(settings.get("apimodels.db.url"),
                settings.getOrDefault("apimodels.db.user", ""), settings.getOrDefault("apimodels.db.password", ""));
    }
}
