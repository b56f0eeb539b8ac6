package app.apimodels.core.mail;

import app.apimodels.core.db.Sql;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The opt-in low-balance warning: an account that set {@code low_balance_threshold_micros} gets a
 * {@code low-balance} letter when what it has (wallet and held credits) is below it, at most once a
 * day (the dedupe key carries the day) until it is topped up, in the account's language. Erased and
 * restricted accounts get none.
 */
public final class LowBalanceNotices {

    private record Low(long account, String email, String locale, long micros) {
    }

    private final Sql sql;
    private final Clock clock;
    private final Outbox outbox;

    public LowBalanceNotices(Sql sql, Clock clock, Outbox outbox) {
        this.sql = sql;
        this.clock = clock;
        this.outbox = outbox;
    }

    /** Queues today's warning for every account below its threshold; answers how many were looked at. */
    public int queueDue() {
        List<Low> low = sql.list("""
                SELECT a.id, a.email, a.locale, w.balance + COALESCE(h.balance, 0) AS micros
                FROM apimodels_account a
                JOIN apimodels_ledger_account w ON w.owner_id = a.id AND w.kind = 'wallet'
                LEFT JOIN apimodels_ledger_account h ON h.owner_id = a.id AND h.kind = 'hold'
                WHERE a.low_balance_threshold_micros IS NOT NULL AND a.deleted_at IS NULL AND a.restricted_at IS NULL
                  AND w.balance + COALESCE(h.balance, 0) < a.low_balance_threshold_micros""",
                rs -> new Low(rs.getLong("id"), rs.getString("email"), rs.getString("locale"), rs.getLong("micros")));
        String day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
        for (Low account : low) {
            outbox.queue(new Letter(account.email(), "low-balance", Locale.forLanguageTag(account.locale()), Map.of("balance", credits(account.micros())),
                    "low-balance:" + account.account() + ":" + day));
        }
        return low.size();
    }

    /** Micros as credits: {@code 1250000} → {@code 1.25}, {@code 5} → {@code 0.000005}. */
    static String credits(long micros) {
        BigDecimal credits = BigDecimal.valueOf(micros).movePointLeft(6).stripTrailingZeros();
        return (credits.scale() < 2 ? credits.setScale(2) : credits).toPlainString();
    }
}
