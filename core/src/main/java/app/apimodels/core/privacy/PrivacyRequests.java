package app.apimodels.core.privacy;

import app.apimodels.core.ids.Ids;
import app.apimodels.core.db.Sql;
import app.apimodels.core.privacy.PrivacyRequest.Kind;
import app.apimodels.core.privacy.PrivacyRequest.State;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The register of privacy requests: every export, correction, erasure, restriction and objection is
 * recorded when received, with the date it must be answered by (one month, as the GDPR asks), and
 * completed with what was done. Rows are kept for accountability, also after an erasure (they name
 * only the anonymised account id).
 */
public final class PrivacyRequests {

    /** How long the operator has to answer a request (GDPR Art. 12(3): one month). */
    public static final Duration DUE_WITHIN = Duration.ofDays(30);
    /** Longest outcome text stored. */
    static final int MAX_OUTCOME = 2000;

    private final Sql sql;
    private final Clock clock;

    public PrivacyRequests(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /** Records a request as received, inside the caller's transaction. */
    public PrivacyRequest receive(Connection c, long accountId, Kind kind) throws SQLException {
        long now = clock.millis();
        PrivacyRequest r = new PrivacyRequest(Ids.prefixed("pr_"), accountId, kind,
                State.RECEIVED, now, now + DUE_WITHIN.toMillis(), null, null);
        Sql.update(c, """
                INSERT INTO apimodels_privacy_request (id, account_id, kind, state, received_at, due_at)
                VALUES (?, ?, ?, ?, ?, ?)""", r.id(), accountId, kind.dbValue(), r.state().dbValue(), r.receivedAt(), r.dueAt());
        return r;
    }

    /** Marks a request done, with what was done, inside the caller's transaction. */
    public PrivacyRequest complete(Connection c, PrivacyRequest r, String outcome) throws SQLException {
        return end(c, r, State.COMPLETED, outcome);
    }

    /** Marks a request failed (it could not be carried out; the outcome says why), in its own transaction. */
    public PrivacyRequest fail(PrivacyRequest r, String outcome) {
        return sql.tx(c -> end(c, r, State.FAILED, outcome));
    }

    /** A request received and carried out at once (a correction, a restriction), inside the caller's transaction. */
    public PrivacyRequest done(Connection c, long accountId, Kind kind, String outcome) throws SQLException {
        return complete(c, receive(c, accountId, kind), outcome);
    }

    private PrivacyRequest end(Connection c, PrivacyRequest r, State state, String outcome) throws SQLException {
        long now = clock.millis();
        String text = outcome.length() > MAX_OUTCOME ? outcome.substring(0, MAX_OUTCOME) : outcome;
        Sql.update(c, "UPDATE apimodels_privacy_request SET state = ?, completed_at = ?, outcome = ? WHERE id = ?",
                state.dbValue(), now, text, r.id());
        return new PrivacyRequest(r.id(), r.accountId(), r.kind(), state, r.receivedAt(), r.dueAt(), now, text);
    }

    public Optional<PrivacyRequest> find(String id) {
        return sql.one("SELECT * FROM apimodels_privacy_request WHERE id = ?", PrivacyRequests::map, id);
    }

    /**
     * Requests, newest first.
     *
     * @param accountId only this account's, or null for all
     * @param state     only those in this state, or null for all
     * @param before    only those received before this time, or null
     */
    public List<PrivacyRequest> list(Long accountId, State state, Long before, int limit) {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (accountId != null) {
            where.append(" AND account_id = ?");
            args.add(accountId);
        }
        if (state != null) {
            where.append(" AND state = ?");
            args.add(state.dbValue());
        }
        if (before != null) {
            where.append(" AND received_at < ?");
            args.add(before);
        }
        args.add(limit);
        return sql.list("SELECT * FROM apimodels_privacy_request" + where + " ORDER BY received_at DESC, id DESC LIMIT ?",
                PrivacyRequests::map, args.toArray());
    }

    static PrivacyRequest map(ResultSet rs) throws SQLException {
        return new PrivacyRequest(rs.getString("id"), rs.getLong("account_id"), Kind.of(rs.getString("kind")),
                State.of(rs.getString("state")), rs.getLong("received_at"), rs.getLong("due_at"),
                Sql.nullableLong(rs, "completed_at"), rs.getString("outcome"));
    }
}
