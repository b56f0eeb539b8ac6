package app.apimodels.core.redemption;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** A redemption is a top-up like any other: it pays what the account owes (from a claw-back) first. */
class RedemptionDebtTest {

    private final MutableClock clock = new MutableClock();
    private final ExecutorService callbacks = Executors.newFixedThreadPool(2);
    private Database db;
    private Sql sql;
    private Ledger ledger;

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

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aRedemptionPaysTheDebtFirst(TestDatabases kind) {
        db = Database.open(null, new Settings(kind.config(Map.of())));
        sql = new Sql(db);
        ledger = new Ledger(sql, clock, Duration.ofMinutes(15), 512, callbacks);
        Redemptions redemptions = new Redemptions(sql, clock, ledger, new byte[32], Duration.ofMinutes(15), 10, 10);
        Account a = new Accounts(sql, clock).create("u-" + UUID.randomUUID() + "@example.com", null, Role.USER);

        // 100 in the wallet, then 300 clawed back: the wallet gives its 100, 200 is owed.
        ledger.grant(a, 100, "test", "g1");
        Ledger.ClawedBack back = sql.tx(c -> ledger.clawBack(c, a.id(), "payments", 300, "clawback:test", "refund"));
        assertThat(back.owed()).isEqualTo(200);
        assertThat(ledger.owed(a.id())).isEqualTo(200);

        String code = redemptions.create(1, 1, 500, null, null).codes().get(0).code();
        Transfer t = redemptions.redeem(a, code, "203.0.113.9");

        assertThat(t.amount()).isEqualTo(500);
        assertThat(ledger.owed(a.id())).isZero(); // this node knows at once
        assertThat(ledger.balance(a).available()).isEqualTo(300);
        assertThat(sql.one("SELECT amount FROM apimodels_transfer WHERE id = ?", rs -> rs.getLong(1), t.id() + ":debt")).contains(200L);
        assertThat(sql.one("SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account", rs -> rs.getLong(1))).contains(0L);
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_ledger_account WHERE kind IN ('wallet', 'hold') AND balance < 0",
                rs -> rs.getLong(1))).contains(0L);
    }
}
