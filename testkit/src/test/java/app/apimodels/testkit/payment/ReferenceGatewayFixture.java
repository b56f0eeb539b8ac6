package app.apimodels.testkit.payment;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.testkit.PaymentGatewayContract;
import com.github.tomakehurst.wiremock.common.Json;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The contract run on {@link ReferenceGateway} with the given flaws: the webhooks its imaginary
 * vendor would post, signed as {@link ReferenceGateway} documents.
 */
abstract class ReferenceGatewayFixture extends PaymentGatewayContract {

    private static final String SECRET = "whsec_reference_7Hq2Lm9Zx4Vb1Nc8";
    private static final URI ENDPOINT = URI.create("https://gateway.example/webhooks/reference");

    private final ReferenceVendor vendor = new ReferenceVendor();

    abstract Set<ReferenceGateway.Flaw> flaws();

    @Override
    protected PaymentGateway createGateway() {
        return new ReferenceGateway(vendor, SECRET, Clock.systemUTC(), flaws());
    }

    @Override
    protected void pay(Checkout checkout) {
        vendor.pay(checkout.gatewayOrderId());
    }

    @Override
    protected InboundWebhook signedWebhook(PaymentEvent event) {
        return delivery(body(event.eventId(), type(event.kind()), event), SECRET, Instant.now());
    }

    @Override
    protected InboundWebhook forgedWebhook(PaymentEvent event) {
        return delivery(body(event.eventId(), type(event.kind()), event), "whsec_someone_else_000000000", Instant.now());
    }

    @Override
    protected InboundWebhook unsignedWebhook(PaymentEvent event) {
        return new InboundWebhook(ENDPOINT, Map.of("Content-Type", "application/json"), body(event.eventId(), type(event.kind()), event));
    }

    @Override
    protected Optional<InboundWebhook> staleWebhook(PaymentEvent event) {
        return Optional.of(delivery(body(event.eventId(), type(event.kind()), event), SECRET,
                Instant.now().minus(ReferenceGateway.TOLERANCE).minus(Duration.ofMinutes(1))));
    }

    @Override
    protected Optional<InboundWebhook> unrelatedWebhook() {
        PaymentEvent any = event(PaymentEvent.Kind.PAID, 1);
        return Optional.of(delivery(body("evt_unrelated", "customer.updated", any), SECRET, Instant.now()));
    }

    @Override
    protected Set<String> secrets() {
        return Set.of(SECRET);
    }

    private static String type(PaymentEvent.Kind kind) {
        return switch (kind) {
            case PAID -> "payment.succeeded";
            case FAILED -> "payment.failed";
            case REFUNDED -> "refund.succeeded";
            case DISPUTED -> "dispute.opened";
            case DISPUTE_WON -> "dispute.won";
        };
    }

    private static byte[] body(String id, String type, PaymentEvent event) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("order_id", event.orderId());
        data.put("gateway_order_id", event.gatewayOrderId());
        data.put("amount", event.amount().toDecimalString());
        data.put("currency", event.amount().currency());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("type", type);
        body.put("created", event.occurredAt().getEpochSecond());
        body.put("data", data);
        return Json.toByteArray(body);
    }

    private static InboundWebhook delivery(byte[] body, String secret, Instant signedAt) {
        String timestamp = Long.toString(signedAt.getEpochSecond());
        String signature = HexFormat.of().formatHex(ReferenceGateway.sign(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                timestamp, body));
        return new InboundWebhook(ENDPOINT, Map.of("Content-Type", "application/json",
                ReferenceGateway.SIGNATURE_HEADER, "t=" + timestamp + ",v1=" + signature), body);
    }
}
