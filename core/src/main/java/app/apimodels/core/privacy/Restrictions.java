package app.apimodels.core.privacy;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.Router;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Clock;
import java.time.Duration;

/**
 * Restriction of processing: a restricted (or erased) account keeps its data but makes no calls.
 * It may still read what is held about it and manage its account ({@code /api/v1/account…}: export,
 * lift the restriction, delete), so only routes that change something elsewhere are refused.
 * Checked on every call from a cache; a change takes effect on this node at once and on the others
 * within the cache's time to live (the key cache's, {@code apimodels.keys.cache-ttl-ms}).
 * An operator's suspension stops the same routes; only an operator lifts it.
 */
public final class Restrictions {

    private final Sql sql;
    private final Clock clock;
    private final PrivacyRequests requests;
    private final Cache<Long, State> restricted;

    /** What stops an account's processing: its holder's restriction, an operator's suspension, or both. */
    private record State(boolean byHolder, boolean byOperator) {
    }

    public Restrictions(Sql sql, Clock clock, PrivacyRequests requests, Duration cacheTtl) {
        this.sql = sql;
        this.clock = clock;
        this.requests = requests;
        this.restricted = Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(100_000).build();
    }

    /** Whether a route does processing that a restriction stops: anything but reads and the caller's own account. */
    public static boolean stops(Router.Route route) {
        return (route.access() == Router.Access.KEY || route.access() == Router.Access.KEY_OR_SESSION) && !"GET".equals(route.method())
                && !route.template().equals("/api/v1/account") && !route.template().startsWith("/api/v1/account/");
    }

    /** Refuses the call if the account is restricted and the route is one a restriction stops. */
    public void check(long accountId, Router.Route route) {
        if (!stops(route)) {
            return;
        }
        State state = state(accountId);
        if (state.byOperator()) {
            throw new Failure(Failure.Reason.ACCOUNT_RESTRICTED, "this account is suspended by the service's operator:"
                    + " no calls are made until they lift it");
        }
        if (state.byHolder()) {
            throw new Failure(Failure.Reason.ACCOUNT_RESTRICTED, "processing is restricted for this account at its holder's"
                    + " request: no calls are made until it is lifted (POST /api/v1/account/restriction {\"restricted\": false})");
        }
    }

    public boolean isRestricted(long accountId) {
        return state(accountId).byHolder();
    }

    private State state(long accountId) {
        return restricted.get(accountId, id -> sql.one("SELECT restricted_at, suspended_at FROM apimodels_account WHERE id = ?",
                rs -> new State(rs.getObject(1) != null, rs.getObject(2) != null), id).orElse(new State(false, false)));
    }

    /**
     * An operator suspends the account ({@code reason}: their note, kept for operators) or lifts the
     * suspension. An admin account is not suspended (400 naming {@code suspended}): make it a user
     * first. An erased account is 404.
     */
    public void suspend(long accountId, boolean suspend, String reason) {
        sql.tx(c -> {
            String role = Sql.one(c, "SELECT role FROM apimodels_account WHERE id = ? AND deleted_at IS NULL", rs -> rs.getString(1),
                    accountId).orElseThrow(() -> Failure.notFound("user"));
            if (suspend && "admin".equals(role)) {
                throw Failure.invalid("suspended", "an admin account cannot be suspended: make it a user first");
            }
            if (suspend) {
                Sql.update(c, "UPDATE apimodels_account SET suspended_at = COALESCE(suspended_at, ?), suspended_reason = ? WHERE id = ?",
                        clock.millis(), reason, accountId);
            } else {
                Sql.update(c, "UPDATE apimodels_account SET suspended_at = NULL, suspended_reason = NULL WHERE id = ?", accountId);
            }
            return null;
        });
        invalidate(accountId);
    }

    /** An operator's suspension: since when and why; empty when the account is not suspended. */
    public java.util.Optional<Suspension> suspension(long accountId) {
        return sql.one("SELECT suspended_at, suspended_reason FROM apimodels_account WHERE id = ? AND suspended_at IS NOT NULL",
                rs -> new Suspension(rs.getLong(1), rs.getString(2)), accountId);
    }

    /** @param reason the operator's note, or null */
    public record Suspension(long since, String reason) {
    }

    /**
     * Restricts processing for the account, or lifts the restriction, and records the request. Lifting
     * leaves an erased account restricted: it has nothing left to process.
     */
    public PrivacyRequest set(long accountId, boolean restrict) {
        PrivacyRequest done = sql.tx(c -> {
            Profile p = Profiles.find(c, accountId).orElseThrow(() -> Failure.notFound("account"));
            if (p.deletedAt() != null) {
                throw Failure.notFound("account");
            }
            if (restrict) {
                Sql.update(c, "UPDATE apimodels_account SET restricted_at = ? WHERE id = ? AND restricted_at IS NULL",
                        clock.millis(), accountId);
                return requests.done(c, accountId, PrivacyRequest.Kind.RESTRICT, p.restrictedAt() == null
                        ? "processing restricted: calls refused, data kept" : "processing was already restricted");
            }
            Sql.update(c, "UPDATE apimodels_account SET restricted_at = NULL WHERE id = ?", accountId);
            return requests.done(c, accountId, PrivacyRequest.Kind.RESTRICT, p.restrictedAt() == null
                    ? "processing was not restricted" : "restriction lifted: calls allowed again");
        });
        invalidate(accountId);
        return done;
    }

    /** Forgets this node's cached answer (after a change). */
    public void invalidate(long accountId) {
        restricted.invalidate(accountId);
    }
}
