package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.db.Sql;
import app.apimodels.core.db.Storable;

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
import java.util.concurrent.locks.LockSupport;

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
    private final String name;
    /** Set once by the engine after construction; read per commit. */
    volatile LedgerEvents events = LedgerEvents.NONE;

    /**
     * @param callbacks   runs what waits on each op, so that work never delays the next commit
     * @param asyncCommit PostgreSQL: commit without waiting for the WAL flush. A database crash may
     *                    then lose the last ~200 ms of this writer's batches, each as a whole and in
     *                    order: a lost hold makes its settlement charge the wallet directly (as far
     *                    as it goes, at most the hold); a lost settlement leaves its hold pending until the sweeper
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
        this.name = name;
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
        } else if (op instanceof Op.Barrier || queue.size() >= maxBatch) {
            // Someone waits, or a batch is full: end the writer's linger now.
            LockSupport.unpark(thread);
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
            // Sleeps through the linger rather than waking for each op queued meanwhile (a thread
            // switch per settlement); submit wakes it early for a barrier or a full batch.
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            queue.drainTo(batch, maxBatch - batch.size());
        }
    }

    /**
     * Commits a batch; if it fails as a whole, each op is retried alone so one bad op cannot sink
     * others. Continuations go to the callback executor, except {@code mine}'s, which is returned.
     */
    private Runnable process(List<Op> batch, Op mine) {
        Runnable mineDone = null;
        List<Runnable> others = new ArrayList<>(batch.size());
        try {
            List<Runnable> completions = commit(batch);
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i) == mine) {
                    mineDone = completions.get(i);
                } else {
                    others.add(completions.get(i));
                }
            }
        } catch (SQLException whole) {
            for (Op op : batch) {
                Runnable done = batch.size() == 1 ? retry(op, whole) : alone(op);
                if (done == null) {
                    continue;
                }
                if (op == mine) {
                    mineDone = done;
                } else {
                    others.add(done);
                }
            }
        }
        hand(others);
        return mineDone;
    }

    /**
     * Passes a batch's continuations to the callback executor. The writer with its own thread
     * (settlements: what waits there is bookkeeping) hands them over as one task, one thread
     * switch per batch rather than per op; the holds' continuations (calls going on upstream)
     * go one by one, so they run side by side.
     */
    private void hand(List<Runnable> completions) {
        if (thread == null || completions.size() <= 1) {
            completions.forEach(callbacks::execute);
            return;
        }
        callbacks.execute(() -> {
            for (Runnable completion : completions) {
                try {
                    completion.run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "a continuation of the " + name + " writer failed", e);
                }
            }
        });
    }

    /** Commits one op of a failed batch by itself. */
    private Runnable alone(Op op) {
        try {
            return commit(List.of(op)).get(0);
        } catch (SQLException e) {
            return retry(op, e);
        }
    }

    /**
     * An op that failed by itself: if it ends a hold, its money must still move — the call-log row
     * is the only part made of outside values, so the end is committed once more without it.
     */
    private Runnable retry(Op op, SQLException e) {
        if (op instanceof Op.End end && end.record() != null && !transientFailure(e)) {
            LOG.log(System.Logger.Level.ERROR, "call-log row " + end.record().id() + " could not be stored;"
                    + " its hold is ended without it", e);
            try {
                return commit(List.of(end.withoutRecord())).get(0);
            } catch (SQLException again) {
                return fail(op, again);
            }
        }
        return fail(op, e);
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
        long started = System.nanoTime();
        try {
            List<Runnable> completions;
            try {
                completions = new Batch(connection, batch, false).apply();
            } catch (Reorder r) {
                connection.rollback();
                completions = new Batch(connection, batch, true).apply();
            }
            connection.commit();
            events.ledgerBatch(name, batch.size(), System.nanoTime() - started);
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
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }

    /** Per wallet: what this batch credits unconditionally, the holds it asks for, late charges. */
    private static final class Movement {
        long credit;
        long late; // charges of holds that ended before their call did, taken as far as the wallet goes
        final List<Op.Reserve> reserves = new ArrayList<>();
    }

    /** Signals that a batch must be redone with its wallets handled one at a time, in id order. */
    private static final class Reorder extends RuntimeException {
        Reorder() {
            super(null, null, false, false);
        }
    }

    private static final String FIT = "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ? AND balance + ? >= 0";
    private static final String ADD = "UPDATE apimodels_ledger_account SET balance = balance + ? WHERE id = ?";
    private static final String ADD_SPENT = "UPDATE apimodels_api_key SET spent = spent + ? WHERE id = ?";

    /**
     * One batch in one transaction, phase by phase. Each phase decides the money of one kind of
     * row, and the rows are locked in one order everywhere — holds, wallets, keys, hold accounts,
     * revenue, each by ascending id — so writers on several nodes cannot deadlock:
     * <ol>
     * <li>{@link #postToLeases}: charges of calls carved from budget leases, posted from the leases;</li>
     * <li>{@link #shrinkLeases}: parts of open leases given back;</li>
     * <li>{@link #endHolds}: each hold ends exactly once (a conditional UPDATE of its row); what
     *     finds its hold already ended moves nothing, unless the sweeper ended it (a late end);</li>
     * <li>{@link #moveWallets}: releases and new holds as one conditional UPDATE per wallet, then
     *     late charges as far as each wallet goes;</li>
     * <li>{@link #logCalls}: what each call collected, its call-log row, its key's spend;</li>
     * <li>{@link #spendKeys}: key spend, and the spend limit of new holds;</li>
     * <li>{@link #write}: hold accounts and revenue mirror the above; new rows are inserted.</li>
     * </ol>
     */
    private final class Batch {
        private final Connection c;
        private final List<Op> ops;
        /**
         * false: all wallets in one JDBC batch (the common case, one round trip); true: wallet by
         * wallet, so a wallet whose holds must be tried one by one is still locked in id order
         */
        private final boolean ordered;
        private final long now = clock.millis();
        private final List<Object[]> transfers = new ArrayList<>();
        private final TreeMap<Long, Movement> wallets = new TreeMap<>();
        private final TreeMap<Long, Long> holdAccounts = new TreeMap<>();
        private long revenue;
        private final List<Op.End> ends = new ArrayList<>();
        private final List<Op.Shrink> shrinks = new ArrayList<>();
        /** Ends that ended their hold (or posted from their open lease) in this batch. */
        private final Set<Op.End> endedHere = new HashSet<>();
        /** Ends that came after the sweeper ended their hold (or lease): charged from the wallet. */
        private final Set<Op.End> late = new HashSet<>();
        private final Map<Op.End, Long> lateCollected = new HashMap<>();
        private final Set<Op.Reserve> accepted = new HashSet<>();
        private final Set<Op.Reserve> overLimit = new HashSet<>();
        private final List<Object[]> walletRows = new ArrayList<>();
        private final TreeMap<Long, Long> keySpent = new TreeMap<>();
        private final List<Object[]> spentRows = new ArrayList<>();
        private final List<Object[]> logs = new ArrayList<>();
        /**
         * A batch that only returns money (settlements without late charges) cannot fail on a
         * wallet: its wallet updates wait until just before the commit, so the busy wallet's row
         * lock — which that user's next hold needs — is held as briefly as possible.
         */
        private boolean onlyCredits;

        Batch(Connection c, List<Op> ops, boolean ordered) {
            this.c = c;
            this.ops = ops;
            this.ordered = ordered;
            for (Op op : ops) {
                if (op instanceof Op.End e && !e.hold().isFree()) {
                    ends.add(e);
                } else if (op instanceof Op.Reserve r) {
                    wallet(r.hold().walletId()).reserves.add(r);
                } else if (op instanceof Op.Shrink s) {
                    shrinks.add(s);
                }
            }
        }

        List<Runnable> apply() throws SQLException {
            Set<String> sweptLeases = postToLeases();
            shrinkLeases();
            endHolds(sweptLeases);
            moveWallets();
            logCalls();
            spendKeys();
            write();
            return completions();
        }

        private Movement wallet(long id) {
            return wallets.computeIfAbsent(id, k -> new Movement());
        }

        /**
         * Posts the charges of carved holds to their leases, which must still be open. Returns the
         * leases found ended: only the sweeper ends a lease that still has calls.
         */
        private Set<String> postToLeases() throws SQLException {
            TreeMap<String, Long> posts = new TreeMap<>();
            for (Op.End e : ends) {
                if (e.hold().isCarved()) {
                    posts.merge(e.hold().leaseId(), posted(e), Long::sum);
                }
            }
            List<Object[]> rows = new ArrayList<>();
            posts.forEach((lease, amount) -> {
                if (amount > 0) {
                    rows.add(new Object[] {amount, lease});
                }
            });
            int[] posted = Sql.batch(c, "UPDATE apimodels_hold SET posted = COALESCE(posted, 0) + ? WHERE id = ? AND state = 'pending'", rows);
            Set<String> swept = new HashSet<>();
            for (int i = 0; i < rows.size(); i++) {
                if (posted[i] != 1) {
                    swept.add((String) rows.get(i)[1]);
                }
            }
            return swept;
        }

        /** Gives parts of open leases back to their wallets (never below what they posted). */
        private void shrinkLeases() throws SQLException {
            for (Op.Shrink s : shrinks) {
                Hold lease = s.lease();
                if (Sql.update(c, "UPDATE apimodels_hold SET amount = amount - ? WHERE id = ? AND state = 'pending' AND amount - COALESCE(posted, 0) >= ?",
                        s.amount(), lease.id(), s.amount()) == 1) {
                    holdAccounts.merge(lease.holdAccountId(), -s.amount(), Long::sum);
                    transfers.add(transfer(s.transferId(), lease.holdAccountId(), lease.walletId(), s.amount(), "release", lease.id(), now));
                    wallet(lease.walletId()).credit += s.amount();
                }
            }
        }

        /**
         * Ends holds with rows — lease ends last, so a lease closes with exactly the posts queued
         * before it, also when they share its batch — and decides what each end posts and releases.
         * An end that finds its hold already ended is a duplicate and moves nothing, unless the
         * sweeper ended it ({@code expired}): then the call finished late and {@link #claimLate}
         * lets it charge the wallet once.
         */
        private void endHolds(Set<String> sweptLeases) throws SQLException {
            List<Op.End> withRows = new ArrayList<>();
            List<Object[]> rows = new ArrayList<>();
            for (Op.End e : ends) {
                if (!e.hold().isCarved()) {
                    withRows.add(e);
                    rows.add(new Object[] {endState(e), e.alreadyPosted() + posted(e), now, e.hold().id(), e.hold().amount(), e.alreadyPosted()});
                }
            }
            int[] ended = Sql.batch(c, "UPDATE apimodels_hold SET state = ?, posted = ?, ended_at = ? WHERE id = ? AND state = 'pending'"
                    + " AND amount = ? AND COALESCE(posted, 0) = ?", rows);
            Set<Op.End> endedRows = new HashSet<>();
            for (int i = 0; i < withRows.size(); i++) {
                if (ended[i] == 1) {
                    endedRows.add(withRows.get(i));
                }
            }
            for (Op.End e : ends) {
                Hold h = e.hold();
                boolean here = h.isCarved() ? !sweptLeases.contains(h.leaseId()) : endedRows.contains(e);
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
                        String kind = e.how() == Op.How.SETTLE ? "release" : "void";
                        transfers.add(transfer(kind + ":" + h.id(), h.holdAccountId(), h.walletId(), released, kind, h.id(), now));
                        wallet(h.walletId()).credit += released;
                    }
                } else if ((e.how() == Op.How.SETTLE || e.how() == Op.How.VOID) && claimLate(e)) {
                    late.add(e);
                    if (e.charges() && e.cost() > 0) {
                        wallet(h.walletId()).late += Math.min(e.cost(), h.amount());
                    }
                }
            }
        }

        private static String endState(Op.End e) {
            return switch (e.how()) {
                case SETTLE -> "posted";
                case VOID -> "voided";
                case CLOSE -> e.alreadyPosted() == 0 ? "voided" : "posted";
                case EXPIRE -> "expired";
            };
        }

        /**
         * Whether a call's end that found its hold ended may still charge: only once, and only if
         * the sweeper ended the hold. A carved hold ends once in memory ({@link Leases}), so its
         * lease found swept is enough; a hold with its own row is claimed by turning it from
         * {@code expired} to its final state — a second end finds it ended and moves nothing.
         * A row that is missing was never committed (asynchronous commits lost it in a database
         * crash): it is written now, ended, so that too happens once.
         */
        private boolean claimLate(Op.End e) throws SQLException {
            Hold h = e.hold();
            if (h.isCarved()) {
                return true;
            }
            String state = e.charges() ? "posted" : "voided";
            if (Sql.update(c, "UPDATE apimodels_hold SET state = ?, ended_at = ? WHERE id = ? AND state = 'expired'", state, now, h.id()) == 1) {
                return true;
            }
            if (Sql.one(c, "SELECT 1 FROM apimodels_hold WHERE id = ?", rs -> 1, h.id()).isPresent()) {
                return false;
            }
            Sql.update(c, "INSERT INTO apimodels_hold (id, account_id, key_id, amount, state, posted, created_at, expires_at, ended_at)"
                    + " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)", h.id(), h.accountId(), h.keyId(), h.amount(), state, now, now, now);
            return true;
        }

        /**
         * Wallets in id order, one JDBC batch: releases and holds as one conditional statement
         * per wallet; a wallet whose sum does not fit gets its holds tried one by one (in a batch
         * redone wallet by wallet); then late charges, as far as each wallet goes.
         */
        private void moveWallets() throws SQLException {
            List<Long> walletIds = new ArrayList<>();
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
            onlyCredits = !ordered && wallets.values().stream().allMatch(m -> m.reserves.isEmpty() && m.late == 0);
            int[] fitted = ordered ? null : onlyCredits ? ones(walletRows.size()) : Sql.batch(c, FIT, walletRows);
            for (int i = 0; i < walletIds.size(); i++) {
                long wallet = walletIds.get(i);
                Movement m = wallets.get(wallet);
                if (ordered ? Sql.update(c, FIT, walletRows.get(i)) == 1 : fitted[i] == 1) {
                    accepted.addAll(m.reserves);
                    continue;
                }
                if (!ordered) {
                    // Handling this wallet now would lock it after higher ids: redo the batch wallet by wallet.
                    throw new Reorder();
                }
                if (m.credit != 0) {
                    Sql.update(c, ADD, m.credit, wallet);
                }
                for (Op.Reserve r : m.reserves) {
                    long a = r.hold().amount();
                    if (Sql.update(c, "UPDATE apimodels_ledger_account SET balance = balance - ? WHERE id = ? AND balance >= ?", a, wallet, a) == 1) {
                        accepted.add(r);
                    }
                }
            }
            Map<Long, Long> taken = new HashMap<>();
            for (Map.Entry<Long, Movement> entry : wallets.entrySet()) {
                long wallet = entry.getKey();
                Movement m = entry.getValue();
                if (m.late > 0) {
                    long balance = Sql.one(c, "SELECT balance FROM apimodels_ledger_account WHERE id = ? FOR UPDATE", rs -> rs.getLong(1), wallet)
                            .orElse(0L);
                    long take = Math.min(balance, m.late);
                    if (take > 0) {
                        Sql.update(c, ADD, -take, wallet);
                        revenue += take;
                    }
                    taken.put(wallet, take);
                }
            }
            // What the wallet gave goes to the late ends in arrival order.
            for (Op.End e : ends) {
                if (late.contains(e) && e.charges()) {
                    Hold h = e.hold();
                    long got = Math.min(Math.min(e.cost(), h.amount()), taken.getOrDefault(h.walletId(), 0L));
                    if (got > 0) {
                        taken.merge(h.walletId(), -got, Long::sum);
                        transfers.add(transfer("charge:" + h.id(), h.walletId(), revenueId, got, "charge", h.id(), now));
                    }
                    lateCollected.put(e, got);
                }
            }
        }

        /**
         * What each call collected, its call-log row (with what its cost went beyond that as
         * uncollected) and its key's spend. A duplicate end writes nothing.
         */
        private void logCalls() {
            for (Op op : ops) {
                if (op instanceof Op.End e) {
                    boolean here = endedHere.contains(e);
                    if (!here && !late.contains(e)) {
                        continue;
                    }
                    Hold h = e.hold();
                    long collected = here ? posted(e) : lateCollected.getOrDefault(e, 0L);
                    if (h.keyLimited() && !h.isFree()) {
                        // The reserve counted the whole hold against the key; count what was collected instead.
                        keySpent.merge(h.keyId(), here ? collected - h.amount() : collected, Long::sum);
                    }
                    if (e.record() != null) {
                        logs.add(logRow(e.record(), h.id(), collected, e.charges() ? e.cost() - collected : 0));
                    }
                } else if (op instanceof Op.Log l) {
                    logs.add(logRow(l.record(), null, 0, 0));
                }
            }
        }

        /** Keys in id order: settled spend, then the spend limit of new holds (undone if over). */
        private void spendKeys() throws SQLException {
            TreeMap<Long, List<Op.Reserve>> limited = new TreeMap<>();
            for (Op.Reserve r : accepted) {
                if (r.hold().keyLimited()) {
                    limited.computeIfAbsent(r.hold().keyId(), k -> new ArrayList<>()).add(r);
                    keySpent.putIfAbsent(r.hold().keyId(), 0L);
                }
            }
            keySpent.forEach((key, change) -> {
                if (change != 0) {
                    spentRows.add(new Object[] {change, key});
                }
            });
            if (!onlyCredits) {
                Sql.batch(c, ADD_SPENT, spentRows);
            }
            for (Map.Entry<Long, List<Op.Reserve>> k : limited.entrySet()) {
                for (Op.Reserve r : k.getValue()) {
                    long a = r.hold().amount();
                    if (Sql.update(c, "UPDATE apimodels_api_key SET spent = spent + ? WHERE id = ? AND spent + ? <= spend_limit", a, k.getKey(), a) == 0) {
                        Sql.update(c, ADD, a, r.hold().walletId());
                        overLimit.add(r);
                    }
                }
            }
            accepted.removeAll(overLimit);
        }

        /** Hold accounts, then revenue, mirror the movements decided above; then the new rows. */
        private void write() throws SQLException {
            List<Object[]> newHolds = new ArrayList<>();
            for (Op op : ops) {
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
                Sql.batch(c, ADD, mirrorRows);
            }
            Sql.batch(c, "INSERT INTO apimodels_hold (id, account_id, key_id, amount, state, created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)", newHolds);
            Sql.batch(c, "INSERT INTO apimodels_transfer (id, debit_id, credit_id, amount, kind, hold_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", transfers);
            Sql.batch(c, """
                    INSERT INTO apimodels_call_log (id, account_id, key_id, endpoint, model, provider, upstream_model, stream, status, error,
                      started_at, latency_ms, attempts, input_tokens, cached_tokens, cache_write_tokens, output_tokens, estimated,
                      cost_micros, uncollected_micros, hold_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", logs);
            if (onlyCredits) {
                // Same lock order as every batch: wallets, keys, hold accounts, revenue.
                for (int n : Sql.batch(c, FIT, walletRows)) {
                    if (n != 1) {
                        throw new SQLException("a wallet credit changed no row");
                    }
                }
                Sql.batch(c, ADD_SPENT, spentRows);
                Sql.batch(c, ADD, mirrorRows);
            }
        }

        private List<Runnable> completions() {
            List<Runnable> completions = new ArrayList<>(ops.size());
            for (Op op : ops) {
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
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    /** What an end posts from its hold: its cost, never more than what is left of the hold. */
    private static long posted(Op.End e) {
        return e.charges() ? Math.min(e.cost(), e.hold().amount() - e.alreadyPosted()) : 0;
    }

    private static Object[] transfer(String id, long debit, long credit, long amount, String kind, String holdId, long now) {
        return new Object[] {id, debit, credit, amount, kind, holdId, null, now};
    }

    /** A call-log row; text from outside (an upstream's error, model names) made storable first. */
    private static Object[] logRow(CallRecord r, String holdId, long collected, long uncollected) {
        return new Object[] {Storable.text(r.id(), 40), r.accountId(), r.keyId(), Storable.text(r.endpoint(), 40),
                Storable.text(r.model(), 200), Storable.text(r.provider(), 100), Storable.text(r.upstreamModel(), 200),
                r.stream(), r.status(), Storable.text(r.error(), 500), r.startedAt(), r.latencyMs(), r.attempts(),
                r.usage().inputTokens(), r.usage().cachedInputTokens(), r.usage().cacheWriteTokens(), r.usage().outputTokens(), r.estimated(),
                collected, Math.max(0, uncollected), holdId};
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
