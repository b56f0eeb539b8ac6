package app.apimodels.spi.payment;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/**
 * A credit purchase to take payment for.
 *
 * @param orderId        our order id; the gateway echoes it in its events (Stripe's
 *                       {@code client_reference_id}, Alipay's {@code out_trade_no}) so a payment
 *                       is matched to its order
 * @param amount         what the payer is charged, more than zero
 * @param description    what the payer sees on the payment page, e.g. "20 credits"
 * @param customerEmail  pre-fills the payment page where the gateway can, or null
 * @param presentation   how the payer should be sent to pay; a gateway that can only do one
 *                       answers with that one
 * @param returnUrl      where the payer's browser goes after paying
 * @param cancelUrl      where it goes after giving up, or null for {@code returnUrl}
 * @param notifyUrl      where the gateway posts its notification for this order, for gateways
 *                       that take one per order (Alipay's {@code notify_url}); null when the
 *                       gateway's webhook is configured in its dashboard (Stripe) or the engine
 *                       has no public URL
 * @param expiresAt      after this the checkout may no longer be paid, or null for the gateway's default
 * @param idempotencyKey the same key for a retried request, so the gateway creates one checkout
 */
public record CheckoutRequest(String orderId, Money amount, String description, String customerEmail,
                              Presentation presentation, URI returnUrl, URI cancelUrl, URI notifyUrl,
                              Instant expiresAt, String idempotencyKey) {

    /** How a payer is taken to pay. */
    public enum Presentation {
        /** A payment page the browser is redirected to (Stripe Checkout, Alipay page pay). */
        REDIRECT,
        /** A QR code the payer scans with the gateway's app (Alipay precreate). */
        QR_CODE
    }

    public CheckoutRequest {
        Objects.requireNonNull(orderId, "orderId");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(presentation, "presentation");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        if (amount.minorUnits() == 0) {
            throw new IllegalArgumentException("a checkout is for more than nothing");
        }
    }
}
