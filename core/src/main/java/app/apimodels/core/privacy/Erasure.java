package app.apimodels.core.privacy;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.media.MediaObject;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.privacy.PrivacyRequest.Kind;
import app.apimodels.spi.storage.StorageException;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.Locale;
import java.util.Map;

/**
 * Erasure ({@code DELETE /api/v1/account}): the person's data goes, the business records stay.
 * In one transaction: API keys revoked, stored prompts and outputs of finished tasks removed, idempotent
 * replays (answers) deleted, files scheduled for deletion, the person named nowhere (ledger reasons,
 * letters already sent), the account row anonymised ({@code deleted-<id>@invalid}, no name, no password)
 * and every registered {@link Step} run. Then the files are deleted from the storage (any the storage
 * refuses now stay due, and the media retention sweep deletes them). The ledger, the call log and
 * consents stay, naming only the anonymised account, for the billing retention.
 * The old address gets an {@code account-deletion} letter when the request is received and when it is done.
 */
public final class Erasure {

    private static final System.Logger LOG = System.getLogger(Erasure.class.getName());
    /** Shorter names are not searched for in free text (they would match inside ordinary words). */
    private static final int MIN_NAME_TO_SCRUB = 3;

    /** A part of the service that holds personal data of its own and erases it with the account. */
    @FunctionalInterface
    public interface Step {
        /**
         * Deletes or anonymises what this part holds about the person, inside the erasure's
         * transaction (sessions ended, tokens deleted, orders anonymised…).
         *
         * @return a short note of what was done (counts, never the data), or null
         */
        String erase(Connection tx, Person person) throws SQLException;
    }

    /**
     * Who is being erased.
     *
     * @param name           null if none was given
     * @param anonymousEmail what the account's address becomes
     */
    public record Person(long accountId, String email, String name, String anonymousEmail) {
    }

    /** How the holder confirms: the password, or for an account without one (made by an admin) its address. */
    public record Confirmation(String password, String email) {
    }

    private final Sql sql;
    private final Clock clock;
    private final PrivacyRequests requests;
    private final Consents consents;
    private final Outbox outbox;
    private final MediaStore media;
    private final Runnable beforeErasing;
    private final Runnable afterRevoking;
    private final List<Step> steps;
    private final BiPredicate<String, String> passwordMatches;

    /**
     * @param beforeErasing run first (commits the ledger's queue, so no transfer is written after its reason was scrubbed)
     * @param afterRevoking run once the keys are revoked (drops cached key lookups on this node)
     * @param steps         the other owners of personal data
     * @param passwordMatches (password, stored hash) → whether they match, by the sign-in flow's own check
     */
    public Erasure(Sql sql, Clock clock, PrivacyRequests requests, Consents consents, Outbox outbox, MediaStore media,
                   Runnable beforeErasing, Runnable afterRevoking, List<Step> steps, BiPredicate<String, String> passwordMatches) {
        this.passwordMatches = passwordMatches;
        this.sql = sql;
        this.clock = clock;
        this.requests = requests;
        this.consents = consents;
        this.outbox = outbox;
        this.media = media;
        this.beforeErasing = beforeErasing;
        this.afterRevoking = afterRevoking;
        this.steps = List.copyOf(steps);
    }

    /** Erases the account once the holder has confirmed it; answers the completed request. */
    public PrivacyRequest erase(long accountId, Confirmation confirmation) {
        Holder confirmed = confirmed(accountId, confirmation);
        Person person = new Person(accountId, confirmed.email(), confirmed.name(), "deleted-" + accountId + "@invalid");
        Locale locale = confirmed.locale();
        beforeErasing.run();
        List<String> notes = new ArrayList<>();
        PrivacyRequest request = sql.tx(c -> {
            if (!holder(c, accountId, true).equals(confirmed)) {
                // A new password or address since it was confirmed: confirm again.
                throw Failure.invalid("password", "the account changed while the deletion was being confirmed; try again");
            }
            PrivacyRequest received = requests.receive(c, accountId, Kind.DELETE);
            notes.addAll(erase(c, person));
            for (Step step : steps) {
                String note = step.erase(c, person);
                if (note != null) {
                    notes.add(note);
                }
            }
            // After the old letters were scrubbed: this one is sent, then its address goes at the next retention sweep.
            outbox.queue(c, letter(person, locale, received, "requested"));
            return received;
        });
        afterRevoking.run();
        notes.add(deleteFiles(accountId));
        String outcome = String.join("; ", notes);
        return sql.tx(c -> {
            outbox.queue(c, letter(person, locale, request, "done"));
            return requests.complete(c, request, outcome);
        });
    }

    /**
     * Checks the confirmation outside any transaction (a password hash takes a while to check), then
     * locks the account row and makes sure it is still the one confirmed.
     */
    private Holder confirmed(long accountId, Confirmation confirmation) {
        Holder h = sql.tx(c -> holder(c, accountId, false));
        if (h.passwordHash() != null) {
            if (confirmation.password() == null || !passwordMatches.test(confirmation.password(), h.passwordHash())) {
                throw Failure.invalid("password", "password: send this account's password to confirm the deletion");
            }
        } else if (confirmation.email() == null || !confirmation.email().trim().equalsIgnoreCase(h.email())) {
            throw Failure.invalid("confirm_email", "confirm_email: send this account's e-mail address to confirm the deletion");
        }
        return h;
    }

