package app.apimodels.core.ledger;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.db.Sql;
import app.apimodels.core.ids.Ids;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.failure.Failure;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The money: double-entry transfers between ledger accounts, two-phase holds for calls in flight,
 * idempotent admin grants. Holds and settlements go through the group-commit {@link LedgerWriter};
 * relayed calls carve their holds from per-node budget leases ({@link Leases}) instead; grants and
 * reads are direct.
 */
public final class Ledger implements AutoCloseable {

    private final Sql sql;
    private final Clock clock;
    private final Duration holdTtl;
    private final long revenueId;
    private final LedgerWriter holds;
    private final LedgerWriter settlements;
    private final Leases leases;
    private final Journal journal;
    private final Debts debts;

    /** {@code callbacks} runs whatever waits on a hold or settlement (never the writer's thread). */
    public Ledger(Sql sql, Clock clock, Duration holdTtl, int maxBatch, java.util.concurrent.Executor callbacks) {
        this(sql, clock, holdTtl, maxBatch, callbacks, AsyncCommits.SETTLEMENTS, Duration.ZERO, DEFAULT_LEASE_CALLS, DEFAULT_LEASE_IDLE);
    }

    /** A budget lease grows by at least what this many calls like the one asking may cost (a busy account's by more: {@link Leases}). */
    public static final long DEFAULT_LEASE_CALLS = 100;
    /** A budget lease without calls for this long is given back to the wallet. */
    public static final Duration DEFAULT_LEASE_IDLE = Duration.ofSeconds(2);

    /**
     * @param asyncCommits on PostgreSQL, which writer batches may commit without waiting for the
     *                     WAL flush; ignored on H2
     * @param settleLinger how long the settlement writer waits for more work before a commit
     * @param leaseCalls   0: every call's hold is its own row, committed before the call goes out;
     *                     otherwise calls are carved from budget leases ({@link Leases}) this big
     * @param leaseIdle    a lease without calls for this long goes back to the wallet
     */
    public Ledger(Sql sql, Clock clock, Duration holdTtl, int maxBatch, java.util.concurrent.Executor callbacks,
                  AsyncCommits asyncCommits, Duration settleLinger, long leaseCalls, Duration leaseIdle) {
        this(sql, clock, holdTtl, maxBatch, callbacks, asyncCommits, settleLinger, leaseCalls, leaseIdle, null);
    }

    /**
     * @param journal where settlements are written down before the answer leaves (one directory
     *                per node), so that a call answered just before a crash is still charged: the
     *                journals of dead processes found there are replayed now. Null: none.
     */
    public Ledger(Sql sql, Clock clock, Duration holdTtl, int maxBatch, java.util.concurrent.Executor callbacks,
                  AsyncCommits asyncCommits, Duration settleLinger, long leaseCalls, Duration leaseIdle, java.nio.file.Path journal) {
        this.sql = sql;
        this.clock = clock;
        this.holdTtl = holdTtl;
        this.revenueId = systemAccount("revenue");
        this.debts = new Debts(sql, clock, callbacks);
        boolean postgres = sql.database().vendor() == app.apimodels.core.db.Database.Vendor.POSTGRESQL;
        // Two writers, so a hold (which a client is waiting for) never queues behind settlements.
        // Holds are committed by the threads that ask for them (flat combining: no hand-off at low
        // load, batches at high load); settlements by a thread of their own, off the clients' path.
        this.holds = new LedgerWriter("holds", sql, clock, maxBatch, revenueId, callbacks, postgres && asyncCommits.holds(), false, Duration.ZERO);
        this.settlements = new LedgerWriter("settlements", sql, clock, maxBatch, revenueId, callbacks, postgres && asyncCommits.settlements(), true, settleLinger);
        this.leases = leaseCalls > 0 ? new Leases(sql, clock, settlements, callbacks, holdTtl, leaseCalls, leaseIdle) : null;
        if (journal == null) {
            this.journal = null;
        } else {
            try {
                Journal.Left left = Journal.leftBehind(journal);
                this.journal = new Journal(journal);
                recover(left);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot open the settlement journal in " + journal, e);
            }
        }
    }

