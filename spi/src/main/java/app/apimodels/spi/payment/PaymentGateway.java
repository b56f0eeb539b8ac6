package app.apimodels.spi.payment;

import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import java.util.Optional;

/**
 * A payment service that takes the money for credit purchases (Stripe, Alipay…). Card data and
 * the like never pass through us: the payer pays on the gateway's page or app, and the gateway
 * tells us by webhook. Methods block and may be called from many threads at once; failures of a
 * call to the gateway are {@link PaymentException}s. Created by a {@link PaymentGatewayFactory}.
 */
public interface PaymentGateway extends AutoCloseable {

    /** The gateway's name, as the client's {@code method} and the factory's type, e.g. {@code stripe}. */
    String type();

    /** Creates the place where the payer pays for an order: a payment page or a QR code. */
    Checkout createCheckout(CheckoutRequest request);

    /**
     * Verifies a webhook or notification the gateway posted ({@code POST /webhooks/{type}}) over
     * its exact bytes and reads it. Empty if it is genuine but about nothing the engine acts on
     * (another event type). The same delivery parsed again gives an equal event, with the same
     * {@link PaymentEvent#eventId()}, so the engine credits once however often it arrives.
     *
     * @throws WebhookVerificationException if it is not genuine (missing or wrong signature, a
     *                                      timestamp too far from now, altered bytes) or unreadable
     */
    Optional<PaymentEvent> parseWebhook(InboundWebhook webhook);

    /**
     * What to answer a webhook once it was verified and recorded. Only this tells the gateway to
     * stop delivering it; the engine answers 400 to one that failed verification and 5xx when it
     * could not record it, so the gateway delivers again.
     */
    default WebhookAcknowledgement acknowledgement() {
        return WebhookAcknowledgement.OK;
    }

    /** Gives money back for a paid order; a refusal is a {@link RefundResult.Status#FAILED} result. */
    RefundResult refund(RefundRequest request);

    /** Asks the gateway where an order stands ({@link Checkout#gatewayOrderId()}). */
    PaymentStatus queryOrder(String gatewayOrderId);

    /**
     * Closes an unpaid checkout ({@link Checkout#gatewayOrderId()}) so that it can no longer be
     * paid, as when its order expires. Closing one that is already closed, expired or that the
     * gateway never saw opened is not an error. Gateways without such a call do nothing (their
     * checkouts expire by themselves at {@link CheckoutRequest#expiresAt()}).
     *
     * @throws PaymentException if the gateway could not be asked, or refused because the checkout
     *                          was paid meanwhile (not retryable: query it and credit the payment)
     */
    default void close(String gatewayOrderId) {
    }

    @Override
    default void close() {
    }
}
