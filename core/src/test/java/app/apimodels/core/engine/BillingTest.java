package app.apimodels.core.engine;

import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.testkit.ScriptedPaymentGateway;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Money in and back out through a payment gateway, on H2 and PostgreSQL: checkout, each payment
 * credited exactly once under duplicate, concurrent and conflicting deliveries, mismatches held for
 * review, refunds and disputes clawed back (into debt, restricting the account, when spent), expiry,
 * and 404 for others' orders. After each test the books are checked in SQL.
 */
class BillingTest {

    static final String SECRET = "scripted-secret";
    /** 20 credits: USD 20.00, 2,000 cents. */
    static final long TWENTY = 20_000_000;

    @TempDir
    Path dir;
    EngineHarness engine;
    ScriptedPaymentGateway gateway;
    MutableClock clock;
    Map<String, String> db;

    static Stream<TestDatabases> databases() {
        return TestDatabases.all();
    }

    void start(TestDatabases database) throws Exception {
        start(database, Map.of());
    }

    void start(TestDatabases database, Map<String, String> extra) throws Exception {
        db = database.settings();
        Map<String, String> settings = new HashMap<>(db);
        settings.put("apimodels.billing.packages", "starter:5000000,pro:20000000");
        settings.putAll(extra);
        gateway = new ScriptedPaymentGateway("scripted", SECRET);
        clock = new MutableClock();
        engine = EngineHarness.start(dir, settings, b -> b.paymentGateway(gateway).clock(clock));
    }

    @AfterEach
    void booksBalance() throws SQLException {
        if (engine == null) {
            return;
        }
        engine.close();
        try (Connection c = DriverManager.getConnection(db.get("apimodels.db.url"), db.get("apimodels.db.user"), db.get("apimodels.db.password"));
             Statement s = c.createStatement()) {
            assertThat(one(s, "SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account")).as("Σ balances").isZero();
            assertThat(one(s, "SELECT COUNT(*) FROM apimodels_ledger_account WHERE kind = 'wallet' AND balance < 0")).as("wallets below zero").isZero();
            assertThat(one(s, "SELECT COUNT(*) FROM apimodels_ledger_account WHERE kind = 'debt' AND balance > 0")).as("debts above zero").isZero();
            assertThat(one(s, """
                    SELECT COUNT(*) FROM apimodels_ledger_account a
                    WHERE a.balance <> COALESCE((SELECT SUM(amount) FROM apimodels_transfer WHERE credit_id = a.id), 0)
                                      - COALESCE((SELECT SUM(amount) FROM apimodels_transfer WHERE debit_id = a.id), 0)""")
            ).as("accounts whose balance is not their transfers").isZero();
            assertThat(one(s, "SELECT COUNT(*) FROM (SELECT order_id FROM apimodels_payment_event WHERE outcome = 'credited' GROUP BY order_id HAVING COUNT(*) > 1) x"))
                    .as("orders credited by more than one event").isZero();
            assertThat(one(s, """
                    SELECT COUNT(*) FROM apimodels_order o WHERE o.paid_at IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM apimodels_transfer t WHERE t.id = 'order:' || o.id || ':paid' AND t.amount = o.amount_micros)""")
            ).as("paid orders without exactly their credit").isZero();
            assertThat(one(s, """
                    SELECT COUNT(*) FROM apimodels_transfer t WHERE t.id LIKE 'order:%:paid'
                    AND NOT EXISTS (SELECT 1 FROM apimodels_order o WHERE t.id = 'order:' || o.id || ':paid' AND o.paid_at IS NOT NULL)""")
            ).as("credits without a paid order").isZero();
        }
    }

