package app.apimodels.core.mail;

import app.apimodels.core.db.Sql;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The mail job: sends the outbox's due letters through the configured {@link Mailer}, from any
 * node. A node first claims a letter with a conditional update (only one node's update can match),
 * so two nodes never send the same letter at once; a node that dies mid-send leaves a claim that
 * runs out, and the next try goes out with the same idempotency key (the letter's id), which the
 * mail service uses to send it once. A refusal that may pass (5xx, 429, a timeout) is retried with
 * exponential backoff up to a bounded number of attempts; a permanent one (4xx, a rejected
 * recipient, a template without its values) is recorded and never retried.
 */
public final class MailSender {

    private static final System.Logger LOG = System.getLogger(MailSender.class.getName());
    private static final ObjectMapper JSON = JsonMappers.create();
    private static final Duration MAX_BACKOFF = Duration.ofHours(6);
    /** Longer than any mailer's own timeout: a claim that runs out means the node is gone. */
    private static final Duration CLAIM = Duration.ofMinutes(10);
    private static final int MAX_ERROR = 500;

    /**
     * @param maxAttempts  tries before a passing refusal is given up
     * @param firstBackoff wait before the first retry, doubled each time (at most six hours)
     */
    public record Policy(int maxAttempts, Duration firstBackoff) {
    }

    private record Due(String id, String recipient, String template, Locale locale, Map<String, String> values, int attempts) {
    }

    private final Sql sql;
    private final Clock clock;
    private final Mailer mailer;
    private final Templates templates;
    private final Metrics metrics;
    private final Policy policy;
    private final String node;

    public MailSender(Sql sql, Clock clock, Mailer mailer, Templates templates, Metrics metrics, Policy policy, String node) {
        this.sql = sql;
        this.clock = clock;
        this.mailer = mailer;
        this.templates = templates;
        this.metrics = metrics;
        this.policy = policy;
        this.node = node;
    }

    /** Sends up to {@code limit} due letters on this thread; answers how many this node claimed. */
    public int sendDue(int limit) {
        long now = clock.millis();
        List<String> candidates = sql.list("SELECT id FROM apimodels_mail_outbox WHERE state = 'queued' AND next_attempt_at <= ? "
                + "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_attempt_at LIMIT " + limit,
                rs -> rs.getString(1), now, now);
        int claimed = 0;
        for (String id : candidates) {
            Optional<Due> due = claim(id);
            if (due.isPresent()) {
                claimed++;
                send(due.get());
            }
        }
        return claimed;
    }

    /** Takes the letter for this node unless another node took it (or sent it) in the meantime. */
    private Optional<Due> claim(String id) {
        long now = clock.millis();
        int won = sql.update("UPDATE apimodels_mail_outbox SET claimed_by = ?, claimed_until = ? WHERE id = ? AND state = 'queued' "
                + "AND (claimed_until IS NULL OR claimed_until < ?)", node, now + CLAIM.toMillis(), id, now);
        if (won == 0) {
            return Optional.empty();
        }
        return sql.one("SELECT recipient, template, locale, vals, attempts FROM apimodels_mail_outbox WHERE id = ?",
                rs -> new Due(id, rs.getString("recipient"), rs.getString("template"), Locale.forLanguageTag(rs.getString("locale")),
                        values(rs.getString("vals")), rs.getInt("attempts")), id);
    }

    private void send(Due due) {
        SendResult result;
        try {
            Templates.Rendered letter = templates.render(due.template(), due.locale(), due.values());
            result = mailer.send(new MailMessage(null, List.of(due.recipient()), letter.subject(), letter.text(), letter.html(),
                    Map.of("template", due.template()), null, due.id()));
        } catch (IllegalArgumentException e) {
            // The letter cannot be written or sent as it is (a missing value, an address the mailer
            // cannot express): trying again changes nothing.
            result = SendResult.refused(e.getMessage(), false);
        } catch (RuntimeException e) {
            // A mailer must answer a result, but a broken one may throw: keep the letter for later.
            LOG.log(System.Logger.Level.WARNING, "mailer " + mailer.type() + " failed on letter " + due.id(), e);
            result = SendResult.refused("the mailer failed (" + e.getClass().getSimpleName() + ")", true);
        }
        record(due, result);
    }

    private void record(Due due, SendResult result) {
        long now = clock.millis();
        int attempts = due.attempts() + 1;
        if (result.accepted()) {
            sql.update("UPDATE apimodels_mail_outbox SET state = 'sent', attempts = ?, sent_at = ?, provider_id = ?, last_error = NULL, "
                    + "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                    attempts, now, cut(result.providerMessageId(), 200), due.id(), node);
            metrics.count("apimodels_mail_sent", "Mail handed to the mail service", "template", due.template());
        } else if (result.retryable() && attempts < policy.maxAttempts()) {
            sql.update("UPDATE apimodels_mail_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, "
                    + "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                    attempts, now + backoff(attempts).toMillis(), cut(result.error(), MAX_ERROR), due.id(), node);
            metrics.count("apimodels_mail_retries", "Mail refused for a passing reason, to be tried again", "template", due.template());
        } else {
            sql.update("UPDATE apimodels_mail_outbox SET state = 'failed', attempts = ?, failed_at = ?, last_error = ?, "
                    + "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                    attempts, now, cut(result.error(), MAX_ERROR), due.id(), node);
            metrics.count("apimodels_mail_failed", "Mail given up: refused for good or after the last attempt", "template", due.template());
            LOG.log(System.Logger.Level.WARNING, "letter {0} ({1}) not sent after {2} attempt(s): {3}",
                    due.id(), due.template(), attempts, result.error());
        }
    }

    /** The wait after attempt {@code attempts}: the first backoff, doubled each time, at most six hours. */
    Duration backoff(int attempts) {
        Duration wait = policy.firstBackoff();
        for (int i = 1; i < attempts && wait.compareTo(MAX_BACKOFF) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
    }

    private static Map<String, String> values(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, String>>() { });
        } catch (IOException e) {
            throw new IllegalStateException("a letter's stored values are not a JSON object of strings", e);
        }
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
