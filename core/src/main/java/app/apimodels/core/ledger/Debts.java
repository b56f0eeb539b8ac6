package app.apimodels.core.ledger;

import app.apimodels.core.db.Sql;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Money that comes from or goes back to a system source outside the call path: top-ups (payments,
 * grants, redemptions) and claw-backs (refunds, disputes). Each runs inside the caller's
 * transaction, so a caller commits its own state change (an order paid, a code used) with the
 * transfers. These are rare, so they take plain row locks rather than going through the batched
 * writers, in one order: the system account, then the account's debt account, then its wallet —
 * the batched writers never lock a system source or a debt account, and lock a wallet before
 * anything else they lock, so neither can wait on the other in a cycle.
 *
 * <p>A claw-back never takes a wallet below zero: it moves the whole amount into the account's
 * <em>debt</em> account (balance ≤ 0, made when first needed), then repays from the wallet what
 * the wallet has. What stays negative is owed: the account is restricted (its calls are refused
 * with 402) until a top-up covers it, and every top-up pays the debt first.
 */
final class Debts {

    /** How long a node trusts what it read about an account's debt (other nodes' claw-backs show within this). */
    static final Duration RESTRICTION_TTL = Duration.ofSeconds(2);

    private final Sql sql;
    private final Clock clock;
    private final Map<String, Long> systemAccounts = new ConcurrentHashMap<>();
    /**
     * Read again in the background ({@code refresh}) once half the TTL has passed, so an account
     * with calls is never read on a call's thread: read there on expiry, the calls of a busy
     * account all waited for one query every two seconds (blocked in the cache's compute for its
     * key: 11 % of the request threads' wall-clock samples in engine code at c=32 from one
     * account). An account without a call for the whole TTL is read on its next call, as before,
     * so nothing is trusted longer than {@link #RESTRICTION_TTL}. Timed by the ledger's clock.
     */
    private final LoadingCache<Long, Long> owed;

    Debts(Sql sql, Clock clock, Executor refresh) {
        this.sql = sql;
        this.clock = clock;
        this.owed = Caffeine.newBuilder()
                .refreshAfterWrite(RESTRICTION_TTL.dividedBy(2))
                .expireAfterWrite(RESTRICTION_TTL)
                .maximumSize(100_000)
                .executor(refresh)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build(id -> sql.one("SELECT balance FROM apimodels_ledger_account WHERE owner_id = ? AND kind = 'debt'",
                        rs -> -rs.getLong(1), id).orElse(0L));
    }

    /** Read on the caller's connection: a second one from the pool, while it holds locks, could wait forever. */
    private long systemAccount(Connection c, String kind) throws SQLException {
        Long id = systemAccounts.get(kind);
        if (id == null) {
            id = Sql.one(c, "SELECT id FROM apimodels_ledger_account WHERE owner_id IS NULL AND kind = ?", rs -> rs.getLong(1), kind)
                    .orElseThrow(() -> new IllegalStateException("system ledger account missing: " + kind));
            systemAccounts.put(kind, id);
        }
        return id;
    }

    Transfer credit(Connection c, long accountId, String source, long amount, String transferId, String kind,
                           String reason) throws SQLException {
        if (amount <= 0) {
            throw new IllegalArgumentException("a credit is for more than nothing");
        }
        long sourceId = systemAccount(c, source);
        long walletId = owned(c, accountId, "wallet");
        Optional<Transfer> done = find(c, transferId);
        if (done.isPresent()) {
            return done.get();
        }
        Long debtId = debtAccount(c, accountId).orElse(null);
        lock(c, sourceId, debtId, walletId);
        long now = clock.millis();
        move(c, transferId, sourceId, walletId, amount, kind, reason, now);
        if (debtId != null) {
            repay(c, transferId + ":debt", walletId, debtId, now);
        }
        forget(accountId);
        return new Transfer(transferId, sourceId, walletId, amount, kind, null, reason, now);
    }

