package app.apimodels.core.ledger;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.keys.KeyOptions;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ledger's invariants on both databases (docs/design.md "Invariants", money). */
class LedgerTest {

    private final MutableClock clock = new MutableClock();
    private final ExecutorService callbacks = Executors.newFixedThreadPool(4);
    private Database db;
    private Sql sql;
    private Ledger ledger;
    private Accounts accounts;
    private ApiKeys keys;

    private void open(TestDatabases kind) {
        db = Database.open(null, new Settings(kind.config(Map.of())));
        sql = new Sql(db);
        ledger = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks);
        accounts = new Accounts(sql, clock);
        keys = new ApiKeys(sql, clock, new byte[32], Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        if (ledger != null) {
            ledger.close();
        }
        callbacks.shutdownNow();
        if (db != null) {
            db.close();
        }
    }

    private Account user() {
        return accounts.create("u-" + UUID.randomUUID() + "@example.com", null, Role.USER);
    }

    private ApiKey key(Account a, KeyOptions options) {
        return keys.create(a.id(), options).key();
    }

    private CallRecord record(Account a) {
        return new CallRecord(UUID.randomUUID().toString(), a.id(), null, "chat.completions", "m", "p", "u", false, 200,
                null, clock.millis(), 1, 1, Usage.tokens(1, 0, 1), false, 0);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void grantsAreIdempotentByKey(TestDatabases kind) {
        open(kind);
        Account a = user();
        Transfer first = ledger.grant(a, 5_000_000, "welcome", "g-1");
        Transfer again = ledger.grant(a, 5_000_000, "welcome", "g-1");
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(ledger.balance(a).available()).isEqualTo(5_000_000);
        assertThatThrownBy(() -> ledger.grant(a, 7, "other", "g-1"))
                .isInstanceOf(Failure.class).extracting(e -> FailureMapping.status(((Failure) e).reason())).isEqualTo(409);
        assertBooksBalance();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void holdThenSettlePostsActualAndReleasesTheRest(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 10_000, null, "g");
        Hold h = ledger.hold(k, 1_000).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(9_000, 1_000));
        ledger.settle(h, 300, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(9_700, 0));
        assertThat(revenue()).isEqualTo(300);
        // Settling again is a no-op for the hold: it already ended (but a second charge would be a bug).
        assertThat(sql.one("SELECT state FROM apimodels_hold WHERE id = ?", rs -> rs.getString(1), h.id())).contains("posted");
        assertBooksBalance();
    }

    /**
     * Holds, leases and the transfers named after them are rows written thousands of times a
     * second: their ids are time-ordered (UUID version 7), so each insert lands at its index's
     * right edge rather than on a random leaf.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void holdAndLeaseIdsAreTimeOrdered(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey carving = key(a, KeyOptions.named("k"));
        ApiKey limited = key(a, new KeyOptions("limited", null, null, 1_000_000L));
        ledger.grant(a, 10_000, null, "g");
        Hold carved = ledger.holdForCall(carving, 1_000).join();
        Hold own = ledger.holdForCall(limited, 1_000).join();
        assertThat(carved.isCarved()).isTrue();
        assertThat(own.isCarved()).isFalse();
        for (String id : List.of(carved.id(), carved.leaseId(), own.id())) {
            assertThat(UUID.fromString(id).version()).as(id).isEqualTo(7);
        }
        ledger.settle(carved, 300, record(a)).join();
        ledger.settle(own, 300, record(a)).join();
        assertBooksBalance();
    }

    /** Whatever ends a hold a second time (a retry, a duplicate runner) moves no money. */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aSecondSettleOfAHoldWithItsOwnRowIsANoOp(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 10_000, null, "g");
        Hold h = ledger.hold(k, 1_000).join();
        ledger.settle(h, 300, record(a)).join();
        ledger.settle(h, 300, record(a)).join();
        ledger.settle(h, 2_000, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(9_700, 0));
        assertThat(revenue()).isEqualTo(300);

