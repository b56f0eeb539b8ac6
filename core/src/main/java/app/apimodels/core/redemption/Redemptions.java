package app.apimodels.core.redemption;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.ledger.Transfer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Redemption codes: an admin makes a batch of codes worth the same amount, each shown once and
 * stored only as a hash ({@link Codes}); redeeming one credits the caller's wallet from the
 * {@code promotions} source exactly once, however many requests race for it: the code's
 * {@code unused → used} update and the ledger transfer commit in one transaction, and only the
 * request whose conditional update changed the row gets there. Like every top-up, the credit pays
 * what the account owes first ({@link Ledger#credit}). Guessing is throttled per account and per
 * client address ({@link Attempts}).
 */
public final class Redemptions {

    /** A batch with how many of its codes are in each state. */
    public record Batch(long id, long amount, int count, Long expiresAt, String note, long createdBy, long createdAt,
                        int unused, int used, int disabled) {
    }

    /** One code of a batch as admins see it (never its text, which is not kept). */
    public record Code(long id, String state, Long redeemedBy, Long redeemedAt, Long disabledAt) {
    }

    /** A code as issued: its text, shown this once. */
    public record Issued(long id, String code) {
    }

    /** What making a batch answers: the batch and its codes, the only time they are shown. */
    public record NewBatch(Batch batch, List<Issued> codes) {
    }

    private static final String BATCH_SELECT = """
            SELECT b.*,
              (SELECT COUNT(*) FROM apimodels_redemption_code c WHERE c.batch_id = b.id AND c.state = 'unused') AS unused,
              (SELECT COUNT(*) FROM apimodels_redemption_code c WHERE c.batch_id = b.id AND c.state = 'used') AS used,
              (SELECT COUNT(*) FROM apimodels_redemption_code c WHERE c.batch_id = b.id AND c.state = 'disabled') AS disabled
            FROM apimodels_redemption_batch b""";

    private final Sql sql;
    private final Clock clock;
    private final Ledger ledger;
    private final Codes codes;
    private final Attempts attempts;

    /**
     * @param key     the HMAC key of codes (derived from the server pepper: the same on every node)
     * @param window  the throttle's window
     * @param perAccount attempts an account may make in a window
     * @param perAddress attempts a client address may make in a window
     */
    public Redemptions(Sql sql, Clock clock, Ledger ledger, byte[] key, Duration window, int perAccount, int perAddress) {
        this.sql = sql;
        this.clock = clock;
        this.ledger = ledger;
        this.codes = new Codes(key);
        this.attempts = new Attempts(sql, clock, window, perAccount, perAddress);
    }

    /** Makes {@code count} codes worth {@code amount} each, valid until {@code expiresAt} (or for ever). */
    public NewBatch create(long adminId, int count, long amount, Long expiresAt, String note) {
        if (expiresAt != null && expiresAt <= clock.millis()) {
            throw Failure.invalid("expires_at", "expires_at must be in the future");
        }
        try {
            return issue(adminId, count, amount, expiresAt, note);
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            // Two of 2^100 codes met: draw the batch again.
            return issue(adminId, count, amount, expiresAt, note);
        }
    }

    private NewBatch issue(long adminId, int count, long amount, Long expiresAt, String note) {
        // Text → hash, in the order drawn; the hashes then tell which id each text got.
        Map<String, String> drawn = new LinkedHashMap<>();
        while (drawn.size() < count) {
            String text = Codes.generate();
            drawn.put(text, codes.hash(Codes.normalise(text)));
        }
        long batchId = sql.tx(c -> {
            long id = Sql.insert(c, "INSERT INTO apimodels_redemption_batch (amount, code_count, expires_at, note, created_by, created_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?)", amount, count, expiresAt, note, adminId, clock.millis());
            Sql.batch(c, "INSERT INTO apimodels_redemption_code (batch_id, hash, state) VALUES (?, ?, 'unused')",
                    drawn.values().stream().map(hash -> new Object[] {id, hash}).toList());
            return id;
        });
        Map<String, Long> ids = sql.list("SELECT id, hash FROM apimodels_redemption_code WHERE batch_id = ?",
                rs -> Map.entry(rs.getString(2), rs.getLong(1)), batchId).stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        List<Issued> issued = drawn.entrySet().stream().map(d -> new Issued(ids.get(d.getValue()), d.getKey()))
                .sorted(Comparator.comparingLong(Issued::id)).toList();
        return new NewBatch(batch(batchId), issued);
    }

    /** Batches, newest first; {@code before}: only batches with a smaller id (the next page). */
    public List<Batch> list(int limit, Long before) {
        return sql.list(BATCH_SELECT + " WHERE b.id < ? ORDER BY b.id DESC LIMIT ?", Redemptions::batch,
                before == null ? Long.MAX_VALUE : before, limit);
    }

    public Batch batch(long id) {
        return sql.one(BATCH_SELECT + " WHERE b.id = ?", Redemptions::batch, id).orElseThrow(() -> Failure.notFound("batch"));
    }

    /** The codes of a batch, in the order they were issued. */
    public List<Code> codes(long batchId) {
        batch(batchId);
        return sql.list("SELECT * FROM apimodels_redemption_code WHERE batch_id = ? ORDER BY id", Redemptions::code, batchId);
    }

    /** Disables every code of the batch not yet used; the batch as it is then. */
    public Batch disable(long batchId) {
        batch(batchId);
        sql.update("UPDATE apimodels_redemption_code SET state = 'disabled', disabled_at = ? WHERE batch_id = ? AND state = 'unused'",
                clock.millis(), batchId);
        return batch(batchId);
    }

    /** Disables one code if it is not yet used (a used code stays used); the code as it is then. */
    public Code disableCode(long codeId) {
        sql.update("UPDATE apimodels_redemption_code SET state = 'disabled', disabled_at = ? WHERE id = ? AND state = 'unused'",
                clock.millis(), codeId);
        return sql.one("SELECT * FROM apimodels_redemption_code WHERE id = ?", Redemptions::code, codeId)
                .orElseThrow(() -> Failure.notFound("code"));
    }

    /**
     * Credits the code's amount to {@code account}, once. An unknown, used or disabled code gets
     * one and the same answer, so a guess learns nothing; an expired one says so (only a holder of
     * a real code can see that). Every attempt counts against the caller's allowance unless it
     * redeems.
     *
     * @param clientAddress the client's address (the peer's, or a trusted proxy's word for it)
     */
    public Transfer redeem(Account account, String code, String clientAddress) {
        Attempts.Subjects caller = Attempts.of(account.id(), clientAddress);
        attempts.count(caller);
        String normalised = Codes.normalise(code);
        Optional<Transfer> credited = normalised == null ? Optional.empty() : sql.tx(c -> {
            record Found(long id, long batchId, long amount, Long expiresAt, String state) {
            }
            Optional<Found> found = Sql.one(c, """
                    SELECT c.id, c.batch_id, c.state, b.amount, b.expires_at
                    FROM apimodels_redemption_code c JOIN apimodels_redemption_batch b ON b.id = c.batch_id
                    WHERE c.hash = ?""", rs -> new Found(rs.getLong("id"), rs.getLong("batch_id"), rs.getLong("amount"),
                    Sql.nullableLong(rs, "expires_at"), rs.getString("state")), codes.hash(normalised));
            if (found.isEmpty() || !"unused".equals(found.get().state())) {
                return Optional.empty();
            }
            Found f = found.get();
            long now = clock.millis();
            if (f.expiresAt() != null && f.expiresAt() <= now) {
                throw Failure.invalid("code", "this code has expired");
            }
            // Only the request whose update changes the row redeems; the others find it used.
            if (Sql.update(c, "UPDATE apimodels_redemption_code SET state = 'used', redeemed_by = ?, redeemed_at = ? WHERE id = ? AND state = 'unused'",
                    account.id(), now, f.id()) == 0) {
                return Optional.empty();
            }
            attempts.forgive(c, caller);
            return Optional.of(ledger.credit(c, "promotions", account, f.amount(), "redeem:" + f.id(), "redemption",
                    "redemption code " + f.id() + " of batch " + f.batchId()));
        });
        Transfer t = credited.orElseThrow(() -> Failure.invalid("code", "this code is not valid: unknown, already used or disabled"));
        ledger.debtChanged(account.id()); // the credit paid what the account owed first: calls may go again at once
        return t;
    }

    /** Erasing an account: its attempt counts go (the codes it redeemed stay, as billing records). */
    public String erase(Connection tx, long accountId) throws SQLException {
        int n = attempts.forget(tx, accountId);
        return n == 0 ? null : "redemption attempt count deleted";
    }

    /** Forgets attempt counts of windows that have ended. */
    public void sweepAttempts() {
        attempts.sweep();
    }

    private static Batch batch(ResultSet rs) throws SQLException {
        return new Batch(rs.getLong("id"), rs.getLong("amount"), rs.getInt("code_count"), Sql.nullableLong(rs, "expires_at"),
                rs.getString("note"), rs.getLong("created_by"), rs.getLong("created_at"), rs.getInt("unused"), rs.getInt("used"),
                rs.getInt("disabled"));
    }

    private static Code code(ResultSet rs) throws SQLException {
        return new Code(rs.getLong("id"), rs.getString("state"), Sql.nullableLong(rs, "redeemed_by"),
                Sql.nullableLong(rs, "redeemed_at"), Sql.nullableLong(rs, "disabled_at"));
    }
}
