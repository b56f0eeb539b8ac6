package app.apimodels.core.tasks;

import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.db.Sql;
import app.apimodels.core.web.Json;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.type.TypeReference;

import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code apimodels_task} table: the only place its columns are read or written, and where the
 * typed {@link Task} meets their strings. Every change of state is conditional on the state it
 * leaves, so two nodes can never both make it; the methods say whether this one did.
 */
final class TaskStore {

    private static final TypeReference<List<Task.Output>> OUTPUTS = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };
    /** Set when a task ends: a callback is due if the client gave a URL. */
    private static final String CALLBACK_DUE = "callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END";

    private final Sql sql;

    TaskStore(Sql sql) {
        this.sql = sql;
    }

    Optional<Task> load(String id) {
        return sql.one("SELECT * FROM apimodels_task WHERE id = ?", TaskStore::row, id);
    }

    /** This account's tasks, newest first, created before {@code before} (epoch ms) when given. */
    List<Task> byAccount(long accountId, int limit, Long before) {
        return before == null
                ? sql.list("SELECT * FROM apimodels_task WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                TaskStore::row, accountId, limit)
                : sql.list("SELECT * FROM apimodels_task WHERE account_id = ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?",
                TaskStore::row, accountId, before, limit);
    }

    Optional<Task> byUpstream(String providerId, String upstreamId) {
        return sql.one("SELECT * FROM apimodels_task WHERE provider = ? AND upstream_id = ?", TaskStore::row, providerId, upstreamId);
    }

    /** A new task, {@code submitting}, its hold taken. */
    void insert(String id, long accountId, Long keyId, ModelKind kind, String model, Map<String, Object> input,
                String callbackUrl, String baseUrl, String holdId, long holdAmount, long now, long deadlineAt) {
        sql.update("""
                INSERT INTO apimodels_task (id, account_id, key_id, kind, model, state, input, callback_url, base_url, hold_id,
                                  hold_amount, created_at, updated_at, deadline_at, callback_state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                id, accountId, keyId, kind.wireName(), model, Task.State.SUBMITTING.dbValue(), Json.string(input), callbackUrl,
                baseUrl, holdId, holdAmount, now, now, deadlineAt,
                callbackUrl == null ? null : Task.CallbackState.WAITING.dbValue());
    }

    /** submitting → running: a provider took it. */
    boolean running(String id, String provider, String upstreamModel, String upstreamId, long now) {
        return sql.update("""
                UPDATE apimodels_task SET state = 'running', provider = ?, upstream_model = ?, upstream_id = ?, updated_at = ?
                WHERE id = ? AND state = 'submitting'""", provider, upstreamModel, upstreamId, now, id) == 1;
    }

    /** running → rehosting: the provider finished; its outputs are to be copied. */
    boolean rehosting(String id, List<Task.Output> outputs, Usage usage, long now) {
        return sql.update("""
                UPDATE apimodels_task SET state = 'rehosting', outputs = ?, usage_doc = ?, updated_at = ?
                WHERE id = ? AND state = 'running'""", Json.string(outputs), usage == null ? null : Json.string(usage), now, id) == 1;
    }

    /** Records the copies made so far. */
    void copied(String id, List<Task.Output> outputs, long now) {
        sql.update("UPDATE apimodels_task SET outputs = ?, updated_at = ? WHERE id = ? AND state = 'rehosting'",
                Json.string(outputs), now, id);
    }

    /** rehosting → completing: the outputs are copied; {@code cost} is to be charged. */
    boolean completing(String id, long cost, List<String> resultIds, long now) {
        return sql.update("""
                UPDATE apimodels_task SET state = 'completing', cost_micros = ?, result_ids = ?, completed_at = ?, updated_at = ?
                WHERE id = ? AND state = 'rehosting'""", cost, String.join(",", resultIds), now, now, id) == 1;
    }

    /** Any unfinished state → failing: nothing is to be charged; the call is logged with {@code status}. */
    boolean failing(String id, String message, int status, long now) {
        return sql.update("""
                UPDATE apimodels_task SET state = 'failing', cost_micros = 0, fail_msg = ?, fail_status = ?, completed_at = ?, updated_at = ?
                WHERE id = ? AND state IN ('submitting', 'running', 'rehosting')""", message, status, now, now, id) == 1;
    }

    /** completing → completed, failing → failed: the hold has ended, the outcome is shown. */
    boolean ended(String id, long now) {
        return sql.update("UPDATE apimodels_task SET state = CASE WHEN state = 'failing' THEN 'failed' ELSE 'completed' END, "
                + "updated_at = ?, " + CALLBACK_DUE + " WHERE id = ? AND state IN ('failing', 'completing')", now, id) == 1;
    }

    void polled(String id) {
        sql.update("UPDATE apimodels_task SET polls = polls + 1 WHERE id = ?", id);
    }

    /** A provider's webhook arrived for it. */
    void woken(String id, long now) {
        sql.update("UPDATE apimodels_task SET woken_at = ? WHERE id = ?", now, id);
    }

    /** One more callback attempt; {@code state} null while it stays pending. */
    void callbackTried(String id, int tries, Task.CallbackState state) {
        if (state == null) {
            sql.update("UPDATE apimodels_task SET callback_tries = ? WHERE id = ?", tries, id);
        } else {
            sql.update("UPDATE apimodels_task SET callback_state = ?, callback_tries = ? WHERE id = ?", state.dbValue(), tries, id);
        }
    }

    private static Task row(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String resultIds = rs.getString("result_ids");
        return new Task(id, rs.getLong("account_id"), Sql.nullableLong(rs, "key_id"),
                ModelKind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)), rs.getString("model"),
                rs.getString("provider"), rs.getString("upstream_model"), rs.getString("upstream_id"),
                Task.State.of(rs.getString("state")), read(id, rs.getString("input"), OBJECT, Map.of()),
                rs.getString("callback_url"), rs.getString("base_url"), rs.getString("hold_id"), rs.getLong("hold_amount"),
                Sql.nullableLong(rs, "cost_micros"), read(id, rs.getString("outputs"), OUTPUTS, List.of()),
                read(id, rs.getString("usage_doc"), new TypeReference<Usage>() {
                }, null),
                resultIds == null || resultIds.isEmpty() ? List.of() : List.of(resultIds.split(",")), rs.getString("fail_msg"),
                rs.getObject("fail_status", Integer.class), rs.getInt("polls"), Sql.nullableLong(rs, "woken_at"),
                rs.getLong("created_at"), rs.getLong("updated_at"),
                rs.getLong("deadline_at"), Sql.nullableLong(rs, "completed_at"),
                Task.CallbackState.of(rs.getString("callback_state")), rs.getInt("callback_tries"));
    }

    private static <T> T read(String id, String json, TypeReference<T> type, T none) {
        if (json == null) {
            return none;
        }
        try {
            return Json.MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable stored document of task " + id, e);
        }
    }
}
