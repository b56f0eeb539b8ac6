package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The retention job on a clock the test moves (no sleeping), on H2 and PostgreSQL: it removes only
 * what is past its retention — call-log rows after {@code call-log-days}, finished tasks' prompts
 * after {@code content-days} — and never touches the ledger.
 */
class RetentionTest {

    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void theJobDeletesOnlyWhatIsPastItsRetention(TestDatabases db) throws Exception {
        MutableClock clock = new MutableClock();
        DatabaseProbe probe = new DatabaseProbe(db.settings());
        Map<String, String> settings = new java.util.HashMap<>(probe.settings());
        settings.put("apimodels.retention.call-log-days", "400");
        settings.put("apimodels.retention.content-days", "30");
        try (EngineHarness gateway = EngineHarness.start(dir, settings, clock)) {
            gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(
                    TaskUpdate.succeeded("up-1", List.of(TaskOutput.bytes(MockMedia.sample("image/png"), "image/png")), null));
            User u = gateway.user(1_000_000);
            expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);
            String task = json(expect(gateway.post("/api/v1/images/generations", u.key(),
                    "{\"model\":\"test-image\",\"prompt\":\"a secret prompt\"}"), 200)).at("/data/taskId").asText();
            long balance = gateway.balance(u); // also commits the ledger's queue, which writes the call-log rows
            String prompt = "SELECT COUNT(*) FROM apimodels_task WHERE id = ? AND input LIKE '%secret prompt%'";
            // Sign-in's rows: a session that ends tomorrow and one in 100 days; a link used now, one expiring in an hour.
            long t0 = clock.millis();
            long day = Duration.ofDays(1).toMillis();
            probe.update("INSERT INTO apimodels_session (id_hash, account_id, csrf_token, created_at, last_seen_at, expires_at) VALUES"
                    + " ('short', " + u.id() + ", 'c', " + t0 + ", " + t0 + ", " + (t0 + day) + "),"
                    + " ('long', " + u.id() + ", 'c', " + t0 + ", " + t0 + ", " + (t0 + 100 * day) + ")");
            probe.update("INSERT INTO apimodels_account_token (account_id, purpose, token_hash, created_at, expires_at, used_at) VALUES"
                    + " (" + u.id() + ", 'verify-email', 'used', " + t0 + ", " + (t0 + day) + ", " + t0 + "),"
                    + " (" + u.id() + ", 'reset-password', 'unused', " + t0 + ", " + (t0 + day / 24) + ", NULL)");

            clock.advance(Duration.ofDays(29));
            retention(gateway);
            assertThat(probe.number(prompt, task)).as("29 days: the prompt is kept").isEqualTo(1);
            assertThat(probe.number("SELECT COUNT(*) FROM apimodels_session")).as("ended 28 days ago: gone").isEqualTo(1);
            assertThat(probe.number("SELECT COUNT(*) FROM apimodels_session WHERE id_hash = 'long'")).isEqualTo(1);
            assertThat(probe.number("SELECT COUNT(*) FROM apimodels_account_token")).as("used or expired over 7 days ago").isZero();
            assertThat(calls(probe, u)).isEqualTo(2);

            clock.advance(Duration.ofDays(2));
            retention(gateway);
            assertThat(probe.number(prompt, task)).as("31 days: the prompt is gone").isZero();
            assertThat(probe.number("SELECT COUNT(*) FROM apimodels_task WHERE id = ? AND state = 'completed'"
                    + " AND cost_micros IS NOT NULL", task)).as("the task's figures stay").isEqualTo(1);
            assertThat(calls(probe, u)).as("the call log is kept longer").isEqualTo(2);
            expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);
            gateway.balance(u); // commits the ledger's queue, which writes the call-log row

            clock.advance(Duration.ofDays(370)); // 401 days after the first calls, 370 after the last
            retention(gateway);
            assertThat(calls(probe, u)).as("only the call past 400 days is gone").isEqualTo(1);
            assertThat(probe.number("SELECT MAX(started_at) FROM apimodels_call_log WHERE account_id = ?", u.id()))
                    .isEqualTo(clock.millis() - Duration.ofDays(370).toMillis());
            // Money is never retention's business.
            assertThat(gateway.balance(u)).isLessThan(balance);
            assertThat(probe.number("SELECT SUM(balance) FROM apimodels_ledger_account")).isZero();
            assertThat(probe.number("SELECT COUNT(*) FROM apimodels_transfer t JOIN apimodels_ledger_account w ON w.id = t.credit_id"
                    + " WHERE w.owner_id = ? AND t.kind = 'grant'", u.id())).isEqualTo(1);
        }
    }

    static void retention(EngineHarness gateway) {
        assertThat(json(expect(gateway.post("/admin/jobs/retention/run", ADMIN_KEY, "{}"), 200)).get("ran").asBoolean()).isTrue();
    }

    static long calls(DatabaseProbe probe, User u) throws Exception {
        return probe.number("SELECT COUNT(*) FROM apimodels_call_log WHERE account_id = ?", u.id());
    }
}
