package app.apimodels.core.mail;

import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Letters are queued with the caller's transaction or not at all, and a dedupe key queues once. */
class OutboxTest {

    private final MutableClock clock = new MutableClock();
    private Database db;
    private Sql sql;
    private Outbox outbox;

    private void open(TestDatabases kind) {
        db = Database.open(null, new Settings(kind.config(Map.of())));
        sql = new Sql(db);
        outbox = new Outbox(sql, clock);
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    private static Letter verify(String to, String dedupeKey) {
        return new Letter(to, "verify-email", Locale.ENGLISH, Map.of("link", "https://x.example/v?t=1"), dedupeKey);
    }

    private List<String> queuedRecipients() {
        return sql.list("SELECT recipient FROM apimodels_mail_outbox WHERE state = 'queued' ORDER BY recipient", rs -> rs.getString(1));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aLetterQueuedInARolledBackTransactionIsGoneAndOneInACommittedOneStays(TestDatabases kind) {
        open(kind);
        assertThatThrownBy(() -> sql.tx(c -> {
            outbox.queue(c, verify("rolled@example.com", null));
            throw new IllegalStateException("the sign-up failed after queueing");
        })).hasMessageContaining("sign-up failed");
        sql.tx(c -> {
            outbox.queue(c, verify("committed@example.com", null));
            return null;
        });
        outbox.queue(verify("own@example.com", null));

        assertThat(queuedRecipients()).containsExactly("committed@example.com", "own@example.com");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void theSameDedupeKeyIsQueuedOnceAndLeavesTheCallersTransactionUsable(TestDatabases kind) {
        open(kind);
        outbox.queue(verify("a@example.com", "receipt:order-1"));
        sql.tx(c -> {
            outbox.queue(c, verify("a@example.com", "receipt:order-1"));
            // On PostgreSQL a failed statement would abort the transaction: the insert must not fail.
            outbox.queue(c, verify("b@example.com", "receipt:order-2"));
            return null;
        });
        assertThat(queuedRecipients()).containsExactly("a@example.com", "b@example.com");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aLongDedupeKeyNamingAPersonIsStoredHashed(TestDatabases kind) {
        open(kind);
        String address = "x".repeat(250) + "@example.com";
        outbox.queue(verify(address, "policy-change:2026-02:" + address));
        outbox.queue(verify(address, "policy-change:2026-02:" + address));
        assertThat(queuedRecipients()).containsExactly(address);
        assertThat(sql.one("SELECT dedupe_key FROM apimodels_mail_outbox", rs -> rs.getString(1)).orElseThrow())
                .matches("[0-9a-f]{64}");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void lettersWithoutDedupeKeyAreAllQueued(TestDatabases kind) {
        open(kind);
        outbox.queue(verify("a@example.com", null));
        outbox.queue(verify("a@example.com", null));
        assertThat(queuedRecipients()).containsExactly("a@example.com", "a@example.com");
    }

    @org.junit.jupiter.api.Test
    void aLetterNamesAKnownTemplateAndOneRecipient() {
        assertThatThrownBy(() -> new Letter("a@example.com", "no-such", Locale.ENGLISH, Map.of(), null))
                .hasMessageContaining("no-such");
        assertThatThrownBy(() -> new Letter("a@example.com\r\nBcc: x@example.com", "verify-email", Locale.ENGLISH, Map.of(), null))
                .hasMessageContaining("one line");
    }
}
