package app.apimodels.core.engine;

import app.apimodels.testkit.MockStripe;
import app.apimodels.testkit.MockWebhook;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Money in through the Stripe gateway of {@code integrations/stripe}, found by the engine from its
 * {@code apimodels.stripe.*} settings, against Stripe faked at the wire ({@link MockStripe}): a
 * checkout is a Checkout Session for the order, Stripe's signed events credit it once however
 * often and however concurrently they arrive, and refunds and disputes come back through Stripe's
 * own events. On PostgreSQL, where money is tested.
 */
class StripeCheckoutTest {

    private static final String KEY = "sk_test_51EngineKey00000000aBcDeFgHiJ";
    private static final String WEBHOOK_SECRET = "whsec_engineSecret000000000000000";
    /** 20 credits: USD 20.00. */
    private static final long TWENTY = 20_000_000;

    @TempDir
    Path dir;
    private MockStripe stripe;
    private EngineHarness engine;

    @BeforeEach
    void start() throws Exception {
        stripe = new MockStripe(KEY, WEBHOOK_SECRET);
        engine = EngineHarness.start(dir, EngineHarness.onPostgres(Map.of(
                "apimodels.public-url", "https://shop.example",
                "apimodels.stripe.secret-key", KEY,
                "apimodels.stripe.webhook-secret", WEBHOOK_SECRET,
                "apimodels.stripe.api-base", stripe.apiBase())));
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        stripe.close();
    }

    @Test
    void aPaymentDeliveredTwentyTimesAtOnceIsCreditedOnce() throws Exception {
        EngineHarness.User user = engine.user(0);
        String orderId = checkout(user, TWENTY);
        String session = sessionOf(orderId);
        stripe.pay(session);
        MockWebhook completed = stripe.webhook(stripe.sessionEvent("checkout.session.completed", session));

        List<Integer> statuses = concurrently(20, () -> deliver(completed).status());

        assertThat(statuses).allMatch(status -> status == 200);
        assertThat(engine.balance(user)).isEqualTo(TWENTY);
        assertThat(order(user, orderId).get("state").asText()).isEqualTo("paid");
        // and later deliveries of it, or of its async twin, change nothing
        assertThat(deliver(completed).status()).isEqualTo(200);
        assertThat(engine.balance(user)).isEqualTo(TWENTY);
    }

    @Test
    void aCompletedButUnpaidCheckoutCreditsOnlyWhenTheDelayedPaymentSucceeds() {
        EngineHarness.User user = engine.user(0);
        String orderId = checkout(user, TWENTY);
        String session = sessionOf(orderId);
        stripe.payLater(session);

        expect(deliver(stripe.webhook(stripe.sessionEvent("checkout.session.completed", session))), 200);
        long beforeSettled = engine.balance(user);
        stripe.settleLater(session, true);
        expect(deliver(stripe.webhook(stripe.sessionEvent("checkout.session.async_payment_succeeded", session))), 200);

        assertThat(beforeSettled).isZero();
        assertThat(engine.balance(user)).isEqualTo(TWENTY);
    }

    @Test
    void refundsFromTheAdminApiAndTheDashboardAreClawedBackOnceInAnyOrder() {
        EngineHarness.User user = engine.user(0);
        String orderId = checkout(user, TWENTY);
        String session = paid(orderId);

        JsonNode refund = json(expect(engine.post("/admin/orders/" + orderId + "/refund", ADMIN_KEY,
                "{\"amount_micros\":5000000}"), 200));
        MockWebhook afterAdminRefund = stripe.webhook(stripe.chargeEvent("charge.refunded", session));
        stripe.refundInDashboard(session, 700);
        MockWebhook afterDashboardRefund = stripe.webhook(stripe.chargeEvent("charge.refunded", session));
        expect(deliver(afterDashboardRefund), 200);
        expect(deliver(afterAdminRefund), 200);
        expect(deliver(afterDashboardRefund), 200);

        assertThat(refund.get("status").asText()).isEqualTo("succeeded");
        assertThat(stripe.requests()).anySatisfy(r -> {
            assertThat(r.path()).isEqualTo("/v1/refunds");
            assertThat(r.params()).containsEntry("amount", "500").containsEntry("payment_intent", stripe.paymentIntentOf(session));
        });
        assertThat(engine.balance(user)).isEqualTo(TWENTY - 5_000_000 - 7_000_000);
    }

