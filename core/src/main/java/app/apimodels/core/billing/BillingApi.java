package app.apimodels.core.billing;

import app.apimodels.core.api.Limits;
import app.apimodels.core.api.Params;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.payment.WebhookAcknowledgement;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /api/v1/billing/…} (checkout and the caller's orders), {@code POST /webhooks/{type}} (the
 * gateways' events) and {@code /admin/orders…} (search, one order with its events and transfers,
 * refunds).
 */
public final class BillingApi {

    private static final Set<String> STATES = Set.of(Order.PENDING, Order.PAID, Order.EXPIRED, Order.FAILED, Order.REFUNDED,
            Order.PARTIALLY_REFUNDED, Order.DISPUTED);

    private final Billing billing;

    public BillingApi(Billing billing) {
        this.billing = billing;
    }

    public void checkout(Request r) {
        Map<String, Object> body = r.jsonBody();
        Long amount = Params.whole(body, "amount_micros", false, 1, Limits.MAX_MICROS);
        String pkg = Params.string(body, "package", false, 60);
        String method = Params.string(body, "method", true, 40);
        String presentation = Params.string(body, "presentation", false, 20);
        CheckoutRequest.Presentation p;
        if (presentation == null || presentation.equals("redirect")) {
            p = CheckoutRequest.Presentation.REDIRECT;
        } else if (presentation.equals("qr_code")) {
            p = CheckoutRequest.Presentation.QR_CODE;
        } else {
            throw ApiException.badRequest("presentation", "presentation must be redirect or qr_code");
        }
        Billing.Started started = billing.checkout(r.caller().accountId(), amount, pkg, method, p, r.exchange().baseUrl());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("order_id", started.order().id());
        if (started.checkout().redirectUrl() != null) {
            out.put("redirect_url", started.checkout().redirectUrl().toString());
        } else {
            out.put("qr_code", started.checkout().qrCode());
        }
        out.put("amount_micros", started.order().amountMicros());
        out.put("currency", started.order().currency());
        out.put("amount_minor", started.order().amountMinor());
        out.put("expires_at", started.order().expiresAt());
        r.json(201, out);
    }

    public void orders(Request r) {
        int limit = Params.limit(r.exchange().query("limit"));
        r.json(200, Map.of("data", billing.orders(r.caller().accountId(), limit).stream().map(BillingApi::view).toList()));
    }

    public void order(Request r) {
        r.json(200, view(billing.order(r.caller().accountId(), r.param("id"))));
    }

    /**
     * A gateway's event: verified by the gateway over the exact bytes (400 if not genuine), applied
     * in one transaction, and acknowledged as the gateway wants only once that committed; a
     * failure to apply it answers 5xx (the engine's error mapping) so the gateway delivers again.
     */
    public void webhook(Request r) {
        Exchange ex = r.exchange();
        PaymentGateway gateway = billing.gateways().find(r.param("type"))
                .orElseThrow(() -> ApiException.notFound("payment gateway"));
        URI url = URI.create(ex.baseUrl() + ex.path() + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery()));
        Optional<PaymentEvent> event;
        try {
            event = gateway.parseWebhook(new InboundWebhook(url, ex.headers(), ex.body() == null ? new byte[0] : ex.body()));
        } catch (WebhookVerificationException e) {
            throw new ApiException(400, "invalid_signature", "webhook not accepted: " + e.getMessage());
        }
        event.ifPresent(e -> billing.receive(gateway.type(), e));
        WebhookAcknowledgement ack = gateway.acknowledgement();
        ex.respond(new Response(ack.status(), ack.contentType(), ack.body()));
    }

    public void search(Request r) {
        Exchange ex = r.exchange();
        String state = ex.query("state");
        if (state != null && !STATES.contains(state)) {
            throw ApiException.badRequest("state", "state must be one of " + String.join(", ", new java.util.TreeSet<>(STATES)));
        }
        String gateway = ex.query("method");
        if (gateway != null && gateway.length() > 40) {
            throw ApiException.badRequest("method", "method must be at most 40 characters");
        }
        String review = ex.query("review");
        if (review != null && !review.equals("true") && !review.equals("false")) {
            throw ApiException.badRequest("review", "review must be true or false");
        }
        List<Order> found = billing.search(new Billing.Query(Params.queryLong(ex.query("user"), "user"), state, gateway,
                Params.queryLong(ex.query("from"), "from"), Params.queryLong(ex.query("to"), "to"), "true".equals(review),
                Params.limit(ex.query("limit"))));
        r.json(200, Map.of("data", found.stream().map(BillingApi::adminView).toList()));
    }

    public void adminOrder(Request r) {
        Order o = billing.get(r.param("id"));
        Map<String, Object> out = adminView(o);
        out.put("events", billing.events(o.id()).stream().map(BillingApi::eventView).toList());
        out.put("transfers", billing.transfers(o.id()).stream().map(BillingApi::transferView).toList());
        r.json(200, out);
    }

    public void refund(Request r) {
        String id = r.param("id");
        byte[] raw = r.exchange().body();
        Map<String, Object> body = raw == null || raw.length == 0 ? Map.of() : r.jsonBody();
        Long amount = Params.whole(body, "amount_micros", false, 1, Limits.MAX_MICROS);
        RefundResult result = billing.refund(id, amount);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("refund_id", result.refundId());
        out.put("status", result.status().name().toLowerCase(java.util.Locale.ROOT));
        out.put("amount_minor", result.amount().minorUnits());
        out.put("currency", result.amount().currency());
        out.put("order", adminView(billing.get(id)));
        r.json(result.status() == RefundResult.Status.PENDING ? 202 : 200, out);
    }

    /** An order as its owner sees it. */
    static Map<String, Object> view(Order o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id());
        m.put("method", o.gateway());
        m.put("package", o.packageName());
        m.put("amount_micros", o.amountMicros());
        m.put("currency", o.currency());
        m.put("amount_minor", o.amountMinor());
        m.put("state", o.state());
        m.put("created_at", o.createdAt());
        m.put("expires_at", o.expiresAt());
        m.put("paid_at", o.paidAt());
        return m;
    }

    /** An order as an administrator sees it: also what was refunded, disputed and taken back, and why to review it. */
    static Map<String, Object> adminView(Order o) {
        Map<String, Object> m = view(o);
        m.put("user_id", o.accountId());
        m.put("gateway_order_id", o.gatewayOrderId());
        m.put("rate", o.rate());
        m.put("rate_at", o.rateAt());
        m.put("refunded_minor", o.refundedMinor());
        m.put("disputed_minor", o.disputedMinor());
        m.put("clawed_back_micros", o.clawedMicros());
        m.put("review", o.review());
        return m;
    }

    private static Map<String, Object> eventView(Billing.EventRecord e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("event_id", e.eventId());
        m.put("kind", e.kind());
        m.put("amount_minor", e.amountMinor());
        m.put("currency", e.currency());
        m.put("cumulative", e.cumulative());
        m.put("outcome", e.outcome());
        m.put("detail", e.detail());
        m.put("occurred_at", e.occurredAt());
        m.put("received_at", e.receivedAt());
        return m;
    }

    private static Map<String, Object> transferView(Transfer t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("kind", t.kind());
        m.put("debit_id", t.debitId());
        m.put("credit_id", t.creditId());
        m.put("amount_micros", t.amount());
        m.put("reason", t.reason());
        m.put("created_at", t.createdAt());
        return m;
    }
}
