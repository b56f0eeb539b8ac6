package app.apimodels.core.policies;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.privacy.Consents;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Policy versions: an admin publishes one with the date it takes effect, every account with a
 * verified address is sent a notice, and from that date a browser session must accept it before
 * anything else; API keys get {@code keyGrace} more. Acceptances are recorded ({@link Consents}).
 *
 * <p>The gate ({@link #check}) runs on every authenticated call, so it reads memory: the published
 * versions and each account's accepted version are cached for {@code cacheTtl}, and a change made
 * on this node is seen here at once (other nodes within the TTL).
 */
public final class Policies {

    /** The consent kind of an acceptance ({@code apimodels_consent.kind}). */
    public static final String POLICY = "policy";
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String COLUMNS = "version, effective_at, summary, url, published_at";

    private final Sql sql;
    private final Clock clock;
    private final Outbox outbox;
    private final Consents consents;
    private final Duration keyGrace;
    private final Duration cacheTtl;
    private final Cache<Long, Optional<String>> accepted;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile List<Policy> published;
    private volatile long loadedAt;

    public Policies(Sql sql, Clock clock, Outbox outbox, Consents consents, Duration keyGrace, Duration cacheTtl) {
        this.sql = sql;
        this.clock = clock;
        this.outbox = outbox;
        this.consents = consents;
        this.keyGrace = keyGrace;
        this.cacheTtl = cacheTtl;
        this.accepted = Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(100_000).build();
        reload();
    }

    private static void checkUrl(String url) {
        try {
            java.net.URI u = new java.net.URI(url);
            if (("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) && u.getHost() != null) {
                return;
            }
        } catch (java.net.URISyntaxException e) {
            // refused below
        }
        throw Failure.invalid("url", "url must be an absolute http or https URL");
    }

    /**
     * Publishes a version and queues a {@code policy-change} notice to every account with a verified
     * address, in one transaction. Versions take effect in the order they are published: 400 for an
     * {@code effectiveAt} not after the latest one, 409 for a version published before.
     *
     * @param link where the notice points when the version has no {@code url} of its own
     */
    public Policy publish(String version, long effectiveAt, String summary, String url, String link) {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw Failure.invalid("version", "version must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
        if (url != null) {
            checkUrl(url);
        }
        long now = clock.millis();
        Policy policy = new Policy(version, effectiveAt, summary, url, now);
        try {
            sql.tx(c -> {
                long latest = Sql.one(c, "SELECT MAX(effective_at) FROM apimodels_policy", rs -> rs.getLong(1)).orElse(0L);
                if (effectiveAt <= latest) {
                    throw Failure.invalid("effective_at", "effective_at must be after the latest published version's ("
                            + Instant.ofEpochMilli(latest) + ")");
                }
                Sql.update(c, "INSERT INTO apimodels_policy (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?)",
                        version, effectiveAt, summary, url, now);
                notifyAll(c, policy, url != null ? url : link);
                return null;
            });
        } catch (RuntimeException e) {
            if (Sql.isUniqueViolation(e)) {
                throw Failure.invalid("version", "version " + version + " was published before; a published version cannot change");
            }
            throw e;
        }
        reload();
        return policy;
    }

    private void notifyAll(Connection c, Policy policy, String link) throws SQLException {
        List<String[]> people = Sql.list(c, "SELECT email, locale FROM apimodels_account WHERE email_verified_at IS NOT NULL ORDER BY id",
                rs -> new String[] {rs.getString(1), rs.getString(2)});
        String effective = Instant.ofEpochMilli(policy.effectiveAt()).toString();
        for (String[] p : people) {
            outbox.queue(c, new Letter(p[0], "policy-change", Locale.forLanguageTag(p[1]),
                    Map.of("version", policy.version(), "effective_at", effective, "link", link),
                    "policy-change:" + policy.version() + ":" + p[0]));
        }
    }

    /** Every published version, the latest first. */
    public List<Policy> list() {
        return current().stream().sorted(Comparator.comparingLong(Policy::effectiveAt).reversed()).toList();
    }

    /** The version in force now: the latest whose date has come. */
    public Optional<Policy> inForce() {
        long now = clock.millis();
        return current().stream().filter(p -> p.effectiveAt() <= now).max(Comparator.comparingLong(Policy::effectiveAt));
    }

    /** The version in force, or else the first one published to come (what a person signing up should accept). */
    public Optional<Policy> toAccept() {
        return inForce().or(() -> current().stream().min(Comparator.comparingLong(Policy::effectiveAt)));
    }

    /**
     * Checks that {@code version} may be accepted now: the one in force or a later one. A 400
     * naming {@code field} otherwise.
     */
    public Policy acceptable(String version, String field) {
        Policy wanted = find(version).orElseThrow(() -> Failure.invalid(field, field + " must be a published policy version"
                + toAccept().map(p -> " (the one in force is " + p.version() + ")").orElse("")));
        Optional<Policy> inForce = inForce();
        if (inForce.isPresent() && wanted.effectiveAt() < inForce.get().effectiveAt()) {
            throw Failure.invalid(field, field + " " + version + " is no longer in force; accept " + inForce.get().version());
        }
        return wanted;
    }

    /** Records that the account accepts {@code version}, inside the caller's transaction. */
    public void accept(Connection c, long accountId, Policy version) throws SQLException {
        Sql.update(c, "UPDATE apimodels_account SET policy_version = ?, policy_accepted_at = ? WHERE id = ?",
                version.version(), clock.millis(), accountId);
        consents.record(c, accountId, POLICY, true, version.version());
        accepted.invalidate(accountId);
    }

    /** Accepts {@code version} for the account (its own transaction); 400 naming {@code version} if it cannot be. */
    public Policy accept(long accountId, String version) {
        Policy p = acceptable(version, "version");
        sql.tx(c -> {
            accept(c, accountId, p);
            return null;
        });
        accepted.invalidate(accountId);
        return p;
    }

    /** The version the account last accepted, if any. */
    public Optional<String> acceptedBy(long accountId) {
        return accepted.get(accountId, id -> sql.one("SELECT policy_version FROM apimodels_account WHERE id = ?",
                rs -> Optional.ofNullable(rs.getString(1)), id).flatMap(v -> v));
    }

    /**
     * The gate: refuses (403 {@code policy_not_accepted}) an account that has yet to accept the
     * version in force, at once for a browser session and after the grace period for an API key.
     */
    public void check(long accountId, boolean viaSession) {
        Optional<Policy> inForce = inForce();
        if (inForce.isEmpty()) {
            return;
        }
        Policy p = inForce.get();
        Optional<Policy> theirs = acceptedBy(accountId).flatMap(this::find);
        if (theirs.isPresent() && theirs.get().effectiveAt() >= p.effectiveAt()) {
            return;
        }
        long graceEnds = p.effectiveAt() + keyGrace.toMillis();
        if (!viaSession && clock.millis() < graceEnds) {
            return;
        }
        throw new Failure(Failure.Reason.POLICY_NOT_ACCEPTED, "policy version " + p.version() + " is in force since "
                + Instant.ofEpochMilli(p.effectiveAt()) + " and must be accepted before anything else: "
                + "POST /api/v1/account/policy {\"version\":\"" + p.version() + "\"}" + (p.url() == null ? "" : " (text: " + p.url() + ")"));
    }

    private Optional<Policy> find(String version) {
        return current().stream().filter(p -> p.version().equals(version)).findFirst()
                .or(() -> version == null || version.length() > 64 ? Optional.empty()
                        : sql.one("SELECT " + COLUMNS + " FROM apimodels_policy WHERE version = ?", Policies::map, version));
    }

    /** The published versions, reloaded when older than the cache TTL (by one thread; the others use what is loaded). */
    private List<Policy> current() {
        if (clock.millis() - loadedAt >= cacheTtl.toMillis() && refreshing.tryLock()) {
            try {
                reload();
            } finally {
                refreshing.unlock();
            }
        }
        return published;
    }

    private void reload() {
        published = sql.list("SELECT " + COLUMNS + " FROM apimodels_policy ORDER BY effective_at", Policies::map);
        loadedAt = clock.millis();
    }

    private static Policy map(ResultSet rs) throws SQLException {
        return new Policy(rs.getString("version"), rs.getLong("effective_at"), rs.getString("summary"), rs.getString("url"),
                rs.getLong("published_at"));
    }
}
