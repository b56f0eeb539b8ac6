package app.apimodels.core.mail;

import app.apimodels.core.db.DataException;
import app.apimodels.core.db.Sql;
import app.apimodels.json.JsonMappers;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The durable mail outbox: services queue {@link Letter}s here, in their own transaction or the
 * caller's, and the mail job renders and sends them later from any node, with
 * retries. A letter queued in a transaction that rolls back is never sent.
 */
public final class Outbox {

    private static final ObjectMapper JSON = JsonMappers.create();
    private static final String INSERT = "INSERT INTO apimodels_mail_outbox (id, dedupe_key, recipient, template, locale, vals, "
            + "state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) ON CONFLICT DO NOTHING";

    private final Sql sql;
    private final Clock clock;

    public Outbox(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /**
     * Queues a letter inside the caller's transaction: sent only if that transaction commits. A
     * letter whose {@code dedupeKey} was queued before is dropped without disturbing the transaction.
     */
    public void queue(Connection tx, Letter letter) {
        long now = clock.millis();
        try {
            Sql.update(tx, INSERT, UUID.randomUUID().toString(), dedupeHash(letter.dedupeKey()), letter.to(), letter.template(),
                    letter.locale().toLanguageTag(), values(letter), now, now);
        } catch (SQLException e) {
            throw new DataException(e);
        }
    }

    /** Queues a letter in its own transaction. */
    public void queue(Letter letter) {
        sql.tx(c -> {
            queue(c, letter);
            return null;
        });
    }

    /**
     * The dedupe key as stored: its SHA-256, so a key of any length fits and one that names a
     * person ({@code policy-change:v2:alice@example.com}) keeps no address in the table.
     */
    private static String dedupeHash(String key) {
        if (key == null) {
            return null;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static String values(Letter letter) {
        try {
            String json = JSON.writeValueAsString(new TreeMap<>(letter.values()));
            if (json.length() > 20_000) {
                throw new IllegalArgumentException("a letter's values are at most 20000 characters of JSON");
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a letter's values cannot be written as JSON", e);
        }
    }
}
