package app.apimodels.core.mail;

import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.SendResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mail job on a real database with a moved clock: sent once, retried with backoff after a
 * passing refusal, given up for good after a permanent one, and claimed by one node only.
 */
class MailSenderTest {

    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(30);

    private final MutableClock clock = new MutableClock();
    private final Metrics metrics = new Metrics();
    private final Templates templates = new Templates("Acme AI", URI.create("https://ai.acme.example"));
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
        metrics.close();
    }

    private MailSender sender(ScriptedMailer mailer, String node) {
        return new MailSender(sql, clock, mailer, templates, metrics, new MailSender.Policy(4, FIRST_BACKOFF), node);
    }

    private static Letter verify(String to) {
        return new Letter(to, "verify-email", Locale.ENGLISH, Map.of("link", "https://ai.acme.example/v?t=1"), null);
    }

    private Map<String, Object> row(String recipient) {
        return sql.one("SELECT id, state, attempts, last_error, sent_at, failed_at, provider_id, claimed_by FROM apimodels_mail_outbox "
                + "WHERE recipient = ?", rs -> {
                    Map<String, Object> m = new java.util.HashMap<>();
                    for (String c : List.of("id", "state", "last_error", "provider_id", "claimed_by")) {
                        m.put(c, rs.getString(c));
                    }
                    m.put("attempts", rs.getInt("attempts"));
                    m.put("sent_at", Sql.nullableLong(rs, "sent_at"));
                    m.put("failed_at", Sql.nullableLong(rs, "failed_at"));
                    return m;
                }, recipient).orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCommittedLetterIsRenderedAndSentOnceAndARolledBackOneNever(TestDatabases kind) {
        open(kind);
        ScriptedMailer mailer = new ScriptedMailer("scripted");
        try {
            sql.tx(c -> {
                outbox.queue(c, verify("rolled-back@example.com"));
                throw new IllegalStateException("the change that wanted the mail failed");
            });
        } catch (IllegalStateException expected) {
            // the letter went with the transaction
        }
        outbox.queue(new Letter("bob@example.com", "receipt", Locale.SIMPLIFIED_CHINESE,
                Map.of("order_id", "ord_1", "amount", "20.00", "currency", "CNY", "credits", "2.75"), "receipt:ord_1"));

        assertThat(sender(mailer, "node-a").sendDue(100)).isEqualTo(1);
        assertThat(sender(mailer, "node-a").sendDue(100)).isZero();

        assertThat(mailer.sent()).hasSize(1);
        MailMessage sent = mailer.sent().get(0);
        Map<String, Object> row = row("bob@example.com");
        assertThat(sent.to()).containsExactly("bob@example.com");
        assertThat(sent.subject()).isEqualTo("您在 Acme AI 的订单 ord_1 收据");
        assertThat(sent.text()).contains("支付：20.00 CNY");
        assertThat(sent.html()).contains("ord_1");
        assertThat(sent.idempotencyKey()).isEqualTo(row.get("id"));
        assertThat(sent.tags()).containsEntry("template", "receipt");
        assertThat(row).containsEntry("state", "sent").containsEntry("attempts", 1).containsEntry("sent_at", clock.millis())
                .containsEntry("provider_id", "msg-" + row.get("id")).containsEntry("claimed_by", null);
        assertThat(metrics.scrape()).contains("apimodels_mail_sent_total{template=\"receipt\"} 1.0");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aPassingRefusalIsRetriedWithGrowingBackoffUnderTheSameKeyUntilSent(TestDatabases kind) {
        open(kind);
        ScriptedMailer mailer = new ScriptedMailer("scripted").answer(SendResult.refused("Resend answered 500", true),
                SendResult.refused("Resend answered 429", true));
        MailSender sender = sender(mailer, "node-a");
        outbox.queue(verify("carol@example.com"));

        assertThat(sender.sendDue(10)).isEqualTo(1);
        assertThat(row("carol@example.com")).containsEntry("state", "queued").containsEntry("attempts", 1)
                .containsEntry("last_error", "Resend answered 500");

        clock.advance(FIRST_BACKOFF.minusSeconds(1));
        assertThat(sender.sendDue(10)).as("not due before its backoff").isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(sender.sendDue(10)).isEqualTo(1);
        assertThat(row("carol@example.com")).containsEntry("attempts", 2).containsEntry("last_error", "Resend answered 429");

        clock.advance(FIRST_BACKOFF.multipliedBy(2).minusSeconds(1));
        assertThat(sender.sendDue(10)).as("the second wait is twice the first").isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(sender.sendDue(10)).isEqualTo(1);

        assertThat(row("carol@example.com")).containsEntry("state", "sent").containsEntry("attempts", 3)
                .containsEntry("last_error", null);
        assertThat(mailer.sent()).hasSize(3).extracting(MailMessage::idempotencyKey).containsOnly((String) row("carol@example.com").get("id"));
        clock.advance(Duration.ofDays(1));
        assertThat(sender.sendDue(10)).isZero();
        assertThat(mailer.sent()).hasSize(3);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aPermanentRefusalIsRecordedAndNeverRetried(TestDatabases kind) {
        open(kind);
        ScriptedMailer mailer = new ScriptedMailer("scripted").answer(SendResult.refused("Resend refused the message (422)", false));
        MailSender sender = sender(mailer, "node-a");
        outbox.queue(verify("dave@example.com"));

        sender.sendDue(10);
        clock.advance(Duration.ofDays(2));
        assertThat(sender.sendDue(10)).isZero();

        assertThat(mailer.sent()).hasSize(1);
        assertThat(row("dave@example.com")).containsEntry("state", "failed").containsEntry("attempts", 1)
                .containsEntry("last_error", "Resend refused the message (422)").containsEntry("failed_at", clock.millis() - Duration.ofDays(2).toMillis());
        assertThat(metrics.scrape()).contains("apimodels_mail_failed_total{template=\"verify-email\"} 1.0");
    }

    @Test
    void passingRefusalsAreGivenUpAfterTheLastAttempt() {
        open(TestDatabases.H2);
        ScriptedMailer mailer = new ScriptedMailer("scripted");
        for (int i = 0; i < 10; i++) {
            mailer.answer(SendResult.refused("unreachable", true));
        }
        MailSender sender = sender(mailer, "node-a");
        outbox.queue(verify("erin@example.com"));
        for (int i = 0; i < 6; i++) {
            sender.sendDue(10);
            clock.advance(Duration.ofHours(7));
        }
        assertThat(mailer.sent()).as("Policy(4, …): four attempts").hasSize(4);
        assertThat(row("erin@example.com")).containsEntry("state", "failed").containsEntry("attempts", 4);
    }

    @Test
    void theBackoffDoublesAndStopsAtSixHours() {
        MailSender sender = new MailSender(null, clock, new ScriptedMailer("x"), templates, metrics,
                new MailSender.Policy(100, Duration.ofSeconds(30)), "n");
        assertThat(sender.backoff(1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(sender.backoff(2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(sender.backoff(5)).isEqualTo(Duration.ofSeconds(480));
        assertThat(sender.backoff(60)).isEqualTo(Duration.ofHours(6));
    }

    @Test
    void aLetterThatCannotBeWrittenFailsForGood() {
        open(TestDatabases.H2);
        ScriptedMailer mailer = new ScriptedMailer("scripted");
        outbox.queue(new Letter("frank@example.com", "receipt", Locale.ENGLISH, Map.of("order_id", "1"), null));
        sender(mailer, "node-a").sendDue(10);
        assertThat(mailer.sent()).isEmpty();
        assertThat(row("frank@example.com")).containsEntry("state", "failed")
                .containsEntry("last_error", "mail template receipt needs the value amount");
    }

    @Test
    void aLetterClaimedByANodeThatDiedIsSentByAnotherOnceTheClaimRunsOut() {
        open(TestDatabases.H2);
        ScriptedMailer mailer = new ScriptedMailer("scripted");
        outbox.queue(verify("grace@example.com"));
        // node-a claimed it and died before recording the send
        sql.update("UPDATE apimodels_mail_outbox SET claimed_by = 'node-a', claimed_until = ?", clock.millis() + 600_000);

        MailSender nodeB = sender(mailer, "node-b");
        assertThat(nodeB.sendDue(10)).isZero();
        clock.advance(Duration.ofMinutes(11));
        assertThat(nodeB.sendDue(10)).isEqualTo(1);
        assertThat(mailer.sent()).extracting(MailMessage::idempotencyKey).containsExactly((String) row("grace@example.com").get("id"));
    }

    /** Two nodes (four threads each) drain one PostgreSQL outbox at once: every letter goes out exactly once. */
    @Test
    void twoNodesOnOneDatabaseSendEachLetterOnce() throws Exception {
        open(TestDatabases.POSTGRESQL);
        int letters = 120;
        for (int i = 0; i < letters; i++) {
            outbox.queue(verify("user" + i + "@example.com"));
        }
        List<MailMessage> sent = new CopyOnWriteArrayList<>();
        List<MailSender> nodes = List.of(sender(new ScriptedMailer("scripted", sent), "node-a"),
                sender(new ScriptedMailer("scripted", sent), "node-b"));
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                MailSender node = nodes.get(t % 2);
                runs.add(CompletableFuture.supplyAsync(() -> {
                    int claimed = 0;
                    for (int round = 0; round < 20; round++) {
                        claimed += node.sendDue(10);
                    }
                    return claimed;
                }, threads));
            }
            int claimed = 0;
            for (CompletableFuture<Integer> run : runs) {
                claimed += run.get(60, TimeUnit.SECONDS);
            }
            assertThat(claimed).isEqualTo(letters);
        } finally {
            threads.shutdownNow();
        }
        Set<String> keys = new HashSet<>();
        sent.forEach(m -> assertThat(keys.add(m.idempotencyKey())).as("sent twice: %s", m.to()).isTrue());
        assertThat(keys).hasSize(letters);
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_mail_outbox WHERE state = 'sent' AND attempts = 1",
                rs -> rs.getInt(1)).orElseThrow()).isEqualTo(letters);
    }
}
