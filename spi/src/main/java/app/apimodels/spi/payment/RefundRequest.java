package app.apimodels.spi.payment;

import java.util.Objects;

/**
 * Money to give back for a paid order.
 *
 * @param orderId        our order id
 * @param gatewayOrderId the gateway's id for the order, as {@link Checkout#gatewayOrderId()} gave it
 * @param amount         how much to refund, more than zero and at most what is left unrefunded
 * @param reason         why, for the gateway's records, or null
 * @param idempotencyKey the same key for a retried refund, so the gateway refunds once (Stripe's
 *                       {@code Idempotency-Key}, Alipay's {@code out_request_no})
 */
public record RefundRequest(String orderId, String gatewayOrderId, Money amount, String reason, String idempotencyKey) {
    public RefundRequest {
        Objects.requireNonNull(orderId, "orderId");
        Objects.requireNonNull(gatewayOrderId, "gatewayOrderId");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        if (amount.minorUnits() == 0) {
            throw new IllegalArgumentException("a refund is for more than nothing");
        }
    }
}
