package app.apimodels.core.limits;

import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two nodes on one database: each enforces its share of a limit (the limit divided by the live
 * nodes, rounded up), a node that leaves or dies is counted out, and an admin's change made on one
 * node reaches the other within the cache's time to live. The clock is moved, never waited for.
 */
class AbuseLimitsClusterTest {

    private static final Duration TTL = Duration.ofSeconds(5);
    private static final AbuseLimits.Defaults UNLIMITED = new AbuseLimits.Defaults(Limit.UNLIMITED, Limit.UNLIMITED, Limit.UNLIMITED);

    private final MutableClock clock = new MutableClock();

    private static AbuseLimits.Subject account(long id) {
        return new AbuseLimits.Subject(id, null, null);
    }

    private static int admitted(AbuseLimits node, AbuseLimits.Subject who, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            try {
                node.request(who);
                n++;
            } catch (Failure refused) {
                assertThat(refused.reason()).isEqualTo(Failure.Reason.RATE_LIMITED);
            }
        }
        return n;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void eachNodeEnforcesItsShareAndALeavingOrDeadNodeIsCountedOut(TestDatabases kind) {
        try (Database db = Database.open(null, new Settings(kind.config(Map.of())))) {
            Sql sql = new Sql(db);
            Nodes a = new Nodes(sql, clock, "node-a");
            Nodes b = new Nodes(sql, clock, "node-b");
            a.beat();
            b.beat();
            a.beat();
            assertThat(a.live()).isEqualTo(2);
            assertThat(b.live()).isEqualTo(2);
            AbuseLimits onA = new AbuseLimits(sql, clock, TTL, UNLIMITED, new ClientAddress(List.of()), a::live, new Metrics());
            AbuseLimits onB = new AbuseLimits(sql, clock, TTL, UNLIMITED, new ClientAddress(List.of()), b::live, new Metrics());
            onA.set(Scope.ACCOUNT, 7, new AdminLimit(5L, null, null));

            // Five a minute across two nodes: three on each (rounded up), never more than six in all.
            assertThat(admitted(onA, account(7), 10)).isEqualTo(3);
            assertThat(admitted(onB, account(7), 10)).isEqualTo(3);

            b.leave();
            a.beat();
            assertThat(a.live()).as("a node that stopped cleanly is gone at the next beat").isEqualTo(1);
            clock.advance(Duration.ofMinutes(1));
            assertThat(admitted(onA, account(7), 10)).as("the whole limit on the last node").isEqualTo(5);

            b.beat();
            a.beat();
            assertThat(a.live()).isEqualTo(2);
            clock.advance(Duration.ofSeconds(31)); // b stops beating: dead after three missed beats
            a.beat();
            assertThat(a.live()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anAdminsChangeOnOneNodeReachesTheOtherWithinTheCacheTtl(TestDatabases kind) {
        try (Database db = Database.open(null, new Settings(kind.config(Map.of())))) {
            Sql sql = new Sql(db);
            AbuseLimits onA = new AbuseLimits(sql, clock, TTL, UNLIMITED, new ClientAddress(List.of()), () -> 1, new Metrics());
            AbuseLimits onB = new AbuseLimits(sql, clock, TTL, UNLIMITED, new ClientAddress(List.of()), () -> 1, new Metrics());
            assertThat(admitted(onA, account(9), 3)).as("unlimited, and now cached on A").isEqualTo(3);

            onB.set(Scope.ACCOUNT, 9, new AdminLimit(1L, null, null));
            assertThat(admitted(onB, account(9), 3)).as("on the node that made the change: at once").isEqualTo(1);
            clock.advance(TTL.minusMillis(1));
            assertThat(admitted(onA, account(9), 3)).as("A still has the old limit in its cache").isEqualTo(3);
            clock.advance(Duration.ofMillis(1));
            assertThat(admitted(onA, account(9), 3)).as("within the time to live, A applies it").isEqualTo(1);
            assertThatThrownBy(() -> onA.request(account(9))).isInstanceOfSatisfying(Failure.class,
                    f -> assertThat(f.retryAfter()).contains(Duration.ofSeconds(60)));

            assertThat(onA.view(Scope.ACCOUNT, 9).effective()).isEqualTo(new Limit(1, 0, 0));
            onA.set(Scope.ACCOUNT, 9, AdminLimit.NONE);
            assertThat(onA.view(Scope.ACCOUNT, 9).set()).isEqualTo(AdminLimit.NONE);
        }
    }
}
