package app.apimodels.spi.payment;

import java.time.Instant;
import java.util.Objects;

/**
 * What a gateway's webhook or notification says happened, in gateway-neutral terms. The engine
 * credits or claws back once per {@link #eventId()}: a gateway delivering the same event again
 * (they all retry) must produce the same id.
 *
 * @param eventId        the gateway's id for this event (Stripe's {@code evt_…}; for gateways
 *                       without event ids, a stable id made from what identifies the event, such as
 *                       Alipay's {@code notify_id} or trade number and status)
 * @param kind           what happened
 * @param orderId        our order id as echoed by the gateway, or null if the event does not
 *                       carry it (then {@code gatewayOrderId} identifies the order)
 * @param gatewayOrderId the gateway's id for the order, or null if the event does not carry it;
 *                       at least one of the two ids is set
 * @param amount         the amount this event is about: paid, refunded (this refund, not the
 *                       total, unless {@code cumulative}), disputed or given back after a dispute
 * @param occurredAt     when it happened at the gateway, if it said
 * @param cumulative     only for {@link Kind#REFUNDED}: {@code amount} is everything refunded of the
 *                       payment so far (Stripe reports its charge's {@code amount_refunded}), not
 *                       this refund alone. The engine claws back the difference from what it has
 *                       already clawed back for the order, so such events may arrive in any order
 *                       and any number of times.
 */
public record PaymentEvent(String eventId, Kind kind, String orderId, String gatewayOrderId, Money amount,
                           Instant occurredAt, boolean cumulative) {

    /** What happened to an order's payment. */
    public enum Kind {
        /** The payer paid: credit the order. */
        PAID,
        /** Money went back to the payer (a refund, whole or partial): claw the credits back. */
        REFUNDED,
        /** The payer disputed the charge with their bank: claw back and look into it. */
        DISPUTED,
        /** A dispute was decided for us: the disputed money stays ours, give back what {@link #DISPUTED} took. */
        DISPUTE_WON,
        /** The payment failed or the checkout expired unpaid: nothing to credit. */
        FAILED
    }

    public PaymentEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(amount, "amount");
        if (eventId.isBlank()) {
            throw new IllegalArgumentException("eventId must not be blank");
        }
        if (orderId == null && gatewayOrderId == null) {
            throw new IllegalArgumentException("an event names its order by orderId or gatewayOrderId");
        }
        if (cumulative && kind != Kind.REFUNDED) {
            throw new IllegalArgumentException("only a refund's amount can be a running total, not a " + kind + "'s");
        }
    }

    /** An event whose amount is about itself alone (every kind but a cumulative refund). */
    public PaymentEvent(String eventId, Kind kind, String orderId, String gatewayOrderId, Money amount, Instant occurredAt) {
        this(eventId, kind, orderId, gatewayOrderId, amount, occurredAt, false);
    }
}
