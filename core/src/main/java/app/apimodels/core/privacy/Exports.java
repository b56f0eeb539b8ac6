package app.apimodels.core.privacy;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.privacy.PrivacyRequest.Kind;
import app.apimodels.json.JsonMappers;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.zip.ZipOutputStream;

/**
 * Access and portability: everything held about an account, as a ZIP of JSON and CSV files written
 * by the registered {@link ExportSection}s inside one transaction. The archive is spooled to a
 * temporary file (deleted once sent), so memory stays bounded whatever the account's history and
 * the answer has a length.
 */
public final class Exports {

    private static final System.Logger LOG = System.getLogger(Exports.class.getName());

    /** A finished archive: read it once, closing deletes it. */
    public record Archive(PrivacyRequest request, InputStream content, long length) {
    }

    private final Sql sql;
    private final Clock clock;
    private final PrivacyRequests requests;
    private final List<ExportSection> sections;
    private final Runnable beforeReading;
    private final JsonFactory json = JsonMappers.create().getFactory().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    /**
     * @param sections      every part of the service that holds personal data, in the order their files appear
     * @param beforeReading run first, so what the account just did is in the export (commits the ledger's queue)
     */
    public Exports(Sql sql, Clock clock, PrivacyRequests requests, List<ExportSection> sections, Runnable beforeReading) {
        this.sql = sql;
        this.clock = clock;
        this.requests = requests;
        this.sections = List.copyOf(sections);
        this.beforeReading = beforeReading;
    }

    /** Writes the account's archive and records the request. */
    public Archive export(long accountId, String baseUrl) {
        beforeReading.run();
        PrivacyRequest received = sql.tx(c -> requests.receive(c, accountId, Kind.EXPORT));
        Path file;
        try {
            file = Files.createTempFile("apimodels-export-", ".zip");
        } catch (IOException e) {
            requests.fail(received, "the archive could not be written: no temporary file");
            throw new UncheckedIOException(e);
        }
        try {
            List<String> files = write(file, accountId, baseUrl);
            PrivacyRequest done = sql.tx(c -> requests.complete(c, received, "archive of " + files.size() + " files sent: "
                    + String.join(", ", files)));
            return new Archive(done, new DeletingStream(file), Files.size(file));
        } catch (IOException | RuntimeException e) {
            delete(file);
            requests.fail(received, "the archive could not be written");
            if (e instanceof Failure f) {
                throw f;
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private List<String> write(Path file, long accountId, String baseUrl) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
             ZipOutputStream zip = new ZipOutputStream(out)) {
            return sql.tx(c -> {
                long[] ledger = Sql.one(c, """
                        SELECT w.id, h.id FROM apimodels_account a
                        JOIN apimodels_ledger_account w ON w.owner_id = a.id AND w.kind = 'wallet'
                        JOIN apimodels_ledger_account h ON h.owner_id = a.id AND h.kind = 'hold'
                        WHERE a.id = ? AND a.deleted_at IS NULL""", rs -> new long[] {rs.getLong(1), rs.getLong(2)}, accountId)
                        .orElseThrow(() -> Failure.notFound("account"));
                ExportArchive archive = new ExportArchive(zip, c, json, accountId, ledger[0], ledger[1], baseUrl);
                try {
                    for (ExportSection section : sections) {
                        section.write(archive);
                    }
                    List<String> files = archive.files();
                    archive.json("export.json", g -> {
                        g.writeStartObject();
                        g.writeNumberField("account_id", accountId);
                        g.writeNumberField("generated_at", clock.millis());
                        g.writeArrayFieldStart("files");
                        for (String f : files) {
                            g.writeString(f);
                        }
                        g.writeEndArray();
                        g.writeEndObject();
                    });
                    return files;
                } catch (SQLException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("an export section failed", e);
                }
            });
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete the temporary export " + file + ": " + e);
        }
    }

    /** Reads the spooled archive and deletes it when closed. */
    private static final class DeletingStream extends FilterInputStream {
        private final Path file;

        DeletingStream(Path file) throws IOException {
            super(Files.newInputStream(file));
            this.file = file;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                delete(file);
            }
        }
    }
}
