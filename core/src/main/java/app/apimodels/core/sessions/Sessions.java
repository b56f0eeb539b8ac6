package app.apimodels.core.sessions;

import app.apimodels.core.accounts.Role;
import app.apimodels.core.accounts.Tokens;
import app.apimodels.core.db.Sql;
import app.apimodels.core.db.Storable;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Browser sessions in the database, so any node serves them: a random id in the cookie, only its
 * SHA-256 stored; ended by logout, by "log out everywhere", by a password reset, after
 * {@code idle} without use and {@code absolute} after login.
 */
public final class Sessions {

    /** A session just made: the cookie's value, shown only now, and the stored session. */
    public record NewSession(String cookieValue, Session session) {
    }

    /** How stale the last-seen time may get before a use writes it: one write per minute, not per call. */
    private static final long TOUCH_MILLIS = 60_000;
    private static final String SELECT = """
            SELECT s.*, a.role, w.id AS wallet_id, h.id AS hold_id
            FROM apimodels_session s
            JOIN apimodels_account a ON a.id = s.account_id
            JOIN apimodels_ledger_account w ON w.owner_id = s.account_id AND w.kind = 'wallet'
            JOIN apimodels_ledger_account h ON h.owner_id = s.account_id AND h.kind = 'hold'
            """;

    private final Sql sql;
    private final Clock clock;
    private final Duration idle;
    private final Duration absolute;

    public Sessions(Sql sql, Clock clock, Duration idle, Duration absolute) {
        this.sql = sql;
        this.clock = clock;
        this.idle = idle;
        this.absolute = absolute;
    }

    /** Starts a session for the account, with a fresh id and CSRF token. */
    public NewSession create(long accountId, String ip, String userAgent) {
        String value = Tokens.random();
        long now = clock.millis();
        long id = sql.tx(c -> Sql.insert(c, """
                        INSERT INTO apimodels_session (id_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                Tokens.sha256(value), accountId, Tokens.random(), now, now, now + absolute.toMillis(),
                Storable.text(ip, 64), Storable.text(userAgent, 300)));
        return new NewSession(value, sql.one(SELECT + " WHERE s.id = ?", Sessions::map, id).orElseThrow());
    }

    /** The live session a cookie names (not ended, not idle too long, not past its end), noting its use. */
    public Optional<Session> find(String cookieValue) {
        if (cookieValue == null) {
            return Optional.empty();
        }
        long now = clock.millis();
        Optional<Session> found = sql.one(SELECT + " WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.last_seen_at > ?",
                Sessions::map, Tokens.sha256(cookieValue), now, now - idle.toMillis());
        found.filter(s -> now - s.lastSeenAt() >= TOUCH_MILLIS)
                .ifPresent(s -> sql.update("UPDATE apimodels_session SET last_seen_at = ? WHERE id = ?", now, s.id()));
        return found;
    }

    /** Ends the session a cookie names, if it is live. */
    public void end(String cookieValue) {
        if (cookieValue != null) {
            sql.update("UPDATE apimodels_session SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
                    clock.millis(), Tokens.sha256(cookieValue));
        }
    }

    /** Ends every session of the account ("log out everywhere", a password reset); returns how many were live. */
    public int endAll(long accountId) {
        long now = clock.millis();
        return sql.update("UPDATE apimodels_session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ?",
                now, accountId, now);
    }

    /** Deletes every session of the account, inside an erasure's transaction; returns how many there were. */
    public int erase(Connection c, long accountId) throws SQLException {
        return Sql.update(c, "DELETE FROM apimodels_session WHERE account_id = ?", accountId);
    }

    /** The account's live sessions, newest first. */
    public List<Session> live(long accountId) {
        long now = clock.millis();
        return sql.list(SELECT + " WHERE s.account_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.last_seen_at > ? ORDER BY s.id DESC",
                Sessions::map, accountId, now, now - idle.toMillis());
    }

    /** How long a new session's cookie lives: its absolute lifetime. */
    public Duration lifetime() {
        return absolute;
    }

    private static Session map(ResultSet rs) throws SQLException {
        return new Session(rs.getLong("id"), rs.getLong("account_id"), Role.fromDb(rs.getString("role")), rs.getLong("wallet_id"),
                rs.getLong("hold_id"), rs.getString("csrf_token"), rs.getLong("created_at"), rs.getLong("last_seen_at"),
                rs.getLong("expires_at"), rs.getString("ip"), rs.getString("user_agent"));
    }
}
