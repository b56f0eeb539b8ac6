package app.apimodels.spi.payment;

import java.util.Objects;

/**
 * What the gateway answered to a refund.
 *
 * @param refundId the gateway's id for the refund (the same for a retried request with the same
 *                 idempotency key), or null if it refused before creating one
 * @param status   where the refund stands
 * @param amount   the amount refunded or being refunded
 * @param error    for {@link Status#FAILED}: why, safe to show an administrator; otherwise null
 */
public record RefundResult(String refundId, Status status, Money amount, String error) {

    /** Where a refund stands. */
    public enum Status {
        /** The money is on its way back. */
        SUCCEEDED,
        /** Accepted; the outcome comes later as a {@link PaymentEvent.Kind#REFUNDED} event. */
        PENDING,
        /** Refused (already refunded, too old, more than was paid…). */
        FAILED
    }

    public RefundResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(amount, "amount");
        if (status == Status.FAILED && (error == null || error.isBlank())) {
            throw new IllegalArgumentException("a failed refund says why");
        }
    }
}