    @Test
    void aDisputeTakesTheCreditsBackAndWinningItGivesThemBack() {
        EngineHarness.User user = engine.user(0);
        String orderId = checkout(user, TWENTY);
        String session = paid(orderId);
        String dispute = stripe.openDispute(session);

        expect(deliver(stripe.webhook(stripe.disputeEvent("charge.dispute.created", dispute))), 200);
        long duringDispute = engine.balance(user);
        stripe.closeDispute(dispute, "won");
        MockWebhook won = stripe.webhook(stripe.disputeEvent("charge.dispute.closed", dispute));
        expect(deliver(won), 200);
        expect(deliver(won), 200);

        assertThat(duringDispute).isZero();
        assertThat(engine.balance(user)).isEqualTo(TWENTY);
    }

    @Test
    void aForgedOrStaleDeliveryCreditsNothingAndSaysWhy() {
        EngineHarness.User user = engine.user(0);
        String orderId = checkout(user, TWENTY);
        String session = sessionOf(orderId);
        stripe.pay(session);
        MockStripe.Event completed = stripe.sessionEvent("checkout.session.completed", session);

        MockExchange.Answer forged = deliver(stripe.webhook(completed, Instant.now(), "whsec_attacker000000000000000"));
        MockExchange.Answer stale = deliver(stripe.webhook(completed, Instant.now().minusSeconds(600), WEBHOOK_SECRET));

        assertThat(List.of(forged.status(), stale.status())).containsOnly(400);
        assertThat(forged.bodyText()).contains("signature").doesNotContain(WEBHOOK_SECRET, KEY);
        assertThat(stale.bodyText()).contains("replay");
        assertThat(engine.balance(user)).isZero();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private String checkout(EngineHarness.User user, long micros) {
        JsonNode out = json(expect(engine.post("/api/v1/billing/checkout", user.key(),
                "{\"amount_micros\":" + micros + ",\"method\":\"stripe\"}"), 201));
        assertThat(out.get("redirect_url").asText()).startsWith(stripe.apiBase() + "/c/pay/");
        return out.get("order_id").asText();
    }

    /** The Checkout Session the engine created for the order, checked to carry what Stripe needs. */
    private String sessionOf(String orderId) {
        MockStripe.Request created = stripe.requests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/v1/checkout/sessions")
                        && orderId.equals(r.params().get("client_reference_id")))
                .findFirst().orElseThrow(() -> new AssertionError("no Checkout Session was created for " + orderId));
        assertThat(created.params()).containsEntry("line_items[0][price_data][unit_amount]", "2000")
                .containsEntry("line_items[0][price_data][currency]", "usd");
        assertThat(URI.create(created.params().get("success_url")).getHost()).isEqualTo("shop.example");
        return stripe.sessionFor(orderId);
    }

    /** The order's session paid by card and its {@code checkout.session.completed} delivered: answers the session. */
    private String paid(String orderId) {
        String session = sessionOf(orderId);
        stripe.pay(session);
        expect(deliver(stripe.webhook(stripe.sessionEvent("checkout.session.completed", session))), 200);
        return session;
    }

    private JsonNode order(EngineHarness.User user, String orderId) {
        return json(expect(engine.get("/api/v1/billing/orders/" + orderId, user.key()), 200));
    }

    private MockExchange.Answer deliver(MockWebhook webhook) {
        MockExchange.Builder request = MockExchange.post("/webhooks/stripe").body(webhook.body());
        webhook.headers().forEach(request::header);
        return engine.call(request);
    }

    private static <T> List<T> concurrently(int n, java.util.function.Supplier<T> action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<T>> all = IntStream.range(0, n).mapToObj(i -> CompletableFuture.supplyAsync(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return action.get();
            }, pool)).toList();
            start.countDown();
            return all.stream().map(CompletableFuture::join).toList();
        } finally {
            pool.shutdownNow();
        }
    }
}
