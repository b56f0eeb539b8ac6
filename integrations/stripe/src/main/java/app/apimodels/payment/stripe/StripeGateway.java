package app.apimodels.payment.stripe;

import app.apimodels.json.JsonMappers;
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
import com.stripe.StripeClient;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.model.Charge;
import com.stripe.model.PaymentIntent;
import com.stripe.model.Refund;
import com.stripe.model.checkout.Session;
import com.stripe.net.RequestOptions;
import com.stripe.param.RefundCreateParams;
import com.stripe.param.checkout.SessionCreateParams;
import com.stripe.param.checkout.SessionListParams;
import com.stripe.param.checkout.SessionRetrieveParams;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Stripe through its Checkout Sessions: one session per order (mode {@code payment}, one line
 * item priced in the order's currency, our order id as {@code client_reference_id} and in the
 * metadata of the session and of its payment intent), paid on Stripe's page. Each instance has its
 * own {@link StripeClient} (never the library's global key or API base), so several gateways, or
 * tests against a local Stripe, live side by side.
 */
final class StripeGateway implements PaymentGateway {

    static final String TYPE = "stripe";
    /** Stripe accepts a session's {@code expires_at} from 30 minutes to 24 hours after its creation. */
    static final Duration MIN_EXPIRY = Duration.ofMinutes(30);
    static final Duration MAX_EXPIRY = Duration.ofHours(24);
    /** Kept off both ends so that clocks a little apart (ours, Stripe's) still land inside. */
    private static final Duration EXPIRY_MARGIN = Duration.ofMinutes(1);

    private final StripeSettings settings;
    private final Clock clock;
    private final StripeClient client;
    private final WebhookSignature signature;
    private final WebhookEvents events;

    StripeGateway(StripeSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.client = StripeClient.builder()
                .setApiKey(settings.secretKey())
                .setApiBase(settings.apiBase().toString())
                // Stripe's advice: retry network failures, 409s and 5xx; its idempotency keys
                // (ours, or the library's own for each POST) make a retry safe.
                .setMaxNetworkRetries(2)
                .setConnectTimeout((int) Duration.ofSeconds(10).toMillis())
                .setReadTimeout((int) Duration.ofSeconds(30).toMillis())
                .build();
        this.signature = new WebhookSignature(settings.webhookSecrets(), clock);
        this.events = new WebhookEvents(JsonMappers.create(), this::orderOf);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Checkout createCheckout(CheckoutRequest request) {
        Money amount = request.amount();
        SessionCreateParams.Builder params = SessionCreateParams.builder()
                .setMode(SessionCreateParams.Mode.PAYMENT)
                .setClientReferenceId(request.orderId())
                .putMetadata(WebhookEvents.ORDER_ID, request.orderId())
                // Stripe copies the payment intent's metadata to its charge: refunds name our order.
                .setPaymentIntentData(SessionCreateParams.PaymentIntentData.builder()
                        .putMetadata(WebhookEvents.ORDER_ID, request.orderId()).build())
                .addLineItem(SessionCreateParams.LineItem.builder()
                        .setQuantity(1L)
                        .setPriceData(SessionCreateParams.LineItem.PriceData.builder()
                                .setCurrency(amount.currency().toLowerCase(Locale.ROOT))
                                .setUnitAmount(amount.minorUnits())
                                .setProductData(SessionCreateParams.LineItem.PriceData.ProductData.builder()
                                        .setName(request.description() == null || request.description().isBlank()
                                                ? "Credits" : request.description())
                                        .build())
                                .build())
                        .build());
        if (request.returnUrl() != null) {
            params.setSuccessUrl(request.returnUrl().toString());
        }
        URI cancel = request.cancelUrl() != null ? request.cancelUrl() : request.returnUrl();
        if (cancel != null) {
            params.setCancelUrl(cancel.toString());
        }
        if (request.customerEmail() != null && !request.customerEmail().isBlank()) {
            params.setCustomerEmail(request.customerEmail());
        }
        if (request.expiresAt() != null) {
            params.setExpiresAt(expiresAt(request.expiresAt()).getEpochSecond());
        }
        Session session = call("creating a Checkout Session", () -> client.v1().checkout().sessions()
                .create(params.build(), idempotent(request.idempotencyKey())));
        if (session.getUrl() == null) {
            throw new PaymentException("Stripe created Checkout Session " + session.getId() + " without a payment page URL",
                    false, null);
        }
        return Checkout.redirect(session.getId(), URI.create(session.getUrl()),
                session.getExpiresAt() == null ? null : Instant.ofEpochSecond(session.getExpiresAt()));
    }

    /**
     * The requested expiry brought inside what Stripe accepts (30 minutes to 24 hours from now),
     * to whole minutes so that a retry a few seconds later sends the same parameters with its
     * idempotency key. An order that should expire sooner than Stripe allows is closed by the
     * engine's own expiry ({@link #close(String)}); a longer one is closed by Stripe after a day.
     */
    Instant expiresAt(Instant requested) {
        Instant now = clock.instant();
        Instant earliest = now.plus(MIN_EXPIRY).plus(EXPIRY_MARGIN).truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
        Instant latest = now.plus(MAX_EXPIRY).minus(EXPIRY_MARGIN).truncatedTo(ChronoUnit.MINUTES);
        if (requested.isBefore(earliest)) {
            return earliest;
        }
        return requested.isAfter(latest) ? latest : requested;
    }

    @Override
    public Optional<PaymentEvent> parseWebhook(InboundWebhook webhook) {
        byte[] body = webhook.body();
        signature.verify(webhook.header(WebhookSignature.HEADER), body);
        return events.read(body);
    }

    @Override
    public RefundResult refund(RefundRequest request) {
        Session session = session(request.gatewayOrderId(), false);
        if (session.getPaymentIntent() == null) {
            return new RefundResult(null, RefundResult.Status.FAILED, request.amount(),
                    "Checkout Session " + session.getId() + " was never paid: nothing to refund");
        }
        RefundCreateParams.Builder params = RefundCreateParams.builder()
                .setPaymentIntent(session.getPaymentIntent())
                .setAmount(request.amount().minorUnits())
                .putMetadata(WebhookEvents.ORDER_ID, request.orderId());
        if (request.reason() != null && !request.reason().isBlank()) {
            // Stripe's own reason is one of three codes; the administrator's words go to the metadata.
            params.putMetadata("reason", request.reason().length() > 500 ? request.reason().substring(0, 500) : request.reason());
        }
        Refund refund;
        try {
            refund = client.v1().refunds().create(params.build(), idempotent(request.idempotencyKey()));
        } catch (InvalidRequestException e) {
            if (e.getStatusCode() != null && e.getStatusCode() == 400) {
                return new RefundResult(null, RefundResult.Status.FAILED, request.amount(), refusal(e));
            }
            throw StripeErrors.failure("refunding " + session.getId(), e);
        } catch (StripeException e) {
            throw StripeErrors.failure("refunding " + session.getId(), e);
        }
        Money amount = new Money(refund.getAmount(), refund.getCurrency().toUpperCase(Locale.ROOT));
        return switch (String.valueOf(refund.getStatus())) {
            case "succeeded" -> new RefundResult(refund.getId(), RefundResult.Status.SUCCEEDED, amount, null);
            case "failed", "canceled" -> new RefundResult(refund.getId(), RefundResult.Status.FAILED, amount,
                    "Stripe " + refund.getStatus() + " the refund" + (refund.getFailureReason() == null ? ""
                            : " (" + refund.getFailureReason() + ")"));
            // pending, requires_action: the outcome comes as charge.refunded (or refund.failed)
            default -> new RefundResult(refund.getId(), RefundResult.Status.PENDING, amount, null);
        };
    }

    @Override
    public PaymentStatus queryOrder(String gatewayOrderId) {
        Session session = session(gatewayOrderId, true);
        String currency = session.getCurrency() == null ? "USD" : session.getCurrency().toUpperCase(Locale.ROOT);
        Money nothing = new Money(0, currency);
        PaymentIntent intent = session.getPaymentIntentObject();
        Charge charge = intent == null ? null : intent.getLatestChargeObject();
        if ("paid".equals(session.getPaymentStatus())) {
            Money paid = new Money(session.getAmountTotal(), currency);
            long refunded = charge == null || charge.getAmountRefunded() == null ? 0 : charge.getAmountRefunded();
            return new PaymentStatus(session.getId(), PaymentStatus.State.PAID, paid,
                    new Money(Math.min(refunded, paid.minorUnits()), currency));
        }
        PaymentStatus.State state;
        if ("expired".equals(session.getStatus())) {
            state = PaymentStatus.State.EXPIRED;
        } else if ("complete".equals(session.getStatus()) && intent != null
                && ("requires_payment_method".equals(intent.getStatus()) || "canceled".equals(intent.getStatus()))) {
            // completed with a delayed method whose payment then failed
            state = PaymentStatus.State.FAILED;
        } else {
            state = PaymentStatus.State.PENDING;
        }
        return new PaymentStatus(session.getId(), state, nothing, nothing);
    }

    /**
     * Expires the Checkout Session, so that an order the engine gave up on can no longer be paid.
     * One already expired, or unknown to Stripe, is left as it is; one completed meanwhile (paid, or
     * a delayed payment on its way) cannot be expired and is reported, so the engine queries it.
     */
    @Override
    public void close(String gatewayOrderId) {
        Session session;
        try {
            session = client.v1().checkout().sessions().retrieve(gatewayOrderId);
        } catch (InvalidRequestException e) {
            if (e.getStatusCode() != null && e.getStatusCode() == 404) {
                return;
            }
            throw StripeErrors.failure("reading Checkout Session " + gatewayOrderId, e);
        } catch (StripeException e) {
            throw StripeErrors.failure("reading Checkout Session " + gatewayOrderId, e);
        }
        if ("complete".equals(session.getStatus())) {
            throw new PaymentException("Checkout Session " + gatewayOrderId + " was completed (payment_status "
                    + session.getPaymentStatus() + ") before it could be expired: query it", false, null);
        }
        if ("open".equals(session.getStatus())) {
            call("expiring Checkout Session " + gatewayOrderId,
                    () -> client.v1().checkout().sessions().expire(gatewayOrderId, idempotent("expire-" + gatewayOrderId)));
        }
    }

    @Override
    public String toString() {
        return "StripeGateway[" + settings + "]";
    }

    /** The Checkout Session that created a payment intent: how a refund or a dispute finds our order. */
    private Optional<WebhookEvents.Order> orderOf(String paymentIntentId) {
        return call("finding the Checkout Session of " + paymentIntentId, () -> client.v1().checkout().sessions()
                .list(SessionListParams.builder().setPaymentIntent(paymentIntentId).setLimit(1L).build()))
                .getData().stream().findFirst()
                .map(s -> new WebhookEvents.Order(s.getClientReferenceId() != null ? s.getClientReferenceId()
                        : metadata(s.getMetadata()), s.getId()));
    }

    private static String metadata(Map<String, String> metadata) {
        return metadata == null ? null : metadata.get(WebhookEvents.ORDER_ID);
    }

    private Session session(String id, boolean withPayment) {
        SessionRetrieveParams.Builder params = SessionRetrieveParams.builder();
        if (withPayment) {
            params.addExpand("payment_intent.latest_charge");
        }
        return call("reading Checkout Session " + id, () -> client.v1().checkout().sessions().retrieve(id, params.build()));
    }

    private static RequestOptions idempotent(String key) {
        return RequestOptions.builder().setIdempotencyKey(key).build();
    }

    /** What Stripe said about a refused refund: its error code and message (addressed to the merchant, free of keys). */
    private static String refusal(InvalidRequestException e) {
        String message = e.getStripeError() == null ? null : e.getStripeError().getMessage();
        return "Stripe refused the refund" + (e.getCode() == null ? "" : " (" + e.getCode() + ")")
                + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static <T> T call(String what, StripeErrors.Call<T> call) {
        try {
            return call.run();
        } catch (StripeException e) {
            throw StripeErrors.failure(what, e);
        }
    }
}
