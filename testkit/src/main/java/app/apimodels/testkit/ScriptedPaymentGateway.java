package app.apimodels.testkit;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.payment.WebhookAcknowledgement;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A payment gateway in memory, for engine tests of everything around a gateway (checkout,
 * crediting once, refunds, expiry, reconciliation) without a vendor: hand it to
 * {@code ApiModels.builder().paymentGateway(…)} and post its {@link #webhook deliveries} to
 * {@code /webhooks/<type>}. It signs nothing: a delivery is genuine when it carries the shared
 * secret in {@value #SECRET_HEADER}. Deliveries are form-encoded {@code event_id, kind, order_id,
 * gateway_order_id, amount} (minor units){@code , currency, cumulative}. What the engine asked of it
 * (checkouts, refunds, closes, queries) is recorded; what {@link #queryOrder} and {@link #refund}
 * answer is scripted.
 */
public final class ScriptedPaymentGateway implements PaymentGateway {

    public static final String SECRET_HEADER = "X-Scripted-Secret";

    private final String type;
    private final String secret;
    private final List<CheckoutRequest> checkouts = new CopyOnWriteArrayList<>();
    private final List<RefundRequest> refunds = new CopyOnWriteArrayList<>();
    private final List<String> closed = new CopyOnWriteArrayList<>();
    private final Map<String, PaymentStatus> statuses = new ConcurrentHashMap<>();
    private final Map<String, RefundResult> refundsByKey = new ConcurrentHashMap<>();
    private final Map<String, Long> refunded = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile RefundResult.Status refundStatus = RefundResult.Status.SUCCEEDED;

    /** @param type the gateway's name (the {@code method} of a checkout); {@code alipay} makes orders in CNY */
    public ScriptedPaymentGateway(String type, String secret) {
        this.type = type;
        this.secret = secret;
    }

    @Override
    public String type() {
        return type;
    }

    /** The gateway's id for our order: {@code gw_<order id>}. */
    public static String gatewayOrderId(String orderId) {
        return "gw_" + orderId;
    }

    @Override
    public Checkout createCheckout(CheckoutRequest request) {
        checkouts.add(request);
        String id = gatewayOrderId(request.orderId());
        statuses.putIfAbsent(id, status(id, PaymentStatus.State.PENDING, new Money(0, request.amount().currency()), 0));
        return request.presentation() == CheckoutRequest.Presentation.QR_CODE
                ? Checkout.qrCode(id, "scripted://pay/" + id, request.expiresAt())
                : Checkout.redirect(id, URI.create("https://pay.scripted.example/" + id), request.expiresAt());
    }

    /** A delivery of {@code event} as this gateway would post it, carrying the secret. */
    public InboundWebhook webhook(PaymentEvent event) {
        return new InboundWebhook(URI.create("http://localhost/webhooks/" + type), Map.of(SECRET_HEADER, secret,
                "Content-Type", "application/x-www-form-urlencoded"), body(event));
    }

    /** The form-encoded body of a delivery of {@code event}. */
    public static byte[] body(PaymentEvent event) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("event_id", event.eventId());
        fields.put("kind", event.kind().name());
        fields.put("order_id", event.orderId());
        fields.put("gateway_order_id", event.gatewayOrderId());
        fields.put("amount", Long.toString(event.amount().minorUnits()));
        fields.put("currency", event.amount().currency());
        fields.put("cumulative", Boolean.toString(event.cumulative()));
        StringBuilder b = new StringBuilder();
        fields.forEach((k, v) -> {
            if (v != null) {
                b.append(b.length() == 0 ? "" : "&").append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Optional<PaymentEvent> parseWebhook(InboundWebhook webhook) {
        String presented = webhook.header(SECRET_HEADER);
        if (presented == null || !MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))) {
            throw new WebhookVerificationException("missing or wrong " + SECRET_HEADER);
        }
        Map<String, String> f = new LinkedHashMap<>();
        for (String pair : new String(webhook.body(), StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                f.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        if (f.get("kind") == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new PaymentEvent(f.get("event_id"), PaymentEvent.Kind.valueOf(f.get("kind")), f.get("order_id"),
                    f.get("gateway_order_id"), new Money(Long.parseLong(f.get("amount")), f.get("currency")), null, Boolean.parseBoolean(f.get("cumulative"))));
        } catch (RuntimeException e) {
            throw new WebhookVerificationException("unreadable delivery", e);
        }
    }

    @Override
    public WebhookAcknowledgement acknowledgement() {
        return WebhookAcknowledgement.text("received");
    }

    /** Refunds from now on answer {@code status} (SUCCEEDED at first). */
    public void refundsAnswer(RefundResult.Status status) {
        this.refundStatus = status;
    }

    @Override
    public RefundResult refund(RefundRequest request) {
        refunds.add(request);
        return refundsByKey.computeIfAbsent(request.idempotencyKey(), key -> {
            RefundResult.Status status = refundStatus;
            if (status == RefundResult.Status.FAILED) {
                return new RefundResult(null, status, request.amount(), "refused by the script");
            }
            refunded.merge(request.gatewayOrderId(), request.amount().minorUnits(), Long::sum);
            return new RefundResult("re_" + ids.incrementAndGet(), status, request.amount(), null);
        });
    }

    /** From now on, {@link #queryOrder} says the order was paid {@code paid}. */
    public void paidAtGateway(String gatewayOrderId, Money paid) {
        statuses.put(gatewayOrderId, status(gatewayOrderId, PaymentStatus.State.PAID, paid, 0));
    }

    @Override
    public PaymentStatus queryOrder(String gatewayOrderId) {
        PaymentStatus s = statuses.get(gatewayOrderId);
        if (s == null) {
            throw new app.apimodels.spi.payment.PaymentException("no such order at the scripted gateway", false, null);
        }
        long back = refunded.getOrDefault(gatewayOrderId, 0L);
        return back == 0 || s.state() != PaymentStatus.State.PAID ? s
                : status(gatewayOrderId, s.state(), s.paid(), Math.min(back, s.paid().minorUnits()));
    }

    @Override
    public void close(String gatewayOrderId) {
        closed.add(gatewayOrderId);
    }

    private static PaymentStatus status(String id, PaymentStatus.State state, Money paid, long refundedMinor) {
        return new PaymentStatus(id, state, paid, new Money(refundedMinor, paid.currency()));
    }

    public List<CheckoutRequest> checkouts() {
        return List.copyOf(checkouts);
    }

    public List<RefundRequest> refunds() {
        return List.copyOf(refunds);
    }

    /** Gateway order ids the engine closed, in order. */
    public List<String> closed() {
        return List.copyOf(closed);
    }

    /**
     * An event about {@code orderId} ({@code gw_<orderId>} at the gateway) happening now;
     * {@code cumulative} for a refund whose amount is the total refunded so far.
     */
    public static PaymentEvent event(String eventId, PaymentEvent.Kind kind, String orderId, Money amount, boolean cumulative) {
        return new PaymentEvent(eventId, kind, orderId, gatewayOrderId(orderId), amount, Instant.now(), cumulative);
    }
}
