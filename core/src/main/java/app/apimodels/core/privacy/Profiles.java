package app.apimodels.core.privacy;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.privacy.PrivacyRequest.Kind;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Correction and objection ({@code PATCH /api/v1/account}): the holder corrects their name, gives or
 * withdraws marketing consent (withdrawing is an objection, recorded as a privacy request) and sets
 * the low-balance warning. A change of e-mail address needs the address verified, so it belongs to
 * the sign-in flow: it is handed to an {@link EmailChange} when the deployment has one.
 */
public final class Profiles {

    /** Longest name stored. */
    public static final int MAX_NAME = 200;

    /** Starts a verified change of e-mail address (the sign-in flow mails a link to the new address). */
    @FunctionalInterface
    public interface EmailChange {
        /**
         * Starts the change; the address is the account's only once the link is followed.
         *
         * @param requestBase where the request came to, for the link when no public URL is configured
         */
        void request(long accountId, String newEmail, String requestBase);
    }

    /**
     * The changes asked for; a field not named stays as it is.
     *
     * @param nameSet       whether {@code name} was named (null then clears it)
     * @param marketing     the new marketing answer, or null to leave it
     * @param thresholdSet  whether {@code lowBalanceThreshold} was named (null then turns the warning off)
     */
    public record Change(boolean nameSet, String name, Boolean marketing, boolean thresholdSet, Long lowBalanceThreshold) {
    }

    /** What a change did: the profile after it, and the privacy requests it recorded. */
    public record Changed(Profile profile, List<PrivacyRequest> requests) {
    }

    private final Sql sql;
    private final Consents consents;
    private final PrivacyRequests requests;

    public Profiles(Sql sql, Consents consents, PrivacyRequests requests) {
        this.sql = sql;
        this.consents = consents;
        this.requests = requests;
    }

    public Profile get(long accountId) {
        return sql.tx(c -> find(c, accountId)).orElseThrow(() -> Failure.notFound("account"));
    }

    static Optional<Profile> find(Connection c, long accountId) throws SQLException {
        return Sql.one(c, """
                SELECT id, email, name, marketing_consent, low_balance_threshold_micros, restricted_at, deleted_at
                FROM apimodels_account WHERE id = ?""", Profiles::map, accountId);
    }

    public Changed change(long accountId, Change change) {
        return sql.tx(c -> {
            Profile before = find(c, accountId).orElseThrow(() -> Failure.notFound("account"));
            List<PrivacyRequest> recorded = new ArrayList<>();
            if (change.nameSet()) {
                String name = change.name() == null || change.name().isBlank() ? null : change.name().strip();
                Sql.update(c, "UPDATE apimodels_account SET name = ? WHERE id = ?", name, accountId);
                recorded.add(requests.done(c, accountId, Kind.CORRECT, name == null ? "name removed" : "name corrected"));
            }
            if (change.marketing() != null) {
                consents.record(c, accountId, Consents.MARKETING, change.marketing(), null);
                if (!change.marketing()) {
                    recorded.add(requests.done(c, accountId, Kind.OBJECT, before.marketingConsent()
                            ? "marketing consent withdrawn: no announcements are sent" : "no marketing consent was given; objection recorded"));
                }
            }
            if (change.thresholdSet()) {
                Sql.update(c, "UPDATE apimodels_account SET low_balance_threshold_micros = ? WHERE id = ?",
                        change.lowBalanceThreshold(), accountId);
            }
            return new Changed(find(c, accountId).orElseThrow(), List.copyOf(recorded));
        });
    }

    private static Profile map(ResultSet rs) throws SQLException {
        return new Profile(rs.getLong("id"), rs.getString("email"), rs.getString("name"), rs.getBoolean("marketing_consent"),
                Sql.nullableLong(rs, "low_balance_threshold_micros"), Sql.nullableLong(rs, "restricted_at"),
                Sql.nullableLong(rs, "deleted_at"));
    }
}
