package app.apimodels.testkit.payment;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import com.github.tomakehurst.wiremock.common.Json;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * TEST FIXTURE, not a product: a small gateway for an imaginary vendor, written only to show that
 * {@link app.apimodels.testkit.PaymentGatewayContract} can be passed (and, with {@link Flaw}s,
 * that it catches the mistakes real gateways make). Its webhooks are signed the way Stripe's are:
 * {@code Reference-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>},
 * accepted within five minutes of the clock.
 */
final class ReferenceGateway implements PaymentGateway {

    /** Mistakes a gateway can make, switched on to prove the contract notices each. */
    enum Flaw {
        /** Reads decimal amounts through a {@code double}. */
        FLOATING_POINT_AMOUNTS,
        /** Believes any delivery without checking its signature. */
        NO_SIGNATURE_CHECK,
        /** Makes up a new event id each time a delivery is read. */
        RANDOM_EVENT_IDS,
        /** Creates a new checkout or refund for every call, whatever the idempotency key. */
        NO_IDEMPOTENCY
    }

    static final String SIGNATURE_HEADER = "Reference-Signature";
    static final Duration TOLERANCE = Duration.ofMinutes(5);

    private final ReferenceVendor vendor;
    private final byte[] webhookSecret;
    private final Clock clock;
    private final Set<Flaw> flaws;

    ReferenceGateway(ReferenceVendor vendor, String webhookSecret, Clock clock, Set<Flaw> flaws) {
        this.vendor = vendor;
        this.webhookSecret = webhookSecret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
        this.flaws = flaws.isEmpty() ? EnumSet.noneOf(Flaw.class) : EnumSet.copyOf(flaws);
    }

    @Override
    public String type() {
        return "reference";
    }

    @Override
    public Checkout createCheckout(CheckoutRequest request) {
        String key = flaws.contains(Flaw.NO_IDEMPOTENCY) ? null : request.idempotencyKey();
        ReferenceVendor.Order order = vendor.createOrder(key, request.orderId(), request.amount().toDecimalString(),
                request.amount().currency());
        return Checkout.redirect(order.id, URI.create("https://pay.reference.example/checkout/" + order.id), null);
    }

    @Override
    public Optional<PaymentEvent> parseWebhook(InboundWebhook webhook) {
        if (!flaws.contains(Flaw.NO_SIGNATURE_CHECK)) {
            verify(webhook);
        }
        Map<?, ?> event;
        try {
            event = Json.read(webhook.body(), Map.class);
        } catch (java.io.IOException | RuntimeException e) {
            throw new WebhookVerificationException("the delivery is not JSON");
        }
        if (event == null) {
            throw new WebhookVerificationException("the delivery is empty");
        }
        PaymentEvent.Kind kind = switch (String.valueOf(event.get("type"))) {
            case "payment.succeeded" -> PaymentEvent.Kind.PAID;
            case "payment.failed" -> PaymentEvent.Kind.FAILED;
            case "refund.succeeded" -> PaymentEvent.Kind.REFUNDED;
            case "dispute.opened" -> PaymentEvent.Kind.DISPUTED;
            case "dispute.won" -> PaymentEvent.Kind.DISPUTE_WON;
            default -> null;
        };
        if (kind == null) {
            return Optional.empty();
        }
        if (!(event.get("data") instanceof Map<?, ?> data) || !(event.get("id") instanceof String id)
                || !(event.get("created") instanceof Number created)) {
            throw new WebhookVerificationException("the delivery lacks id, created or data");
        }
        String eventId = flaws.contains(Flaw.RANDOM_EVENT_IDS) ? UUID.randomUUID().toString() : id;
        return Optional.of(new PaymentEvent(eventId, kind, (String) data.get("order_id"), (String) data.get("gateway_order_id"),
                amount((String) data.get("amount"), (String) data.get("currency")), Instant.ofEpochSecond(created.longValue())));
    }

    @Override
    public RefundResult refund(RefundRequest request) {
        String requestId = flaws.contains(Flaw.NO_IDEMPOTENCY) ? null : request.idempotencyKey();
        existing(request.gatewayOrderId());
        String refundId = vendor.refund(request.gatewayOrderId(), requestId, request.amount().toDecimalString());
        return refundId == null
                ? new RefundResult(null, RefundResult.Status.FAILED, request.amount(), "the vendor refused: more than is left to refund")
                : new RefundResult(refundId, RefundResult.Status.SUCCEEDED, request.amount(), null);
    }

    @Override
    public PaymentStatus queryOrder(String gatewayOrderId) {
        ReferenceVendor.Order order = existing(gatewayOrderId);
        boolean paid = order.state.equals("paid");
        Money amount = amount(order.amount, order.currency);
        return new PaymentStatus(order.id, paid ? PaymentStatus.State.PAID : PaymentStatus.State.PENDING,
                paid ? amount : new Money(0, order.currency), new Money(order.refundedMinor, order.currency));
    }

    @Override
    public String toString() {
        return "ReferenceGateway[flaws=" + flaws + "]";
    }

    private ReferenceVendor.Order existing(String gatewayOrderId) {
        ReferenceVendor.Order order = vendor.order(gatewayOrderId);
        if (order == null) {
            throw new PaymentException("the vendor knows no order " + gatewayOrderId, false, null);
        }
        return order;
    }

    private Money amount(String decimal, String currency) {
        if (flaws.contains(Flaw.FLOATING_POINT_AMOUNTS)) {
            return new Money((long) (Double.parseDouble(decimal) * 100), currency);
        }
        return Money.ofDecimal(decimal, currency);
    }

    private void verify(InboundWebhook webhook) {
        String header = webhook.header(SIGNATURE_HEADER);
        if (header == null) {
            throw new WebhookVerificationException("no " + SIGNATURE_HEADER + " header");
        }
        String timestamp = null;
        String signature = null;
        for (String part : header.split(",")) {
            if (part.startsWith("t=")) {
                timestamp = part.substring(2);
            } else if (part.startsWith("v1=")) {
                signature = part.substring(3);
            }
        }
        if (timestamp == null || signature == null || !timestamp.matches("\\d{1,12}")) {
            throw new WebhookVerificationException("malformed " + SIGNATURE_HEADER + " header");
        }
        Instant signedAt = Instant.ofEpochSecond(Long.parseLong(timestamp));
        if (Duration.between(signedAt, clock.instant()).abs().compareTo(TOLERANCE) > 0) {
            throw new WebhookVerificationException("signed more than five minutes from now");
        }
        byte[] expected = sign(webhookSecret, timestamp, webhook.body());
        byte[] given;
        try {
            given = HexFormat.of().parseHex(signature);
        } catch (IllegalArgumentException e) {
            throw new WebhookVerificationException("the signature is not hex");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw new WebhookVerificationException("the signature does not match");
        }
    }

    static byte[] sign(byte[] secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }
}
