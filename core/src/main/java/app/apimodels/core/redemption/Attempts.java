package app.apimodels.core.redemption;

import app.apimodels.core.db.Sql;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.failure.Failure;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;

/**
 * Throttles guessing: each account and each client address may try at most so many codes in a
 * fixed window. An attempt is counted before the code is looked at (so concurrent guesses cannot
 * slip past the limit) and forgiven when it redeems, so only failures use the allowance. The
 * counts live in the database, so the limit holds across nodes.
 */
final class Attempts {

    private final Sql sql;
    private final Clock clock;
    private final Duration window;
    private final int perAccount;
    private final int perAddress;

    Attempts(Sql sql, Clock clock, Duration window, int perAccount, int perAddress) {
        this.sql = sql;
        this.clock = clock;
        this.window = window;
        this.perAccount = perAccount;
        this.perAddress = perAddress;
    }

    /** Whose attempts one request is: an account and the address it came from. */
    record Subjects(String account, String address) {
    }

    static Subjects of(long accountId, String remoteAddress) {
        return new Subjects(Long.toString(accountId), addressKey(remoteAddress));
    }

    /**
     * Counts an attempt for both; a 429 with {@code Retry-After} if either has used its allowance
     * in the current window (the refused attempt counts too, which changes nothing: the window
     * ends when it ends).
     */
    void count(Subjects caller) {
        long now = clock.millis();
        long[] account = bump("account", caller.account(), now);
        long[] address = bump("address", caller.address(), now);
        long until = Math.max(account[0] > perAccount ? account[1] : 0, address[0] > perAddress ? address[1] : 0);
        if (until > 0) {
            long seconds = Math.max(1, (until - now + 999) / 1000);
            throw new Failure(Failure.Reason.RATE_LIMITED,
                    "too many redemption attempts; try again in " + seconds + " s", null, Duration.ofSeconds(seconds));
        }
    }

    /** Gives back the attempt of a request that redeemed, inside its transaction. */
    void forgive(Connection c, Subjects caller) throws SQLException {
        String sql = "UPDATE apimodels_redemption_attempt SET attempts = attempts - 1 WHERE scope = ? AND subject = ? AND attempts > 0";
        Sql.update(c, sql, "account", caller.account());
        Sql.update(c, sql, "address", caller.address());
    }

    /** Deletes the account's count (its address's cannot be told from others' and goes with its window). */
    int forget(Connection c, long accountId) throws SQLException {
        return Sql.update(c, "DELETE FROM apimodels_redemption_attempt WHERE scope = 'account' AND subject = ?", Long.toString(accountId));
    }

    /** Deletes the counts of windows that have ended. */
    void sweep() {
        sql.update("DELETE FROM apimodels_redemption_attempt WHERE window_start <= ?", clock.millis() - window.toMillis());
    }

    /** One more attempt in the subject's window (a new window if the last one ended): {attempts, window end}. */
    private long[] bump(String scope, String subject, long now) {
        try {
            return sql.tx(c -> bump(c, scope, subject, now));
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            return sql.tx(c -> bump(c, scope, subject, now)); // another request made the row first: now it is there
        }
    }

    private long[] bump(Connection c, String scope, String subject, long now) throws SQLException {
        long ended = now - window.toMillis();
        if (Sql.update(c, """
                UPDATE apimodels_redemption_attempt
                SET attempts = CASE WHEN window_start <= ? THEN 1 ELSE attempts + 1 END,
                    window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END
                WHERE scope = ? AND subject = ?""", ended, ended, now, scope, subject) == 0) {
            Sql.update(c, "INSERT INTO apimodels_redemption_attempt (scope, subject, window_start, attempts) VALUES (?, ?, ?, 1)",
                    scope, subject, now);
        }
        return Sql.one(c, "SELECT attempts, window_start FROM apimodels_redemption_attempt WHERE scope = ? AND subject = ?",
                rs -> new long[] {rs.getLong(1), rs.getLong(2) + window.toMillis()}, scope, subject).orElseThrow();
    }

    /**
     * The address as counted: IPv4 as it is, IPv6 by its /64 (one subscriber's whole prefix, which
     * it can rotate through at will). An address that is not a literal is counted as given.
     */
    static String addressKey(String remote) {
        return ClientAddress.counted(remote);
    }
}
