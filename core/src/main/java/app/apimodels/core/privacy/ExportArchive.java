package app.apimodels.core.privacy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The export being written: a ZIP of JSON and CSV files about one account. Sections read through
 * {@link #connection()} (one transaction, so the files agree with each other) and write rows as they
 * come from the database, so an account with millions of calls needs no more memory than one.
 */
public final class ExportArchive {

    /** Rows fetched from the database at a time. */
    private static final int FETCH_SIZE = 500;

    /** Writes a JSON file through a generator. */
    @FunctionalInterface
    public interface JsonBody {
        void write(JsonGenerator json) throws IOException, SQLException;
    }

    /** Handles one row of a query. */
    @FunctionalInterface
    public interface RowHandler {
        void row(ResultSet rs) throws IOException, SQLException;
    }

    private final ZipOutputStream zip;
    private final Connection connection;
    private final JsonFactory json;
    private final long accountId;
    private final long walletId;
    private final long holdId;
    private final String baseUrl;
    private final List<String> files = new ArrayList<>();

    ExportArchive(ZipOutputStream zip, Connection connection, JsonFactory json, long accountId, long walletId, long holdId,
                  String baseUrl) {
        this.zip = zip;
        this.connection = connection;
        this.json = json;
        this.accountId = accountId;
        this.walletId = walletId;
        this.holdId = holdId;
        this.baseUrl = baseUrl;
    }

    public long accountId() {
        return accountId;
    }

    /** The account's wallet in the ledger. */
    public long walletId() {
        return walletId;
    }

    /** The account's hold account in the ledger (credits reserved for calls in flight). */
    public long holdId() {
        return holdId;
    }

    /** Where the service is reached, for links in the export. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The export's transaction (read only by convention). */
    public Connection connection() {
        return connection;
    }

    /** The files written so far. */
    public List<String> files() {
        return List.copyOf(files);
    }

    /** Whether a table exists (a section for an optional part of the service). */
    public boolean tableExists(String table) throws SQLException {
        return app.apimodels.core.db.Sql.tableExists(connection, table);
    }

    /** Runs a query, handing each row over as it is read. */
    public void query(String sql, RowHandler handler, Object... args) throws IOException, SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(FETCH_SIZE);
            app.apimodels.core.db.Sql.bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    handler.row(rs);
                }
            }
        }
    }

    /** A JSON file written by {@code body}. */
    public void json(String file, JsonBody body) throws IOException, SQLException {
        try (JsonGenerator g = json.createGenerator(entry(file)).useDefaultPrettyPrinter()) {
            body.write(g);
        }
    }

    /** A JSON file holding an array with one object per row of the query (keys are the column labels). */
    public void jsonRows(String file, String sql, Object... args) throws IOException, SQLException {
        json(file, g -> {
            g.writeStartArray();
            query(sql, rs -> writeRow(g, rs), args);
            g.writeEndArray();
        });
    }

    /** A JSON file holding the first row of the query as one object ({@code {}} if there is none). */
    public void jsonObject(String file, String sql, Object... args) throws IOException, SQLException {
        json(file, g -> {
            boolean[] written = {false};
            query(sql, rs -> {
                if (!written[0]) {
                    writeRow(g, rs);
                    written[0] = true;
                }
            }, args);
            if (!written[0]) {
                g.writeStartObject();
                g.writeEndObject();
            }
        });
    }

    /** Writes the current row as a JSON object: its columns by label, in order. */
    public static void writeRow(JsonGenerator g, ResultSet rs) throws IOException, SQLException {
        g.writeStartObject();
        writeColumns(g, rs);
        g.writeEndObject();
    }

    /** Writes the current row's columns as fields of the object being written. */
    public static void writeColumns(JsonGenerator g, ResultSet rs) throws IOException, SQLException {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            g.writeFieldName(md.getColumnLabel(i).toLowerCase(Locale.ROOT));
            Object v = rs.getObject(i);
            if (v == null) {
                g.writeNull();
            } else if (v instanceof Boolean b) {
                g.writeBoolean(b);
            } else if (v instanceof Long || v instanceof Integer || v instanceof Short) {
                g.writeNumber(((Number) v).longValue());
            } else if (v instanceof Number n) {
                g.writeNumber(n.toString());
            } else {
                g.writeString(v.toString());
            }
        }
    }

    /** A CSV file (RFC 4180, a header of the column labels) with one line per row of the query. */
    public void csvRows(String file, String sql, Object... args) throws IOException, SQLException {
        try (Writer out = new OutputStreamWriter(entry(file), StandardCharsets.UTF_8)) {
            writeCsv(out, sql, args);
        }
    }

    private void writeCsv(Writer out, String sql, Object... args) throws IOException, SQLException {
        boolean[] header = {false};
        query(sql, rs -> {
            ResultSetMetaData md = rs.getMetaData();
            if (!header[0]) {
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    out.write((i > 1 ? "," : "") + md.getColumnLabel(i).toLowerCase(Locale.ROOT));
                }
                out.write("\r\n");
                header[0] = true;
            }
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Object v = rs.getObject(i);
                out.write((i > 1 ? "," : "") + (v == null ? "" : csvCell(v)));
            }
            out.write("\r\n");
        }, args);
        if (!header[0]) {
            // No rows: still say which columns there would be.
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ResultSetMetaData md = ps.getMetaData();
                for (int i = 1; md != null && i <= md.getColumnCount(); i++) {
                    out.write((i > 1 ? "," : "") + md.getColumnLabel(i).toLowerCase(Locale.ROOT));
                }
                out.write("\r\n");
            }
        }
    }

    /**
     * One CSV cell: quoted when it holds a separator, quote or line break; text that a spreadsheet
     * would run as a formula ({@code = + - @}) is prefixed with an apostrophe (numbers are not text).
     */
    static String csvCell(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        String s = v.toString();
        if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
            s = "'" + s;
        }
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /** Starts a file of the archive; closing what is returned ends the file, not the archive. */
    private OutputStream entry(String file) throws IOException {
        if (files.contains(file)) {
            throw new IllegalStateException("the export already has a file " + file);
        }
        zip.putNextEntry(new ZipEntry(file));
        files.add(file);
        return new FilterOutputStream(zip) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
                zip.closeEntry();
            }
        };
    }
}
