package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.db.Sql;
import app.apimodels.core.ids.Ids;
import app.apimodels.core.keys.ApiKey;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Budget leases: this node reserves part of an account's wallet durably — one hold row, the lease
 * — and carves the holds of that account's calls from it in memory. A call then waits on no
 * database round trip before it is forwarded, and the calls of one busy account no longer queue
 * on its wallet row (docs/performance-ceilings.md: one commit per call cannot reach thousands of calls per
 * second). Each call's charge is posted from the lease by the settlement writer, batched.
 *
 * <p>The invariants hold as for holds with rows: the lease moved real money from the wallet to
 * the account's hold account, so the wallet never goes below zero and the books balance; a carved
 * hold is never larger than what is left of its lease; a lease ends exactly once — here when it is
 * idle, rotated, given back for a balance read or on shutdown (returning what was not posted), or
 * by the sweeper after a crash (same arithmetic, from the row). A settlement that finds its lease
 * already swept charges the wallet as far as it goes, capped at the hold, once, like any late settlement.
 *
 * <p>Sizing: a lease grows by what {@code leaseCalls} calls like the one asking may cost, or, if
 * more, by what the account's calls on this node have in flight plus what they spent in about a
 * second ({@link #GROWTH_COVERS_MILLIS}) — but by at most half of what is left in the wallet (at
 * least what the call needs), so a nearly spent wallet is shared by several nodes and every last
 * micro can still be spent on one. Growing starts in the background when half of the last growth
 * is left, so a busy account's calls find the lease grown long before it would run dry and none
 * waits on the growth's transaction. At c=32 from one account with a hold of 12 micros and a cost
 * of 8, sized by calls alone (100 calls, growing at a quarter left) the calls in flight held more
 * than the quarter: a growth started with ~37 calls' spending left, took longer than those calls
 * (48 ms on a loaded host), and one call in six waited for it. What another node leases shows as
 * held.
 */
final class Leases {

    private static final System.Logger LOG = System.getLogger(Leases.class.getName());
    /**
     * A growth covers about this long of the account's spending on this node; half of it is left
     * when the next growth starts, which is far longer than a growth's transaction takes.
     */
    static final long GROWTH_COVERS_MILLIS = 1_000;
    /** The account's spending rate is measured over at least this long (shorter is noise). */
    private static final long RATE_WINDOW_MILLIS = 100;

    private final Sql sql;
    private final Clock clock;
    private final LedgerWriter settlements;
    private final Executor executor;
    private final long leaseCalls;
    private final long minLifeMillis;
    private final long idleMillis;
    private final Map<Long, Budget> budgets = new ConcurrentHashMap<>();
    private final Map<String, Lease> byId = new ConcurrentHashMap<>();
    /** Set once by the engine after construction. */
    volatile LedgerEvents events = LedgerEvents.NONE;

    /**
     * @param holdTtl     how long a hold may live before the sweeper voids it: a lease is carved
     *                    from only while it has that long left, and lives twice that long
     * @param leaseCalls  how many calls like the one asking a growth covers
     * @param idle        a lease without calls for this long is given back
     */
    Leases(Sql sql, Clock clock, LedgerWriter settlements, Executor executor, Duration holdTtl, long leaseCalls, Duration idle) {
        this.sql = sql;
        this.clock = clock;
        this.settlements = settlements;
        this.executor = executor;
        this.leaseCalls = leaseCalls;
        this.minLifeMillis = holdTtl.toMillis();
        this.idleMillis = idle.toMillis();
    }

    /** One account's leases on this node; every field is guarded by the budget itself. */
    private static final class Budget {
        final long accountId;
        Lease current;
        final List<Lease> retired = new ArrayList<>();
        CompletableFuture<Growth> growing;
        boolean removed;
        long spent;          // posted by this account's calls on this node, all leases, ever
        long rateMark;       // spent when the rate was last measured
        long rateSince;      // when it was
        long perSecond;      // micros spent per second over the last measured window

        Budget(long accountId) {
            this.accountId = accountId;
        }

        List<Lease> leases() {
            List<Lease> all = new ArrayList<>(retired);
            if (current != null) {
                all.add(current);
            }
            return all;
        }
    }

    private static final class Lease {
        final String id;
        final Budget budget;
        final long walletId;
        final long holdAccountId;
        final Set<String> calls = new HashSet<>();
        long amount;         // the row's amount as it will be once what is queued commits
        long carved;         // reserved by calls in flight
        long spent;          // posted, or queued to be posted: what the row shows once the queue is committed
        long expiresAt;
        long lastUsed;
        long lastGrowth;
        int transfers;
        boolean growing;
        boolean dry;         // the last growth found the wallet empty: grow again only on demand
        boolean retired;
        boolean closing;

        Lease(String id, Budget budget, long walletId, long holdAccountId) {
            this.id = id;
            this.budget = budget;
            this.walletId = walletId;
            this.holdAccountId = holdAccountId;
        }

        long free() {
            return amount - carved - spent;
        }

        boolean quiet() {
            return calls.isEmpty() && !growing && !closing;
        }

        Hold row() {
            return new Hold(id, budget.accountId, null, walletId, holdAccountId, amount, false, null);
        }
    }

    /** The outcome of one growth: {@code need} is what the wallet could not cover when it failed. */
    private record Growth(boolean ok, long need) {
    }

    /** A hold for a call by {@code key} (no spend limit), carved from this node's lease. */
    CompletableFuture<Hold> hold(ApiKey key, long amount) {
        CompletableFuture<Growth> wait;
        long need;
        // Made before the account's lock is taken, from this thread's own generator (not
        // randomUUID's JVM-wide lock, which thread dumps with ten thousand streams opening showed
        // a hundred threads blocked on).
        String holdId = Ids.timeOrderedUuid().toString();
        while (true) {
            Budget b = budgets.computeIfAbsent(key.accountId(), Budget::new);
            synchronized (b) {
                if (b.removed) {
                    continue;
                }
                long now = clock.millis();
                Lease l = b.current;
                if (l != null && l.expiresAt - now < minLifeMillis) {
                    retire(b, l); // too close to its expiry to cover a new call for a whole hold TTL
                    l = null;
                }
                if (l != null && l.free() >= amount) {
                    Hold h = new Hold(holdId, key.accountId(), key.recordedId(), key.walletId(), key.holdId(),
                            amount, false, l.id);
                    l.carved += amount;
                    l.calls.add(h.id());
                    l.lastUsed = now;
                    if (b.growing == null && !l.dry && l.free() < l.lastGrowth / 2) {
                        grow(b, key, amount); // before it runs dry, in the background
                    }
                    return CompletableFuture.completedFuture(h);
                }
                need = need(l, amount);
                if (b.growing == null) {
                    grow(b, key, amount);
                }
                wait = b.growing;
            }
            break;
        }
        long myNeed = need;
        // After a growth: try again — unless it failed for a need no smaller than this call's.
        return wait.thenCompose(g -> g.ok() || myNeed < g.need()
                ? hold(key, amount)
                : CompletableFuture.failedFuture(new InsufficientCreditsException(false)));
    }

    /** What a call of {@code amount} lacks in lease {@code l} (all of it without a lease). */
    private static long need(Lease l, long amount) {
        return Math.max(1, l == null ? amount : amount - l.free());
    }

    /** Starts growing the account's current lease (or opening one); the caller holds the budget's lock. */
    private void grow(Budget b, ApiKey key, long amount) {
        Lease l = b.current;
        long need = need(l, amount);
        long want = Math.max(need, Math.max(Math.multiplyExact(amount, leaseCalls), busy(b, l)));
        CompletableFuture<Growth> f = new CompletableFuture<>();
        b.growing = f;
        if (l != null) {
            l.growing = true;
        }
        String id = l == null ? Ids.timeOrderedUuid().toString() : l.id;
        int seq = l == null ? 0 : ++l.transfers;
        executor.execute(() -> {
            long now = clock.millis();
            long expiresAt = now + 2 * minLifeMillis;
            long taken;
            try {
                taken = sql.tx(c -> take(c, key, id, seq, l == null, need, want, expiresAt, now));
            } catch (RuntimeException e) {
                synchronized (b) {
                    b.growing = null;
                    if (l != null) {
                        l.growing = false;
                        if (b.current == l) {
                            retire(b, l); // the next call opens a new lease rather than trying this one again
                        }
                        closeIfDone(l);
                    }
                }
                f.completeExceptionally(e);
                return;
            }
            synchronized (b) {
                b.growing = null;
                Lease target = l;
                if (target == null && taken > 0) {
                    target = new Lease(id, b, key.walletId(), key.holdId());
                    target.lastUsed = now;
                    byId.put(id, target);
                    b.current = target;
                }
                if (target != null) {
                    target.growing = false;
                    if (taken > 0) {
                        target.amount += taken;
                        target.expiresAt = expiresAt;
                        target.lastGrowth = taken;
                    }
                    target.dry = taken == 0;
                    closeIfDone(target);
                }
            }
            if (taken > 0) {
                events.leaseGrown(taken);
            }
            f.complete(new Growth(taken > 0, need));
        });
    }

    /**
     * What the account's calls on this node hold now in lease {@code l} plus what they spend in
     * {@link #GROWTH_COVERS_MILLIS}, at the rate measured over the last window of at least
     * {@link #RATE_WINDOW_MILLIS}. Caller holds the budget's lock.
     */
    private long busy(Budget b, Lease l) {
        long now = clock.millis();
        long elapsed = now - b.rateSince;
        if (elapsed >= RATE_WINDOW_MILLIS || elapsed < 0) { // < 0: the wall clock was set back; start afresh
            b.perSecond = elapsed < 0 ? b.perSecond : (b.spent - b.rateMark) * 1_000 / elapsed;
            b.rateMark = b.spent;
            b.rateSince = now;
        }
        return (l == null ? 0 : l.carved) + b.perSecond * GROWTH_COVERS_MILLIS / 1_000;
    }

    /**
     * One transaction: moves up to {@code want} (at least {@code need}, at most half the wallet
     * unless only {@code need} fits) from the wallet into the lease. Rows are locked in the
     * writers' order — the hold row, the wallet, the hold account — so this cannot deadlock with
     * a settlement batch. Returns 0 if the wallet cannot cover {@code need}.
     */
    private long take(Connection c, ApiKey key, String id, int seq, boolean open, long need, long want,
                      long expiresAt, long now) throws SQLException {
        for (int attempt = 0; attempt < 5; attempt++) {
            long balance = Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE id = ?", rs -> rs.getLong(1), key.walletId()).orElse(0L);
            if (balance < need) {
                return 0;
            }
            long take = attempt < 4 ? Math.min(want, Math.max(need, balance / 2)) : need;
            if (open) {
                Sql.update(c, "INSERT INTO apimodels_hold (id, account_id, key_id, amount, state, created_at, expires_at) VALUES (?, ?, NULL, ?, 'pending', ?, ?)",
                        id, key.accountId(), take, now, expiresAt);
            } else if (Sql.update(c, "UPDATE apimodels_hold SET amount = amount + ?, expires_at = ? WHERE id = ? AND state = 'pending'",
                    take, expiresAt, id) != 1) {
                throw new IllegalStateException("budget lease " + id + " ended while it was growing");
            }
            if (Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance - ? WHERE id = ? AND balance >= ?", take, key.walletId(), take) != 1) {
                c.rollback(); // spent meanwhile by another node or writer: look again
                continue;
            }
            Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?", take, key.holdId());
            Sql.update(c, "INSERT INTO apimodels_transfer (id, debit_id, credit_id, amount, kind, hold_id, reason, created_at) VALUES (?, ?, ?, ?, 'hold', ?, NULL, ?)",
                    "hold:" + id + (seq == 0 ? "" : ":" + seq), key.walletId(), key.holdId(), take, id, now);
            return take;
        }
        return 0;
    }

    /**
     * Ends a carved hold: the call's cost (at most the hold) is posted from the lease and the rest
     * returns to the lease for the next calls.
     */
    CompletableFuture<Void> end(Hold h, long cost, Op.How how, CallRecord record) {
        Lease l = byId.get(h.leaseId());
        if (l == null) {
            // A lease is forgotten only once no call uses it: this call ended before. It ends once.
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (l.budget) {
            if (!l.calls.remove(h.id())) {
                return CompletableFuture.completedFuture(null); // ended before: it ends once
            }
            long posted = how == Op.How.SETTLE ? Math.min(cost, h.amount()) : 0;
            l.carved -= h.amount();
            l.spent += posted;
            l.budget.spent += posted;
            // Queued under the lock, so the lease's close (which counts this post) is queued after it.
            settlements.submit(new Op.End(h, cost, how, record, f));
            closeIfDone(l);
        }
        return f;
    }

    /** Leases this node holds open (current, and retired ones whose calls are still running). */
    int open() {
        return byId.size();
    }

    /**
     * Gives back what this node leased of the account and no call is using (a balance read). A
     * growth still in flight is waited for first: skipped, the money it moves (and the lease it
     * may open) would show as held on a read made after every call had ended.
     */
    CompletableFuture<Void> giveBack(long accountId) {
        Budget b = budgets.get(accountId);
        if (b == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Growth> growth;
        synchronized (b) {
            growth = b.growing;
        }
        if (growth == null) {
            return giveBackNow(b);
        }
        // Once: a growth started after this one belongs to a call made after the read began.
        return growth.handle((g, failure) -> null).thenCompose(x -> giveBackNow(b));
    }

    private CompletableFuture<Void> giveBackNow(Budget b) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        synchronized (b) {
            for (Lease l : b.leases()) {
                if (l.quiet()) {
                    done.add(close(l));
                } else if (!l.growing && !l.closing && l.free() > 0) {
                    done.add(shrink(l, l.free()));
                }
            }
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    }

    /** Gives back every lease without a call for the idle time; forgets accounts with none left. */
    void returnIdle() {
        long now = clock.millis();
        for (Budget b : budgets.values()) {
            synchronized (b) {
                Lease l = b.current;
                if (l != null && l.quiet() && now - l.lastUsed >= idleMillis) {
                    close(l);
                }
                if (b.current == null && b.retired.isEmpty() && b.growing == null) {
                    b.removed = true;
                    budgets.remove(b.accountId, b);
                }
            }
        }
    }

    /** Gives back every lease no call is using (shutdown); others are left for the sweeper. */
    CompletableFuture<Void> closeAll() {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (Budget b : budgets.values()) {
            synchronized (b) {
                for (Lease l : b.leases()) {
                    if (l.quiet()) {
                        done.add(close(l));
                    } else {
                        LOG.log(System.Logger.Level.WARNING, "budget lease " + l.id + " still has " + l.calls.size()
                                + " call(s) in flight at shutdown; the sweeper will end it after it expires");
                    }
                }
            }
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    }

    /** No more calls are carved from {@code l}; it ends once its calls have. Caller holds the lock. */
    private void retire(Budget b, Lease l) {
        b.current = null;
        l.retired = true;
        b.retired.add(l);
        closeIfDone(l);
    }

    private void closeIfDone(Lease l) {
        if (l.retired && l.quiet()) {
            close(l);
        }
    }

    /**
     * Ends a lease once no call uses it: what it did not post returns to the wallet. Queued after
     * every post and shrink of the lease, so the row then shows exactly {@code spent} posted and
     * {@code amount}; if it does not (it was swept, or a write failed), nothing moves and the
     * sweeper ends it from the row. Caller holds the lock.
     */
    private CompletableFuture<Void> close(Lease l) {
        Budget b = l.budget;
        l.closing = true;
        if (b.current == l) {
            b.current = null;
        }
        b.retired.remove(l);
        byId.remove(l.id);
        CompletableFuture<Void> f = new CompletableFuture<>();
        settlements.submit(new Op.End(l.row(), 0, Op.How.CLOSE, null, l.spent, f));
        return f;
    }

    /** Returns {@code amount} of an open lease to the wallet. Caller holds the lock. */
    private CompletableFuture<Void> shrink(Lease l, long amount) {
        Hold row = l.row();
        l.amount -= amount;
        CompletableFuture<Void> f = new CompletableFuture<>();
        settlements.submit(new Op.Shrink(row, amount, "release:" + l.id + ":" + (++l.transfers), f));
        return f;
    }
}
