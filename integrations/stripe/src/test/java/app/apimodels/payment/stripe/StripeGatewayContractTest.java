package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.testkit.MockStripe;
import app.apimodels.testkit.PaymentGatewayContract;
import org.junit.jupiter.api.AfterAll;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The payment contract on the Stripe gateway, against Stripe faked at the wire. */
class StripeGatewayContractTest extends PaymentGatewayContract {

    static final String SECRET_KEY = "sk_test_51ContractKey0000aBcDeFgHiJ";
    static final String WEBHOOK_SECRET = "whsec_contractSecret0000KlMnOpQr";

    private final MockStripe stripe = new MockStripe(SECRET_KEY, WEBHOOK_SECRET);

    @AfterAll
    void stopStripe() {
        stripe.close();
    }

    @Override
    protected PaymentGateway createGateway() {
        return new StripeGatewayFactory().create(new PaymentGatewayConfig("stripe", Map.of(
                "secret-key", SECRET_KEY, "webhook-secret", WEBHOOK_SECRET, "api-base", stripe.apiBase())));
    }

    @Override
    protected void pay(Checkout checkout) {
        stripe.pay(checkout.gatewayOrderId());
    }

    @Override
    protected InboundWebhook signedWebhook(PaymentEvent event) {
        return stripe.webhook(stripeEvent(event)).toInbound();
    }

    @Override
    protected InboundWebhook forgedWebhook(PaymentEvent event) {
        return stripe.webhook(stripeEvent(event), Instant.now(), "whsec_someoneElse0000000000000000").toInbound();
    }

    @Override
    protected InboundWebhook unsignedWebhook(PaymentEvent event) {
        return stripe.webhook(stripeEvent(event)).withoutHeader(MockStripe.SIGNATURE_HEADER).toInbound();
    }

    @Override
    protected Optional<InboundWebhook> staleWebhook(PaymentEvent event) {
        return Optional.of(stripe.webhook(stripeEvent(event), Instant.now().minus(Duration.ofMinutes(6)), WEBHOOK_SECRET)
                .toInbound());
    }

    @Override
    protected Optional<InboundWebhook> unrelatedWebhook() {
        return Optional.of(stripe.webhook(stripe.event("customer.created",
                Map.of("id", "cus_contract", "object", "customer"), null)).toInbound());
    }

    @Override
    protected Set<String> secrets() {
        return Set.of(SECRET_KEY, WEBHOOK_SECRET);
    }

    /** What Stripe sends when {@code event} happens to an order our checkout created. */
    private MockStripe.Event stripeEvent(PaymentEvent event) {
        String session = stripe.checkoutSession(event.orderId(), event.amount().minorUnits(), event.amount().currency());
        MockStripe.Event sent = switch (event.kind()) {
            case PAID -> {
                stripe.pay(session);
                yield stripe.sessionEvent("checkout.session.completed", session);
            }
            case FAILED -> {
                stripe.expireSession(session);
                yield stripe.sessionEvent("checkout.session.expired", session);
            }
            case REFUNDED -> {
                stripe.pay(session);
                stripe.refundInDashboard(session, event.amount().minorUnits());
                yield stripe.chargeEvent("charge.refunded", session);
            }
            case DISPUTED -> {
                stripe.pay(session);
                yield stripe.disputeEvent("charge.dispute.created", stripe.openDispute(session));
            }
            case DISPUTE_WON -> {
                stripe.pay(session);
                String dispute = stripe.openDispute(session);
                stripe.closeDispute(dispute, "won");
                yield stripe.disputeEvent("charge.dispute.closed", dispute);
            }
        };
        return sent.withId(event.eventId()).withCreated(event.occurredAt());
    }
}