    Ledger.ClawedBack clawBack(Connection c, long accountId, String sink, long amount, String transferId, String reason)
            throws SQLException {
        if (amount <= 0) {
            throw new IllegalArgumentException("a claw-back is for more than nothing");
        }
        long sinkId = systemAccount(c, sink);
        long walletId = owned(c, accountId, "wallet");
        if (find(c, transferId).isPresent()) {
            long repaid = find(c, transferId + ":repay").map(Transfer::amount).orElse(0L);
            return new Ledger.ClawedBack(amount, repaid);
        }
        Optional<Long> existing = debtAccount(c, accountId);
        long debtId = existing.isPresent() ? existing.get() : createDebtAccount(c, accountId);
        lock(c, sinkId, debtId, walletId);
        long now = clock.millis();
        move(c, transferId, debtId, sinkId, amount, "clawback", reason, now);
        long repaid = repay(c, transferId + ":repay", walletId, debtId, now);
        forget(accountId);
        return new Ledger.ClawedBack(amount, repaid);
    }

    /** Moves what the wallet has, up to the debt, from the wallet to the debt account; returns how much. */
    private long repay(Connection c, String transferId, long walletId, long debtId, long now) throws SQLException {
        long debt = -Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE id = ? FOR UPDATE", rs -> rs.getLong(1), debtId)
                .orElseThrow();
        if (debt <= 0) {
            return 0;
        }
        long wallet = Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE id = ? FOR UPDATE", rs -> rs.getLong(1), walletId)
                .orElseThrow();
        long pay = Math.min(wallet, debt);
        if (pay > 0) {
            move(c, transferId, walletId, debtId, pay, "debt", "paid towards what the account owes", now);
        }
        return pay;
    }

    /** What the account owes (0 or more), as this node last read it (at most {@link #RESTRICTION_TTL} ago). */
    long owed(long accountId) {
        return owed.get(accountId);
    }

    /** Also drops a read in flight (Caffeine discards a refresh of an entry invalidated meanwhile). */
    void forget(long accountId) {
        owed.invalidate(accountId);
    }

    /** The system account, the debt account (if any), the wallet: always in this order. */
    private static void lock(Connection c, long system, Long debt, long wallet) throws SQLException {
        for (Long id : new Long[] {system, debt, wallet}) {
            if (id != null) {
                Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE id = ? FOR UPDATE", rs -> rs.getLong(1), id);
            }
        }
    }

    private static void move(Connection c, String id, long debitId, long creditId, long amount, String kind, String reason,
                             long now) throws SQLException {
        Sql.update(c, "INSERT INTO apimodels_transfer (id, debit_id, credit_id, amount, kind, hold_id, reason, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                id, debitId, creditId, amount, kind, reason, now);
        Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance - ? WHERE id = ?", amount, debitId);
        Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?", amount, creditId);
    }

    private static Optional<Transfer> find(Connection c, String id) throws SQLException {
        return Sql.one(c, "SELECT * FROM apimodels_transfer WHERE id = ?", Ledger::transfer, id);
    }

    private static long owned(Connection c, long accountId, String kind) throws SQLException {
        return Sql.one(c, "SELECT id FROM apimodels_ledger_account WHERE owner_id = ? AND kind = ?", rs -> rs.getLong(1),
                accountId, kind).orElseThrow(() -> new IllegalStateException("account " + accountId + " has no " + kind));
    }

    private static Optional<Long> debtAccount(Connection c, long accountId) throws SQLException {
        return Sql.one(c, "SELECT id FROM apimodels_ledger_account WHERE owner_id = ? AND kind = 'debt'", rs -> rs.getLong(1), accountId);
    }

    /**
     * Made in the caller's transaction behind a savepoint: when another transaction makes it at the
     * same moment, the insert waits for that one and fails on the unique (owner, kind), and the
     * row it committed is used — the caller's transaction goes on.
     */
    private static long createDebtAccount(Connection c, long accountId) throws SQLException {
        java.sql.Savepoint before = c.setSavepoint();
        try {
            return Sql.insert(c, "INSERT INTO apimodels_ledger_account (kind, owner_id, balance) VALUES ('debt', ?, 0)", accountId);
        } catch (SQLException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            c.rollback(before);
            return debtAccount(c, accountId).orElseThrow(() -> e);
        }
    }
}
