package app.apimodels.core.engine;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads an engine's database behind its back, as an auditor would: what is stored, not what the API shows. */
record DatabaseProbe(Map<String, String> settings) {

    static final Set<Integer> TEXT = Set.of(Types.VARCHAR, Types.CHAR, Types.LONGVARCHAR, Types.CLOB, Types.NVARCHAR,
            Types.NCHAR, Types.LONGNVARCHAR, Types.NCLOB);

    Connection connect() throws SQLException {
        return DriverManager.getConnection(settings.get("apimodels.db.url"), settings.get("apimodels.db.user"),
                settings.get("apimodels.db.password"));
    }

    /** One number from a query. */
    long number(String sql, Object... args) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** One text from a query, or null if it finds no row. */
    String text(String sql, Object... args) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    int update(String sql) throws SQLException {
        try (Connection c = connect()) {
            return c.createStatement().executeUpdate(sql);
        }
    }

    /**
     * Every row of every text column, in every table of the schema (from the database's own catalog,
     * so a table added later is searched too), that contains {@code needle}, case-insensitively: one
     * "table.column" per row.
     */
    List<String> find(String needle) throws SQLException {
        List<String> hits = new ArrayList<>();
        try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            List<String[]> columns = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, c.getSchema(), "%", "%")) {
                while (rs.next()) {
                    if (TEXT.contains(rs.getInt("DATA_TYPE"))) {
                        columns.add(new String[] {rs.getString("TABLE_NAME"), rs.getString("COLUMN_NAME")});
                    }
                }
            }
            assertThat(columns).as("the catalog lists the text columns").hasSizeGreaterThan(30);
            for (String[] col : columns) {
                try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + col[0] + " WHERE LOWER(" + col[1] + ") LIKE ?")) {
                    ps.setString(1, "%" + needle.toLowerCase(Locale.ROOT) + "%");
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        for (int i = 0; i < rs.getInt(1); i++) {
                            hits.add(col[0] + "." + col[1]);
                        }
                    }
                }
            }
        }
        return hits;
    }
}
