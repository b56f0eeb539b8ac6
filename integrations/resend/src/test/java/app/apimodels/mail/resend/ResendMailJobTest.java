package app.apimodels.mail.resend;

import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.MailSender;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.mail.Templates;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockResend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's mail job through this mailer to Resend's wire, on PostgreSQL with a moved clock:
 * a letter Resend fails twice goes out once, under one idempotency key; a refused one stops.
 */
class ResendMailJobTest {

    private final MutableClock clock = new MutableClock();
    private final MockResend resend = new MockResend(ResendMailerContractTest.API_KEY);
    private final Metrics metrics = new Metrics();
    private final Database db = Database.open(null, new Settings(TestDatabases.POSTGRESQL.config(Map.of())));
    private final Sql sql = new Sql(db);
    private final Outbox outbox = new Outbox(sql, clock);
    private final MailSender sender = new MailSender(sql, clock, ResendMailerContractTest.mailer(resend.apiBase(), ResendMailerContractTest.API_KEY),
            new Templates("Acme AI", null), metrics, new MailSender.Policy(5, Duration.ofSeconds(30)), "node-a");

    @AfterEach
    void close() {
        resend.close();
        metrics.close();
        db.close();
    }

    private String state(String recipient) {
        return sql.one("SELECT state || ' ' || attempts FROM apimodels_mail_outbox WHERE recipient = ?", rs -> rs.getString(1), recipient)
                .orElseThrow();
    }

    @Test
    void aLetterResendFailsTwiceIsSentOnce() {
        resend.failNext(1, 500).failNext(1, 429);
        outbox.queue(new Letter("alice@example.test", "verify-email", Locale.SIMPLIFIED_CHINESE,
                Map.of("link", "https://ai.acme.example/auth/verify-email?token=t"), "verify:alice"));

        sender.sendDue(10);
        clock.advance(Duration.ofSeconds(30));
        sender.sendDue(10);
        assertThat(state("alice@example.test")).isEqualTo("queued 2");
        clock.advance(Duration.ofSeconds(60));
        sender.sendDue(10);

        assertThat(state("alice@example.test")).isEqualTo("sent 3");
        assertThat(resend.requests()).isEqualTo(3);
        assertThat(resend.emails()).singleElement().satisfies(email -> {
            assertThat(email.subject()).isEqualTo("确认您在 Acme AI 的邮箱地址");
            assertThat(email.html()).contains("<a href=\"https://ai.acme.example/auth/verify-email?token=t\"");
            assertThat(email.text()).contains("https://ai.acme.example/auth/verify-email?token=t");
            assertThat(email.from()).isEqualTo(ResendMailerContractTest.FROM);
        });
        String id = sql.one("SELECT id FROM apimodels_mail_outbox", rs -> rs.getString(1)).orElseThrow();
        assertThat(resend.emails().get(0).idempotencyKey()).isEqualTo(id);
    }

    @Test
    void aLetterResendRefusesIsRecordedAndNotRetried() {
        resend.refuseNext(1);
        outbox.queue(new Letter("bob@example.test", "login-locked", Locale.ENGLISH, Map.of("until", "12:15 UTC"), null));

        sender.sendDue(10);
        clock.advance(Duration.ofDays(1));
        sender.sendDue(10);

        assertThat(state("bob@example.test")).isEqualTo("failed 1");
        assertThat(resend.requests()).isEqualTo(1);
        assertThat(sql.one("SELECT last_error FROM apimodels_mail_outbox", rs -> rs.getString(1)).orElseThrow())
                .isEqualTo("Resend answered 422 validation_error");
    }
}
