package app.apimodels.core.retention;

import app.apimodels.core.db.Sql;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Deletes what has been kept long enough (the {@code retention} job, on one node at a time):
 * call-log rows past {@code apimodels.retention.call-log-days}; the stored content of finished
 * tasks (prompt, callback URL, the upstream's output links) past {@code content-days}; browser
 * sessions and one-time links some days after they ended; and what an erasure had to leave until a
 * task finished or a letter was sent. Files (uploads, outputs) have their own deadline on each file
 * and are deleted by the media retention sweep. Chat and embedding prompts and answers are never
 * stored, so there is no content log to purge.
 */
public final class Retention {

    private static final System.Logger LOG = System.getLogger(Retention.class.getName());
    /** Rows deleted per statement, so a first run over years of calls does not hold one huge transaction. */
    private static final int BATCH = 10_000;
    private static final String ERASED = "(SELECT id FROM apimodels_account WHERE deleted_at IS NOT NULL)";

    /**
     * How long things are kept; null keeps them.
     *
     * @param callLog       call-log rows, by when the call started
     * @param content       finished tasks' content, by when the task ended
     * @param endedSessions sessions and one-time links, after they expired, were revoked or used
     */
    public record Policy(Duration callLog, Duration content, Duration endedSessions) {

        /** Days from configuration; 0 means keep (not for sessions, where 0 means at once). */
        public static Policy ofDays(int callLogDays, int contentDays, int sessionDays) {
            return new Policy(callLogDays == 0 ? null : Duration.ofDays(callLogDays),
                    contentDays == 0 ? null : Duration.ofDays(contentDays), Duration.ofDays(sessionDays));
        }
    }

    private final Sql sql;
    private final Clock clock;
    private final Policy policy;

    public Retention(Sql sql, Clock clock, Policy policy) {
        this.sql = sql;
        this.clock = clock;
        this.policy = policy;
    }

    /** One pass; answers how many rows each rule removed or cleared. */
    public Map<String, Integer> sweep() {
        long now = clock.millis();
        Map<String, Integer> done = new LinkedHashMap<>();
        if (policy.callLog() != null) {
            done.put("call-log", batched("DELETE FROM apimodels_call_log WHERE id IN (SELECT id FROM apimodels_call_log"
                    + " WHERE started_at < ? LIMIT " + BATCH + ")", now - policy.callLog().toMillis()));
        }
        String content = "UPDATE apimodels_task SET input = '{}', callback_url = NULL, outputs = NULL%s"
                + " WHERE state IN ('completed', 'failed') AND %s AND (input <> '{}' OR callback_url IS NOT NULL OR outputs IS NOT NULL)";
        if (policy.content() != null) {
            done.put("task-content", sql.update(content.formatted("", "completed_at < ?"), now - policy.content().toMillis()));
        }
        // An erasure leaves running tasks their input; once they end, their content and files go too.
        done.put("erased-task-content", sql.update(content.formatted(", fail_msg = NULL", "account_id IN " + ERASED)));
        done.put("erased-files", sql.update("UPDATE apimodels_media_object SET file_name = NULL, expires_at = ?"
                + " WHERE account_id IN " + ERASED + " AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", now, now));
        // The erasure's own letters go to the old address; once sent they keep none.
        done.put("erased-letters", sql.update("UPDATE apimodels_mail_outbox SET recipient = 'erased@invalid'"
                + " WHERE template = 'account-deletion' AND state <> 'queued' AND recipient <> 'erased@invalid'"));
        long ended = now - policy.endedSessions().toMillis();
        if (exists("apimodels_session")) {
            done.put("sessions", batched("DELETE FROM apimodels_session WHERE id IN (SELECT id FROM apimodels_session"
                    + " WHERE expires_at < ? OR revoked_at < ? LIMIT " + BATCH + ")", ended, ended));
        }
        if (exists("apimodels_account_token")) {
            done.put("one-time-links", batched("DELETE FROM apimodels_account_token WHERE id IN (SELECT id FROM apimodels_account_token"
                    + " WHERE expires_at < ? OR used_at < ? LIMIT " + BATCH + ")", ended, ended));
        }
        LOG.log(System.Logger.Level.DEBUG, "retention sweep: {0}", done);
        return done;
    }

    private int batched(String delete, Object... args) {
        int total = 0;
        int n;
        do {
            n = sql.update(delete, args);
            total += n;
        } while (n == BATCH);
        return total;
    }

    private boolean exists(String table) {
        return sql.tx(c -> Sql.tableExists(c, table));
    }
}
