package app.apimodels.core.mail;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Only accounts that asked are warned, once a day while below their threshold, counting held credits. */
class LowBalanceNoticesTest {

    private final MutableClock clock = new MutableClock();
    private Database db;
    private Sql sql;
    private LowBalanceNotices notices;
    private Accounts accounts;

    private void open(TestDatabases kind) {
        db = Database.open(null, new Settings(kind.config(Map.of())));
        sql = new Sql(db);
        notices = new LowBalanceNotices(sql, clock, new Outbox(sql, clock));
        accounts = new Accounts(sql, clock);
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    /** An account with this much in its wallet and held, warned below {@code threshold} (null: not asked). */
    private Account account(String email, long wallet, long held, Long threshold) {
        Account a = accounts.create(email, null, Role.USER);
        sql.update("UPDATE apimodels_ledger_account SET balance = ? WHERE id = ?", wallet, a.walletId());
        sql.update("UPDATE apimodels_ledger_account SET balance = ? WHERE id = ?", held, a.holdId());
        sql.update("UPDATE apimodels_account SET low_balance_threshold_micros = ? WHERE id = ?", threshold, a.id());
        return a;
    }

    private List<String> letters() {
        return sql.list("SELECT recipient || ' ' || vals FROM apimodels_mail_outbox WHERE template = 'low-balance' ORDER BY created_at, recipient",
                rs -> rs.getString(1));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void onlyAccountsBelowTheThresholdTheySetAreWarnedOnceADay(TestDatabases kind) {
        open(kind);
        account("low@example.com", 1_250_000, 0, 2_000_000L);
        account("held@example.com", 1_000_000, 1_500_000, 2_000_000L);
        account("not-asked@example.com", 0, 0, null);
        account("plenty@example.com", 5_000_000, 0, 2_000_000L);
        Account restricted = account("restricted@example.com", 0, 0, 2_000_000L);
        sql.update("UPDATE apimodels_account SET restricted_at = 1 WHERE id = ?", restricted.id());

        notices.queueDue();
        notices.queueDue();
        clock.advance(Duration.ofHours(23));
        notices.queueDue();
        assertThat(letters()).containsExactly("low@example.com {\"balance\":\"1.25\"}");

        clock.advance(Duration.ofHours(1));
        notices.queueDue();
        assertThat(letters()).hasSize(2).last().isEqualTo("low@example.com {\"balance\":\"1.25\"}");
    }

    @Test
    void creditsAreWrittenExactly() {
        assertThat(LowBalanceNotices.credits(1_250_000)).isEqualTo("1.25");
        assertThat(LowBalanceNotices.credits(0)).isEqualTo("0.00");
        assertThat(LowBalanceNotices.credits(5)).isEqualTo("0.000005");
        assertThat(LowBalanceNotices.credits(12_000_000)).isEqualTo("12.00");
    }
}
