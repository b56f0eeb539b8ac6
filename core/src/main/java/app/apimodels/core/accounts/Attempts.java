package app.apimodels.core.accounts;

import app.apimodels.core.db.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Attempt counters kept in the database, so every node counts together: a {@link Rule} allows
 * {@code max} attempts per subject within a window, then blocks the subject for a while.
 * Subjects are e-mail addresses (as an HMAC, so unknown ones are counted alike and none is stored)
 * and client addresses.
 */
public final class Attempts {

    /**
     * @param name   the counter family, part of each row's scope
     * @param max    attempts allowed within {@code window}; the one that reaches it blocks
     * @param window how long attempts are counted together
     * @param block  how long a subject stays blocked once it reached {@code max}
     */
    public record Rule(String name, int max, Duration window, Duration block) {
    }

    private final Sql sql;
    private final Clock clock;

    public Attempts(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /** How long {@code subject} is still blocked under {@code rule}, if it is. */
    public Optional<Duration> blocked(Rule rule, String subject) {
        long now = clock.millis();
        return sql.one("SELECT COALESCE(locked_until, 0) FROM apimodels_auth_attempt WHERE scope = ?",
                        rs -> rs.getLong(1), scope(rule, subject))
                .filter(until -> until > now)
                .map(until -> Duration.ofMillis(until - now));
    }

    /**
     * Counts one attempt; returns how long the subject is now blocked if this attempt reached the
     * rule's maximum (then the count starts again), else empty.
     */
    public Optional<Duration> record(Rule rule, String subject) {
        String scope = scope(rule, subject);
        try {
            return sql.tx(c -> count(c, rule, scope));
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            // Another node inserted the first row for this scope at the same moment: it is there now.
            return sql.tx(c -> count(c, rule, scope));
        }
    }

    private Optional<Duration> count(Connection c, Rule rule, String scope) throws SQLException {
        long now = clock.millis();
        Optional<long[]> row = Sql.one(c, "SELECT attempts, window_start FROM apimodels_auth_attempt WHERE scope = ? FOR UPDATE",
                rs -> new long[] {rs.getLong(1), rs.getLong(2)}, scope);
        long attempts = 1;
        long windowStart = now;
        if (row.isPresent() && now - row.get()[1] < rule.window().toMillis()) {
            attempts = row.get()[0] + 1;
            windowStart = row.get()[1];
        }
        Long lockedUntil = null;
        if (attempts >= rule.max()) {
            lockedUntil = now + rule.block().toMillis();
            attempts = 0;
            windowStart = now;
        }
        if (row.isPresent() && lockedUntil == null) {
            Sql.update(c, "UPDATE apimodels_auth_attempt SET attempts = ?, window_start = ? WHERE scope = ?",
                    (int) attempts, windowStart, scope);
        } else if (row.isPresent()) {
            Sql.update(c, "UPDATE apimodels_auth_attempt SET attempts = ?, window_start = ?, locked_until = ? WHERE scope = ?",
                    (int) attempts, windowStart, lockedUntil, scope);
        } else {
            Sql.update(c, "INSERT INTO apimodels_auth_attempt (scope, attempts, window_start, locked_until) VALUES (?, ?, ?, ?)",
                    scope, (int) attempts, windowStart, lockedUntil);
        }
        return Optional.ofNullable(lockedUntil).map(until -> Duration.ofMillis(until - now));
    }

    long now() {
        return clock.millis();
    }

    /** Forgets the subject's attempts (a successful login). */
    public void clear(Rule rule, String subject) {
        sql.update("DELETE FROM apimodels_auth_attempt WHERE scope = ? AND (locked_until IS NULL OR locked_until <= ?)",
                scope(rule, subject), clock.millis());
    }

    /** Deletes counters that neither count nor block any more. */
    public int sweep(Duration longestWindow) {
        long now = clock.millis();
        return sql.update("DELETE FROM apimodels_auth_attempt WHERE window_start < ? AND (locked_until IS NULL OR locked_until < ?)",
                now - longestWindow.toMillis(), now);
    }

    private static String scope(Rule rule, String subject) {
        String s = rule.name() + ":" + subject;
        return s.length() <= 120 ? s : rule.name() + ":" + Tokens.sha256(subject);
    }
}
