package app.apimodels.core.limits;

import app.apimodels.core.db.Sql;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The limits admins set per account and per key ({@code apimodels_abuse_limit}), read through a
 * cache so that checking a call costs no database round trip: a change takes effect on the node
 * that made it at once, on the others within the cache's time to live.
 */
final class LimitStore {

    private final Sql sql;
    private final Clock clock;
    private final Cache<Long, AdminLimit> keys;
    private final Cache<Long, AdminLimit> accounts;

    LimitStore(Sql sql, Clock clock, Duration ttl) {
        this.sql = sql;
        this.clock = clock;
        this.keys = cache(clock, ttl);
        this.accounts = cache(clock, ttl);
    }

    /** Entries age by the engine's clock, so the time to live is what the engine measures (and tests move). */
    private static Cache<Long, AdminLimit> cache(Clock clock, Duration ttl) {
        return Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
    }

    /** What is set for the key or account, from the cache. */
    AdminLimit cached(Scope scope, long id) {
        return cache(scope).get(id, k -> load(scope, k));
    }

    /** What is set, read from the database now. */
    AdminLimit load(Scope scope, long id) {
        return sql.one("SELECT requests_per_minute, tokens_per_minute, concurrent_calls FROM apimodels_abuse_limit "
                + "WHERE scope = ? AND subject_id = ?", LimitStore::map, scope.dbValue(), id).orElse(AdminLimit.NONE);
    }

    /** Stores what an admin set; all fields null removes the override. */
    void put(Scope scope, long id, AdminLimit limit) {
        try {
            replace(scope, id, limit);
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            replace(scope, id, limit); // two admins stored one at the same moment: the last one wins
        }
        cache(scope).invalidate(id);
    }

    private void replace(Scope scope, long id, AdminLimit limit) {
        sql.tx(c -> {
            Sql.update(c, "DELETE FROM apimodels_abuse_limit WHERE scope = ? AND subject_id = ?", scope.dbValue(), id);
            if (!limit.none()) {
                insert(c, scope, id, limit);
            }
            return null;
        });
    }

    private void insert(Connection c, Scope scope, long id, AdminLimit l) throws SQLException {
        Sql.update(c, "INSERT INTO apimodels_abuse_limit (scope, subject_id, requests_per_minute, tokens_per_minute, "
                        + "concurrent_calls, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                scope.dbValue(), id, l.requestsPerMinute(), l.tokensPerMinute(), l.concurrentCalls(), clock.millis());
    }

    private Cache<Long, AdminLimit> cache(Scope scope) {
        return switch (scope) {
            case KEY -> keys;
            case ACCOUNT -> accounts;
            case IP -> throw new IllegalArgumentException("address limits are configured, not stored");
        };
    }

    private static AdminLimit map(ResultSet rs) throws SQLException {
        return new AdminLimit(Sql.nullableLong(rs, "requests_per_minute"), Sql.nullableLong(rs, "tokens_per_minute"),
                Sql.nullableLong(rs, "concurrent_calls"));
    }
}