        // Swept, then settled late (charged from the wallet once), then settled again: still once.
        Hold late = ledger.hold(k, 1_000).join();
        clock.advance(Duration.ofMinutes(16));
        assertThat(ledger.sweepExpired(100)).isEqualTo(1);
        ledger.flush().join();
        ledger.settle(late, 400, record(a)).join();
        ledger.settle(late, 400, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(9_300, 0));
        assertThat(revenue()).isEqualTo(700);
        assertBooksBalance();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void releaseChargesNothing(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 10_000, null, "g");
        Hold h = ledger.hold(k, 4_000).join();
        ledger.release(h, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(10_000, 0));
        assertThat(revenue()).isZero();
        assertBooksBalance();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCostBeyondTheHoldIsChargedUpToTheHoldAndLoggedAsUncollected(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 10_000, null, "g");
        Hold h = ledger.hold(k, 800).join();
        ledger.settle(h, 5_000, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(9_200, 0));
        assertThat(revenue()).isEqualTo(800);
        assertThat(sql.one("SELECT uncollected_micros FROM apimodels_call_log WHERE hold_id = ?", rs -> rs.getLong(1), h.id())).contains(4_200L);
        assertBooksBalance();
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> databasesAndHoldKinds() {
        return java.util.Arrays.stream(TestDatabases.values()).flatMap(db -> java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(db, false), org.junit.jupiter.params.provider.Arguments.of(db, true)));
    }

    /** With rows, or carved from leases: every micro can be spent, never one more. */
    @ParameterizedTest(name = "{0}, carved: {1}")
    @org.junit.jupiter.params.provider.MethodSource("databasesAndHoldKinds")
    void concurrentHoldsNeverOverdrawTheWallet(TestDatabases kind, boolean carved) throws Exception {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 50 * 1_000, null, "g");
        List<Hold> granted = holdConcurrently(k, 200, carved);
        assertThat(granted).hasSize(50);
        assertThat(ledger.balance(a)).isEqualTo(new Balance(0, 50_000));
        CompletableFuture.allOf(granted.stream().map(h -> ledger.settle(h, 1_000, record(a))).toArray(CompletableFuture[]::new)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(0, 0));
        assertThat(revenue()).isEqualTo(50_000);
        assertThat(pendingHolds()).isZero();
        assertBooksBalance();
    }

    /** {@code n} holds of 1,000 at once from 32 threads; the ones granted (the rest must be refused for credits). */
    private List<Hold> holdConcurrently(ApiKey k, int n, boolean carved) {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<CompletableFuture<Hold>> holds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            holds.add(CompletableFuture.supplyAsync(() -> carved ? ledger.holdForCall(k, 1_000) : ledger.hold(k, 1_000), pool)
                    .thenCompose(f -> f));
        }
        List<Hold> granted = new ArrayList<>();
        for (CompletableFuture<Hold> f : holds) {
            try {
                granted.add(f.join());
            } catch (CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(InsufficientCreditsException.class);
            }
        }
        pool.shutdown();
        return granted;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void twoNodesSpendingFromTheSameWalletsNeverOverdrawOrDeadlock(TestDatabases kind) throws Exception {
        open(kind);
        // Each success costs 600 of a 1,000 hold: at least 40 per wallet fit, never more than 66.
        // Holds with rows end on either node: wherever the call ends.
        assertThat(spendFromTwoNodes(false)).isBetween(3 * 40, 3 * 66);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void twoNodesLeasingFromTheSameWalletsNeverOverdrawAndGiveEverythingBack(TestDatabases kind) throws Exception {
        open(kind);
        // Never more than the wallets cover; most of it, though a node may refuse while the other
        // still holds a lease of the same wallet.
        assertThat(spendFromTwoNodes(true)).isBetween(3 * 30, 3 * 66);
    }

    /**
     * 300 calls of three users with 40,000 each, alternating between this ledger and a second node
     * (its own writers and connections on the same database), each charged 600 of a 1,000 hold.
     * Checks the books on both nodes afterwards; returns how many calls got their hold.
     */
    private int spendFromTwoNodes(boolean carved) throws Exception {
        Ledger other = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks);
        try {
            List<Account> users = List.of(user(), user(), user());
            List<ApiKey> userKeys = new ArrayList<>();
            for (Account a : users) {
                ledger.grant(a, 40 * 1_000, null, "g");
                userKeys.add(key(a, KeyOptions.named("k")));
            }
            ExecutorService pool = Executors.newFixedThreadPool(32);
            List<CompletableFuture<Void>> calls = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < 300; i++) {
                Ledger node = i % 2 == 0 ? ledger : other;
                ApiKey k = userKeys.get(i % 3);
                Account a = users.get(i % 3);
                calls.add(CompletableFuture.supplyAsync(() -> carved ? node.holdForCall(k, 1_000) : node.hold(k, 1_000), pool)
                        .thenCompose(f -> f)
                        .thenCompose(h -> {
                            granted.incrementAndGet();
                            // a carved hold ends on its node; one with a row anywhere (here: by its id)
                            Ledger settler = carved ? node : h.id().hashCode() % 2 == 0 ? ledger : other;
                            return settler.settle(h, 600, record(a));
                        })
                        .exceptionally(e -> {
                            assertThat(e).hasRootCauseInstanceOf(InsufficientCreditsException.class);
                            return null;
                        }));
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, java.util.concurrent.TimeUnit.SECONDS);
            pool.shutdown();
            assertThat(revenue()).isEqualTo(600L * granted.get());
            for (Account a : users) {
                other.balance(a); // gives the other node's leases back too
                Balance b = ledger.balance(a);
                assertThat(b.held()).isZero();
                assertThat(b.available()).isEqualTo(40_000 - revenueOf(a));
            }
            assertThat(pendingHolds()).isZero();
            assertBooksBalance();
            return granted.get();
        } finally {
            other.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void expiredHoldsAreVoidedExactlyOnceAndALateSettlementStillCharges(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 10_000, null, "g");
        Hold h = ledger.hold(k, 2_000).join();
        assertThat(ledger.sweepExpired(100)).isZero();
        clock.advance(Duration.ofMinutes(16));
        assertThat(ledger.sweepExpired(100)).isEqualTo(1);
        ledger.sweepExpired(100); // may see it again before the void commits: still ends once
        ledger.flush().join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(10_000, 0));
        assertThat(pendingHolds()).isZero();
        // The call finished after all: it is charged from the wallet, capped at the hold.
        ledger.settle(h, 3_000, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(8_000, 0));
        assertBooksBalance();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aKeysSpendLimitBoundsItsHoldsAndFollowsActualCharges(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, new KeyOptions("limited", null, Set.of(), 1_500L));
        ledger.grant(a, 100_000, null, "g");
        Hold h1 = ledger.hold(k, 1_000).join();
        assertThatThrownBy(() -> ledger.hold(k, 1_000).join()).hasCauseInstanceOf(InsufficientCreditsException.class);
        ledger.settle(h1, 200, record(a)).join();
        assertThat(sql.one("SELECT spent FROM apimodels_api_key WHERE id = ?", rs -> rs.getLong(1), k.id())).contains(200L);
        ledger.hold(k, 1_000).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(100_000 - 200 - 1_000, 1_000));
        assertBooksBalance();
    }

    /**
     * An upstream that ignores {@code max_tokens} reports more than the hold covers: the charge
     * stops at the hold, so a key's spend limit (and the wallet) is never exceeded; the rest is
     * logged as uncollected.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aChargeNeverExceedsItsHoldSoASpendLimitHolds(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, new KeyOptions("limited", null, Set.of(), 50L));
        ledger.grant(a, 1_000, null, "g");
        List<Hold> holds = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Hold h = ledger.holdForCall(k, 22).join();
            ledger.settle(h, 30, record(a)).join();
            holds.add(h);
        }
        assertThat(sql.one("SELECT spent FROM apimodels_api_key WHERE id = ?", rs -> rs.getLong(1), k.id())).contains(44L);
        assertThat(ledger.balance(a)).isEqualTo(new Balance(1_000 - 44, 0));
        for (Hold h : holds) {
            assertThat(sql.one("SELECT cost_micros FROM apimodels_call_log WHERE hold_id = ?", rs -> rs.getLong(1), h.id())).contains(22L);
            assertThat(sql.one("SELECT uncollected_micros FROM apimodels_call_log WHERE hold_id = ?", rs -> rs.getLong(1), h.id())).contains(8L);
        }
        assertThatThrownBy(() -> ledger.holdForCall(k, 22).join()).hasCauseInstanceOf(InsufficientCreditsException.class);
        assertBooksBalance();
    }

    // Budget leases: holds of calls carved in memory from a durable lease per account and node.

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void callsCarvedFromOneLeaseAreChargedExactlyAndTheLeaseReturnsOnABalanceRead(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 100_000, null, "g");
        Hold h1 = ledger.holdForCall(k, 1_000).join();
        Hold h2 = ledger.holdForCall(k, 1_000).join();
        Hold h3 = ledger.holdForCall(k, 1_000).join();
        Hold h4 = ledger.holdForCall(k, 1_000).join();
        assertThat(h1.leaseId()).isNotNull().isEqualTo(h4.leaseId());
        // One durable row for four calls: half the wallet (100 calls' worth would be more) moved to the lease.
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_hold", rs -> rs.getLong(1))).contains(1L);
        assertThat(sql.one("SELECT balance FROM apimodels_ledger_account WHERE id = ?", rs -> rs.getLong(1), a.walletId())).contains(50_000L);
        ledger.settle(h1, 300, record(a)).join();
        ledger.release(h2, record(a)).join();
        ledger.settle(h3, 5_000, record(a)).join();  // capped at its hold
        ledger.settle(h4, 1_000, record(a)).join();
        ledger.settle(h1, 900, record(a)).join();    // ended already: no second charge
        assertThat(ledger.balance(a)).isEqualTo(new Balance(100_000 - 300 - 1_000 - 1_000, 0));
        assertThat(revenue()).isEqualTo(2_300);
        assertThat(pendingHolds()).isZero();
        assertThat(sql.one("SELECT posted FROM apimodels_hold", rs -> rs.getLong(1))).contains(2_300L);
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_call_log WHERE hold_id IN (?, ?, ?, ?)", rs -> rs.getLong(1),
                h1.id(), h2.id(), h3.id(), h4.id())).contains(4L);
        assertBooksBalance();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aLeaseLeftByACrashedNodeIsSweptReturningOnlyWhatItDidNotPost(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 100_000, null, "g");
        Ledger crashed = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks);
        Hold done = crashed.holdForCall(k, 1_000).join();
        Hold running = crashed.holdForCall(k, 1_000).join();
        crashed.settle(done, 300, record(a)).join();
        crashed.flush().join();
        // The node is gone (never closed): its lease lives twice the hold TTL, then the sweeper ends it.
        clock.advance(Duration.ofMinutes(29));
        assertThat(ledger.sweepExpired(100)).isZero();
        clock.advance(Duration.ofMinutes(2));
        assertThat(ledger.sweepExpired(100)).isEqualTo(1);
        ledger.flush().join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(100_000 - 300, 0));
        assertThat(pendingHolds()).isZero();
        // A call that finished after all is charged from the wallet, capped at its hold.
        crashed.settle(running, 4_000, record(a)).join();
        crashed.close(); // its lease ended already: nothing moves twice
        assertThat(ledger.balance(a)).isEqualTo(new Balance(100_000 - 300 - 1_000, 0));
        assertThat(revenue()).isEqualTo(1_300);
        assertBooksBalance();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void idleLeasesGoBackToTheWalletAndShutdownGivesBackTheRest(TestDatabases kind) {
        open(kind);
        Account a = user();
        Account b = user();
        ApiKey ka = key(a, KeyOptions.named("a"));
        ApiKey kb = key(b, KeyOptions.named("b"));
        ledger.grant(a, 10_000, null, "g");
        ledger.grant(b, 10_000, null, "g");
        ledger.settle(ledger.holdForCall(ka, 1_000).join(), 100, record(a)).join();
        ledger.returnIdleLeases();
        ledger.flush().join();
        assertThat(pendingHolds()).isEqualTo(1); // used just now
        clock.advance(Ledger.DEFAULT_LEASE_IDLE);
        ledger.returnIdleLeases();
        ledger.flush().join();
        assertThat(pendingHolds()).isZero();
        assertThat(sql.one("SELECT balance FROM apimodels_ledger_account WHERE id = ?", rs -> rs.getLong(1), a.walletId())).contains(9_900L);

        ledger.settle(ledger.holdForCall(kb, 1_000).join(), 200, record(b)); // still queued at shutdown
        ledger.close();
        ledger = null;
        assertThat(pendingHolds()).isZero();
        assertThat(sql.one("SELECT balance FROM apimodels_ledger_account WHERE id = ?", rs -> rs.getLong(1), b.walletId())).contains(9_800L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aBalanceReadWaitsForALeaseGrowthInFlightAndThenGivesEverythingBack(TestDatabases kind) throws Exception {
        open(kind);
        ledger.close();
        GrowthsOnHold executor = new GrowthsOnHold(callbacks);
        ledger = new Ledger(sql, clock, Duration.ofMinutes(15), 512, executor);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 100_000, null, "g");
        Hold h1 = ledger.holdForCall(k, 20_000).join(); // opens a lease of half the wallet: 50,000
        executor.holding = true;
        Hold h2 = ledger.holdForCall(k, 20_000).join(); // leaves 10,000 free: a growth starts, held back
        assertThat(executor.held()).isEqualTo(1);
        ledger.settle(h1, 1_000, record(a)).join();
        ledger.settle(h2, 1_000, record(a)).join();

        // Every call has ended; the read must not show the lease, nor what the growth is moving, as held.
        CompletableFuture<Balance> read = CompletableFuture.supplyAsync(() -> ledger.balance(a));
        executor.release();
        assertThat(read.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(new Balance(100_000 - 2_000, 0));
        assertThat(pendingHolds()).isZero();
        assertBooksBalance();
    }

    /** Runs every task at once except budget-lease growths while {@code holding}: those wait for {@link #release()}. */
    private static final class GrowthsOnHold implements java.util.concurrent.Executor {
        private final java.util.concurrent.Executor delegate;
        private final List<Runnable> held = new ArrayList<>();
        volatile boolean holding;

        GrowthsOnHold(java.util.concurrent.Executor delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable task) {
            boolean growth = StackWalker.getInstance().walk(frames -> frames.anyMatch(
                    f -> f.getClassName().equals(Leases.class.getName()) && f.getMethodName().equals("grow")));
            synchronized (held) {
                if (holding && growth) {
                    held.add(task);
                    return;
                }
            }
            delegate.execute(task);
        }

        int held() {
            synchronized (held) {
                return held.size();
            }
        }

        void release() {
            synchronized (held) {
                holding = false;
                held.forEach(delegate::execute);
                held.clear();
            }
        }
    }

    /**
     * One busy account's calls, 32 in flight, 10 per millisecond, each holding 12 micros and
     * costing 8 (the bench's request), while a lease growth's transaction takes as long as 100
     * calls (10 ms). Once the account's rate is known, every hold is carved at once: no call waits
     * on a growth. Sized by 100 calls and grown at a quarter left, the 32 calls in flight held more
     * than that quarter, the lease ran dry before each growth landed and calls waited on every one.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aBusyAccountsCallsNeverWaitOnALeaseGrowthOnceItsRateIsKnown(TestDatabases kind) {
        open(kind);
        ledger.close();
        TasksWhenTold executor = new TasksWhenTold(callbacks, Leases.class, "grow");
        ledger = new Ledger(sql, clock, Duration.ofMinutes(15), 512, executor);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        long granted = 1_000_000_000;
        ledger.grant(a, granted, null, "g");
        int calls = 12_000;
        int warmUp = 2_000; // 200 ms: the first rate is measured over 100 ms of calls
        java.util.ArrayDeque<CompletableFuture<Hold>> inFlight = new java.util.ArrayDeque<>();
        List<CompletableFuture<Void>> settled = new ArrayList<>();
        int waited = 0;
        for (int i = 0; i < calls; i++) {
            if (i % 10 == 0) {
                clock.advance(Duration.ofMillis(1));
            }
            if (i % 100 == 0) {
                executor.runHeld(); // the growth started up to 100 calls ago commits now
            }
            CompletableFuture<Hold> hold = ledger.holdForCall(k, 12);
            if (i >= warmUp && !hold.isDone()) {
                waited++;
            }
            inFlight.add(hold);
            if (inFlight.size() == 32) {
                CompletableFuture<Hold> oldest = inFlight.poll();
                for (int tries = 0; !oldest.isDone(); tries++) {
                    assertThat(tries).as("a hold that waits has a growth queued").isLessThan(100);
                    executor.runHeld(); // the call waits for the growth
                }
                settled.add(ledger.settle(oldest.join(), 8, record(a)));
            }
        }
        executor.runHeld();
        for (CompletableFuture<Hold> h : inFlight) {
            settled.add(ledger.settle(h.join(), 8, record(a)));
        }
        CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new)).join();
        assertThat(waited).as("holds after the warm-up that waited on a lease growth").isZero();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(granted - 8L * calls, 0));
        assertThat(revenue()).isEqualTo(8L * calls);
        assertThat(pendingHolds()).isZero();
        assertBooksBalance();
    }

    /**
     * Runs every task at once except those submitted from within {@code method} of {@code type}
     * (budget-lease growths, background reads of what an account owes): those run on the test's
     * thread when it says.
     */
    private static final class TasksWhenTold implements java.util.concurrent.Executor {
        private final java.util.concurrent.Executor delegate;
        private final String type;
        private final String method;
        private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> held = new java.util.concurrent.ConcurrentLinkedQueue<>();

        TasksWhenTold(java.util.concurrent.Executor delegate, Class<?> type, String method) {
            this.delegate = delegate;
            this.type = type.getName();
            this.method = method;
        }

        @Override
        public void execute(Runnable task) {
            boolean hold = StackWalker.getInstance().walk(frames -> frames.anyMatch(
                    f -> f.getClassName().equals(type) && f.getMethodName().equals(method)));
            if (hold) {
                held.add(task);
            } else {
                delegate.execute(task);
            }
        }

        /** Runs the tasks held now (what they complete may queue the next, left for the next call). */
        void runHeld() {
            for (int n = held.size(); n > 0; n--) {
                held.poll().run();
            }
        }
    }

    /**
     * What an account owes is read again in the background once half its TTL has passed, so a
     * busy account's calls never wait on that read (read on the call's thread at expiry, every
     * call of the account waited for it); an account not asked about for the whole TTL is read
     * on the call, so another node's claw-back still shows within the TTL.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void whatAnAccountOwesIsReadAgainInTheBackgroundWhileItIsInUse(TestDatabases kind) throws Exception {
        open(kind);
        ledger.close();
        TasksWhenTold executor = new TasksWhenTold(callbacks, Debts.class, "owed");
        ledger = new Ledger(sql, clock, Duration.ofMinutes(15), 512, executor);
        Ledger other = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks);
        try {
            Account a = user();
            ledger.grant(a, 100, null, "g");
            assertThat(ledger.owed(a.id())).isZero();
            // Another node claws back 300: the wallet gives its 100, 200 is owed.
            sql.tx(c -> other.clawBack(c, a.id(), "payments", 300, "clawback:t", "refund"));
            clock.advance(Debts.RESTRICTION_TTL.dividedBy(2).plusMillis(1));
            assertThat(ledger.owed(a.id())).as("trusted while it is read again in the background").isZero();
            executor.runHeld();
            assertThat(ledger.owed(a.id())).as("read in the background").isEqualTo(200);

            // A top-up on the other node pays the debt; not asked about for the whole TTL, it is read on the call.
            other.grant(a, 500, null, "g2");
            clock.advance(Debts.RESTRICTION_TTL);
            assertThat(ledger.owed(a.id())).isZero();
        } finally {
            other.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void keysWithASpendLimitAndLedgersWithoutLeasesHoldPerCall(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey limited = key(a, new KeyOptions("limited", null, Set.of(), 5_000L));
        ledger.grant(a, 100_000, null, "g");
        Hold h = ledger.holdForCall(limited, 1_000).join();
        assertThat(h.leaseId()).isNull();
        assertThat(sql.one("SELECT amount FROM apimodels_hold WHERE id = ?", rs -> rs.getLong(1), h.id())).contains(1_000L);
        Ledger perCall = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks, AsyncCommits.NEVER, Duration.ZERO, 0, Duration.ofSeconds(2));
        try {
            Hold p = perCall.holdForCall(key(a, KeyOptions.named("free")), 1_000).join();
            assertThat(p.leaseId()).isNull();
            perCall.settle(p, 10, record(a)).join();
        } finally {
            perCall.close();
        }
        ledger.settle(h, 20, record(a)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(100_000 - 30, 0));
        assertBooksBalance();
    }

    /**
     * Balance reads while calls spend (carved and with rows): every read is one snapshot, so what
     * it shows plus what the account was charged is what it was granted — never money counted both
     * in the wallet and in held. Charges only grow, so the read lies between the charges seen
     * just before and just after it.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void balanceReadsDuringSpendingAreOneConsistentSnapshot(TestDatabases kind) throws Exception {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        long granted = 2_000_000;
        ledger.grant(a, granted, null, "g");
        ExecutorService pool = Executors.newFixedThreadPool(10);
        java.util.concurrent.atomic.AtomicBoolean spending = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<java.util.concurrent.Future<?>> spenders = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            boolean carved = t % 2 == 0;
            spenders.add(pool.submit(() -> {
                for (int i = 0; i < 60; i++) {
                    Hold h = (carved ? ledger.holdForCall(k, 1_000) : ledger.hold(k, 1_000)).join();
                    ledger.settle(h, 600, record(a)).join();
                }
                return null;
            }));
        }
        List<java.util.concurrent.Future<Integer>> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            readers.add(pool.submit(() -> {
                int reads = 0;
                while (spending.get()) {
                    long before = charged(a);
                    Balance b = ledger.balance(a);
                    long after = charged(a);
                    assertThat(b.available() + b.held())
                            .as("balance %s read between charges of %d and %d", b, before, after)
                            .isBetween(granted - after, granted - before);
                    reads++;
                }
                return reads;
            }));
        }
        try {
            for (java.util.concurrent.Future<?> f : spenders) {
                f.get(90, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            spending.set(false);
        }
        for (java.util.concurrent.Future<Integer> f : readers) {
            assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS)).isPositive();
        }
        pool.shutdown();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(granted - 8 * 60 * 600, 0));
        assertThat(charged(a)).isEqualTo(8 * 60 * 600);
        assertBooksBalance();
    }

    /** An upstream error with a NUL and more text than the column holds: the call is logged, its money moves. */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCallLogRowWithANulOrTooLongTextIsStoredCleaned(TestDatabases kind) {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 10_000, null, "g");
        Hold h = ledger.hold(k, 1_000).join();
        String error = "upstream said \u0000 no\u0001 " + "x".repeat(600);
        ledger.release(h, record(a, UUID.randomUUID().toString(), error)).join();
        Hold carved = ledger.holdForCall(k, 1_000).join();
        ledger.settle(carved, 100, record(a, UUID.randomUUID().toString(), "bad\u0000" + "\uD83D\uDE00".repeat(300))).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(10_000 - 100, 0));
        String stored = sql.one("SELECT error FROM apimodels_call_log WHERE hold_id = ?", rs -> rs.getString(1), h.id()).orElseThrow();
        assertThat(stored).startsWith("upstream said  no ").hasSize(500).doesNotContain("\u0000");
        String emoji = sql.one("SELECT error FROM apimodels_call_log WHERE hold_id = ?", rs -> rs.getString(1), carved.id()).orElseThrow();
        assertThat(emoji).startsWith("bad\uD83D\uDE00").hasSize(499); // a pair is never cut in half
        assertThat(pendingHolds()).isZero();
        assertBooksBalance();
    }

    /**
     * One end whose call-log row cannot be stored at all (here: a call id logged before) shares a
     * batch with others: they are all written, and its money still moves, without its row.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void oneUnstorableRowNeverDropsALedgerWrite(TestDatabases kind) {
        open(kind);
        ledger.close();
        // Settlements linger, so the ends below share a batch.
        ledger = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks, AsyncCommits.NEVER, Duration.ofMillis(300), 0, Duration.ofSeconds(2));
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ledger.grant(a, 100_000, null, "g");
        String taken = UUID.randomUUID().toString();
        ledger.log(record(a, taken, null)).join();
        List<Hold> holds = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            holds.add(ledger.hold(k, 1_000).join());
        }
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        for (int i = 0; i < holds.size(); i++) {
            ends.add(ledger.settle(holds.get(i), 100, record(a, i == 2 ? taken : UUID.randomUUID().toString(), null)));
        }
        CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).join();
        assertThat(ledger.balance(a)).isEqualTo(new Balance(100_000 - 600, 0));
        assertThat(pendingHolds()).isZero();
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_call_log WHERE hold_id IS NOT NULL", rs -> rs.getLong(1))).contains(5L);
        assertBooksBalance();
    }

    /**
     * A process answered calls and died before their settlements were committed: the next ledger
     * on that journal directory charges them — a hold still pending, a carved call whose lease the
     * dead node left open, a hold the sweeper expired meanwhile — and skips a call already logged.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void settlementsAnsweredBeforeACrashAreChargedFromTheJournal(TestDatabases kind, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        open(kind);
        Account a = user();
        ApiKey k = key(a, KeyOptions.named("k"));
        ApiKey limited = key(a, new KeyOptions("limited", null, Set.of(), 10_000L));
        ledger.grant(a, 100_000, null, "g");
        Ledger dead = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks);
        Hold expiring = dead.hold(k, 1_000).join();
        Hold limitedHold = dead.holdForCall(limited, 1_000).join();
        Hold carved = dead.holdForCall(k, 1_000).join();
        clock.advance(Duration.ofMinutes(16));
        ledger.sweepExpired(100); // the per-call holds expire; the dead node's lease lives on
        ledger.flush().join();
        Hold pending = dead.hold(k, 1_000).join();
        Hold settled = dead.hold(k, 1_000).join();
        CallRecord settledRecord = record(a);
        dead.settle(settled, 500, settledRecord).join();

        // What the dead process had written down before answering, and not committed.
        Journal journal = new Journal(dir.resolve("dead"));
        journal.append(pending, 300, record(a));
        journal.append(expiring, 400, record(a));
        journal.append(carved, 200, record(a));
        journal.append(limitedHold, 100, record(a));
        journal.append(settled, 500, settledRecord);
        java.nio.file.Path node = dir.resolve("node");
        java.nio.file.Files.createDirectories(node);
        List<java.nio.file.Path> copies = new ArrayList<>();
        try (var files = java.nio.file.Files.list(dir.resolve("dead"))) {
            for (java.nio.file.Path p : files.toList()) {
                copies.add(java.nio.file.Files.copy(p, node.resolve(p.getFileName()))); // a copy no live process locks
            }
        }

        Ledger restarted = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks, AsyncCommits.NEVER, Duration.ZERO, 100,
                Duration.ofSeconds(2), node);
        try {
            restarted.flush().join();
            clock.advance(Duration.ofMinutes(15));
            restarted.sweepExpired(100); // now the dead node's lease: what it did not post goes back
            restarted.flush().join();
            assertThat(restarted.balance(a)).isEqualTo(new Balance(100_000 - 300 - 400 - 200 - 100 - 500, 0));
            assertThat(sql.one("SELECT spent FROM apimodels_api_key WHERE id = ?", rs -> rs.getLong(1), limited.id())).contains(100L);
            assertThat(sql.one("SELECT COUNT(*) FROM apimodels_call_log", rs -> rs.getLong(1))).contains(5L);
            assertThat(pendingHolds()).isZero();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (copies.stream().anyMatch(java.nio.file.Files::exists)) {
                assertThat(System.nanoTime()).as("the dead process's journal is deleted once charged").isLessThan(deadline);
                Thread.onSpinWait();
            }
        } finally {
            restarted.close();
            journal.close();
            dead.close();
        }
        assertBooksBalance();
    }

    private CallRecord record(Account a, String id, String error) {
        return new CallRecord(id, a.id(), null, "chat.completions", "m", "p", "u", false, error == null ? 200 : 502,
                error, clock.millis(), 1, 1, Usage.tokens(1, 0, 1), false, 0);
    }

    /** What the account was charged, as committed: posts from its holds and charges from its wallet. */
    private long charged(Account a) {
        return sql.one("SELECT COALESCE(SUM(amount), 0) FROM apimodels_transfer WHERE (kind = 'post' AND debit_id = ?) OR (kind = 'charge' AND debit_id = ?)",
                rs -> rs.getLong(1), a.holdId(), a.walletId()).orElseThrow();
    }

    private long revenueOf(Account a) {
        return sql.one("SELECT COALESCE(SUM(t.amount), 0) FROM apimodels_transfer t JOIN apimodels_ledger_account h ON h.id = t.debit_id"
                + " WHERE t.kind = 'post' AND h.owner_id = ?", rs -> rs.getLong(1), a.id()).orElseThrow();
    }

    private long revenue() {
        return sql.one("SELECT balance FROM apimodels_ledger_account WHERE kind = 'revenue'", rs -> rs.getLong(1)).orElseThrow();
    }

    private long pendingHolds() {
        return sql.one("SELECT COUNT(*) FROM apimodels_hold WHERE state = 'pending'", rs -> rs.getLong(1)).orElseThrow();
    }

    /** Σ balances = 0, and every balance equals its credits minus its debits; nothing below zero. */
    private void assertBooksBalance() {
        ledger.flush().join();
        assertThat(sql.one("SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account", rs -> rs.getLong(1))).contains(0L);
        assertThat(sql.one("""
                SELECT COUNT(*) FROM apimodels_ledger_account la WHERE la.balance <>
                  COALESCE((SELECT SUM(amount) FROM apimodels_transfer t WHERE t.credit_id = la.id), 0)
                - COALESCE((SELECT SUM(amount) FROM apimodels_transfer t WHERE t.debit_id = la.id), 0)""", rs -> rs.getLong(1))).contains(0L);
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_ledger_account WHERE kind IN ('wallet', 'hold') AND balance < 0",
                rs -> rs.getLong(1))).contains(0L);
    }
}
