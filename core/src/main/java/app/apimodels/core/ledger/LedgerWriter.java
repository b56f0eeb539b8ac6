package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.db.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Group commit for the ledger: everything queued (holds, or settlements, voids and call-log rows)
 * is committed in one transaction, so concurrent calls share a commit instead of each paying for
 * its own — the difference between hundreds and thousands of calls per second on one busy wallet
 * (docs/performance-ceilings.md). A writer either has its own thread (settlements: off the clients' path,
 * lingering briefly to batch) or none, in which case the callers themselves take turns committing
 * what is queued (holds: flat combining, see {@link #lead}). Batches grow by themselves with load.
 *
 * <p>Every wallet change is one conditional UPDATE ({@code … WHERE balance + delta >= 0}), so the
 * balance check and the debit are one atomic statement; if a batch's combined debit does not fit,
 * its holds are tried one by one in arrival order. Rows are locked in one order everywhere —
 * wallets, keys, hold accounts, revenue, each by ascending id — so writers on several nodes cannot
 * deadlock on them.
 */
final class LedgerWriter implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LedgerWriter.class.getName());

    private final Sql sql;
    private final Clock clock;
    private final int maxBatch;
    private final long revenueId;
    private final java.util.concurrent.Executor callbacks;
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    /** Held while a batch is committed (by the thread, or by a leading caller): one at a time. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final Thread thread;
    private volatile boolean running = true;

    private final boolean asyncCommit;
    private final java.time.Duration linger;
    private Connection connection;

    /**
     * @param callbacks   runs what waits on each op, so that work never delays the next commit
     * @param asyncCommit PostgreSQL: commit without waiting for the WAL flush. A database crash may
     *                    then lose the last ~200 ms of this writer's batches, each as a whole and in
     *                    order: a lost hold makes its settlement charge the wallet directly (as far
     *                    as it goes); a lost settlement leaves its hold pending until the sweeper
     *                    voids it. Revenue can be lost; nobody is overcharged; every ledger
     *                    invariant holds.
     */
    LedgerWriter(String name, Sql sql, Clock clock, int maxBatch, long revenueId, java.util.concurrent.Executor callbacks,
                 boolean asyncCommit, boolean ownThread, java.time.Duration linger) {
        this.linger = linger;
        this.asyncCommit = asyncCommit;
        this.sql = sql;
        this.callbacks = callbacks;
        this.clock = clock;
        this.maxBatch = maxBatch;
        this.revenueId = revenueId;
        if (ownThread) {
            this.thread = new Thread(this::loop, "apimodels-ledger-" + name);
            this.thread.setDaemon(true);
            this.thread.start();
        } else {
            this.thread = null;
        }
    }

    void submit(Op op) {
        if (!running) {
            op.future().completeExceptionally(new IllegalStateException("ledger is shut down"));
            return;
        }
        queue.add(op);
        if (thread == null) {
            lead(op);
        }
    }

    /**
     * Flat combining, for writers without a thread of their own: the submitting thread commits
     * everything queued if no other thread is doing so, and otherwise leaves its op to that
     * thread. Its own op's continuation then runs right here, without a hand-off — what a
     * single caller waits for costs one transaction and no thread switch. An op enqueued while
     * a leader works is always seen: the leader looks at the queue again after letting go.
     */
    private void lead(Op mine) {
        Runnable mineDone = null;
        while (!queue.isEmpty() && lock.tryLock()) {
            try {
                List<Op> batch = new ArrayList<>();
                queue.drainTo(batch, maxBatch);
                Runnable r = process(batch, mine);
                if (r != null) {
                    mineDone = r;
                }
            } finally {
                lock.unlock();
            }
        }
        if (mineDone != null) {
            mineDone.run();
        }
    }

    private void loop() {
        List<Op> batch = new ArrayList<>(maxBatch);
        while (running || !queue.isEmpty()) {
            try {
                Op first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                linger(batch);
                lock.lock();
                try {
                    process(batch, null);
                } finally {
                    lock.unlock();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "ledger writer failed a batch", e);
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Waits up to {@code linger} for more work before committing (unless someone waits on a
     * barrier): settlements are off the clients' path, and fewer, larger transactions leave the
     * database — and the busy wallet's row lock — to the holds clients are waiting for.
     */
    private void linger(List<Op> batch) throws InterruptedException {
        long deadline = System.nanoTime() + linger.toNanos();
        while (batch.size() < maxBatch && batch.stream().noneMatch(op -> op instanceof Op.Barrier)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Op next = queue.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
            queue.drainTo(batch, maxBatch - batch.size());
        }
    }

    /**
     * Commits a batch; if it fails as a whole, each op is retried alone so one bad op cannot sink
     * others. Continuations go to the callback executor, except {@code mine}'s, which is returned.
     */
    private Runnable process(List<Op> batch, Op mine) {
        Runnable mineDone = null;
        try {
            List<Runnable> completions = commit(batch);
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i) == mine) {
                    mineDone = completions.get(i);
                } else {
                    callbacks.execute(completions.get(i));
                }
            }
        } catch (SQLException whole) {
            for (Op op : batch) {
                Runnable done;
                try {
                    done = batch.size() == 1 ? fail(op, whole) : commit(List.of(op)).get(0);
                } catch (SQLException single) {
                    done = fail(op, single);
                }
                if (done == null) {
                    continue;
                }
                if (op == mine) {
                    mineDone = done;
                } else {
                    callbacks.execute(done);
                }
            }
        }
        return mineDone;
    }

    /**
     * One transaction on the writer's own connection: kept open (no pool checkout per batch) so
     * its prepared statements stay prepared on the server; replaced after any failure.
     */
    private List<Runnable> commit(List<Op> batch) throws SQLException {
        if (connection == null) {
            Connection c = sql.database().connection();
            c.setAutoCommit(false);
            if (asyncCommit) {
                Sql.update(c, "SET synchronous_commit TO OFF");
                c.commit();
            }
            connection = c;
        }
        try {
            List<Runnable> completions;
            try {
                completions = apply(connection, batch, false);
            } catch (Reorder r) {
                connection.rollback();
                completions = apply(connection, batch, true);
            }
            connection.commit();
            return completions;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the connection is replaced below
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
            throw e instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
        }
    }

    /** The continuation of a failed op, or null if the op was queued again for a retry. */
    private Runnable fail(Op op, SQLException e) {
        if (op instanceof Op.End || op instanceof Op.Log) {
            // A lost settlement or log row is money or history lost: keep retrying while running.
            if (running && transientFailure(e)) {
                LOG.log(System.Logger.Level.WARNING, "ledger write failed, will retry: " + e.getMessage());
                queue.add(op);
                pause();
                return null;
            }
            LOG.log(System.Logger.Level.ERROR, "ledger write dropped after failure: " + op, e);
        }
        return () -> op.future().completeExceptionally(new app.apimodels.core.db.DataException(e));
    }

    private static boolean transientFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("40") || s.getSQLState().startsWith("57"))) {
                return true;
            }
            if (t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException) {
                return true;
            }
        }
        return false;
    }

    private static void pause() {
        // Back off from a database that is down before the retry; only the settlement writer's own
        // thread gets here (holds are never retried: their callers get a 503 at once).
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }

    /** Per wallet: what this batch credits unconditionally, the holds it asks for, charges beyond holds. */
    private static final class Movement {
        long credit;
        long extra; // charges beyond a hold, taken as far as the wallet goes
        final List<Op.Reserve> reserves = new ArrayList<>();
    }

    /** Signals that a batch must be redone with its wallets handled one at a time, in id order. */
    private static final class Reorder extends RuntimeException {
        Reorder() {
            super(null, null, false, false);
        }
    }

    /**
     * @param ordered false: all wallets in one JDBC batch (the common case, one round trip);
     *                true: wallet by wallet, so a wallet whose holds must be tried one by one is
     *                still locked in id order
     */
    private List<Runnable> apply(Connection c, List<Op> batch, boolean ordered) throws SQLException {
        long now = clock.millis();
        List<Object[]> transfers = new ArrayList<>();
        TreeMap<Long, Movement> wallets = new TreeMap<>();
        TreeMap<Long, Long> holdAccounts = new TreeMap<>();
        long revenue = 0;

        // 1. Hold rows first. A hold ends exactly once: only the UPDATE that finds it
        //    pending (with the amount and posts it is expected to have) may move its money. Holds
        //    carved from a budget lease post from that lease, which must still be open.
        //    Posts to leases first, then shrinks, then ends.
        List<Op.End> ends = new ArrayList<>();
        List<Object[]> endRows = new ArrayList<>();
        TreeMap<String, Long> leasePosts = new TreeMap<>();
        List<Op.Shrink> shrinks = new ArrayList<>();
        for (Op op : batch) {
            if (op instanceof Op.End e && !e.hold().isFree()) {
                ends.add(e);
                if (e.hold().isCarved()) {
                    leasePosts.merge(e.hold().leaseId(), posted(e), Long::sum);
                } else {
                    endRows.add(new Object[] {e.voided() && e.alreadyPosted() == 0 ? "voided" : "posted",
                            e.alreadyPosted() + posted(e), now, e.hold().id(), e.hold().amount(), e.alreadyPosted()});
                }
            } else if (op instanceof Op.Reserve r) {
                wallets.computeIfAbsent(r.hold().walletId(), k -> new Movement()).reserves.add(r);
            } else if (op instanceof Op.Shrink s) {
                shrinks.add(s);
            }
        }
        List<Object[]> leaseRows = new ArrayList<>();
        leasePosts.forEach((lease, amount) -> {
            if (amount > 0) {
                leaseRows.add(new Object[] {amount, lease});
            }
        });
        int[] postedToLease = Sql.batch(c, "UPDATE apimodels_hold SET posted = COALESCE(posted, 0) + ? WHERE id = ? AND state = 'pending'", leaseRows);
        Set<String> closedLeases = new HashSet<>();
        for (int i = 0; i < leaseRows.size(); i++) {
            if (postedToLease[i] != 1) {
                closedLeases.add((String) leaseRows.get(i)[1]);
            }
        }
        for (Op.Shrink s : shrinks) {
            Hold lease = s.lease();
            if (Sql.update(c, "UPDATE apimodels_hold SET amount = amount - ? WHERE id = ? AND state = 'pending' AND amount - COALESCE(posted, 0) >= ?",
                    s.amount(), lease.id(), s.amount()) == 1) {
                holdAccounts.merge(lease.holdAccountId(), -s.amount(), Long::sum);
                transfers.add(transfer(s.transferId(), lease.holdAccountId(), lease.walletId(), s.amount(), "release", lease.id(), now));
                wallets.computeIfAbsent(lease.walletId(), k -> new Movement()).credit += s.amount();
            }
        }
        // Lease ends last: a lease closes with exactly the posts queued before it, also when they
        // share its batch.
        int[] ended = Sql.batch(c, "UPDATE apimodels_hold SET state = ?, posted = ?, ended_at = ? WHERE id = ? AND state = 'pending'"
                + " AND amount = ? AND COALESCE(posted, 0) = ?", endRows);
        Map<Op.End, Long> extraAsked = new HashMap<>();
        Set<Op.End> endedHere = new HashSet<>();
        int row = 0;
        for (Op.End e : ends) {
            Hold h = e.hold();
            boolean here = h.isCarved() ? !closedLeases.contains(h.leaseId()) : ended[row++] == 1;
            if (here) {
                endedHere.add(e);
                long posted = posted(e);
                // A carved hold's remainder stays in its lease; a hold with its own row returns it.
                long released = h.isCarved() ? 0 : h.amount() - e.alreadyPosted() - posted;
                holdAccounts.merge(h.holdAccountId(), -(posted + released), Long::sum);
                revenue += posted;
                if (posted > 0) {
                    transfers.add(transfer("post:" + h.id(), h.holdAccountId(), revenueId, posted, "post", h.id(), now));
                }
                if (released > 0) {
                    String kind = e.voided() ? "void" : "release";
                    transfers.add(transfer(kind + ":" + h.id(), h.holdAccountId(), h.walletId(), released, kind, h.id(), now));
                    wallets.computeIfAbsent(h.walletId(), k -> new Movement()).credit += released;
                }
                if (!e.voided() && !e.capAtHold() && e.cost() > posted) {
                    extraAsked.put(e, e.cost() - posted);
                }
            } else if (!e.voided() && e.cost() > 0) {
                // The hold (or its lease) ended already — expired and swept: charge from the wallet
                // as far as it goes.
                extraAsked.put(e, e.capAtHold() ? Math.min(e.cost(), h.amount()) : e.cost());
            }
        }
        extraAsked.forEach((e, amount) -> wallets.computeIfAbsent(e.hold().walletId(), k -> new Movement()).extra += amount);

        // 2. Wallets in id order, one batch: releases and holds as one conditional statement per
        //    wallet; a wallet whose sum does not fit gets its holds tried one by one; then any
        //    charge beyond a hold.
        Map<Long, Long> extraLeft = new HashMap<>();
        Set<Op.Reserve> accepted = new HashSet<>();
        List<Long> walletIds = new ArrayList<>();
        List<Object[]> walletRows = new ArrayList<>();
        for (Map.Entry<Long, Movement> entry : wallets.entrySet()) {
            Movement m = entry.getValue();
            long delta = m.credit - m.reserves.stream().mapToLong(r -> r.hold().amount()).sum();
            if (delta == 0) {
                accepted.addAll(m.reserves);
            } else {
                walletIds.add(entry.getKey());
                walletRows.add(new Object[] {delta, entry.getKey(), delta});
            }
        }
        String fit = "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ? AND balance + ? >= 0";
        // A batch that only returns money (settlements without charges beyond their holds) cannot
        // fail on a wallet: its wallet updates wait until just before the commit, so the busy
        // wallet's row lock — which that user's next hold needs — is held as briefly as possible.
        boolean onlyCredits = !ordered && wallets.values().stream().allMatch(m -> m.reserves.isEmpty() && m.extra == 0);
        int[] fitted = ordered ? null : onlyCredits ? ones(walletRows.size()) : Sql.batch(c, fit, walletRows);
        for (int i = 0; i < walletIds.size(); i++) {
            long wallet = walletIds.get(i);
            Movement m = wallets.get(wallet);
            if (ordered ? Sql.update(c, fit, walletRows.get(i)) == 1 : fitted[i] == 1) {
                accepted.addAll(m.reserves);
                continue;
            }
            if (!ordered) {
                // Handling this wallet now would lock it after higher ids: redo the batch wallet by wallet.
                throw new Reorder();
            }
            if (m.credit != 0) {
                Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?", m.credit, wallet);
            }
            for (Op.Reserve r : m.reserves) {
                long a = r.hold().amount();
                if (Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance - ? WHERE id = ? AND balance >= ?", a, wallet, a) == 1) {
                    accepted.add(r);
                }
            }
        }
        for (Map.Entry<Long, Movement> entry : wallets.entrySet()) {
            long wallet = entry.getKey();
            Movement m = entry.getValue();
            if (m.extra > 0) {
                long balance = Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE id = ? FOR UPDATE", rs -> rs.getLong(1), wallet)
                        .orElse(0L);
                long take = Math.min(balance, m.extra);
                if (take > 0) {
                    Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance - ? WHERE id = ?", take, wallet);
                    revenue += take;
                }
                extraLeft.put(wallet, take);
            }
        }

        // 3. What each ended call collected; call-log rows; key spend follows the real charge.
        List<Object[]> logs = new ArrayList<>();
        TreeMap<Long, Long> keySpent = new TreeMap<>();
        for (Op op : batch) {
            if (op instanceof Op.End e) {
                Hold h = e.hold();
                long got = Math.min(extraAsked.getOrDefault(e, 0L), extraLeft.getOrDefault(h.walletId(), 0L));
                if (got > 0) {
                    extraLeft.merge(h.walletId(), -got, Long::sum);
                    transfers.add(transfer("charge:" + h.id(), h.walletId(), revenueId, got, "charge", h.id(), now));
                }
                long collected = (endedHere.contains(e) ? posted(e) : 0) + got;
                if (h.keyLimited() && !h.isFree()) {
                    // The reserve counted the whole hold against the key; count what was collected instead.
                    long change = endedHere.contains(e) ? collected - h.amount() : collected;
                    keySpent.merge(h.keyId(), change, Long::sum);
                }
                if (e.record() != null) {
                    logs.add(logRow(e.record(), h.id(), collected, e.voided() ? 0 : e.cost() - collected));
                }
            } else if (op instanceof Op.Log l) {
                logs.add(logRow(l.record(), null, 0, 0));
            }
        }

        // 4. Keys in id order: settled spend, then the spend limit of new holds (undone if over).
        TreeMap<Long, List<Op.Reserve>> limited = new TreeMap<>();
        for (Op.Reserve r : accepted) {
            if (r.hold().keyLimited()) {
                limited.computeIfAbsent(r.hold().keyId(), k -> new ArrayList<>()).add(r);
                keySpent.putIfAbsent(r.hold().keyId(), 0L);
            }
        }
        Set<Op.Reserve> overLimit = new HashSet<>();
        List<Object[]> spentRows = new ArrayList<>();
        keySpent.forEach((key, change) -> {
            if (change != 0) {
                spentRows.add(new Object[] {change, key});
            }
        });
        if (!onlyCredits) {
            Sql.batch(c, "UPDATE apimodels_api_key SET spent = spent + ? WHERE id = ?", spentRows);
        }
        for (Map.Entry<Long, Long> k : keySpent.entrySet()) {
            for (Op.Reserve r : limited.getOrDefault(k.getKey(), List.of())) {
                long a = r.hold().amount();
                if (Sql.update(c, "UPDATE apimodels_api_key SET spent = spent + ? WHERE id = ? AND spent + ? <= spend_limit", a, k.getKey(), a) == 0) {
                    Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?", a, r.hold().walletId());
                    overLimit.add(r);
                }
            }
        }
        accepted.removeAll(overLimit);

        // 5. Hold accounts, then revenue: they mirror the movements decided above.
        List<Object[]> newHolds = new ArrayList<>();
        for (Op op : batch) {
            if (op instanceof Op.Reserve r && accepted.contains(r)) {
                Hold h = r.hold();
                holdAccounts.merge(h.holdAccountId(), h.amount(), Long::sum);
                transfers.add(transfer("hold:" + h.id(), h.walletId(), h.holdAccountId(), h.amount(), "hold", h.id(), now));
                newHolds.add(new Object[] {h.id(), h.accountId(), h.keyId(), h.amount(), now, r.expiresAt()});
            }
        }
        List<Object[]> mirrorRows = new ArrayList<>();
        holdAccounts.forEach((account, delta) -> {
            if (delta != 0) {
                mirrorRows.add(new Object[] {delta, account});
            }
        });
        if (revenue != 0) {
            mirrorRows.add(new Object[] {revenue, revenueId}); // revenue last: the hottest row is held shortest
        }
        if (!onlyCredits) {
            Sql.batch(c, "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?", mirrorRows);
        }
        Sql.batch(c, "INSERT INTO apimodels_hold (id, account_id, key_id, amount, state, created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)", newHolds);
        Sql.batch(c, "INSERT INTO apimodels_transfer (id, debit_id, credit_id, amount, kind, hold_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", transfers);
        Sql.batch(c, """
                INSERT INTO apimodels_call_log (id, account_id, key_id, endpoint, model, provider, upstream_model, stream, status, error,
                  started_at, latency_ms, attempts, input_tokens, cached_tokens, output_tokens, estimated, cost_micros,
                  uncollected_micros, hold_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", logs);
        if (onlyCredits) {
            // Same lock order as every batch: wallets, keys, hold accounts, revenue.
            for (int n : Sql.batch(c, fit, walletRows)) {
                if (n != 1) {
                    throw new SQLException("a wallet credit changed no row");
                }
            }
            Sql.batch(c, "UPDATE apimodels_api_key SET spent = spent + ? WHERE id = ?", spentRows);
            Sql.batch(c, "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?", mirrorRows);
        }

        List<Runnable> completions = new ArrayList<>(batch.size());
        for (Op op : batch) {
            if (op instanceof Op.Reserve r) {
                if (accepted.contains(r)) {
                    completions.add(() -> r.future().complete(r.hold()));
                } else {
                    boolean limit = overLimit.contains(r);
                    completions.add(() -> r.future().completeExceptionally(new InsufficientCreditsException(limit)));
                }
            } else {
                completions.add(() -> op.future().complete(null));
            }
        }
        return completions;
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    private static long posted(Op.End e) {
        return e.voided() ? 0 : Math.min(e.cost(), e.hold().amount() - e.alreadyPosted());
    }

    private static Object[] transfer(String id, long debit, long credit, long amount, String kind, String holdId, long now) {
        return new Object[] {id, debit, credit, amount, kind, holdId, null, now};
    }

    private static Object[] logRow(CallRecord r, String holdId, long collected, long uncollected) {
        return new Object[] {r.id(), r.accountId(), r.keyId(), r.endpoint(), r.model(), r.provider(), r.upstreamModel(),
                r.stream(), r.status(), r.error(), r.startedAt(), r.latencyMs(), r.attempts(), r.usage().inputTokens(),
                r.usage().cachedInputTokens(), r.usage().outputTokens(), r.estimated(), collected, Math.max(0, uncollected), holdId};
    }

    /** Stops taking work, commits everything queued, then ends the thread. */
    @Override
    public void close() {
        running = false;
        if (thread == null) {
            lead(null);
        } else {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            if (connection != null) {
                connection.close();
                connection = null;
            }
        } catch (SQLException ignored) {
            // closing anyway
        } finally {
            lock.unlock();
        }
    }
}
