package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import app.apimodels.testkit.MockStripe;
import app.apimodels.testkit.MockWebhook;
import com.stripe.Stripe;
import com.stripe.model.Event;
import com.stripe.net.Webhook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Stripe's webhooks as they arrive: signatures (forged, stale, rotated secrets, altered bytes),
 * events rendered in another API version, and what each event means for an order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StripeWebhookTest {

    private static final String KEY = "sk_test_51WebhookKey000000aBcDeFgH";
    private static final String OLD_SECRET = "whsec_oldSecret0000000000000000000";
    private static final String NEW_SECRET = "whsec_newSecret1111111111111111111";
    private static final Instant NOW = Instant.parse("2026-12-05T01:00:00Z");

    private final MockStripe stripe = new MockStripe(KEY, NEW_SECRET);
    private StripeGateway gateway;

    @BeforeEach
    void gatewayWithBothSecretsWhileTheyAreRolled() {
        gateway = gateway(List.of(OLD_SECRET, NEW_SECRET), Clock.systemUTC());
        stripe.reset();
    }

    @AfterAll
    void stopStripe() {
        stripe.close();
    }

    // ---- signatures ------------------------------------------------------------------------------

    @Test
    void eitherConfiguredSecretVerifiesWhileOneIsRolled() {
        MockStripe.Event event = paidEvent(orderId());

        assertThat(gateway.parseWebhook(stripe.webhook(event, Instant.now(), OLD_SECRET).toInbound())).isPresent();
        assertThat(gateway.parseWebhook(stripe.webhook(event, Instant.now(), NEW_SECRET).toInbound())).isPresent();
        // Stripe signs with every secret of the endpoint while one is rolled: one of them is enough.
        assertThat(gateway.parseWebhook(stripe.webhook(event, Instant.now(), "whsec_notOurs000000000000000", NEW_SECRET)
                .toInbound())).isPresent();
    }

    @Test
    void aSecretNoLongerConfiguredVerifiesNothing() {
        StripeGateway rotated = gateway(List.of(NEW_SECRET), Clock.systemUTC());

        assertRefused(rotated, stripe.webhook(paidEvent(orderId()), Instant.now(), OLD_SECRET), "matches none");
    }

    @Test
    void aForgedSignatureIsRefused() {
        assertRefused(gateway, stripe.webhook(paidEvent(orderId()), Instant.now(), "whsec_attacker00000000000000000"),
                "matches none");
    }

    @Test
    void anAlteredBodyIsRefused() {
        MockWebhook genuine = stripe.webhook(paidEvent(orderId()));
        String body = new String(genuine.body(), StandardCharsets.UTF_8);
        String richer = body.replaceFirst("\"amount_total\":2500", "\"amount_total\":250000");
        assertThat(richer).isNotEqualTo(body);

        assertRefused(gateway, genuine.withBody(richer.getBytes(StandardCharsets.UTF_8)), "matches none");
    }

    @Test
    void aSignatureOlderOrNewerThanFiveMinutesIsRefusedAndOneJustInsideIsNot() {
        MockStripe.Event event = paidEvent(orderId());

        StripeGateway at = gateway(List.of(NEW_SECRET), Clock.fixed(NOW, ZoneOffset.UTC));

        assertThat(at.parseWebhook(stripe.webhook(event, NOW.minusSeconds(299), NEW_SECRET).toInbound())).isPresent();
        assertThat(at.parseWebhook(stripe.webhook(event, NOW.plusSeconds(299), NEW_SECRET).toInbound())).isPresent();
        assertRefused(at, stripe.webhook(event, NOW.minusSeconds(301), NEW_SECRET), "replay");
        assertRefused(at, stripe.webhook(event, NOW.plusSeconds(301), NEW_SECRET), "replay");
    }

    @Test
    void aMissingOrMalformedHeaderIsRefusedWithWhatIsWrong() {
        MockWebhook genuine = stripe.webhook(paidEvent(orderId()));
        String header = genuine.headers().get(MockStripe.SIGNATURE_HEADER);

        assertRefused(gateway, genuine.withoutHeader(MockStripe.SIGNATURE_HEADER), "no Stripe-Signature");
        assertRefused(gateway, withSignature(genuine, header.replaceFirst("t=\\d+,", "")), "timestamp");
        assertRefused(gateway, withSignature(genuine, header.replaceFirst("t=\\d+", "t=soon")), "timestamp");
        assertRefused(gateway, withSignature(genuine, header.replace("v1=", "v0=")), "no v1");
        assertRefused(gateway, withSignature(genuine, header + "0"), "no v1");
    }

    @Test
    void withoutAWebhookSecretNothingIsBelievedAndTheSettingIsNamed() {
        StripeGateway unconfigured = gateway(List.of(), Clock.systemUTC());

        assertRefused(unconfigured, stripe.webhook(paidEvent(orderId())), "apimodels.stripe.webhook-secret");
    }

    // ---- API versions ----------------------------------------------------------------------------

    @Test
    void anEventRenderedInAnotherApiVersionIsReadAllTheSame() throws Exception {
        String orderId = orderId();
        MockStripe.Event current = paidEvent(orderId);
        MockStripe.Event older = current.withApiVersion("2020-08-27");
        assertThat(older.apiVersion()).isNotEqualTo(Stripe.API_VERSION);
        // What the library's typed reading gives for it: nothing (the trap this gateway avoids).
        MockWebhook olderDelivery = stripe.webhook(older, Instant.now(), NEW_SECRET);
        Event typed = Webhook.constructEvent(new String(olderDelivery.body(), StandardCharsets.UTF_8),
                olderDelivery.headers().get(MockStripe.SIGNATURE_HEADER), NEW_SECRET);
        assertThat(typed.getDataObjectDeserializer().getObject()).isEmpty();

        Optional<PaymentEvent> read = gateway.parseWebhook(olderDelivery.toInbound());

        assertThat(read).isEqualTo(gateway.parseWebhook(stripe.webhook(current).toInbound()));
        assertThat(read).get().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(PaymentEvent.Kind.PAID);
            assertThat(e.orderId()).isEqualTo(orderId);
            assertThat(e.amount()).isEqualTo(new Money(2500, "USD"));
        });
    }

    // ---- what events mean ------------------------------------------------------------------------

    @Test
    void aCheckoutCompletedUnpaidCreditsNothingUntilTheDelayedPaymentSucceeds() {
        String orderId = orderId();
        String session = stripe.checkoutSession(orderId, 4200, "USD");
        stripe.payLater(session);

        Optional<PaymentEvent> completed = read(stripe.sessionEvent("checkout.session.completed", session));
        PaymentStatus processing = gateway.queryOrder(session);
        stripe.settleLater(session, true);
        Optional<PaymentEvent> succeeded = read(stripe.sessionEvent("checkout.session.async_payment_succeeded", session));

        assertThat(completed).isEmpty();
        assertThat(processing.state()).isEqualTo(PaymentStatus.State.PENDING);
        assertThat(succeeded).get().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(PaymentEvent.Kind.PAID);
            assertThat(e.orderId()).isEqualTo(orderId);
            assertThat(e.gatewayOrderId()).isEqualTo(session);
            assertThat(e.amount()).isEqualTo(new Money(4200, "USD"));
        });
        assertThat(gateway.queryOrder(session).state()).isEqualTo(PaymentStatus.State.PAID);
    }

    @Test
    void aFailedDelayedPaymentOrAnExpiredSessionIsAFailure() {
        String failing = stripe.checkoutSession(orderId(), 1000, "USD");
        stripe.payLater(failing);
        stripe.settleLater(failing, false);
        String expiring = stripe.checkoutSession(orderId(), 1000, "USD");
        stripe.expireSession(expiring);

        assertThat(read(stripe.sessionEvent("checkout.session.async_payment_failed", failing)))
                .get().extracting(PaymentEvent::kind).isEqualTo(PaymentEvent.Kind.FAILED);
        assertThat(read(stripe.sessionEvent("checkout.session.expired", expiring)))
                .get().extracting(PaymentEvent::kind).isEqualTo(PaymentEvent.Kind.FAILED);
        assertThat(gateway.queryOrder(failing).state()).isEqualTo(PaymentStatus.State.FAILED);
        assertThat(gateway.queryOrder(expiring).state()).isEqualTo(PaymentStatus.State.EXPIRED);
    }

    @Test
    void refundsAreReportedAsTheRunningTotalInWhateverOrderTheyArrive() {
        String orderId = orderId();
        String session = stripe.checkoutSession(orderId, 2000, "USD");
        stripe.pay(session);
        stripe.refundInDashboard(session, 500);
        MockStripe.Event partial = stripe.chargeEvent("charge.refunded", session);
        stripe.refundInDashboard(session, 1500);
        MockStripe.Event full = stripe.chargeEvent("charge.refunded", session);

        PaymentEvent second = read(full).orElseThrow();
        PaymentEvent first = read(partial).orElseThrow();

        assertThat(first.kind()).isEqualTo(PaymentEvent.Kind.REFUNDED);
        assertThat(first.cumulative()).isTrue();
        assertThat(first.amount()).isEqualTo(new Money(500, "USD"));
        assertThat(second.amount()).isEqualTo(new Money(2000, "USD"));
        assertThat(second.eventId()).isNotEqualTo(first.eventId());
        assertThat(List.of(first.orderId(), second.orderId())).containsOnly(orderId);
        assertThat(gateway.queryOrder(session).refunded()).isEqualTo(new Money(2000, "USD"));
        // the charge names our order in its metadata: no call to Stripe was needed
        assertThat(stripe.requests()).noneMatch(r -> r.path().equals("/v1/checkout/sessions") && r.method().equals("GET"));
    }

    @Test
    void aRefundOfAChargeWithoutOurMetadataIsMappedThroughItsCheckoutSession() {
        String orderId = orderId();
        String session = stripe.checkoutSession(orderId, 2000, "USD");
        stripe.pay(session);
        stripe.refundInDashboard(session, 300);
        MockStripe.Event event = stripe.chargeEvent("charge.refunded", session).withObjectField("metadata", Map.of());

        PaymentEvent read = read(event).orElseThrow();

        assertThat(read.orderId()).isEqualTo(orderId);
        assertThat(read.gatewayOrderId()).isEqualTo(session);
        assertThat(read.amount()).isEqualTo(new Money(300, "USD"));
        assertThat(stripe.requests()).anySatisfy(r -> {
            assertThat(r.path()).isEqualTo("/v1/checkout/sessions");
            assertThat(r.params()).containsEntry("payment_intent", stripe.paymentIntentOf(session));
        });
    }

    @Test
    void aDisputeTakesTheMoneyAndAWonDisputeGivesItBackALostOneNothingMore() {
        String orderId = orderId();
        String won = stripe.checkoutSession(orderId, 3100, "USD");
        stripe.pay(won);
        String dispute = stripe.openDispute(won);
        PaymentEvent opened = read(stripe.disputeEvent("charge.dispute.created", dispute)).orElseThrow();
        stripe.closeDispute(dispute, "won");
        PaymentEvent closed = read(stripe.disputeEvent("charge.dispute.closed", dispute)).orElseThrow();
        String lost = stripe.checkoutSession(orderId(), 3100, "USD");
        stripe.pay(lost);
        String lostDispute = stripe.openDispute(lost);
        stripe.closeDispute(lostDispute, "lost");

        assertThat(opened.kind()).isEqualTo(PaymentEvent.Kind.DISPUTED);
        assertThat(closed.kind()).isEqualTo(PaymentEvent.Kind.DISPUTE_WON);
        for (PaymentEvent e : List.of(opened, closed)) {
            assertThat(e.orderId()).isEqualTo(orderId);
            assertThat(e.gatewayOrderId()).isEqualTo(won);
            assertThat(e.amount()).isEqualTo(new Money(3100, "USD"));
        }
        assertThat(read(stripe.disputeEvent("charge.dispute.closed", lostDispute))).isEmpty();
    }

    @Test
    void aChargeOrDisputeOfAnotherSaleOnTheAccountIsNothingToActOn() {
        MockStripe.Event foreignRefund = stripe.event("charge.refunded", Map.of("id", "ch_foreign", "object", "charge",
                "amount", 900, "amount_refunded", 900, "currency", "usd", "metadata", Map.of(),
                "payment_intent", "pi_notFromACheckout"), null);
        MockStripe.Event foreignDispute = stripe.event("charge.dispute.created", Map.of("id", "dp_foreign",
                "object", "dispute", "amount", 900, "currency", "usd", "charge", "ch_foreign", "status", "needs_response"), null);

        assertThat(read(foreignRefund)).isEmpty();
        assertThat(read(foreignDispute)).isEmpty();
    }

    @Test
    void anEventWithoutItsAmountIsRefusedAsUnreadable() {
        MockStripe.Event event = paidEvent(orderId()).withObjectField("amount_total", "25.00");

        assertRefused(gateway, stripe.webhook(event), "amount_total");
    }

    @Test
    void aGenuineEventWithFieldsOfTheWrongShapeIsReadOrRefusedNeverCrashes() {
        List<Object> oddValues = Arrays.asList(null, "", "x", -1, 0, 1.5, Long.MAX_VALUE, new BigInteger("99999999999999999999"),
                List.of(), Map.of(), Map.of("id", 7), true);
        List<String> types = List.of("checkout.session.completed", "checkout.session.expired", "charge.refunded",
                "charge.dispute.created", "charge.dispute.closed");
        List<String> fields = List.of("id", "amount_total", "amount_refunded", "amount", "currency", "client_reference_id",
                "metadata", "payment_status", "payment_intent", "status");
        String session = stripe.checkoutSession(orderId(), 1200, "USD");
        stripe.pay(session);
        Map<String, Object> base = stripe.sessionEvent("checkout.session.completed", session).object();
        int read = 0;
        for (String type : types) {
            for (String field : fields) {
                for (Object value : oddValues) {
                    Map<String, Object> object = new HashMap<>(base);
                    object.put("amount_refunded", 100);
                    object.put("amount", 1200);
                    object.put("status", "won");
                    object.put(field, value);
                    MockStripe.Event event = stripe.event(type, object, null);
                    try {
                        gateway.parseWebhook(stripe.webhook(event).toInbound());
                        read++;
                    } catch (WebhookVerificationException refused) {
                        assertThat(refused.getMessage()).doesNotContain(NEW_SECRET, OLD_SECRET, KEY);
                    }
                }
            }
        }
        assertThat(read).as("most odd values are in fields the event does not need").isPositive();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private StripeGateway gateway(List<String> secrets, Clock clock) {
        return new StripeGateway(new StripeSettings(KEY, secrets, URI.create(stripe.apiBase())), clock);
    }

    private MockStripe.Event paidEvent(String orderId) {
        String session = stripe.checkoutSession(orderId, 2500, "USD");
        stripe.pay(session);
        return stripe.sessionEvent("checkout.session.completed", session);
    }

    private Optional<PaymentEvent> read(MockStripe.Event event) {
        return gateway.parseWebhook(stripe.webhook(event).toInbound());
    }

    private static String orderId() {
        return "ord_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }

    private static MockWebhook withSignature(MockWebhook genuine, String header) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(genuine.headers());
        headers.put(MockStripe.SIGNATURE_HEADER, header);
        return new MockWebhook(genuine.url(), headers, genuine.body());
    }

    private static void assertRefused(StripeGateway gateway, MockWebhook delivery, String why) {
        InboundWebhook inbound = delivery.toInbound();
        assertThatThrownBy(() -> gateway.parseWebhook(inbound))
                .isInstanceOf(WebhookVerificationException.class)
                .hasMessageContaining(why)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(OLD_SECRET, NEW_SECRET, KEY));
    }
}