    /**
     * Ends the calls a dead process answered but had not committed, from its journal. Each is
     * ended straight by the writer (this process has no lease of the dead one): a hold still
     * pending is settled as usual; one the sweeper expired is claimed and charged from the wallet
     * once (a carved call whose lease is still pending posts to it, which the sweeper then counts).
     * A call already logged, or whose hold this database does not have, is skipped. The dead
     * process's files are deleted once all of it is committed.
     */
    private void recover(Journal.Left left) {
        List<CompletableFuture<Void>> ends = new java.util.ArrayList<>();
        for (Journal.Entry e : left.entries()) {
            Hold h = e.hold();
            String row = h.isCarved() ? h.leaseId() : h.id();
            boolean ours = sql.one("SELECT 1 FROM apimodels_hold WHERE id = ? AND account_id = ?", rs -> 1, row, h.accountId()).isPresent();
            boolean logged = sql.one("SELECT 1 FROM apimodels_call_log WHERE id = ?", rs -> 1, e.record().id()).isPresent()
                    || sql.one("SELECT 1 FROM apimodels_transfer WHERE id IN (?, ?)", rs -> 1, "post:" + h.id(), "charge:" + h.id()).isPresent();
            if (ours && !logged) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                settlements.submit(new Op.End(h, e.cost(), Op.How.SETTLE, e.record(), f));
                ends.add(f);
            }
        }
        if (!ends.isEmpty()) {
            System.getLogger(Ledger.class.getName()).log(System.Logger.Level.WARNING,
                    ends.size() + " settlement(s) answered before a crash are being charged from the journal");
        }
        CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).thenRun(left::delete);
    }

    private long systemAccount(String kind) {
        return sql.one("SELECT id FROM apimodels_ledger_account WHERE owner_id IS NULL AND kind = ?", rs -> rs.getLong(1), kind)
                .orElseThrow(() -> new IllegalStateException("system ledger account missing: " + kind));
    }

    /**
     * Reserves {@code amount} for a call by {@code key}. Completes with the hold, or fails with
     * {@link InsufficientCreditsException} if the wallet (or the key's spend limit) cannot cover it.
     */
    public CompletableFuture<Hold> hold(ApiKey key, long amount) {
        return hold(key, amount, holdTtl);
    }

    /**
     * Reserves {@code amount} for a call that ends on this node (a relayed call): carved from this
     * node's budget lease for the account when there is one, so most calls wait on no database
     * round trip. Keys with a spend limit, and a ledger without leases, get {@link #hold(ApiKey, long)}.
     */
    public CompletableFuture<Hold> holdForCall(ApiKey key, long amount) {
        long owed = debts.owed(key.accountId());
        if (owed > 0) {
            return CompletableFuture.failedFuture(InsufficientCreditsException.owing(owed));
        }
        if (leases == null || amount == 0 || key.spendLimit() != null) {
            return hold(key, amount);
        }
        return leases.hold(key, amount);
    }

    /**
     * Like {@link #hold(ApiKey, long)}, for work that may take longer than a call (a generation
     * task): the hold is swept only after {@code ttl}.
     */
    public CompletableFuture<Hold> hold(ApiKey key, long amount, Duration ttl) {
        long owed = debts.owed(key.accountId());
        if (owed > 0) {
            return CompletableFuture.failedFuture(InsufficientCreditsException.owing(owed));
        }
        Hold hold = new Hold(amount == 0 ? null : Ids.timeOrderedUuid().toString(), key.accountId(), key.recordedId(),
                key.walletId(), key.holdId(), amount, key.spendLimit() != null, null);
        if (hold.isFree()) {
            return CompletableFuture.completedFuture(hold);
        }
        CompletableFuture<Hold> f = new CompletableFuture<>();
        holds.submit(new Op.Reserve(hold, clock.millis() + ttl.toMillis(), f));
        return f;
    }

    /**
     * Ends a hold with the call's actual cost and logs the call. The charge never exceeds the hold
     * (so a key's spend limit and the wallet stay exact even when an upstream ignores
     * {@code max_tokens}); what the cost goes beyond it is logged as uncollected. A hold ends once:
     * settling it again moves nothing.
     */
    public CompletableFuture<Void> settle(Hold hold, long cost, CallRecord record) {
        // Written down first: the caller answers the client once this returns.
        Runnable written = journal == null || hold.isFree() ? null : journal.append(hold, cost, record);
        CompletableFuture<Void> f;
        if (hold.isCarved()) {
            f = leases.end(hold, cost, Op.How.SETTLE, record);
        } else {
            f = new CompletableFuture<>();
            settlements.submit(new Op.End(hold, cost, Op.How.SETTLE, record, f));
        }
        if (written != null) {
            f.thenRun(written);
        }
        return f;
    }

    /** Ends a hold without charging (the call failed) and logs the call. */
    public CompletableFuture<Void> release(Hold hold, CallRecord record) {
        if (hold.isCarved()) {
            return leases.end(hold, 0, Op.How.VOID, record);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        settlements.submit(new Op.End(hold, 0, Op.How.VOID, record, f));
        return f;
    }

    /** Logs a call that never held money (refused before the hold). */
    public CompletableFuture<Void> log(CallRecord record) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        settlements.submit(new Op.Log(record, f));
        return f;
    }

    /** Completes once everything submitted before is committed (read-your-writes for balances). */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> h = new CompletableFuture<>();
        CompletableFuture<Void> s = new CompletableFuture<>();
        holds.submit(new Op.Barrier(h));
        settlements.submit(new Op.Barrier(s));
        return CompletableFuture.allOf(h, s);
    }

    /**
     * A hold as stored, to end it from another node or after a restart (a task's hold), or empty
     * if there is none by that id.
     */
    public java.util.Optional<Hold> find(String holdId) {
        return sql.one(HOLD_SELECT + " WHERE h.id = ?", Ledger::hold, holdId);
    }

    private static final String HOLD_SELECT = """
            SELECT h.id, h.account_id, h.key_id, h.amount, h.posted, w.id AS wallet_id, ha.id AS hold_acct, k.spend_limit
            FROM apimodels_hold h
            JOIN apimodels_ledger_account w ON w.owner_id = h.account_id AND w.kind = 'wallet'
            JOIN apimodels_ledger_account ha ON ha.owner_id = h.account_id AND ha.kind = 'hold'
            LEFT JOIN apimodels_api_key k ON k.id = h.key_id""";

    private static Hold hold(ResultSet rs) throws SQLException {
        return new Hold(rs.getString("id"), rs.getLong("account_id"), Sql.nullableLong(rs, "key_id"),
                rs.getLong("wallet_id"), rs.getLong("hold_acct"), rs.getLong("amount"),
                Sql.nullableLong(rs, "spend_limit") != null, null);
    }

    /** Voids holds past their expiry (their call crashed or hung); returns how many were queued. */
    public int sweepExpired(int limit) {
        record Expired(Hold hold, long posted) {
        }
        List<Expired> expired = sql.list(HOLD_SELECT + " WHERE h.state = 'pending' AND h.expires_at < ? ORDER BY h.expires_at LIMIT ?",
                rs -> new Expired(hold(rs), rs.getLong("posted")), clock.millis(), limit);
        for (Expired e : expired) {
            // A budget lease may have posted calls already: only the rest goes back.
            settlements.submit(new Op.End(e.hold(), 0, Op.How.EXPIRE, null, e.posted(), new CompletableFuture<>()));
        }
        return expired.size();
    }

    /**
     * Credits a wallet from the grants account, paying what the account owes first ({@link #credit}).
     * Idempotent: the same {@code idempotencyKey} for the same account returns the first transfer;
     * with another amount it is a 409.
     */
    public Transfer grant(Account account, long amount, String reason, String idempotencyKey) {
        if (amount <= 0) {
            throw Failure.invalid("amount_micros", "amount_micros must be a positive whole number");
        }
        if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > 80) {
            throw Failure.invalid("idempotency_key", "idempotency_key is required (1 to 80 characters)");
        }
        Transfer first = credit("grants", account.id(), amount, "grant:" + account.id() + ":" + idempotencyKey, "grant", reason);
        if (first.amount() != amount) {
            throw new Failure(Failure.Reason.IDEMPOTENCY_CONFLICT,
                    "idempotency_key was already used for a grant of " + first.amount() + " micros", "idempotency_key");
        }
        return first;
    }

    /** What a claw-back did: the amount taken back, and how much of it the wallet covered (the rest is owed). */
    public record ClawedBack(long amount, long fromWallet) {

        public long owed() {
            return amount - fromWallet;
        }
    }

    /**
     * Credits an account from a system source (a system ledger account: {@code payments},
     * {@code grants}, {@code promotions}), paying what the account owes first: the whole
     * {@code amount} goes into the wallet as transfer {@code transferId} (returned), then as much as
     * the wallet has, up to the debt, goes to the debt account ({@code transferId + ":debt"}). Runs
     * in the caller's transaction, so the caller's own change (an order paid, a code redeemed)
     * commits with it or not at all; takes row locks in the ledger's order (system account, debt,
     * wallet). Idempotent: a {@code transferId} that exists is returned and nothing moves. This is
     * the one way money enters a wallet from outside: payments, admin grants, redemption codes.
     *
     * @param kind the transfer's kind as the account's history shows it ({@code payment}, {@code grant}, {@code redemption})
     */
    public Transfer credit(Connection c, String source, Account account, long amount, String transferId, String kind,
                           String reason) throws SQLException {
        return credit(c, source, account.id(), amount, transferId, kind, reason);
    }

    /** {@link #credit(Connection, String, Account, long, String, String, String)} by account id. */
    public Transfer credit(Connection c, String source, long accountId, long amount, String transferId, String kind,
                           String reason) throws SQLException {
        return debts.credit(c, accountId, source, amount, transferId, kind, reason);
    }

    /** The same in a transaction of its own (and then this node reads the account's debt afresh). */
    public Transfer credit(String source, long accountId, long amount, String transferId, String kind, String reason) {
        Transfer t;
        try {
            t = sql.tx(c -> credit(c, source, accountId, amount, transferId, kind, reason));
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            // The same transfer committed by a concurrent caller: it did the work.
            t = sql.tx(c -> credit(c, source, accountId, amount, transferId, kind, reason));
        }
        debtChanged(accountId);
        return t;
    }

    /**
     * Takes {@code amount} back from an account into a system account ({@code payments} for a
     * refund or dispute), never taking the wallet below zero: the amount is moved into the
     * account's debt ({@code transferId}), then the wallet repays what it can
     * ({@code transferId + ":repay"}). What stays owed restricts the account until a top-up
     * covers it. In the caller's transaction, in the ledger's lock order; idempotent by {@code transferId}.
     */
    public ClawedBack clawBack(Connection tx, long accountId, String sink, long amount, String transferId, String reason)
            throws SQLException {
        return debts.clawBack(tx, accountId, sink, amount, transferId, reason);
    }

    /**
     * What the account owes from claw-backs (0 if nothing), as this node read it within the last
     * couple of seconds; while it is above zero, holds for its calls are refused (402).
     */
    public long owed(long accountId) {
        return debts.owed(accountId);
    }

    /** Makes this node read the account's debt afresh (after a commit that changed it). */
    public void debtChanged(long accountId) {
        debts.forget(accountId);
    }

    /**
     * The account's money as committed, after this node's queued settlements and with what this
     * node leased for the account and no call is using given back (another node's leases show as
     * held until they go idle).
     */
    public Balance balance(Account account) {
        flush().join();
        if (leases != null) {
            leases.giveBack(account.id()).join();
        }
        return sql.tx(c -> balance(c, account));
    }

    /** Reports batches and lease growth to {@code events} from now on. */
    public void observe(LedgerEvents events) {
        holds.events = events;
        settlements.events = events;
        if (leases != null) {
            leases.events = events;
        }
    }

    /** Budget leases this node holds open. */
    public int openLeases() {
        return leases == null ? 0 : leases.open();
    }

    /** Gives back budget leases no call has used for the idle time (run every second or so). */
    public void returnIdleLeases() {
        if (leases != null) {
            leases.returnIdle();
        }
    }

    /**
     * Both balances in one statement, so one snapshot: read apart, a hold or a lease growth
     * committed between the two reads would count the same money in both.
     */
    private static Balance balance(Connection c, Account account) throws SQLException {
        long[] walletAndHeld = new long[2];
        Sql.list(c, "SELECT id, balance FROM apimodels_ledger_account WHERE id IN (?, ?)", rs -> {
            walletAndHeld[rs.getLong(1) == account.walletId() ? 0 : 1] = rs.getLong(2);
            return null;
        }, account.walletId(), account.holdId());
        return new Balance(walletAndHeld[0], walletAndHeld[1]);
    }

    /**
     * Movements that changed what the user can spend: grants, redemptions, payments, what went to
     * pay a debt, charges and the post of each hold,
     * newest first. Holds and releases of calls in flight are not listed (they net to the charge).
     */
    public List<Transfer> history(Account account, int limit, Long beforeMillis) {
        return sql.list("""
                SELECT * FROM apimodels_transfer
                WHERE ((credit_id = ? AND kind IN ('grant', 'redemption', 'payment')) OR (debit_id = ? AND kind IN ('charge', 'debt'))
                       OR (debit_id = ? AND kind = 'post'))
                  AND created_at < ?
                ORDER BY created_at DESC, id DESC
                LIMIT ?""", Ledger::transfer, account.walletId(), account.walletId(), account.holdId(),
                beforeMillis == null ? Long.MAX_VALUE : beforeMillis, limit);
    }

    static Transfer transfer(ResultSet rs) throws SQLException {
        return new Transfer(rs.getString("id"), rs.getLong("debit_id"), rs.getLong("credit_id"), rs.getLong("amount"),
                rs.getString("kind"), rs.getString("hold_id"), rs.getString("reason"), rs.getLong("created_at"));
    }

    /** Commits everything queued, then stops the writer. */
    @Override
    public void close() {
        if (leases != null) {
            leases.closeAll(); // queued before the writers stop, so committed by their last batches
        }
        holds.close();
        settlements.close();
        if (journal != null) {
            journal.close();
        }
    }
}