    private static long one(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // ---------------------------------------------------------------- helpers

    String checkout(EngineHarness.User u, long micros) {
        JsonNode out = json(expect(engine.post("/api/v1/billing/checkout", u.key(),
                "{\"amount_micros\":" + micros + ",\"method\":\"scripted\"}"), 201));
        return out.get("order_id").asText();
    }

    /** An order of 20 credits, paid (event {@code evt_paid}). */
    String paidOrder(EngineHarness.User u) {
        String order = checkout(u, TWENTY);
        expect(deliver(event("evt_paid", PaymentEvent.Kind.PAID, order, 2000)), 200);
        return order;
    }

    MockExchange.Answer deliver(PaymentEvent event) {
        return deliver(gateway.webhook(event));
    }

    MockExchange.Answer deliver(InboundWebhook w) {
        MockExchange.Builder b = MockExchange.post("/webhooks/scripted").body(w.body());
        w.headers().forEach(b::header);
        return engine.call(b);
    }

    static PaymentEvent event(String id, PaymentEvent.Kind kind, String order, long cents) {
        return ScriptedPaymentGateway.event(id, kind, order, new Money(cents, "USD"), false);
    }

    /** A refund saying what is refunded in all (as Stripe's {@code charge.refunded} and Alipay's refund notify do). */
    static PaymentEvent refundedInAll(String id, String order, long cents) {
        return ScriptedPaymentGateway.event(id, PaymentEvent.Kind.REFUNDED, order, new Money(cents, "USD"), true);
    }

    JsonNode adminOrder(String id) {
        return json(expect(engine.get("/admin/orders/" + id, ADMIN_KEY), 200));
    }

    List<String> outcomes(String order) {
        List<String> out = new ArrayList<>();
        adminOrder(order).get("events").forEach(e -> out.add(e.get("outcome").asText()));
        return out;
    }

    /** What the account owes: minus its debt account's balance (0 if it has none). */
    long owed(EngineHarness.User u) {
        return -sqlLong("SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account WHERE kind = 'debt' AND owner_id = " + u.id());
    }

    /** One number read straight from the engine's database. */
    long sqlLong(String query) {
        try (Connection c = DriverManager.getConnection(db.get("apimodels.db.url"), db.get("apimodels.db.user"), db.get("apimodels.db.password"));
             Statement s = c.createStatement()) {
            return one(s, query);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- crediting

    @ParameterizedTest
    @MethodSource("databases")
    void aPaymentIsCreditedOnceAndTheGatewayGetsItsAcknowledgement(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        JsonNode out = json(expect(engine.post("/api/v1/billing/checkout", u.key(), "{\"package\":\"pro\",\"method\":\"scripted\"}"), 201));
        String order = out.get("order_id").asText();
        assertThat(out.get("redirect_url").asText()).isEqualTo("https://pay.scripted.example/gw_" + order);
        assertThat(out.get("amount_minor").asLong()).isEqualTo(2000);
        assertThat(out.get("currency").asText()).isEqualTo("USD");
        assertThat(gateway.checkouts()).singleElement().satisfies(c -> {
            assertThat(c.amount()).isEqualTo(new Money(2000, "USD"));
            assertThat(c.notifyUrl()).hasToString("http://localhost/webhooks/scripted");
            assertThat(c.returnUrl().toString()).startsWith("http://localhost/console/billing?order=" + order);
            assertThat(c.idempotencyKey()).isEqualTo("checkout-" + order);
        });

        MockExchange.Answer ack = expect(deliver(event("evt_1", PaymentEvent.Kind.PAID, order, 2000)), 200);
        assertThat(ack.bodyText()).as("the gateway's own acknowledgement").isEqualTo("received");
        expect(deliver(event("evt_1", PaymentEvent.Kind.PAID, order, 2000)), 200);

        assertThat(engine.balance(u)).isEqualTo(TWENTY);
        JsonNode mine = json(expect(engine.get("/api/v1/billing/orders/" + order, u.key()), 200));
        assertThat(mine.get("state").asText()).isEqualTo("paid");
        assertThat(mine.get("method").asText()).isEqualTo("scripted");
        assertThat(mine.get("amount_micros").asLong()).isEqualTo(TWENTY);
        assertThat(mine.get("paid_at").asLong()).isEqualTo(clock.millis());
        JsonNode list = json(expect(engine.get("/api/v1/billing/orders", u.key()), 200));
        assertThat(list.get("data")).hasSize(1);
        assertThat(outcomes(order)).containsExactly("credited");
        assertThat(adminOrder(order).get("transfers")).singleElement()
                .satisfies(t -> assertThat(t.get("id").asText()).isEqualTo("order:" + order + ":paid"));
        assertThat(sqlLong("SELECT COUNT(*) FROM apimodels_mail_outbox WHERE template = 'receipt' AND vals LIKE '%\"order_id\":\"" + order + "\"%'"))
                .as("one receipt queued with the credit").isEqualTo(1);
        assertThat(json(expect(engine.get("/admin/plugins", ADMIN_KEY), 200)).get("payment_gateways_enabled"))
                .singleElement().satisfies(g -> assertThat(g.asText()).isEqualTo("scripted"));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void theSameEventDeliveredTwentyTimesAtOnceCreditsOnce(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = checkout(u, TWENTY);
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<MockExchange.Answer>> answers = new ArrayList<>();
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(20);
        for (int i = 0; i < 20; i++) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return deliver(event("evt_race", PaymentEvent.Kind.PAID, order, 2000));
            }, senders));
        }
        go.countDown();
        for (CompletableFuture<MockExchange.Answer> a : answers) {
            expect(a.get(), 200);
        }
        senders.shutdown();
        assertThat(engine.balance(u)).isEqualTo(TWENTY);
        assertThat(outcomes(order)).containsExactly("credited");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void twoDifferentEventsPayingOneOrderCreditItOnce(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = checkout(u, TWENTY);

        expect(deliver(event("evt_completed", PaymentEvent.Kind.PAID, order, 2000)), 200);
        expect(deliver(event("evt_async_succeeded", PaymentEvent.Kind.PAID, order, 2000)), 200);

        assertThat(engine.balance(u)).isEqualTo(TWENTY);
        assertThat(outcomes(order)).containsExactly("credited", "duplicate_payment");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aPaymentOfAnotherAmountOrCurrencyFailsTheOrderForReviewAndCreditsNothing(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String short1 = checkout(u, TWENTY);
        String yuan = checkout(u, TWENTY);

        expect(deliver(event("evt_short", PaymentEvent.Kind.PAID, short1, 1999)), 200);
        expect(deliver(ScriptedPaymentGateway.event("evt_cny", PaymentEvent.Kind.PAID, yuan, new Money(2000, "CNY"), false)), 200);
        // A right payment afterwards does not clear the review.
        expect(deliver(event("evt_right", PaymentEvent.Kind.PAID, short1, 2000)), 200);

        assertThat(engine.balance(u)).isZero();
        for (String order : List.of(short1, yuan)) {
            JsonNode o = adminOrder(order);
            assertThat(o.get("state").asText()).isEqualTo("failed");
            assertThat(o.get("review").asText()).contains("for an order of 20.00 USD");
        }
        assertThat(outcomes(short1)).containsExactly("mismatch", "ignored");
        assertThat(json(expect(engine.get("/admin/orders?review=true", ADMIN_KEY), 200)).get("data")).hasSize(2);
        assertThat(engine.get("/metrics", null).bodyText())
                .contains("apimodels_payment_alerts_total{gateway=\"scripted\",reason=\"amount_mismatch\"} 2.0");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anEventAboutNoOrderOfOursCreditsNothingAndIsAcknowledged(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        checkout(u, TWENTY);

        expect(deliver(event("evt_stranger", PaymentEvent.Kind.PAID, "ord_nosuchorder", 2000)), 200);
        expect(deliver(event("evt_stranger", PaymentEvent.Kind.PAID, "ord_nosuchorder", 2000)), 200);

        assertThat(engine.balance(u)).isZero();
        assertThat(engine.get("/metrics", null).bodyText()).contains("reason=\"unknown_order\"");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aForgedDeliveryIsRefusedWithAClearProblemAndChangesNothing(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = checkout(u, TWENTY);

        MockExchange.Answer refused = engine.call(MockExchange.post("/webhooks/scripted")
                .header(ScriptedPaymentGateway.SECRET_HEADER, "guessed")
                .body(ScriptedPaymentGateway.body(event("evt_forged", PaymentEvent.Kind.PAID, order, 2000))));
        expect(refused, 400);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.bodyText()).contains("webhook not accepted").doesNotContain(SECRET);
        expect(engine.call(MockExchange.post("/webhooks/nosuchgateway").body(new byte[] {1})), 404);

        assertThat(engine.balance(u)).isZero();
        assertThat(outcomes(order)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anotherAccountsOrderIsNotFound(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User owner = engine.user(0);
        EngineHarness.User other = engine.user(0);
        String order = checkout(owner, TWENTY);

        MockExchange.Answer answer = expect(engine.get("/api/v1/billing/orders/" + order, other.key()), 404);
        assertThat(answer.bodyText()).doesNotContain(order.substring(4));
        assertThat(json(expect(engine.get("/api/v1/billing/orders", other.key()), 200)).get("data")).isEmpty();
        expect(engine.get("/api/v1/billing/orders/" + order, owner.key()), 200);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void checkoutRefusesWhatCannotBeBoughtNamingTheField(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);

        assertThat(json(expect(engine.post("/api/v1/billing/checkout", u.key(), "{\"amount_micros\":100,\"method\":\"scripted\"}"), 400))
                .get("param").asText()).isEqualTo("amount_micros");
        assertThat(json(expect(engine.post("/api/v1/billing/checkout", u.key(), "{\"amount_micros\":1000001,\"method\":\"scripted\"}"), 400))
                .get("detail").asText()).contains("whole cents");
        assertThat(json(expect(engine.post("/api/v1/billing/checkout", u.key(), "{\"package\":\"gold\",\"method\":\"scripted\"}"), 400))
                .get("detail").asText()).contains("starter, pro");
        assertThat(json(expect(engine.post("/api/v1/billing/checkout", u.key(), "{\"amount_micros\":5000000,\"method\":\"paypal\"}"), 400))
                .get("param").asText()).isEqualTo("method");
        expect(engine.post("/api/v1/billing/checkout", u.key(), "{\"amount_micros\":5000000,\"package\":\"pro\",\"method\":\"scripted\"}"), 400);
        assertThat(gateway.checkouts()).isEmpty();
    }

    // ---------------------------------------------------------------- refunds, disputes, debt

    @ParameterizedTest
    @MethodSource("databases")
    void aPartialThenAFullRefundClawBackInProportionWhateverOrderTheirTotalsArriveIn(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = paidOrder(u);

        expect(deliver(refundedInAll("evt_refund_1", order, 500)), 200);
        assertThat(engine.balance(u)).isEqualTo(15_000_000);
        assertThat(adminOrder(order).get("state").asText()).isEqualTo("partially_refunded");
        expect(deliver(refundedInAll("evt_refund_1", order, 500)), 200);
        expect(deliver(refundedInAll("evt_refund_2", order, 2000)), 200);
        // An older total, delivered late.
        expect(deliver(refundedInAll("evt_refund_1b", order, 500)), 200);

        assertThat(engine.balance(u)).isZero();
        JsonNode o = adminOrder(order);
        assertThat(o.get("state").asText()).isEqualTo("refunded");
        assertThat(o.get("clawed_back_micros").asLong()).isEqualTo(TWENTY);
        assertThat(outcomes(order)).containsExactly("credited", "clawed_back", "clawed_back", "unchanged");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anAdminRefundGoesThroughTheGatewayAndItsOwnEventDoesNotClawBackTwice(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = paidOrder(u);

        JsonNode refund = json(expect(engine.post("/admin/orders/" + order + "/refund", ADMIN_KEY, "{\"amount_micros\":5000000}"), 200));
        assertThat(refund.get("status").asText()).isEqualTo("succeeded");
        assertThat(gateway.refunds()).singleElement().satisfies(r -> {
            assertThat(r.amount()).isEqualTo(new Money(500, "USD"));
            assertThat(r.gatewayOrderId()).isEqualTo("gw_" + order);
        });
        assertThat(refund.get("refund_id").asText()).startsWith("re_");
        // The gateway's own event about that refund: what is refunded in all.
        expect(deliver(refundedInAll("evt_charge_refunded", order, 500)), 200);
        assertThat(engine.balance(u)).isEqualTo(15_000_000);
        // The rest, without an amount.
        expect(engine.post("/admin/orders/" + order + "/refund", ADMIN_KEY, "{}"), 200);
        assertThat(engine.balance(u)).isZero();
        assertThat(outcomes(order)).containsExactly("credited", "clawed_back", "unchanged", "clawed_back");
        expect(engine.post("/admin/orders/" + order + "/refund", ADMIN_KEY, "{}"), 400);

        gateway.refundsAnswer(RefundResult.Status.FAILED);
        String other = checkout(u, TWENTY);
        expect(deliver(event("evt_paid_2", PaymentEvent.Kind.PAID, other, 2000)), 200);
        assertThat(json(expect(engine.post("/admin/orders/" + other + "/refund", ADMIN_KEY, "{}"), 502)).get("detail").asText())
                .contains("refused by the script");
        assertThat(engine.balance(u)).isEqualTo(TWENTY);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aRefundReportedBeforeThePaymentIsAppliedOnceItIsPaid(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = checkout(u, TWENTY);

        expect(deliver(event("evt_refund_early", PaymentEvent.Kind.REFUNDED, order, 500)), 200);
        assertThat(engine.balance(u)).isZero();
        assertThat(outcomes(order)).containsExactly("deferred");

        expect(deliver(event("evt_paid_late", PaymentEvent.Kind.PAID, order, 2000)), 200);
        assertThat(engine.balance(u)).isEqualTo(15_000_000);
        assertThat(outcomes(order)).containsExactly("clawed_back", "credited");
        assertThat(adminOrder(order).get("state").asText()).isEqualTo("partially_refunded");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aDisputeTakesTheCreditsBackAndAWonDisputeGivesThemBack(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = paidOrder(u);

        expect(deliver(event("evt_dispute", PaymentEvent.Kind.DISPUTED, order, 2000)), 200);
        assertThat(engine.balance(u)).isZero();
        assertThat(adminOrder(order).get("state").asText()).isEqualTo("disputed");

        expect(deliver(event("evt_won", PaymentEvent.Kind.DISPUTE_WON, order, 2000)), 200);
        expect(deliver(event("evt_won", PaymentEvent.Kind.DISPUTE_WON, order, 2000)), 200);
        assertThat(engine.balance(u)).isEqualTo(TWENTY);
        assertThat(adminOrder(order).get("state").asText()).isEqualTo("paid");
        assertThat(outcomes(order)).containsExactly("credited", "clawed_back", "given_back");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void whatWasSpentBecomesDebtThatRestrictsTheAccountUntilATopUpPaysItFirst(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = checkout(u, 1_000_000);
        expect(deliver(event("evt_paid", PaymentEvent.Kind.PAID, order, 100)), 200);
        expect(engine.post("/v1/chat/completions", u.key(), RelayTest.CHAT), 200);
        long left = 1_000_000 - EngineHarness.CHAT_COST;
        assertThat(engine.balance(u)).isEqualTo(left);

        expect(deliver(event("evt_dispute", PaymentEvent.Kind.DISPUTED, order, 100)), 200);
        assertThat(engine.balance(u)).isZero();
        assertThat(owed(u)).isEqualTo(EngineHarness.CHAT_COST);
        MockExchange.Answer refused = expect(engine.post("/v1/chat/completions", u.key(), RelayTest.CHAT), 402);
        assertThat(refused.bodyText()).contains("owes " + EngineHarness.CHAT_COST + " micro-credits");
        expect(engine.post("/api/v1/images/generations", u.key(), "{\"model\":\"test-image\",\"prompt\":\"a cat\"}"), 402);

        // The next top-up pays the debt first.
        expect(engine.post("/admin/users/" + u.id() + "/credits", ADMIN_KEY,
                "{\"amount_micros\":1000000,\"reason\":\"goodwill\",\"idempotency_key\":\"after-dispute\"}"), 201);
        assertThat(owed(u)).isZero();
        assertThat(engine.balance(u)).isEqualTo(1_000_000 - EngineHarness.CHAT_COST);
        expect(engine.post("/v1/chat/completions", u.key(), RelayTest.CHAT), 200);

        // Winning the dispute gives everything back.
        expect(deliver(event("evt_won", PaymentEvent.Kind.DISPUTE_WON, order, 100)), 200);
        assertThat(engine.balance(u)).isEqualTo(2_000_000 - 2 * EngineHarness.CHAT_COST);
    }

    // ---------------------------------------------------------------- expiry

    @ParameterizedTest
    @MethodSource("databases")
    void anUnpaidOrderExpiresAndIsClosedAtTheGatewayButALatePaymentIsStillCredited(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String order = checkout(u, TWENTY);

        expect(engine.post("/admin/jobs/billing-order-expiry/run", ADMIN_KEY, "{}"), 200);
        assertThat(adminOrder(order).get("state").asText()).isEqualTo("pending");
        clock.advance(Duration.ofSeconds(7201));
        expect(engine.post("/admin/jobs/billing-order-expiry/run", ADMIN_KEY, "{}"), 200);

        assertThat(adminOrder(order).get("state").asText()).isEqualTo("expired");
        assertThat(gateway.closed()).containsExactly("gw_" + order);
        expect(deliver(event("evt_paid_late", PaymentEvent.Kind.PAID, order, 2000)), 200);
        assertThat(engine.balance(u)).isEqualTo(TWENTY);
    }

    // ---------------------------------------------------------------- reconciliation

    @ParameterizedTest
    @MethodSource("databases")
    void reconciliationFindsAPaymentWhoseWebhookNeverCameAndCreditsItOnce(TestDatabases database) throws Exception {
        start(database);
        EngineHarness.User u = engine.user(0);
        String missed = checkout(u, TWENTY);
        String paid = checkout(u, 5_000_000);
        String unpaid = checkout(u, 5_000_000);
        expect(deliver(event("evt_paid", PaymentEvent.Kind.PAID, paid, 500)), 200);
        expect(deliver(event("evt_stranger", PaymentEvent.Kind.PAID, "ord_nosuchorder", 500)), 200);
        gateway.paidAtGateway("gw_" + missed, new Money(2000, "USD"));

        expect(engine.post("/admin/jobs/billing-reconciliation/run", ADMIN_KEY, "{}"), 200);
        assertThat(engine.balance(u)).as("not asked before the order expired").isEqualTo(5_000_000);
        clock.advance(Duration.ofSeconds(7201));
        expect(engine.post("/admin/jobs/billing-reconciliation/run", ADMIN_KEY, "{}"), 200);
        expect(engine.post("/admin/jobs/billing-reconciliation/run", ADMIN_KEY, "{}"), 200);

        assertThat(engine.balance(u)).isEqualTo(TWENTY + 5_000_000);
        assertThat(adminOrder(missed).get("state").asText()).isEqualTo("paid");
        assertThat(adminOrder(unpaid).get("state").asText()).as("never paid").isIn("pending", "expired");
        JsonNode report = json(expect(engine.get("/admin/reconciliation?from=" + (clock.millis() - 86_400_000) + "&to=" + (clock.millis() + 1), ADMIN_KEY), 200));
        List<String> kinds = new ArrayList<>();
        report.get("mismatches").forEach(m -> kinds.add(m.get("kind").asText() + ":" + m.get("order_id").asText()));
        assertThat(kinds).containsExactlyInAnyOrder("missed_webhook:" + missed, "unknown_order:null");
        assertThat(report.get("days")).singleElement().satisfies(day -> {
            assertThat(day.get("gateway").asText()).isEqualTo("scripted");
            assertThat(day.get("day").asText()).isEqualTo("2026-01-01");
            assertThat(day.get("orders_paid").asLong()).isEqualTo(2);
            assertThat(day.get("payment_events_credited").asLong()).isEqualTo(2);
            assertThat(day.get("ledger_credits").asLong()).isEqualTo(2);
            assertThat(day.get("ledger_credited_micros").asLong()).isEqualTo(TWENTY + 5_000_000);
        });
        assertThat(engine.get("/metrics", null).bodyText()).contains("apimodels_reconciliation_mismatches_total{kind=\"missed_webhook\"}");
        expect(engine.get("/admin/reconciliation?from=5&to=4", ADMIN_KEY), 400);
    }
}
