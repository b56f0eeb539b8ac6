package app.apimodels.core.keys;

import app.apimodels.core.accounts.Role;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * API keys: random secrets shown once, stored as HMAC-SHA256(pepper, secret) so a database leak
 * does not reveal usable keys. Lookups are cached; a revocation invalidates this node's cache at
 * once and reaches other nodes within the cache TTL.
 */
public final class ApiKeys {

    static final String SECRET_PREFIX = "sk-am-";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SELECT = """
            SELECT k.*, a.role, w.id AS wallet_id, h.id AS hold_id
            FROM apimodels_api_key k
            JOIN apimodels_account a ON a.id = k.account_id
            JOIN apimodels_ledger_account w ON w.owner_id = k.account_id AND w.kind = 'wallet'
            JOIN apimodels_ledger_account h ON h.owner_id = k.account_id AND h.kind = 'hold'
            """;

    private final Sql sql;
    private final Clock clock;
    private final SecretKeySpec pepper;
    /**
     * An HMAC keyed with the pepper, cloned when no ready one is at hand: a clone skips the
     * provider lookup and key set-up of {@code Mac.getInstance} and {@code init}. Null where the
     * provider's HMAC cannot be cloned.
     */
    private final Mac keyed;
    /**
     * Keyed HMACs ready for the next hash (every call hashes its key, and a clone per call was ~7 %
     * of the request thread's CPU and ~1 KB): a thread takes the one in its slot and puts it back
     * after use ({@code doFinal} leaves it keyed and reset), cloning only when the slot is empty.
     * Slots rather than thread-locals, so that no container thread keeps the pepper after the
     * engine is gone.
     */
    private final AtomicReferenceArray<Mac> ready = new AtomicReferenceArray<>(READY_SLOTS);
    private static final int READY_SLOTS = 16;
    private final Cache<String, Optional<ApiKey>> byHash;
    /** last-used times waiting to be written, so authentication adds no database write. */
    private final Map<Long, Long> lastUsed = new ConcurrentHashMap<>();

    public ApiKeys(Sql sql, Clock clock, byte[] pepper, Duration cacheTtl) {
        this.sql = sql;
        this.clock = clock;
        this.pepper = new SecretKeySpec(pepper, "HmacSHA256");
        this.keyed = keyedMac(this.pepper);
        this.byHash = Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(100_000).build();
    }

    public NewKey create(long accountId, KeyOptions options) {
        validate(options);
        String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        long id = sql.tx(c -> insert(c, accountId, options, secret));
        return new NewKey(find(accountId, id).orElseThrow(), secret);
    }

    /** Registers a secret chosen by the operator (the bootstrap admin key). */
    public long register(Connection c, long accountId, String name, String secret) throws SQLException {
        return insert(c, accountId, KeyOptions.named(name), secret);
    }

