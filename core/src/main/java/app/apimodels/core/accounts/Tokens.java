package app.apimodels.core.accounts;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;

/**
 * One-time links (verification, reset, change of e-mail, invitations): 32 random bytes given out
 * once, stored only as their SHA-256, used at most once before they expire.
 */
public final class Tokens {

    /** What a token is for (the {@code purpose} column). */
    public enum Purpose {
        VERIFY_EMAIL("verify-email"), RESET_PASSWORD("reset-password"), CHANGE_EMAIL("change-email"), INVITE("invite");

        final String db;

        Purpose(String db) {
            this.db = db;
        }
    }

    /** A consumed token: whose it was and, for a change of e-mail or an invitation, the address it carries. */
    public record Used(Long accountId, String newEmail) {
    }

    /** Longest token accepted: anything longer is not one of ours, and is not hashed. */
    private static final int MAX_LENGTH = 100;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Clock clock;

    public Tokens(Clock clock) {
        this.clock = clock;
    }

    /** Issues a token inside {@code c}; earlier unused tokens of the same account and purpose stop working. */
    public String issue(Connection c, Long accountId, Purpose purpose, String newEmail, Duration ttl) throws SQLException {
        long now = clock.millis();
        if (accountId != null) {
            Sql.update(c, "UPDATE apimodels_account_token SET used_at = ? WHERE account_id = ? AND purpose = ? AND used_at IS NULL",
                    now, accountId, purpose.db);
        }
        String token = random();
        Sql.insert(c, """
                INSERT INTO apimodels_account_token (account_id, purpose, token_hash, new_email, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?)""", accountId, purpose.db, sha256(token), newEmail, now, now + ttl.toMillis());
        return token;
    }

    /**
     * Uses a token once, inside {@code c}: a 400 naming {@code field} if it is unknown, expired,
     * used, or for something else (the same answer for each, so none can be told apart).
     */
    public Used consume(Connection c, String token, Purpose purpose, String field) throws SQLException {
        if (token == null || token.isBlank() || token.length() > MAX_LENGTH) {
            throw invalid(field);
        }
        long now = clock.millis();
        String hash = sha256(token.trim());
        Used used = Sql.one(c, """
                SELECT account_id, new_email FROM apimodels_account_token
                WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?""",
                rs -> new Used(Sql.nullableLong(rs, "account_id"), rs.getString("new_email")), hash, purpose.db, now)
                .orElseThrow(() -> invalid(field));
        // The conditional update is what makes it once: of two racing uses, one changes the row.
        if (Sql.update(c, "UPDATE apimodels_account_token SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", now, hash) != 1) {
            throw invalid(field);
        }
        return used;
    }

    /** Deletes the account's links and the invitations for its address, inside an erasure's transaction; returns how many. */
    public int erase(Connection c, long accountId, String email) throws SQLException {
        return Sql.update(c, "DELETE FROM apimodels_account_token WHERE account_id = ? OR new_email = ?", accountId, email);
    }

    private static Failure invalid(String field) {
        return Failure.invalid(field, field + " is invalid, has expired or was already used; ask for a new one");
    }

    /** 32 random bytes, URL-safe base64: a token or session id. */
    public static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** SHA-256 in hex: tokens and session ids have 256 random bits, so no salt or slow hash is needed. */
    public static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
