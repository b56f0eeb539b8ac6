package app.apimodels.spi.payment;

import java.util.Objects;

/**
 * Where an order stands at the gateway, for reconciliation and for orders whose webhook never came.
 *
 * @param gatewayOrderId the order asked about
 * @param state          its payment state
 * @param paid           what was paid (zero until {@link State#PAID})
 * @param refunded       what was refunded of it so far; a fully refunded order stays PAID with
 *                       {@code refunded} equal to {@code paid}
 */
public record PaymentStatus(String gatewayOrderId, State state, Money paid, Money refunded) {

    /** The payment state of an order. */
    public enum State {
        /** Created, not paid yet. */
        PENDING,
        /** Paid (possibly refunded since, see {@link PaymentStatus#refunded()}). */
        PAID,
        /** The payment failed or was cancelled. */
        FAILED,
        /** Not paid in time; it can no longer be paid. */
        EXPIRED
    }

    public PaymentStatus {
        Objects.requireNonNull(gatewayOrderId, "gatewayOrderId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(paid, "paid");
        Objects.requireNonNull(refunded, "refunded");
        if (!paid.currency().equals(refunded.currency())) {
            throw new IllegalArgumentException("paid and refunded are in one currency");
        }
        if (refunded.minorUnits() > paid.minorUnits()) {
            throw new IllegalArgumentException("more refunded than paid");
        }
    }
}
