package app.apimodels.testkit;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.payment.WebhookAcknowledgement;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What every {@link PaymentGateway} must do for the engine to credit each payment exactly once
 * and never on a forged one: checkouts that send the payer somewhere to pay, created once per
 * idempotency key; webhooks verified over their exact bytes (forged, altered, unsigned and, where
 * the vendor signs a time, stale deliveries refused without naming a secret) and read into the
 * right order, kind and amount, to the minor unit, with an event id that stays the same however
 * often the vendor delivers the event; refunds once per idempotency key, over-refunds refused;
 * and order queries that follow the payment.
 *
 * <p>Extend it with the vendor's test double behind the gateway (a WireMock server speaking the
 * vendor's documented API, say): {@link #createGateway()} creates the gateway under test, and the
 * webhook methods produce deliveries exactly as the vendor would post them, signed with the key
 * the gateway was configured with (or, for {@link #forgedWebhook}, with another). Each test uses
 * orders of its own, so the double may keep state for the whole class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class PaymentGatewayContract {

    private static final AtomicInteger ORDERS = new AtomicInteger();

    private PaymentGateway gateway;

    // ---- what the implementation under test supplies ------------------------------------------

    /** The gateway under test, talking to the vendor's test double; closed after the class. */
    protected abstract PaymentGateway createGateway();

    /** Makes the vendor's test double consider the checkout paid in full, as the payer paying would. */
    protected abstract void pay(Checkout checkout);

    /** The delivery of {@code event} exactly as the vendor posts it, genuinely signed now. */
    protected abstract InboundWebhook signedWebhook(PaymentEvent event);

    /** The same delivery signed with a key that is not the one the gateway was configured with. */
    protected abstract InboundWebhook forgedWebhook(PaymentEvent event);

    /** The same delivery without its signature (header or field, wherever the vendor puts it). */
    protected abstract InboundWebhook unsignedWebhook(PaymentEvent event);

    /** The secrets the gateway was created with (API keys, webhook secrets); no message may contain one. */
    protected abstract Set<String> secrets();

    /** The currency the gateway under test charges in. */
    protected String currency() {
        return "USD";
    }

    /** The kinds of event the vendor reports (not every vendor has disputes). */
    protected Set<PaymentEvent.Kind> eventKinds() {
        return EnumSet.allOf(PaymentEvent.Kind.class);
    }

    /**
     * A genuine delivery signed long enough ago that the gateway must refuse it as a replay, or
     * empty if the vendor's signature carries no time (then the test of it is skipped).
     */
    protected Optional<InboundWebhook> staleWebhook(PaymentEvent event) {
        return Optional.empty();
    }

    /**
     * A genuine delivery of an event the engine does not act on (a vendor event of another type),
     * or empty if the vendor sends none (then the test of it is skipped).
     */
    protected Optional<InboundWebhook> unrelatedWebhook() {
        return Optional.empty();
    }

    /**
     * The genuine delivery with its signed content changed. By default our order id in the body
     * is replaced by another of the same length; override if the vendor's body does not carry it
     * as plain text.
     */
    protected InboundWebhook tampered(InboundWebhook genuine, PaymentEvent event) {
        String body = new String(genuine.body(), StandardCharsets.UTF_8);
        String orderId = event.orderId();
        assertThat(body).as("the delivery should carry our order id as text; otherwise override tampered()")
                .contains(orderId);
        String other = orderId.substring(0, orderId.length() - 1) + (orderId.endsWith("9") ? "8" : "9");
        return new InboundWebhook(genuine.url(), genuine.headers(),
                body.replace(orderId, other).getBytes(StandardCharsets.UTF_8));
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    @BeforeAll
    void createTheGateway() {
        gateway = createGateway();
    }

    @AfterAll
    void closeTheGateway() {
        if (gateway != null) {
            gateway.close();
        }
    }

    /** The gateway under test. */
    protected PaymentGateway gateway() {
        return gateway;
    }

    // ---- checkout -------------------------------------------------------------------------------

    @Test
    void aCheckoutSendsThePayerSomewhereToPay() {
        Checkout checkout = gateway.createCheckout(checkoutRequest(newOrderId(), 1999, CheckoutRequest.Presentation.REDIRECT));

        assertThat(checkout.gatewayOrderId()).isNotBlank();
        if (checkout.redirectUrl() != null) {
            assertThat(checkout.redirectUrl().getScheme()).isIn("https", "http");
            assertThat(checkout.redirectUrl().getHost()).isNotBlank();
        } else {
            assertThat(checkout.qrCode()).isNotBlank();
        }
    }

    @Test
    void aRetriedCheckoutIsTheSameCheckout() {
        CheckoutRequest request = checkoutRequest(newOrderId(), 500, CheckoutRequest.Presentation.REDIRECT);

        Checkout first = gateway.createCheckout(request);
        Checkout retried = gateway.createCheckout(request);

        assertThat(retried.gatewayOrderId()).isEqualTo(first.gatewayOrderId());
    }

    @Test
    void aNewCheckoutIsPendingUntilPaidThenPaidInFull() {
        Checkout checkout = gateway.createCheckout(checkoutRequest(newOrderId(), 1999, CheckoutRequest.Presentation.REDIRECT));

        PaymentStatus before = gateway.queryOrder(checkout.gatewayOrderId());
        pay(checkout);
        PaymentStatus after = gateway.queryOrder(checkout.gatewayOrderId());

        assertThat(before.state()).isEqualTo(PaymentStatus.State.PENDING);
        assertThat(before.paid()).isEqualTo(money(0));
        assertThat(after.gatewayOrderId()).isEqualTo(checkout.gatewayOrderId());
        assertThat(after.state()).isEqualTo(PaymentStatus.State.PAID);
        assertThat(after.paid()).isEqualTo(money(1999));
        assertThat(after.refunded()).isEqualTo(money(0));
    }

    /** Amounts whose decimal form a binary floating-point number cannot hold (0.29, 19.99…). */
    static LongStream awkwardAmounts() {
        return LongStream.of(1, 29, 1999, 2_000_000_001L);
    }

    @ParameterizedTest(name = "{0} minor units")
    @MethodSource("awkwardAmounts")
    void paidAmountsAreExactToTheMinorUnit(long amount) {
        Checkout checkout = gateway.createCheckout(checkoutRequest(newOrderId(), amount, CheckoutRequest.Presentation.REDIRECT));
        pay(checkout);

        assertThat(gateway.queryOrder(checkout.gatewayOrderId()).paid()).isEqualTo(money(amount));
    }

    @Test
    void anUnknownOrderIsAnErrorNotWorthRetrying() {
        PaymentException failure = catchThrowableOfType(PaymentException.class,
                () -> gateway.queryOrder("no-such-order-" + UUID.randomUUID()));

        assertThat(failure).as("querying an unknown order should throw PaymentException").isNotNull();
        assertThat(failure.retryable()).isFalse();
        assertNoSecretIn(failure.getMessage());
    }

    // ---- refunds --------------------------------------------------------------------------------

    @Test
    void aRefundIsMadeOncePerIdempotencyKeyAndShowsInTheOrder() {
        String orderId = newOrderId();
        Checkout checkout = gateway.createCheckout(checkoutRequest(orderId, 2000, CheckoutRequest.Presentation.REDIRECT));
        pay(checkout);
        RefundRequest refund = new RefundRequest(orderId, checkout.gatewayOrderId(), money(500), "contract test", "refund-" + orderId);

        RefundResult first = gateway.refund(refund);
        RefundResult retried = gateway.refund(refund);

        assertThat(first.status()).isIn(RefundResult.Status.SUCCEEDED, RefundResult.Status.PENDING);
        assertThat(first.refundId()).isNotBlank();
        assertThat(first.amount()).isEqualTo(money(500));
        assertThat(retried.refundId()).isEqualTo(first.refundId());
        if (first.status() == RefundResult.Status.SUCCEEDED) {
            PaymentStatus status = gateway.queryOrder(checkout.gatewayOrderId());
            assertThat(status.state()).isEqualTo(PaymentStatus.State.PAID);
            assertThat(status.refunded()).isEqualTo(money(500));
        }
    }

    @Test
    void refundingMoreThanIsLeftIsRefusedNotThrown() {
        String orderId = newOrderId();
        Checkout checkout = gateway.createCheckout(checkoutRequest(orderId, 1000, CheckoutRequest.Presentation.REDIRECT));
        pay(checkout);
        gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), money(600), null, "refund-a-" + orderId));

        RefundResult over = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), money(600), null,
                "refund-b-" + orderId));

        assertThat(over.status()).isEqualTo(RefundResult.Status.FAILED);
        assertThat(over.error()).isNotBlank();
        assertNoSecretIn(over.error());
    }

    // ---- webhooks -------------------------------------------------------------------------------

    @Test
    void aGenuineDeliveryOfEveryKindTheVendorReportsIsReadIntoTheSameEvent() {
        assertThat(eventKinds()).as("the kinds of event the vendor reports").contains(PaymentEvent.Kind.PAID);
        for (PaymentEvent.Kind kind : eventKinds()) {
            PaymentEvent sent = event(kind, 1999);

            PaymentEvent read = gateway.parseWebhook(signedWebhook(sent)).orElseThrow(
                    () -> new AssertionError("a genuine " + kind + " delivery was read as nothing"));

            assertSameEvent(read, sent);
        }
    }

    @Test
    void amountsInDeliveriesAreExactToTheMinorUnit() {
        PaymentEvent.Kind kind = eventKinds().contains(PaymentEvent.Kind.PAID) ? PaymentEvent.Kind.PAID
                : eventKinds().iterator().next();
        for (long amount : awkwardAmounts().toArray()) {
            PaymentEvent sent = event(kind, amount);

            assertThat(gateway.parseWebhook(signedWebhook(sent))).get().extracting(PaymentEvent::amount)
                    .as("amount of %s", sent.amount()).isEqualTo(sent.amount());
        }
    }

    @Test
    void theSameDeliveryReadTwiceIsTheSameEvent() {
        InboundWebhook delivery = signedWebhook(event(PaymentEvent.Kind.PAID, 1000));

        assertThat(gateway.parseWebhook(delivery)).isEqualTo(gateway.parseWebhook(delivery));
    }

    @Test
    void aRedeliveredEventKeepsItsIdAndAnotherEventHasAnother() {
        PaymentEvent paid = event(PaymentEvent.Kind.PAID, 1000);
        PaymentEvent.Kind otherKind = eventKinds().contains(PaymentEvent.Kind.REFUNDED) ? PaymentEvent.Kind.REFUNDED
                : PaymentEvent.Kind.FAILED;
        PaymentEvent other = new PaymentEvent("evt_contract_other_" + ORDERS.incrementAndGet(), otherKind,
                paid.orderId(), paid.gatewayOrderId(), paid.amount(), paid.occurredAt());

        String first = eventIdOf(signedWebhook(paid));
        String again = eventIdOf(signedWebhook(paid));
        String ofOther = eventIdOf(signedWebhook(other));

        assertThat(again).as("the vendor delivering the event again").isEqualTo(first);
        assertThat(ofOther).as("another event about the same order").isNotEqualTo(first);
    }

    @Test
    void aForgedDeliveryIsRefused() {
        assertRefused(forgedWebhook(event(PaymentEvent.Kind.PAID, 1000)));
    }

    @Test
    void anAlteredDeliveryIsRefused() {
        PaymentEvent sent = event(PaymentEvent.Kind.PAID, 1000);

        assertRefused(tampered(signedWebhook(sent), sent));
    }

    @Test
    void anUnsignedOrStaleDeliveryIsRefused() {
        assertRefused(unsignedWebhook(event(PaymentEvent.Kind.PAID, 1000)));
        // Only vendors whose signature carries a time can have stale deliveries.
        staleWebhook(event(PaymentEvent.Kind.PAID, 1000)).ifPresent(this::assertRefused);
    }

    @Test
    void anEmptyOrUnreadableDeliveryIsRefused() {
        InboundWebhook genuine = signedWebhook(event(PaymentEvent.Kind.PAID, 1000));

        assertRefused(new InboundWebhook(genuine.url(), genuine.headers(), new byte[0]));
        assertRefused(new InboundWebhook(genuine.url(), genuine.headers(), "\u0000{not json=&".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void onlyPaymentEventsAreActedOn() {
        assertThat(gateway.parseWebhook(signedWebhook(event(PaymentEvent.Kind.PAID, 1000)))).isPresent();
        // Vendors that also send other events (account updates, payouts…) must hand back nothing for them.
        unrelatedWebhook().ifPresent(unrelated -> assertThat(gateway.parseWebhook(unrelated)).isEmpty());
    }

    @Test
    void theAcknowledgementIsASuccess() {
        WebhookAcknowledgement acknowledgement = gateway.acknowledgement();

        assertThat(acknowledgement.status()).isBetween(200, 299);
    }

    @Test
    void theGatewayIsNamedAndItsSecretsAreNotInItsDescription() {
        assertThat(gateway.type()).matches("[a-z0-9-]+");
        assertNoSecretIn(gateway.toString());
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** An order id of our own that no other test uses. */
    protected static String newOrderId() {
        return "ord_contract_" + String.format("%06d", ORDERS.incrementAndGet()) + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** {@code minorUnits} in {@link #currency()}. */
    protected Money money(long minorUnits) {
        return new Money(minorUnits, currency());
    }

    /** A checkout request as the engine makes it. */
    protected CheckoutRequest checkoutRequest(String orderId, long amount, CheckoutRequest.Presentation presentation) {
        return new CheckoutRequest(orderId, money(amount), "Credits for the contract test", "payer@example.com",
                presentation, URI.create("https://gateway.example/billing/return?order=" + orderId),
                URI.create("https://gateway.example/billing/cancel?order=" + orderId),
                URI.create("https://gateway.example/webhooks/payments"), null, "checkout-" + orderId);
    }

    /** An event about a new order, as the vendor would report it now. */
    protected PaymentEvent event(PaymentEvent.Kind kind, long amount) {
        int n = ORDERS.incrementAndGet();
        return new PaymentEvent("evt_contract_" + n, kind, newOrderId(), "gw_contract_" + n, money(amount),
                Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    private String eventIdOf(InboundWebhook delivery) {
        return gateway.parseWebhook(delivery).orElseThrow(() -> new AssertionError("a genuine delivery was read as nothing"))
                .eventId();
    }

    /** The engine finds the order by our id or, failing that, by the gateway's. */
    private static void assertSameEvent(PaymentEvent read, PaymentEvent sent) {
        assertThat(read.kind()).isEqualTo(sent.kind());
        assertThat(read.amount()).isEqualTo(sent.amount());
        assertThat(read.eventId()).isNotBlank();
        if (read.orderId() != null) {
            assertThat(read.orderId()).isEqualTo(sent.orderId());
        } else {
            assertThat(read.gatewayOrderId()).isEqualTo(sent.gatewayOrderId());
        }
        if (read.occurredAt() != null) {
            assertThat(read.occurredAt()).isEqualTo(sent.occurredAt());
        }
    }

    private void assertRefused(InboundWebhook delivery) {
        assertThatThrownBy(() -> gateway.parseWebhook(delivery))
                .isInstanceOf(WebhookVerificationException.class)
                .satisfies(e -> assertNoSecretIn(e.getMessage()));
    }

    private void assertNoSecretIn(String text) {
        if (text != null) {
            for (String secret : secrets()) {
                assertThat(text).doesNotContain(secret);
            }
        }
    }
}
