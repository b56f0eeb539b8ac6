package app.apimodels.core.privacy;

import app.apimodels.core.db.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;

/**
 * Consents given and withdrawn, each with its time and the policy version in force: the
 * history is {@code apimodels_consent}, the current marketing answer is also on the account (so
 * mailing lists are one indexed read). Sign-up records the first answer; the holder changes it
 * with {@code PATCH /api/v1/account}.
 */
public final class Consents {

    /** Product announcements and other direct marketing. */
    public static final String MARKETING = "marketing";

    private final Clock clock;

    public Consents(Clock clock) {
        this.clock = clock;
    }

    /**
     * Records an answer inside the caller's transaction and makes it the account's current one.
     *
     * @param version the policy version the answer was given under, or null
     */
    public void record(Connection c, long accountId, String kind, boolean granted, String version) throws SQLException {
        Sql.update(c, "INSERT INTO apimodels_consent (account_id, kind, version, granted, created_at) VALUES (?, ?, ?, ?, ?)",
                accountId, kind, version, granted, clock.millis());
        if (MARKETING.equals(kind)) {
            Sql.update(c, "UPDATE apimodels_account SET marketing_consent = ? WHERE id = ?", granted, accountId);
        }
    }
}
