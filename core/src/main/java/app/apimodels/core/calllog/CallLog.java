package app.apimodels.core.calllog;

import app.apimodels.core.db.Sql;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Reads the call log (rows are written by the ledger's writer, in the same commit as their charge). */
public final class CallLog {

    /** Filters for a search; null means any. Times are epoch milliseconds, {@code to} exclusive. */
    public record Query(Long accountId, Long from, Long to, String model, Long keyId, int limit) {
    }

    /** A logged call as shown to its owner or an admin. */
    public record Entry(String id, long accountId, Long keyId, String endpoint, String model, String provider,
                        boolean stream, int status, String error, long startedAt, int latencyMs, int attempts,
                        long inputTokens, long cachedTokens, long cacheWriteTokens, long outputTokens, boolean estimated, long costMicros,
                        long uncollectedMicros) {
    }

    /**
     * What one account spent on one model in one day: its calls (failed ones included, at no
     * cost) and their exact cost.
     *
     * @param day epoch day (days since 1970-01-01) in the caller's offset from UTC
     */
    public record DailySpend(long day, String model, long calls, long costMicros) {
    }

    private static final long DAY_MILLIS = 86_400_000L;

    private final Sql sql;

    public CallLog(Sql sql) {
        this.sql = sql;
    }

    public List<Entry> search(Query q) {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (q.accountId() != null) {
            where.append(" AND account_id = ?");
            args.add(q.accountId());
        }
        if (q.from() != null) {
            where.append(" AND started_at >= ?");
            args.add(q.from());
        }
        if (q.to() != null) {
            where.append(" AND started_at < ?");
            args.add(q.to());
        }
        if (q.model() != null) {
            where.append(" AND model = ?");
            args.add(q.model());
        }
        if (q.keyId() != null) {
            where.append(" AND key_id = ?");
            args.add(q.keyId());
        }
        args.add(q.limit());
        return sql.list("SELECT * FROM apimodels_call_log" + where + " ORDER BY started_at DESC, id DESC LIMIT ?", CallLog::map,
                args.toArray());
    }

    /**
     * Spend per day and model over {@code [from, to)} (epoch ms), days cut at midnight
     * {@code utcOffsetMinutes} east of UTC; oldest day first, then by model. Sums are of the
     * logged integer costs, so they add up to the micro with the ledger's charges.
     */
    public List<DailySpend> spendPerDay(long accountId, long from, long to, int utcOffsetMinutes) {
        long offset = utcOffsetMinutes * 60_000L;
        return sql.list("""
                        SELECT epoch_day, model, COUNT(*) AS calls, SUM(cost_micros) AS cost FROM (
                            SELECT (started_at + ?) / ? AS epoch_day, model, cost_micros FROM apimodels_call_log
                            WHERE account_id = ? AND started_at >= ? AND started_at < ?) calls
                        GROUP BY epoch_day, model ORDER BY epoch_day, model""",
                rs -> new DailySpend(rs.getLong("epoch_day"), rs.getString("model"), rs.getLong("calls"), rs.getLong("cost")),
                offset, DAY_MILLIS, accountId, from, to);
    }

    private static Entry map(ResultSet rs) throws SQLException {
        return new Entry(rs.getString("id"), rs.getLong("account_id"), Sql.nullableLong(rs, "key_id"), rs.getString("endpoint"),
                rs.getString("model"), rs.getString("provider"), rs.getBoolean("stream"), rs.getInt("status"),
                rs.getString("error"), rs.getLong("started_at"), rs.getInt("latency_ms"), rs.getInt("attempts"),
                rs.getLong("input_tokens"), rs.getLong("cached_tokens"), rs.getLong("cache_write_tokens"), rs.getLong("output_tokens"),
                rs.getBoolean("estimated"), rs.getLong("cost_micros"), rs.getLong("uncollected_micros"));
    }
}
