package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.payment.PaymentGatewayFactory;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.testkit.MockStripe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What the gateway sends to Stripe's API and how it reads the answers, errors included. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StripeApiTest {

    private static final String KEY = "sk_test_51ApiKey0000000000aBcDeFgHiJ";
    private static final String WEBHOOK_SECRET = "whsec_apiTest000000000000000000000";

    private final MockStripe stripe = new MockStripe(KEY, WEBHOOK_SECRET);
    private final StripeGateway gateway = gateway(KEY);

    @BeforeEach
    void clean() {
        stripe.reset();
    }

    @AfterAll
    void stop() {
        gateway.close();
        stripe.close();
    }

    @Test
    void aCheckoutIsOneCheckoutSessionForTheOrderWithEverythingStripeNeeds() {
        String orderId = orderId();
        Instant expiresAt = Instant.now().plus(Duration.ofHours(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

        Checkout checkout = gateway.createCheckout(new CheckoutRequest(orderId, new Money(2000, "USD"), "20 credits",
                "payer@example.com", CheckoutRequest.Presentation.QR_CODE, URI.create("https://shop.example/billing/done"),
                URI.create("https://shop.example/billing/cancelled"), null, expiresAt, "checkout-" + orderId));

        assertThat(checkout.gatewayOrderId()).startsWith("cs_");
        assertThat(checkout.redirectUrl()).hasToString(stripe.apiBase() + "/c/pay/" + checkout.gatewayOrderId());
        assertThat(checkout.expiresAt()).isEqualTo(expiresAt);
        MockStripe.Request sent = stripe.requests().get(0);
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.path()).isEqualTo("/v1/checkout/sessions");
        assertThat(sent.idempotencyKey()).isEqualTo("checkout-" + orderId);
        assertThat(sent.params()).containsAllEntriesOf(Map.of(
                "mode", "payment",
                "client_reference_id", orderId,
                "metadata[order_id]", orderId,
                "payment_intent_data[metadata][order_id]", orderId,
                "line_items[0][quantity]", "1",
                "line_items[0][price_data][currency]", "usd",
                "line_items[0][price_data][unit_amount]", "2000",
                "line_items[0][price_data][product_data][name]", "20 credits",
                "success_url", "https://shop.example/billing/done",
                "cancel_url", "https://shop.example/billing/cancelled"));
        assertThat(sent.params()).containsEntry("customer_email", "payer@example.com")
                .containsEntry("expires_at", Long.toString(expiresAt.getEpochSecond()));
    }

    @Test
    void anExpiryStripeWouldRefuseIsBroughtInsideItsThirtyMinutesToOneDay() {
        Instant now = Instant.parse("2026-12-05T01:00:20Z");
        StripeGateway at = new StripeGateway(new StripeSettings(KEY, List.of(), URI.create(stripe.apiBase())),
                Clock.fixed(now, ZoneOffset.UTC));

        Instant tooSoon = at.expiresAt(now.plus(Duration.ofMinutes(10)));
        Instant tooLate = at.expiresAt(now.plus(Duration.ofDays(3)));
        Instant fine = now.plus(Duration.ofHours(2));

        assertThat(tooSoon).isBetween(now.plus(Duration.ofMinutes(31)), now.plus(Duration.ofMinutes(33)));
        assertThat(tooLate).isBetween(now.plus(Duration.ofHours(23)), now.plus(Duration.ofHours(24)).minus(Duration.ofMinutes(1)));
        assertThat(List.of(tooSoon, tooLate)).allMatch(t -> t.getEpochSecond() % 60 == 0);
        assertThat(at.expiresAt(fine)).isEqualTo(fine);
        // and Stripe takes the clamped ones
        for (Instant asked : List.of(Instant.now().plusSeconds(60), Instant.now().plus(Duration.ofDays(2)))) {
            String orderId = orderId();
            Checkout checkout = gateway.createCheckout(request(orderId, 100, asked));
            assertThat(checkout.expiresAt()).isBetween(Instant.now().plus(Duration.ofMinutes(30)), Instant.now().plus(Duration.ofHours(24)));
        }
    }

    @Test
    void aPaidOrderIsRefundedThroughItsPaymentIntentOnceAndTheOrderSaysSo() {
        String orderId = orderId();
        Checkout checkout = gateway.createCheckout(request(orderId, 2000, null));
        stripe.pay(checkout.gatewayOrderId());

        RefundResult refund = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), new Money(750, "USD"),
                "asked by the payer", "refund-" + orderId));
        RefundResult again = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), new Money(750, "USD"),
                "asked by the payer", "refund-" + orderId));
        RefundResult rest = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), new Money(1250, "USD"),
                null, "refund-2-" + orderId));
        RefundResult more = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), new Money(1, "USD"),
                null, "refund-3-" + orderId));

        assertThat(refund.status()).isEqualTo(RefundResult.Status.SUCCEEDED);
        assertThat(again.refundId()).isEqualTo(refund.refundId());
        assertThat(rest.status()).isEqualTo(RefundResult.Status.SUCCEEDED);
        assertThat(more.status()).isEqualTo(RefundResult.Status.FAILED);
        assertThat(more.error()).contains("charge_already_refunded");
        PaymentStatus status = gateway.queryOrder(checkout.gatewayOrderId());
        assertThat(status.state()).isEqualTo(PaymentStatus.State.PAID);
        assertThat(status.refunded()).isEqualTo(new Money(2000, "USD"));
        assertThat(stripe.requests()).filteredOn(r -> r.path().equals("/v1/refunds")).first().satisfies(r -> {
            assertThat(r.params()).containsEntry("payment_intent", stripe.paymentIntentOf(checkout.gatewayOrderId()))
                    .containsEntry("amount", "750").containsEntry("metadata[order_id]", orderId)
                    .containsEntry("metadata[reason]", "asked by the payer");
            assertThat(r.idempotencyKey()).isEqualTo("refund-" + orderId);
        });
    }

    @Test
    void anUnpaidOrderHasNothingToRefund() {
        String orderId = orderId();
        Checkout checkout = gateway.createCheckout(request(orderId, 2000, null));

        RefundResult refund = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), new Money(100, "USD"),
                null, "refund-" + orderId));

        assertThat(refund.status()).isEqualTo(RefundResult.Status.FAILED);
        assertThat(refund.error()).contains("never paid");
    }

    @Test
    void anAbandonedCheckoutIsExpiredAtStripeAndAPaidOneIsReportedNotExpired() {
        Checkout open = gateway.createCheckout(request(orderId(), 500, null));
        Checkout paid = gateway.createCheckout(request(orderId(), 500, null));
        stripe.pay(paid.gatewayOrderId());

        gateway.close(open.gatewayOrderId());
        gateway.close(open.gatewayOrderId());
        gateway.close("cs_test_neverSeen");
        PaymentException paidMeanwhile = catchThrowableOfType(PaymentException.class, () -> gateway.close(paid.gatewayOrderId()));

        assertThat(gateway.queryOrder(open.gatewayOrderId()).state()).isEqualTo(PaymentStatus.State.EXPIRED);
        assertThat(paidMeanwhile.retryable()).isFalse();
        assertThat(paidMeanwhile.getMessage()).contains("completed");
        assertThat(gateway.queryOrder(paid.gatewayOrderId()).state()).isEqualTo(PaymentStatus.State.PAID);
        assertThat(stripe.requests()).filteredOn(r -> r.path().endsWith("/expire")).hasSize(1);
    }

    @Test
    void throttlingAndOutagesAreWorthRetryingAfterTheLibrarysOwnRetries() {
        stripe.respondWithError(429);
        PaymentException throttled = catchThrowableOfType(PaymentException.class, () -> gateway.queryOrder("cs_test_any"));
        stripe.reset();
        stripe.respondWithError(500);
        PaymentException outage = catchThrowableOfType(PaymentException.class, () -> gateway.queryOrder("cs_test_any"));
        int attempts = stripe.requests().size();

        assertThat(throttled.retryable()).isTrue();
        assertThat(throttled.getMessage()).contains("rate limited").contains("request req_");
        assertThat(outage.retryable()).isTrue();
        assertThat(attempts).as("the first try and stripe-java's two retries").isEqualTo(3);
    }

    @Test
    void anUnreachableStripeIsWorthRetrying() {
        StripeGateway nowhere = new StripeGateway(new StripeSettings(KEY, List.of(), URI.create("http://127.0.0.1:1")),
                Clock.systemUTC());

        PaymentException failure = catchThrowableOfType(PaymentException.class, () -> nowhere.queryOrder("cs_test_any"));

        assertThat(failure.retryable()).isTrue();
        assertThat(failure.getMessage()).contains("could not reach");
    }

    @Test
    void aRefusedKeyIsNotWorthRetryingAndIsNeverQuoted() {
        String wrongKey = "sk_test_51WrongKey000000000000000000";

        PaymentException failure = catchThrowableOfType(PaymentException.class, () -> gateway(wrongKey).queryOrder("cs_test_any"));

        assertThat(failure.retryable()).isFalse();
        assertThat(failure.getMessage()).contains("apimodels.stripe.secret-key").doesNotContain(wrongKey, KEY, "sk_test_51");
        assertThat(failure.getCause()).isNull();
    }

    // ---- settings --------------------------------------------------------------------------------

    @Test
    void theFactoryIsFoundAsStripeAndReadsItsSettings() {
        PaymentGatewayFactory factory = ServiceLoader.load(PaymentGatewayFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.type().equals("stripe")).findFirst().orElseThrow();

        StripeSettings settings = StripeSettings.from(new PaymentGatewayConfig("stripe", Map.of(
                "secret-key", " " + KEY + " ", "webhook-secret", "whsec_a1, whsec_b2 ,", "api-base", "http://localhost:9/")));

        assertThat(settings.secretKey()).isEqualTo(KEY);
        assertThat(settings.webhookSecrets()).containsExactly("whsec_a1", "whsec_b2");
        assertThat(settings.apiBase()).hasToString("http://localhost:9");
        assertThat(StripeSettings.from(new PaymentGatewayConfig("stripe", Map.of("secret-key", KEY))).apiBase())
                .hasToString("https://api.stripe.com");
        assertThat(factory.create(new PaymentGatewayConfig("stripe", Map.of("secret-key", KEY, "webhook-secret", "whsec_a1")))
                .toString()).doesNotContain(KEY, "whsec_a1");
    }

    @Test
    void aMissingKeyOrABadApiBaseIsNamed() {
        assertThatThrownBy(() -> new StripeGatewayFactory().create(new PaymentGatewayConfig("stripe", Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apimodels.stripe.secret-key");
        assertThatThrownBy(() -> StripeSettings.from(new PaymentGatewayConfig("stripe", Map.of("secret-key", KEY,
                "api-base", "ftp://stripe.example"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apimodels.stripe.api-base");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private StripeGateway gateway(String key) {
        return new StripeGateway(new StripeSettings(key, List.of(WEBHOOK_SECRET), URI.create(stripe.apiBase())), Clock.systemUTC());
    }

    private static CheckoutRequest request(String orderId, long cents, Instant expiresAt) {
        return new CheckoutRequest(orderId, new Money(cents, "USD"), "Credits", null, CheckoutRequest.Presentation.REDIRECT,
                URI.create("https://shop.example/billing/done"), null, null, expiresAt, "checkout-" + orderId);
    }

    private static String orderId() {
        return "ord_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }
}
