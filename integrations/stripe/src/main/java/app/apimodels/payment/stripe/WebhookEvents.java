package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.webhook.WebhookVerificationException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads a verified Stripe event into a {@link PaymentEvent}. The event is read from its raw JSON,
 * not through stripe-java's {@code Event.getDataObjectDeserializer().getObject()}: that answers
 * empty whenever the event was rendered in another API version than the library's (the webhook
 * endpoint's version, which the account chooses), and the few fields read here are the same in
 * every version.
 *
 * <ul>
 *   <li>{@code checkout.session.completed}: PAID, but only when its {@code payment_status} is
 *       {@code paid} (a delayed method, such as a bank debit, completes unpaid);</li>
 *   <li>{@code checkout.session.async_payment_succeeded}: PAID; {@code …_failed}: FAILED;</li>
 *   <li>{@code checkout.session.expired}: FAILED;</li>
 *   <li>{@code charge.refunded}: REFUNDED with the charge's {@code amount_refunded}, which is
 *       everything refunded so far ({@link PaymentEvent#cumulative()});</li>
 *   <li>{@code charge.dispute.created}: DISPUTED; {@code charge.dispute.closed} with status
 *       {@code won}: DISPUTE_WON (a lost dispute changes nothing more: the credits went back when
 *       it opened).</li>
 * </ul>
 * Session events carry our order id ({@code client_reference_id}) and the session id. Charges and
 * disputes name a payment intent instead: a charge carries our order id in its {@code metadata},
 * copied by Stripe from the payment intent's when the payment was confirmed (the checkout sets
 * {@code payment_intent_data.metadata.order_id}); a dispute, or a charge without it, is mapped
 * through {@link Orders#byPaymentIntent} (the Checkout Session of that payment intent). Charges
 * and disputes that map to no session of ours (other sales on the same Stripe account) are nothing
 * to act on.
 */
final class WebhookEvents {

    /** Finds the checkout of a payment intent at Stripe. */
    interface Orders {
        /** The Checkout Session that created the payment intent, or empty if none did. */
        Optional<Order> byPaymentIntent(String paymentIntentId);
    }

    /** Our order id (null if the session has none) and the Checkout Session's id. */
    record Order(String orderId, String sessionId) {
    }

    static final String ORDER_ID = "order_id";

    private final ObjectMapper mapper;
    private final Orders orders;

    WebhookEvents(ObjectMapper mapper, Orders orders) {
        this.mapper = mapper;
        this.orders = orders;
    }

    Optional<PaymentEvent> read(byte[] body) {
        JsonNode event;
        try {
            event = mapper.readTree(body);
        } catch (IOException e) {
            throw new WebhookVerificationException("the delivery is not JSON");
        }
        if (event == null || !event.isObject()) {
            throw new WebhookVerificationException("the delivery is not a Stripe event object");
        }
        String id = text(event, "id");
        String type = text(event, "type");
        JsonNode object = event.path("data").path("object");
        if (id == null || type == null || !object.isObject()) {
            throw new WebhookVerificationException("the Stripe event lacks id, type or data.object");
        }
        Instant created = event.path("created").canConvertToLong() ? Instant.ofEpochSecond(event.path("created").asLong()) : null;
        return switch (type) {
            case "checkout.session.completed" -> "paid".equals(text(object, "payment_status"))
                    ? Optional.of(session(id, PaymentEvent.Kind.PAID, object, created))
                    : Optional.empty();
            case "checkout.session.async_payment_succeeded" -> Optional.of(session(id, PaymentEvent.Kind.PAID, object, created));
            case "checkout.session.async_payment_failed", "checkout.session.expired" ->
                    Optional.of(session(id, PaymentEvent.Kind.FAILED, object, created));
            case "charge.refunded" -> refunded(id, object, created);
            case "charge.dispute.created" -> dispute(id, PaymentEvent.Kind.DISPUTED, object, created);
            case "charge.dispute.closed" -> "won".equals(text(object, "status"))
                    ? dispute(id, PaymentEvent.Kind.DISPUTE_WON, object, created)
                    : Optional.empty();
            default -> Optional.empty();
        };
    }

    private PaymentEvent session(String id, PaymentEvent.Kind kind, JsonNode session, Instant created) {
        String orderId = text(session, "client_reference_id");
        if (orderId == null) {
            orderId = text(session.path("metadata"), ORDER_ID);
        }
        String sessionId = text(session, "id");
        if (sessionId == null) {
            throw new WebhookVerificationException("the Stripe event's Checkout Session has no id");
        }
        return new PaymentEvent(id, kind, orderId, sessionId, money(session, "amount_total"), created);
    }

    private Optional<PaymentEvent> refunded(String id, JsonNode charge, Instant created) {
        Money refunded = money(charge, "amount_refunded");
        String orderId = text(charge.path("metadata"), ORDER_ID);
        if (orderId != null) {
            return Optional.of(new PaymentEvent(id, PaymentEvent.Kind.REFUNDED, orderId, null, refunded, created, true));
        }
        return order(charge).map(order -> new PaymentEvent(id, PaymentEvent.Kind.REFUNDED, order.orderId(), order.sessionId(),
                refunded, created, true));
    }

    private Optional<PaymentEvent> dispute(String id, PaymentEvent.Kind kind, JsonNode dispute, Instant created) {
        Money amount = money(dispute, "amount");
        return order(dispute).map(order -> new PaymentEvent(id, kind, order.orderId(), order.sessionId(), amount, created));
    }

    /** The order a charge or dispute is about, through its payment intent (a string, or an object when expanded). */
    private Optional<Order> order(JsonNode chargeOrDispute) {
        JsonNode intent = chargeOrDispute.path("payment_intent");
        String paymentIntentId = intent.isObject() ? text(intent, "id") : text(chargeOrDispute, "payment_intent");
        return paymentIntentId == null ? Optional.empty() : orders.byPaymentIntent(paymentIntentId);
    }

    private static Money money(JsonNode object, String field) {
        JsonNode amount = object.path(field);
        String currency = text(object, "currency");
        if (!amount.isIntegralNumber() || !amount.canConvertToLong() || currency == null) {
            throw new WebhookVerificationException("the Stripe event has no whole " + field + " and currency");
        }
        try {
            return new Money(amount.asLong(), currency.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new WebhookVerificationException("the Stripe event's " + field + " is not an amount of a known currency");
        }
    }

    private static String text(JsonNode object, String field) {
        JsonNode value = object.path(field);
        return value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }
}
