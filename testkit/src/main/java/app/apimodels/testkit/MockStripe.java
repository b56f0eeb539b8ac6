package app.apimodels.testkit;

import app.apimodels.spi.web.QueryStrings;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * Stripe faked at the wire, for the Stripe gateway's tests and end-to-end tests: a local server
 * (WireMock, answered from state kept here) speaking Stripe's documented API for what a Checkout
 * integration calls, with form-encoded requests as Stripe's libraries send them and Stripe's JSON
 * objects and errors in answer, plus what the payer, the Dashboard and the payer's bank do, and
 * the webhook events Stripe sends about it, built and signed exactly as Stripe signs them.
 *
 * <p>API, under {@link #apiBase()} (the secret key must be the one given, as
 * {@code Authorization: Bearer}):
 * <ul>
 *   <li>{@code POST /v1/checkout/sessions} (mode {@code payment}, {@code line_items} with
 *       {@code price_data}, {@code client_reference_id}, {@code metadata},
 *       {@code payment_intent_data[metadata]}, URLs, {@code customer_email}, {@code expires_at}
 *       checked to be 30 minutes to 24 hours ahead);</li>
 *   <li>{@code GET /v1/checkout/sessions/{id}} with {@code expand[]} of {@code payment_intent} and
 *       {@code payment_intent.latest_charge}; {@code GET /v1/checkout/sessions?payment_intent=};
 *       {@code POST /v1/checkout/sessions/{id}/expire};</li>
 *   <li>{@code POST /v1/refunds} ({@code payment_intent}, {@code amount}, {@code metadata}),
 *       refused as Stripe does beyond what is left to refund.</li>
 * </ul>
 * A POST with an {@code Idempotency-Key} seen before is answered with the first answer
 * ({@code Idempotent-Replayed: true}), or refused with Stripe's {@code idempotency_error} if its
 * parameters differ. Errors have Stripe's shape, {@code {"error": {"type", "code", "message",
 * "param"}}}, and every answer a {@code Request-Id}. Not modelled: Stripe's minimum charge (USD
 * 0.50), currencies' special minor units, Connect, taxes and discounts.
 *
 * <p>A session's {@code url} is a checkout page served here ({@code /c/pay/{id}}): a browser that
 * presses its "Pay" button pays the session, and the signed {@code checkout.session.completed} is
 * posted to the {@link #endpoint} before the browser is sent to the {@code success_url}.
 *
 * <p>What happens outside the API is played by {@link #pay}, {@link #payLater} (a delayed method
 * such as a bank debit: the session completes unpaid) with {@link #settleLater},
 * {@link #expireSession}, {@link #refundInDashboard}, {@link #openDispute} and
 * {@link #closeDispute}. As at Stripe, confirming a payment copies the payment intent's metadata
 * to its charge. {@link #sessionEvent}, {@link #chargeEvent} and {@link #disputeEvent} snapshot an
 * object into an {@link Event} of the given type; {@link #webhook} posts nothing but makes the
 * delivery, signed ({@code Stripe-Signature: t=…,v1=…}, HMAC-SHA256 over {@code t + "." + body}
 * with the endpoint's secret), for the test to hand over or {@link MockWebhook#deliverTo deliver}.
 */
public final class MockStripe implements AutoCloseable {

    /** The API version stripe-java 33.3.0 is pinned to; events are rendered in it unless told otherwise. */
    public static final String API_VERSION = "2026-07-29.dahlia";
    public static final String SIGNATURE_HEADER = "Stripe-Signature";

    private static final String ROUTER = "mock-stripe";
    private static final Pattern SESSION = Pattern.compile("/v1/checkout/sessions/([^/]+)");
    private static final Pattern CHECKOUT_PAGE = Pattern.compile("/c/pay/([A-Za-z0-9_]+)");
    private static final Pattern EXPIRE = Pattern.compile("/v1/checkout/sessions/([^/]+)/expire");
    private static final Duration MIN_EXPIRY = Duration.ofMinutes(30);
    private static final Duration MAX_EXPIRY = Duration.ofHours(24);

    /** One request the API received. */
    public record Request(String method, String path, Map<String, String> params, String idempotencyKey) {
    }

    /**
     * A Stripe event: {@code data.object} is the snapshot of the object it is about.
     *
     * @param previousAttributes {@code data.previous_attributes}, or null
     */
    public record Event(String id, String type, String apiVersion, Instant created, Map<String, Object> object,
                        Map<String, Object> previousAttributes) {

        public Event withId(String otherId) {
            return new Event(otherId, type, apiVersion, created, object, previousAttributes);
        }

        /** As rendered for a webhook endpoint pinned to another API version. */
        public Event withApiVersion(String version) {
            return new Event(id, type, version, created, object, previousAttributes);
        }

        public Event withCreated(Instant at) {
            return new Event(id, type, apiVersion, at, object, previousAttributes);
        }

        /** With one field of {@code data.object} changed (or removed, with null). */
        public Event withObjectField(String field, Object value) {
            Map<String, Object> changed = new LinkedHashMap<>(object);
            if (value == null) {
                changed.remove(field);
            } else {
                changed.put(field, value);
            }
            return new Event(id, type, apiVersion, created, changed, previousAttributes);
        }

        /** The body Stripe posts. */
        public byte[] json() {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("object", object);
            if (previousAttributes != null) {
                data.put("previous_attributes", previousAttributes);
            }
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("id", id);
            event.put("object", "event");
            event.put("api_version", apiVersion);
            event.put("created", created.getEpochSecond());
            event.put("data", data);
            event.put("livemode", false);
            event.put("pending_webhooks", 1);
            event.put("request", Map.of());
            event.put("type", type);
            return Json.toByteArray(event);
        }
    }

    private static final class Session {
        final String id;
        final long created = now();
        long expiresAt;
        final Map<String, String> params;
        final long amount;
        final String currency;
        String status = "open";
        String paymentStatus = "unpaid";
        Intent intent;

        Session(String id, Map<String, String> params, long amount, String currency, long expiresAt) {
            this.id = id;
            this.params = params;
            this.amount = amount;
            this.currency = currency;
            this.expiresAt = expiresAt;
        }
    }

    private static final class Intent {
        final String id = "pi_" + token();
        final long created = now();
        final Session session;
        final Map<String, String> metadata;
        String status;
        Charge charge;

        Intent(Session session, Map<String, String> metadata) {
            this.session = session;
            this.metadata = metadata;
        }
    }

    private static final class Charge {
        final String id = "ch_" + token();
        final long created = now();
        final Intent intent;
        final Map<String, String> metadata;
        String status;
        long refunded;

        Charge(Intent intent) {
            this.intent = intent;
            this.metadata = new LinkedHashMap<>(intent.metadata);
        }
    }

    private static final class Dispute {
        final String id = "dp_" + token();
        final long created = now();
        final Charge charge;
        String status = "needs_response";

        Dispute(Charge charge) {
            this.charge = charge;
        }
    }

    /** An answer of the API: a status and the JSON body. */
    private record Answer(int status, Object body) {
    }

    private record Replay(String path, Map<String, String> params, Answer answer) {
    }

    private final String secretKey;
    private final String webhookSecret;
    private final WireMockServer server;
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final Map<String, Intent> intents = new LinkedHashMap<>();
    private final Map<String, Dispute> disputes = new LinkedHashMap<>();
    private final Map<String, Replay> replays = new LinkedHashMap<>();
    private final List<Request> requests = new ArrayList<>();
    private URI endpoint;
    private Integer errorStatus;

    /** Starts Stripe on a free port, for the account with this secret key and a webhook endpoint signing with this secret. */
    public MockStripe(String secretKey, String webhookSecret) {
        this.secretKey = Objects.requireNonNull(secretKey, "secretKey");
        this.webhookSecret = Objects.requireNonNull(webhookSecret, "webhookSecret");
        server = new WireMockServer(options().dynamicPort().gzipDisabled(true).extensions(new WireMockRouter(ROUTER, this::route)));
        server.start();
        server.stubFor(any(anyUrl()).willReturn(aResponse().withTransformers(ROUTER)));
    }

    /** What to configure as {@code apimodels.stripe.api-base}. */
    public String apiBase() {
        return server.baseUrl();
    }

    /** The webhook endpoint registered in the Dashboard: where {@link #webhook} deliveries are addressed. */
    public synchronized MockStripe endpoint(URI url) {
        endpoint = url;
        return this;
    }

    /** Answers every API call with {@code status} and a Stripe error of the matching type, until {@link #reset()}. */
    public synchronized MockStripe respondWithError(int status) {
        errorStatus = status;
        return this;
    }

    /** Answers normally again and forgets the requests received (not the objects). */
    public synchronized void reset() {
        errorStatus = null;
        requests.clear();
    }

    /** The API requests received since the start or the last {@link #reset()}, oldest first. */
    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    // ---- what happens outside the API ----------------------------------------------------------

    /** The payer pays the session by card: it completes paid, with a succeeded payment intent and charge. */
    public synchronized void pay(String sessionId) {
        Session session = open(sessionId);
        confirm(session, "succeeded", "succeeded");
        session.paymentStatus = "paid";
    }

    /** The payer pays with a delayed method: the session completes unpaid while the payment is processing. */
    public synchronized void payLater(String sessionId) {
        confirm(open(sessionId), "processing", "pending");
    }

    /** The delayed payment of {@link #payLater} succeeds (the session becomes paid) or fails. */
    public synchronized void settleLater(String sessionId, boolean succeeded) {
        Session session = existing(sessionId);
        if (session.intent == null || !session.intent.status.equals("processing")) {
            throw new IllegalStateException(sessionId + " has no payment processing");
        }
        session.intent.status = succeeded ? "succeeded" : "requires_payment_method";
        session.intent.charge.status = succeeded ? "succeeded" : "failed";
        if (succeeded) {
            session.paymentStatus = "paid";
        }
    }

    /** Stripe expires the open session, as when its {@code expires_at} passes. */
    public synchronized void expireSession(String sessionId) {
        open(sessionId).status = "expired";
    }

    /** A refund made in the Dashboard (not through the API); answers the refund's id. */
    public synchronized String refundInDashboard(String sessionId, long amount) {
        Answer refund = refund(paid(sessionId).intent, amount, Map.of());
        if (refund.status != 200) {
            throw new IllegalStateException("Stripe refuses to refund " + amount + " of " + sessionId + ": " + refund.body);
        }
        return (String) ((Map<?, ?>) refund.body).get("id");
    }

    /** The payer's bank disputes the whole payment of the session; answers the dispute's id. */
    public synchronized String openDispute(String sessionId) {
        Dispute dispute = new Dispute(paid(sessionId).intent.charge);
        disputes.put(dispute.id, dispute);
        return dispute.id;
    }

    /** The dispute is decided: {@code won}, {@code lost} or {@code warning_closed}. */
    public synchronized void closeDispute(String disputeId, String status) {
        Dispute dispute = disputes.get(disputeId);
        if (dispute == null) {
            throw new IllegalArgumentException("no dispute " + disputeId);
        }
        dispute.status = status;
    }

    /**
     * An open session as if a Checkout integration had created it for {@code orderId} (as
     * {@code client_reference_id} and {@code order_id} in its metadata and its payment intent's):
     * for webhook tests that start from Stripe's side. Answers its id.
     */
    public synchronized String checkoutSession(String orderId, long amount, String currency) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("mode", "payment");
        params.put("client_reference_id", orderId);
        params.put("metadata[order_id]", orderId);
        params.put("payment_intent_data[metadata][order_id]", orderId);
        Session session = new Session("cs_test_" + token(), params, amount, currency.toLowerCase(Locale.ROOT),
                now() + MAX_EXPIRY.toSeconds());
        sessions.put(session.id, session);
        return session.id;
    }

    /** The session created with this {@code client_reference_id} (our order id), or an error if none was. */
    public synchronized String sessionFor(String clientReferenceId) {
        return sessions.values().stream().filter(s -> clientReferenceId.equals(s.params.get("client_reference_id")))
                .map(s -> s.id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Checkout Session for " + clientReferenceId));
    }

    /** The payment intent of a paid (or processing) session. */
    public synchronized String paymentIntentOf(String sessionId) {
        Session session = existing(sessionId);
        return session.intent == null ? null : session.intent.id;
    }

    // ---- events and their deliveries -------------------------------------------------------------

    /** A {@code checkout.session.*} event about the session as it is now. */
    public synchronized Event sessionEvent(String type, String sessionId) {
        return event(type, session(existing(sessionId), false, false), null);
    }

    /** A {@code charge.*} event about the charge of the session's payment, as it is now. */
    public synchronized Event chargeEvent(String type, String sessionId) {
        Session session = existing(sessionId);
        if (session.intent == null) {
            throw new IllegalStateException(sessionId + " has no charge");
        }
        return event(type, charge(session.intent.charge), null);
    }

    /** A {@code charge.dispute.*} event about the dispute as it is now. */
    public synchronized Event disputeEvent(String type, String disputeId) {
        Dispute dispute = disputes.get(disputeId);
        if (dispute == null) {
            throw new IllegalArgumentException("no dispute " + disputeId);
        }
        return event(type, dispute(dispute), null);
    }

    /** An event of any type about any object (a {@code customer.created}, say). */
    public Event event(String type, Map<String, Object> object, Map<String, Object> previousAttributes) {
        return new Event("evt_" + token(), type, API_VERSION, Instant.ofEpochSecond(now()), object, previousAttributes);
    }

    /** The delivery of {@code event} to the endpoint, signed now with the endpoint's secret. */
    public MockWebhook webhook(Event event) {
        return webhook(event, Instant.now(), webhookSecret);
    }

    /**
     * The delivery of {@code event} signed at {@code signedAt} with these secrets: one {@code v1}
     * signature per secret, as Stripe signs while an endpoint's secret is being rolled.
     */
    public synchronized MockWebhook webhook(Event event, Instant signedAt, String... secrets) {
        byte[] body = event.json();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json; charset=utf-8");
        headers.put("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
        headers.put(SIGNATURE_HEADER, signatureHeader(body, signedAt, secrets));
        return new MockWebhook(endpoint, headers, body);
    }

    /** {@code t=<signedAt>,v1=<hex HMAC-SHA256(secret, t + "." + body)>} for each secret. */
    public static String signatureHeader(byte[] body, Instant signedAt, String... secrets) {
        String timestamp = Long.toString(signedAt.getEpochSecond());
        StringBuilder header = new StringBuilder("t=").append(timestamp);
        for (String secret : secrets) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
                header.append(",v1=").append(HexFormat.of().formatHex(mac.doFinal(body)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every Java runtime has HmacSHA256", e);
            }
        }
        return header.toString();
    }

    @Override
    public void close() {
        server.stop();
    }

    // ---- the API ---------------------------------------------------------------------------------

    /** The payer's checkout pages first (no API key, and a delivery made outside the lock), then the API. */
    private ResponseDefinitionBuilder route(LoggedRequest request) {
        Matcher page = CHECKOUT_PAGE.matcher(URI.create(request.getUrl()).getRawPath());
        return page.matches() ? checkoutPage(request.getMethod().getName(), page.group(1)) : api(request);
    }

    /**
     * The hosted checkout a session's {@code url} opens: GET shows the amount with a "Pay" button
     * and a "Cancel" link; POST (the button) {@link #pay pays} the session, posts
     * {@code checkout.session.completed}, signed, to the {@link #endpoint} (as Stripe does just
     * before it sends the payer back) and redirects to the session's {@code success_url}.
     */
    private ResponseDefinitionBuilder checkoutPage(String method, String sessionId) {
        String amount;
        String successUrl;
        String cancelUrl;
        URI target;
        synchronized (this) {
            Session session = sessions.get(sessionId);
            if (session == null || !session.status.equals("open")) {
                return aResponse().withStatus(404).withHeader("Content-Type", "text/html; charset=utf-8")
                        .withBody("<!doctype html><title>Checkout</title><p>This checkout session is no longer open.</p>");
            }
            amount = String.format(java.util.Locale.ROOT, "%d.%02d %s", session.amount / 100, session.amount % 100,
                    session.currency.toUpperCase(java.util.Locale.ROOT));
            successUrl = session.params.get("success_url");
            cancelUrl = session.params.get("cancel_url");
            target = endpoint;
        }
        if (method.equals("GET")) {
            return aResponse().withStatus(200).withHeader("Content-Type", "text/html; charset=utf-8").withBody("""
                    <!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Mock Stripe Checkout</title></head>
                    <body><main><h1>Mock Stripe Checkout</h1><p>Pay <strong>%s</strong> (test mode, no card needed).</p>
                    <form method="post"><button type="submit">Pay</button></form>
                    <p><a href="%s">Cancel</a></p></main></body></html>""".formatted(amount, html(cancelUrl)));
        }
        if (target == null) {
            return aResponse().withStatus(500).withHeader("Content-Type", "text/plain")
                    .withBody("MockStripe has no webhook endpoint: call endpoint(URI) first");
        }
        pay(sessionId);
        int status = webhook(sessionEvent("checkout.session.completed", sessionId)).deliverTo(target);
        if (status / 100 != 2) {
            return aResponse().withStatus(502).withHeader("Content-Type", "text/plain")
                    .withBody("the webhook endpoint answered " + status);
        }
        return successUrl == null
                ? aResponse().withStatus(200).withHeader("Content-Type", "text/html; charset=utf-8")
                .withBody("<!doctype html><title>Checkout</title><p>Paid.</p>")
                : aResponse().withStatus(303).withHeader("Location", successUrl.replace("{CHECKOUT_SESSION_ID}", sessionId));
    }

    private static String html(String text) {
        return text == null ? "" : text.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private synchronized ResponseDefinitionBuilder api(LoggedRequest request) {
        URI url = URI.create(request.getUrl());
        String path = url.getRawPath();
        String method = request.getMethod().getName();
        Map<String, String> params = QueryStrings.parse(method.equals("GET") ? url.getRawQuery() : request.getBodyAsString());
        String key = request.getHeader("Idempotency-Key");
        requests.add(new Request(method, path, params, key));
        if (!("Bearer " + secretKey).equals(request.getHeader("Authorization"))) {
            return error(401, "invalid_request_error", null, null, "Invalid API Key provided: " + masked(request.getHeader("Authorization")));
        }
        if (errorStatus != null) {
            return errorStatus == 429
                    ? error(429, "invalid_request_error", "rate_limit", null, "Too many requests hit the API too quickly.")
                    : error(errorStatus, errorStatus >= 500 ? "api_error" : "invalid_request_error", null, null,
                    "Mock Stripe error " + errorStatus);
        }
        if (method.equals("POST") && key != null) {
            Replay replay = replays.get(key);
            if (replay != null) {
                if (!replay.path.equals(path) || !replay.params.equals(params)) {
                    return error(400, "idempotency_error", null, null, "Keys for idempotent requests can only be used with "
                            + "the same parameters they were first used with. Try using a key other than '" + key
                            + "' if you meant to execute a different request.");
                }
                return json(replay.answer).withHeader("Idempotent-Replayed", "true");
            }
            Answer answer = answer(method, path, params);
            replays.put(key, new Replay(path, params, answer));
            return json(answer);
        }
        return json(answer(method, path, params));
    }

    private Answer answer(String method, String path, Map<String, String> params) {
        Matcher expire = EXPIRE.matcher(path);
        Matcher session = SESSION.matcher(path);
        if (method.equals("POST") && path.equals("/v1/checkout/sessions")) {
            return createSession(params);
        } else if (method.equals("GET") && path.equals("/v1/checkout/sessions")) {
            return listSessions(params);
        } else if (method.equals("POST") && expire.matches()) {
            Session found = sessions.get(expire.group(1));
            if (found == null) {
                return missing("checkout.session", expire.group(1));
            }
            if (!found.status.equals("open")) {
                return problem(400, "invalid_request_error", null, null,
                        "Only Checkout Sessions with a status in [\"open\"] can be expired.");
            }
            found.status = "expired";
            return ok(session(found, false, false));
        } else if (method.equals("GET") && session.matches()) {
            Session found = sessions.get(session.group(1));
            if (found == null) {
                return missing("checkout.session", session.group(1));
            }
            List<String> expand = new ArrayList<>();
            params.forEach((name, value) -> {
                if (name.startsWith("expand[")) {
                    expand.add(value);
                }
            });
            return ok(session(found, expand.contains("payment_intent") || expand.contains("payment_intent.latest_charge"),
                    expand.contains("payment_intent.latest_charge")));
        } else if (method.equals("POST") && path.equals("/v1/refunds")) {
            Intent intent = intents.get(params.get("payment_intent"));
            if (intent == null) {
                return missing("payment_intent", String.valueOf(params.get("payment_intent")));
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            params.forEach((name, value) -> {
                if (name.startsWith("metadata[")) {
                    metadata.put(name.substring("metadata[".length(), name.length() - 1), value);
                }
            });
            long amount;
            try {
                amount = params.containsKey("amount") ? Long.parseLong(params.get("amount")) : -1;
            } catch (NumberFormatException e) {
                return problem(400, "invalid_request_error", "parameter_invalid_integer", "amount", "Invalid integer: " + params.get("amount"));
            }
            return refund(intent, amount, metadata);
        }
        return problem(404, "invalid_request_error", null, null, "Unrecognized request URL (" + method + ": " + path + ").");
    }

    private Answer createSession(Map<String, String> params) {
        if (!"payment".equals(params.get("mode"))) {
            return problem(400, "invalid_request_error", "parameter_missing", "mode", "Missing required param: mode.");
        }
        String prefix = "line_items[0][price_data][";
        String currency = params.get(prefix + "currency]");
        String unitAmount = params.get(prefix + "unit_amount]");
        if (currency == null || unitAmount == null || params.get(prefix + "product_data][name]") == null) {
            return problem(400, "invalid_request_error", "parameter_missing", "line_items",
                    "You must specify line_items with price_data (currency, unit_amount, product_data[name]) in payment mode.");
        }
        long amount;
        long quantity;
        try {
            amount = Long.parseLong(unitAmount);
            quantity = Long.parseLong(params.getOrDefault("line_items[0][quantity]", "1"));
        } catch (NumberFormatException e) {
            return problem(400, "invalid_request_error", "parameter_invalid_integer", "line_items[0][price_data][unit_amount]",
                    "Invalid integer: " + unitAmount);
        }
        long expiresAt = now() + MAX_EXPIRY.toSeconds();
        if (params.containsKey("expires_at")) {
            expiresAt = Long.parseLong(params.get("expires_at"));
            if (expiresAt < now() + MIN_EXPIRY.toSeconds() || expiresAt > now() + MAX_EXPIRY.toSeconds()) {
                return problem(400, "invalid_request_error", "parameter_invalid_integer", "expires_at",
                        "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.");
            }
        }
        Session session = new Session("cs_test_" + token(), params, amount * quantity, currency, expiresAt);
        sessions.put(session.id, session);
        return ok(session(session, false, false));
    }

    private Answer listSessions(Map<String, String> params) {
        String intent = params.get("payment_intent");
        List<Object> data = new ArrayList<>();
        for (Session session : sessions.values()) {
            if (intent == null || (session.intent != null && session.intent.id.equals(intent))) {
                data.add(session(session, false, false));
            }
        }
        int limit = Integer.parseInt(params.getOrDefault("limit", "10"));
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", data.subList(0, Math.min(limit, data.size())));
        list.put("has_more", data.size() > limit);
        list.put("url", "/v1/checkout/sessions");
        return ok(list);
    }

    /** The refund, or Stripe's refusal; {@code amount} -1 for all that is left. */
    private Answer refund(Intent intent, long amount, Map<String, String> metadata) {
        Charge charge = intent.charge;
        if (charge == null || !charge.status.equals("succeeded")) {
            return problem(400, "invalid_request_error", "charge_not_refundable", null,
                    "This PaymentIntent (" + intent.id + ") does not have a successful charge to refund.");
        }
        long left = intent.session.amount - charge.refunded;
        if (left == 0) {
            return problem(400, "invalid_request_error", "charge_already_refunded", null,
                    "Charge " + charge.id + " has already been refunded.");
        }
        long refunding = amount < 0 ? left : amount;
        if (refunding < 1 || refunding > left) {
            return problem(400, "invalid_request_error", "amount_too_large", "amount", "Refund amount (" + refunding
                    + ") is greater than unrefunded amount on charge (" + left + ")");
        }
        charge.refunded += refunding;
        Map<String, Object> refund = new LinkedHashMap<>();
        refund.put("id", "re_" + token());
        refund.put("object", "refund");
        refund.put("amount", refunding);
        refund.put("charge", charge.id);
        refund.put("created", now());
        refund.put("currency", intent.session.currency);
        refund.put("metadata", metadata);
        refund.put("payment_intent", intent.id);
        refund.put("reason", null);
        refund.put("status", "succeeded");
        return ok(refund);
    }

    // ---- Stripe's objects ------------------------------------------------------------------------

    private Map<String, Object> session(Session session, boolean expandIntent, boolean expandCharge) {
        Map<String, String> p = session.params;
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("id", session.id);
        object.put("object", "checkout.session");
        object.put("amount_subtotal", session.amount);
        object.put("amount_total", session.amount);
        object.put("cancel_url", p.get("cancel_url"));
        object.put("client_reference_id", p.get("client_reference_id"));
        object.put("created", session.created);
        object.put("currency", session.currency);
        object.put("customer_email", p.get("customer_email"));
        object.put("expires_at", session.expiresAt);
        object.put("livemode", false);
        object.put("metadata", nested(p, "metadata["));
        object.put("mode", "payment");
        object.put("payment_intent", session.intent == null ? null
                : expandIntent ? intent(session.intent, expandCharge) : session.intent.id);
        object.put("payment_status", session.paymentStatus);
        object.put("status", session.status);
        object.put("success_url", p.get("success_url"));
        object.put("url", session.status.equals("open") ? server.baseUrl() + "/c/pay/" + session.id : null);
        return object;
    }

    private Map<String, Object> intent(Intent intent, boolean expandCharge) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("id", intent.id);
        object.put("object", "payment_intent");
        object.put("amount", intent.session.amount);
        object.put("amount_received", intent.status.equals("succeeded") ? intent.session.amount : 0);
        object.put("created", intent.created);
        object.put("currency", intent.session.currency);
        object.put("latest_charge", intent.charge == null ? null : expandCharge ? charge(intent.charge) : intent.charge.id);
        object.put("livemode", false);
        object.put("metadata", intent.metadata);
        object.put("status", intent.status);
        return object;
    }

    private Map<String, Object> charge(Charge charge) {
        long amount = charge.intent.session.amount;
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("id", charge.id);
        object.put("object", "charge");
        object.put("amount", amount);
        object.put("amount_captured", charge.status.equals("succeeded") ? amount : 0);
        object.put("amount_refunded", charge.refunded);
        object.put("captured", charge.status.equals("succeeded"));
        object.put("created", charge.created);
        object.put("currency", charge.intent.session.currency);
        object.put("disputed", disputes.values().stream().anyMatch(d -> d.charge == charge));
        object.put("livemode", false);
        object.put("metadata", charge.metadata);
        object.put("paid", charge.status.equals("succeeded"));
        object.put("payment_intent", charge.intent.id);
        object.put("refunded", charge.refunded == amount);
        object.put("status", charge.status);
        return object;
    }

    private static Map<String, Object> dispute(Dispute dispute) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("id", dispute.id);
        object.put("object", "dispute");
        object.put("amount", dispute.charge.intent.session.amount);
        object.put("charge", dispute.charge.id);
        object.put("created", dispute.created);
        object.put("currency", dispute.charge.intent.session.currency);
        object.put("livemode", false);
        object.put("metadata", Map.of());
        object.put("payment_intent", dispute.charge.intent.id);
        object.put("reason", "fraudulent");
        object.put("status", dispute.status);
        return object;
    }

    // ---- internals -------------------------------------------------------------------------------

    private void confirm(Session session, String intentStatus, String chargeStatus) {
        Intent intent = new Intent(session, nested(session.params, "payment_intent_data[metadata]["));
        intent.status = intentStatus;
        intent.charge = new Charge(intent);
        intent.charge.status = chargeStatus;
        intents.put(intent.id, intent);
        session.intent = intent;
        session.status = "complete";
    }

    private Session existing(String sessionId) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            throw new IllegalArgumentException("no Checkout Session " + sessionId);
        }
        return session;
    }

    private Session open(String sessionId) {
        Session session = existing(sessionId);
        if (!session.status.equals("open")) {
            throw new IllegalStateException(sessionId + " is " + session.status + ", not open");
        }
        return session;
    }

    private Session paid(String sessionId) {
        Session session = existing(sessionId);
        if (!session.paymentStatus.equals("paid")) {
            throw new IllegalStateException(sessionId + " is not paid");
        }
        return session;
    }

    /** {@code prefix + name + "]"} entries as {@code name → value}. */
    private static Map<String, String> nested(Map<String, String> params, String prefix) {
        Map<String, String> values = new LinkedHashMap<>();
        params.forEach((name, value) -> {
            if (name.startsWith(prefix) && name.endsWith("]") && name.indexOf('[', prefix.length()) < 0) {
                values.put(name.substring(prefix.length(), name.length() - 1), value);
            }
        });
        return values;
    }

    private static Answer ok(Object body) {
        return new Answer(200, body);
    }

    private static Answer missing(String kind, String id) {
        return problem(404, "invalid_request_error", "resource_missing", "id", "No such " + kind + ": '" + id + "'");
    }

    private static Answer problem(int status, String type, String code, String param, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("type", type);
        if (code != null) {
            error.put("code", code);
        }
        if (param != null) {
            error.put("param", param);
        }
        error.put("message", message);
        return new Answer(status, Map.of("error", error));
    }

    private static ResponseDefinitionBuilder error(int status, String type, String code, String param, String message) {
        return json(problem(status, type, code, param, message));
    }

    private static ResponseDefinitionBuilder json(Answer answer) {
        return aResponse().withStatus(answer.status).withHeader("Content-Type", "application/json")
                .withHeader("Request-Id", "req_" + token()).withBody(Json.toByteArray(answer.body));
    }

    private static String masked(String authorization) {
        String key = authorization == null ? "" : authorization.replaceFirst("^Bearer ", "");
        return key.length() < 8 ? "****" : key.substring(0, 8) + "****" + key.substring(key.length() - 4);
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static String token() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }
}