    private record Holder(String email, String name, String passwordHash, Locale locale) {
    }

    private static Holder holder(Connection c, long accountId, boolean lock) throws SQLException {
        Object[] row = Sql.one(c, "SELECT email, name, password_hash, role, deleted_at, locale FROM apimodels_account WHERE id = ?"
                        + (lock ? " FOR UPDATE" : ""),
                rs -> new Object[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getObject(5),
                        rs.getString(6)}, accountId)
                .orElseThrow(() -> Failure.notFound("account"));
        if (row[4] != null) {
            throw Failure.notFound("account");
        }
        if ("admin".equals(row[3])) {
            throw Failure.invalid("account", "an admin account is not erased through its own key: make it a user account first");
        }
        return new Holder((String) row[0], (String) row[1], (String) row[2], Locale.forLanguageTag((String) row[5]));
    }

    /** What the engine's own tables hold; returns what was done. */
    private List<String> erase(Connection c, Person p) throws SQLException {
        long now = clock.millis();
        long id = p.accountId();
        List<String> notes = new ArrayList<>();
        int keys = Sql.update(c, "UPDATE apimodels_api_key SET revoked_at = COALESCE(revoked_at, ?), name = 'erased' WHERE account_id = ?",
                now, id);
        notes.add("API keys revoked: " + keys);
        // Running tasks still need their input to finish; the retention sweep clears them once they end.
        int tasks = Sql.update(c, """
                UPDATE apimodels_task SET input = '{}', callback_url = NULL, outputs = NULL, fail_msg = NULL
                WHERE account_id = ? AND state IN ('completed', 'failed')""", id);
        notes.add("task prompts and outputs removed: " + tasks);
        Sql.update(c, "UPDATE apimodels_media_object SET file_name = NULL, expires_at = ? WHERE account_id = ? AND deleted_at IS NULL",
                now, id);
        int replays = Sql.update(c, "DELETE FROM apimodels_idempotency_record WHERE account_id = ?", id);
        notes.add("stored answers deleted: " + replays);
        int reasons = scrub(c, p, p.email(), p.anonymousEmail());
        if (p.name() != null && p.name().length() >= MIN_NAME_TO_SCRUB) {
            reasons += scrub(c, p, p.name(), "[erased]");
        }
        notes.add("ledger reasons naming the person anonymised: " + reasons);
        // Letters already sent are history: they keep no address. Letters not yet sent are not sent.
        Sql.update(c, "UPDATE apimodels_mail_outbox SET recipient = ? WHERE recipient = ? AND state <> 'queued'",
                p.anonymousEmail(), p.email());
        int unsent = Sql.update(c, "DELETE FROM apimodels_mail_outbox WHERE recipient = ? AND state = 'queued'", p.email());
        notes.add("unsent letters dropped: " + unsent);
        consents.record(c, id, Consents.MARKETING, false, null);
        Sql.update(c, """
                UPDATE apimodels_account SET email = ?, name = NULL, password_hash = NULL, webhook_secret = NULL,
                       low_balance_threshold_micros = NULL, suspended_reason = NULL, restricted_at = COALESCE(restricted_at, ?), deleted_at = ?
                WHERE id = ?""", p.anonymousEmail(), now, now, id);
        long balance = Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE owner_id = ? AND kind = 'wallet'",
                rs -> rs.getLong(1), id).orElse(0L);
        notes.add("account anonymised; ledger, call log and consents kept for billing (wallet balance kept: " + balance + " µ)");
        return notes;
    }

    /** Replaces {@code text} in the reasons of the account's ledger transfers. */
    private static int scrub(Connection c, Person p, String text, String replacement) throws SQLException {
        return Sql.update(c, """
                UPDATE apimodels_transfer SET reason = REPLACE(reason, ?, ?)
                WHERE POSITION(? IN reason) > 0 AND (debit_id IN (SELECT id FROM apimodels_ledger_account WHERE owner_id = ?)
                                                 OR credit_id IN (SELECT id FROM apimodels_ledger_account WHERE owner_id = ?))""",
                text, replacement, text, p.accountId(), p.accountId());
    }

    private String deleteFiles(long accountId) {
        int deleted = 0;
        int left = 0;
        for (MediaObject m : media.byAccount(accountId)) {
            try {
                media.delete(m);
                deleted++;
            } catch (StorageException e) {
                // Already due: the media retention sweep tries again.
                left++;
                LOG.log(System.Logger.Level.WARNING, "erasure: file " + m.id() + " could not be deleted now: " + e.getMessage());
            }
        }
        return "files deleted from storage: " + deleted + (left > 0 ? " (" + left + " left to the retention sweep)" : "");
    }

    /** In the person's language (people choose English or Chinese). */
    private static Letter letter(Person p, Locale locale, PrivacyRequest request, String phase) {
        return new Letter(p.email(), "account-deletion", locale, Map.of("phase", phase),
                "erasure:" + request.id() + ":" + phase);
    }
}
