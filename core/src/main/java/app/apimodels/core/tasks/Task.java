package app.apimodels.core.tasks;

import app.apimodels.core.db.Sql;

import java.sql.ResultSet;
import java.sql.SQLException;

/** A generation task as stored. {@code state} is the internal one; clients see {@link #publicState()}. */
record Task(String id, long accountId, Long keyId, String kind, String model, String provider, String upstreamModel,
            String upstreamId, String state, String input, String callbackUrl, String baseUrl, String holdId,
            long holdAmount, Long costMicros, String outputs, String usage, String resultIds, String failMsg, int polls,
            Long wokenAt, long createdAt, long updatedAt, long deadlineAt, Long completedAt, String callbackState,
            int callbackTries) {

    static final String SUBMITTING = "submitting";
    static final String RUNNING = "running";
    static final String REHOSTING = "rehosting";
    static final String COMPLETED = "completed";
    static final String FAILED = "failed";

    boolean terminal() {
        return COMPLETED.equals(state) || FAILED.equals(state);
    }

    /** pending, completed or failed, as apimodels.app's API says. */
    String publicState() {
        return terminal() ? state : "pending";
    }

    static Task row(ResultSet rs) throws SQLException {
        return new Task(rs.getString("id"), rs.getLong("account_id"), Sql.nullableLong(rs, "key_id"), rs.getString("kind"),
                rs.getString("model"), rs.getString("provider"), rs.getString("upstream_model"), rs.getString("upstream_id"),
                rs.getString("state"), rs.getString("input"), rs.getString("callback_url"), rs.getString("base_url"),
                rs.getString("hold_id"), rs.getLong("hold_amount"), Sql.nullableLong(rs, "cost_micros"),
                rs.getString("outputs"), rs.getString("usage_doc"), rs.getString("result_ids"), rs.getString("fail_msg"),
                rs.getInt("polls"), Sql.nullableLong(rs, "woken_at"), rs.getLong("created_at"), rs.getLong("updated_at"),
                rs.getLong("deadline_at"), Sql.nullableLong(rs, "completed_at"), rs.getString("callback_state"),
                rs.getInt("callback_tries"));
    }
}
