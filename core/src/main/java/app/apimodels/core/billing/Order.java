package app.apimodels.core.billing;

import app.apimodels.core.db.Sql;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A credit purchase. {@code amountMicros} is credited once the gateway reports it paid;
 * {@code amountMinor} of {@code currency} is what the payer is charged (USD cents, CNY fen, with
 * the fixed {@code rate} read at {@code rateAt}). {@code refundedMinor} and {@code disputedMinor}
 * are what the gateway reported refunded or disputed; {@code clawedMicros} what was taken back for
 * them. {@code review} is why an administrator must look at it (null if nothing is wrong).
 */
public record Order(String id, long accountId, String gateway, String gatewayOrderId, String packageName,
                    long amountMicros, String currency, long amountMinor, String rate, Long rateAt, String state,
                    long refundedMinor, long disputedMinor, long clawedMicros, String review, long createdAt,
                    long expiresAt, Long paidAt) {

    public static final String PENDING = "pending";
    public static final String PAID = "paid";
    public static final String EXPIRED = "expired";
    public static final String FAILED = "failed";
    public static final String REFUNDED = "refunded";
    public static final String PARTIALLY_REFUNDED = "partially_refunded";
    public static final String DISPUTED = "disputed";

    /** Whether the order's credits were granted (whatever was taken back since). */
    public boolean credited() {
        return paidAt != null;
    }

    /**
     * Whether a payment reported now is credited: an order not yet paid, also one that expired (the
     * payer paid late) or that the gateway reported failed — but not one held for review.
     */
    boolean payable() {
        return !credited() && review == null;
    }

    static Order map(ResultSet rs) throws SQLException {
        return new Order(rs.getString("id"), rs.getLong("account_id"), rs.getString("gateway"), rs.getString("gateway_order_id"),
                rs.getString("package"), rs.getLong("amount_micros"), rs.getString("currency"), rs.getLong("amount_minor"),
                rs.getString("rate"), Sql.nullableLong(rs, "rate_at"), rs.getString("state"), rs.getLong("refunded_minor"),
                rs.getLong("disputed_minor"), rs.getLong("clawed_micros"), rs.getString("review"), rs.getLong("created_at"),
                rs.getLong("expires_at"), Sql.nullableLong(rs, "paid_at"));
    }
}