    private long insert(Connection c, long accountId, KeyOptions o, String secret) throws SQLException {
        return Sql.insert(c, """
                        INSERT INTO apimodels_api_key (account_id, name, hash, prefix, last4, expires_at, allowed_models, spend_limit, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                accountId, o.name(), hash(secret), secret.substring(0, Math.min(10, secret.length())),
                secret.substring(Math.max(0, secret.length() - 4)), o.expiresAt(),
                o.allowedModels().isEmpty() ? null : String.join(",", o.allowedModels()), o.spendLimit(), clock.millis());
    }

    private void validate(KeyOptions o) {
        if (o.name() == null || o.name().isBlank() || o.name().length() > 200) {
            throw Failure.invalid("name", "name must be 1 to 200 characters");
        }
        if (o.expiresAt() != null && o.expiresAt() <= clock.millis()) {
            throw Failure.invalid("expires_at", "expires_at must be in the future");
        }
        if (o.spendLimit() != null && o.spendLimit() < 0) {
            throw Failure.invalid("spend_limit_micros", "spend_limit_micros must not be negative");
        }
    }

    /**
     * The key for a presented secret, or a 401 saying why not (unknown, revoked, expired).
     * Records last use without touching the database.
     */
    public ApiKey authenticate(String secret) {
        if (secret == null || secret.isBlank()) {
            throw unauthorized("missing API key: send it as 'Authorization: Bearer <key>'");
        }
        if (secret.length() > 200) {
            throw unauthorized("invalid API key");
        }
        String h = hash(secret);
        ApiKey key = byHash.get(h, this::load).orElseThrow(() -> unauthorized("invalid API key"));
        long now = clock.millis();
        if (key.revokedAt() != null) {
            throw unauthorized("this API key has been revoked");
        }
        if (key.expiresAt() != null && key.expiresAt() <= now) {
            throw unauthorized("this API key has expired");
        }
        lastUsed.put(key.id(), now);
        return key;
    }

    public Optional<ApiKey> findByHash(String secret) {
        return load(hash(secret));
    }

    private Optional<ApiKey> load(String hash) {
        return sql.one(SELECT + " WHERE k.hash = ?", ApiKeys::map, hash);
    }

    /** Any account's key by its id (for admins). */
    public Optional<ApiKey> find(long keyId) {
        return sql.one(SELECT + " WHERE k.id = ?", ApiKeys::map, keyId);
    }

    public Optional<ApiKey> find(long accountId, long keyId) {
        return sql.one(SELECT + " WHERE k.id = ? AND k.account_id = ?", ApiKeys::map, keyId, accountId);
    }

    public List<ApiKey> list(long accountId) {
        return sql.list(SELECT + " WHERE k.account_id = ? ORDER BY k.id", ApiKeys::map, accountId);
    }

    /** Revokes one of the account's keys; 404 if it is not theirs. Takes effect on this node at once. */
    public void revoke(long accountId, long keyId) {
        int n = sql.update("UPDATE apimodels_api_key SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
                clock.millis(), keyId, accountId);
        if (n == 0 && find(accountId, keyId).isEmpty()) {
            throw Failure.notFound("key");
        }
        invalidateAll();
    }

    /** Drops cached lookups (after any change that affects authentication, e.g. a role change). */
    public void invalidateAll() {
        byHash.invalidateAll();
    }

    /** Writes recorded last-use times; called periodically and on shutdown. */
    public void flushLastUsed() {
        if (lastUsed.isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>();
        for (Long id : List.copyOf(lastUsed.keySet())) {
            Long t = lastUsed.remove(id);
            if (t != null) {
                rows.add(new Object[] {t, id, t});
            }
        }
        sql.tx(c -> Sql.batch(c, "UPDATE apimodels_api_key SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", rows));
    }

    public String hash(String secret) {
        int slot = (int) (Thread.currentThread().getId() & (READY_SLOTS - 1));
        try {
            Mac mac = ready.getAndSet(slot, null);
            if (mac == null) {
                mac = mac();
            }
            String h = HexFormat.of().formatHex(mac.doFinal(secret.getBytes(StandardCharsets.UTF_8)));
            ready.compareAndSet(slot, null, mac);
            return h;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private Mac mac() throws GeneralSecurityException {
        if (keyed != null) {
            try {
                return (Mac) keyed.clone();
            } catch (CloneNotSupportedException e) {
                // cannot happen: keyedMac checked it; fall through to a new one
            }
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(pepper);
        return mac;
    }

    private static Mac keyedMac(SecretKeySpec pepper) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(pepper);
            mac.clone();
            return mac;
        } catch (GeneralSecurityException | CloneNotSupportedException e) {
            return null;
        }
    }

    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static Failure unauthorized(String message) {
        return new Failure(Failure.Reason.UNAUTHENTICATED, message);
    }

    private static ApiKey map(ResultSet rs) throws SQLException {
        String models = rs.getString("allowed_models");
        Set<String> allowed = models == null ? Set.of() : new LinkedHashSet<>(Arrays.asList(models.split(",")));
        return new ApiKey(rs.getLong("id"), rs.getLong("account_id"), Role.fromDb(rs.getString("role")),
                rs.getString("name"), rs.getString("prefix"), rs.getString("last4"), Sql.nullableLong(rs, "expires_at"),
                Set.copyOf(allowed), Sql.nullableLong(rs, "spend_limit"), rs.getLong("spent"),
                Sql.nullableLong(rs, "revoked_at"), Sql.nullableLong(rs, "last_used_at"), rs.getLong("created_at"),
                rs.getLong("wallet_id"), rs.getLong("hold_id"));
    }
}
