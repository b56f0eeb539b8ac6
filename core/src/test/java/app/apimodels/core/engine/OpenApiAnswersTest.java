package app.apimodels.core.engine;

import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.testkit.ScriptedPaymentGateway;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real answers of the account, key, usage, auth, code, billing, admin and ops routes, each checked
 * against the schema {@code /openapi.json} gives for its route, status and content type. The
 * answers' objects are closed in the document ({@code unevaluatedProperties: false}), so a field
 * the handler adds without documenting it fails here as much as a documented one it leaves out.
 */
class OpenApiAnswersTest extends EngineTest {

    private static OpenApiDocument doc;
    private static final ScriptedPaymentGateway PAYMENTS = new ScriptedPaymentGateway("scripted", "scripted-secret");

    @BeforeAll
    static void start() throws Exception {
        gateway = EngineHarness.start(dir, Map.of("apimodels.billing.packages", "starter:5000000"), b -> b.paymentGateway(PAYMENTS));
        doc = OpenApiDocument.of(gateway);
    }

    /** The answer, after checking the document describes it for {@code method template}. */
    private static MockExchange.Answer described(String method, String template, MockExchange.Answer answer) {
        doc.assertDescribes(method, template, answer);
        return answer;
    }

    private static MockExchange.Answer call(String method, String template, String target, String key, String body, int status) {
        return described(method, template, expect(gateway.send(method, target, key, body), status));
    }

    @Test
    void account_keys_and_usage() {
        EngineHarness.User u = gateway.user(5_000_000);
        call("GET", "/api/v1/account", "/api/v1/account", u.key(), null, 200);
        call("PATCH", "/api/v1/account", "/api/v1/account", u.key(), "{\"name\":\"Ada\",\"low_balance_threshold_micros\":1000000}", 200);
        call("POST", "/api/v1/account/restriction", "/api/v1/account/restriction", u.key(), "{\"restricted\":false}", 200);

        JsonNode key = json(call("POST", "/api/v1/account/keys", "/api/v1/account/keys", u.key(),
                "{\"name\":\"ci\",\"allowed_models\":[\"test-chat\"],\"spend_limit_micros\":1000000,\"expires_at\":253402300799999}", 201));
        call("GET", "/api/v1/account/keys", "/api/v1/account/keys", u.key(), null, 200);
        call("DELETE", "/api/v1/account/keys/{id}", "/api/v1/account/keys/" + key.get("id").asLong(), u.key(), null, 204);
        call("DELETE", "/api/v1/account/keys/{id}", "/api/v1/account/keys/999999", u.key(), null, 404);

        expect(gateway.post("/v1/chat/completions", u.key(), "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 200);
        await().atMost(WAIT).until(() -> json(gateway.get("/api/v1/account/usage", u.key())).get("data").size() == 1);
        JsonNode usage = json(call("GET", "/api/v1/account/usage", "/api/v1/account/usage?limit=10", u.key(), null, 200));
        assertThat(usage.get("total_cost_micros").asLong()).isEqualTo(EngineHarness.CHAT_COST);
        MockExchange.Answer csv = call("GET", "/api/v1/account/usage", "/api/v1/account/usage?format=csv", u.key(), null, 200);
        assertThat(csv.bodyText()).startsWith("id,key_id,endpoint");
        JsonNode spend = json(call("GET", "/api/v1/account/spend", "/api/v1/account/spend?utc_offset_minutes=480", u.key(), null, 200));
        assertThat(spend.get("data")).hasSize(1);
        call("GET", "/api/v1/account/ledger", "/api/v1/account/ledger", u.key(), null, 200);
        call("GET", "/api/v1/account/files", "/api/v1/account/files", u.key(), null, 200);
        call("GET", "/api/v1/account/sessions", "/api/v1/account/sessions", u.key(), null, 200);
        assertThat(call("GET", "/api/v1/account/export", "/api/v1/account/export", u.key(), null, 200).contentType()).isEqualTo("application/zip");

        // Refusals in the document's problem shape, naming the field.
        JsonNode refused = json(call("GET", "/api/v1/account/spend", "/api/v1/account/spend?utc_offset_minutes=900", u.key(), null, 400));
        assertThat(refused.get("param").asText()).isEqualTo("utc_offset_minutes");
        call("PATCH", "/api/v1/account", "/api/v1/account", u.key(), "{\"role\":\"admin\"}", 400);
        call("POST", "/api/v1/account/keys", "/api/v1/account/keys", u.key(), "{\"allowed_models\":\"all\"}", 400);
        call("GET", "/api/v1/account", "/api/v1/account", "sk-not-a-key", null, 401);
    }

    @Test
    void erasure_and_privacy_register() {
        EngineHarness.User u = gateway.user(0);
        call("DELETE", "/api/v1/account", "/api/v1/account", u.key(), "{\"password\":\"wrong\"}", 400);
        String email = json(gateway.get("/api/v1/account", u.key())).get("email").asText();
        JsonNode erased = json(call("DELETE", "/api/v1/account", "/api/v1/account", u.key(), "{\"confirm_email\":\"" + email + "\"}", 200));
        call("GET", "/admin/privacy-requests", "/admin/privacy-requests?state=completed&account=" + u.id(), ADMIN_KEY, null, 200);
        call("GET", "/admin/privacy-requests/{id}", "/admin/privacy-requests/" + erased.get("id").asText(), ADMIN_KEY, null, 200);
        call("GET", "/admin/privacy-requests/{id}", "/admin/privacy-requests/nope", ADMIN_KEY, null, 404);
        call("GET", "/admin/privacy-requests", "/admin/privacy-requests?state=lost", ADMIN_KEY, null, 400);
    }

    @Test
    void admin_users_limits_and_catalog() {
        EngineHarness.User u = gateway.user(1_000_000);
        String users = "/admin/users";
        call("POST", users, users, ADMIN_KEY, "{\"email\":\"op-" + UUID.randomUUID() + "@example.com\",\"password\":\"correct horse battery\"}", 201);
        call("POST", users, users, ADMIN_KEY, "{\"email\":42}", 400);
        call("GET", users, users + "?q=example.com&limit=1", ADMIN_KEY, null, 200);
        call("GET", "/admin/users/{id}", users + "/" + u.id(), ADMIN_KEY, null, 200);
        call("GET", "/admin/users/{id}", users + "/0", ADMIN_KEY, null, 404);
        call("POST", "/admin/users/{id}/suspension", users + "/" + u.id() + "/suspension", ADMIN_KEY,
                "{\"suspended\":true,\"reason\":\"review\"}", 200);
        call("POST", "/admin/users/{id}/suspension", users + "/" + u.id() + "/suspension", ADMIN_KEY, "{\"suspended\":false}", 200);
        call("PUT", "/admin/users/{id}/role", users + "/" + u.id() + "/role", ADMIN_KEY, "{\"role\":\"user\"}", 200);
        call("POST", "/admin/users/{id}/credits", users + "/" + u.id() + "/credits", ADMIN_KEY,
                "{\"amount_micros\":250000,\"reason\":\"promo\",\"idempotency_key\":\"promo-" + u.id() + "\"}", 201);
        JsonNode key = json(call("POST", "/admin/users/{id}/keys", users + "/" + u.id() + "/keys", ADMIN_KEY, "{\"name\":\"ops\"}", 201));
        call("GET", "/admin/users/{id}/limits", users + "/" + u.id() + "/limits", ADMIN_KEY, null, 200);
        call("PUT", "/admin/users/{id}/limits", users + "/" + u.id() + "/limits", ADMIN_KEY, "{\"requests_per_minute\":120}", 200);
        call("GET", "/admin/keys/{id}/limits", "/admin/keys/" + key.get("id").asLong() + "/limits", ADMIN_KEY, null, 200);
        call("PUT", "/admin/keys/{id}/limits", "/admin/keys/" + key.get("id").asLong() + "/limits", ADMIN_KEY,
                "{\"concurrent_calls\":-1}", 400);
        call("GET", users, users, u.key(), null, 403);

        call("GET", "/admin/catalog", "/admin/catalog", ADMIN_KEY, null, 200);
        call("PUT", "/admin/catalog/providers/{id}", "/admin/catalog/providers/extra", ADMIN_KEY,
                "{\"type\":\"scripted\",\"base-url\":\"http://extra.invalid\",\"api-key\":\"sk-extra-secret\",\"timeout-seconds\":5}", 200);
        call("PUT", "/admin/catalog/models/{id}", "/admin/catalog/models/extra-chat", ADMIN_KEY,
                "{\"kind\":\"chat\",\"routes\":[{\"provider\":\"extra\",\"upstream-model\":\"x\",\"priority\":1,\"weight\":1}],"
                        + "\"price\":{\"input-per-1m-tokens\":1}}", 200);
        call("DELETE", "/admin/catalog/providers/{id}", "/admin/catalog/providers/extra", ADMIN_KEY, null, 409);
        call("DELETE", "/admin/catalog/models/{id}", "/admin/catalog/models/extra-chat", ADMIN_KEY, null, 204);
        call("DELETE", "/admin/catalog/providers/{id}", "/admin/catalog/providers/extra", ADMIN_KEY, null, 204);
        call("GET", "/admin/routes", "/admin/routes", ADMIN_KEY, null, 200);
        call("GET", "/admin/plugins", "/admin/plugins", ADMIN_KEY, null, 200);
        call("GET", "/admin/jobs", "/admin/jobs", ADMIN_KEY, null, 200);
        call("GET", "/admin/calls", "/admin/calls?limit=5", ADMIN_KEY, null, 200);
        call("POST", "/admin/announcements", "/admin/announcements", ADMIN_KEY, "{\"subject\":\"News\",\"body\":\"More models.\"}", 202);
        call("POST", "/admin/invites", "/admin/invites", ADMIN_KEY, "{\"email\":\"bob@example.com\"}", 201);
        call("GET", "/admin/reconciliation", "/admin/reconciliation", ADMIN_KEY, null, 200);
    }

    @Test
    void checkout_payment_and_refund() {
        EngineHarness.User u = gateway.user(0);
        String checkout = "/api/v1/billing/checkout";
        String order = json(call("POST", checkout, checkout, u.key(), "{\"package\":\"starter\",\"method\":\"scripted\"}", 201))
                .get("order_id").asText();
        call("POST", checkout, checkout, u.key(), "{\"package\":\"gold\",\"method\":\"scripted\"}", 400);
        call("POST", checkout, checkout, u.key(), "{\"package\":\"starter\",\"method\":\"scripted\",\"presentation\":\"fax\"}", 400);
        call("GET", "/api/v1/billing/orders/{id}", "/api/v1/billing/orders/" + order, u.key(), null, 200);
        call("GET", "/api/v1/billing/orders/{id}", "/api/v1/billing/orders/nope", u.key(), null, 404);

        InboundWebhook paid = PAYMENTS.webhook(ScriptedPaymentGateway.event("evt_" + order, PaymentEvent.Kind.PAID, order,
                new Money(500, "USD"), false));
        MockExchange.Builder delivery = MockExchange.post("/webhooks/scripted").body(paid.body());
        paid.headers().forEach(delivery::header);
        described("POST", "/webhooks/{type}", expect(gateway.call(delivery), 200));
        described("POST", "/webhooks/{type}", expect(gateway.call(MockExchange.post("/webhooks/scripted").body(paid.body())), 400));
        described("POST", "/webhooks/{type}", expect(gateway.call(MockExchange.post("/webhooks/nosuchgateway").body(new byte[] {1})), 404));

        call("GET", "/api/v1/billing/orders", "/api/v1/billing/orders", u.key(), null, 200);
        call("GET", "/admin/orders/{id}", "/admin/orders/" + order, ADMIN_KEY, null, 200);
        call("POST", "/admin/orders/{id}/refund", "/admin/orders/" + order + "/refund", ADMIN_KEY, "{\"amount_micros\":1000000}", 200);
        call("POST", "/admin/orders/{id}/refund", "/admin/orders/" + order + "/refund", ADMIN_KEY, "{\"amount_micros\":-1}", 400);
        call("GET", "/admin/orders", "/admin/orders?user=" + u.id(), ADMIN_KEY, null, 200);
    }

    @Test
    void redemption_codes() {
        JsonNode batch = json(call("POST", "/admin/redemption-batches", "/admin/redemption-batches", ADMIN_KEY,
                "{\"count\":2,\"amount_micros\":500000,\"note\":\"meetup\"}", 201));
        long id = batch.get("id").asLong();
        call("GET", "/admin/redemption-batches", "/admin/redemption-batches", ADMIN_KEY, null, 200);
        EngineHarness.User u = gateway.user(0);
        call("POST", "/api/v1/billing/redeem", "/api/v1/billing/redeem", u.key(),
                "{\"code\":\"" + batch.get("codes").get(0).get("code").asText() + "\"}", 200);
        call("POST", "/api/v1/billing/redeem", "/api/v1/billing/redeem", u.key(), "{\"code\":\"AM-NOPE\"}", 400);
        call("GET", "/admin/redemption-batches/{id}", "/admin/redemption-batches/" + id, ADMIN_KEY, null, 200);
        call("POST", "/admin/redemption-codes/{id}/disable", "/admin/redemption-codes/" + batch.get("codes").get(1).get("id").asLong()
                + "/disable", ADMIN_KEY, null, 200);
        call("POST", "/admin/redemption-batches/{id}/disable", "/admin/redemption-batches/" + id + "/disable", ADMIN_KEY, null, 200);
        call("POST", "/admin/redemption-batches", "/admin/redemption-batches", ADMIN_KEY, "{\"count\":0,\"amount_micros\":1}", 400);
    }

    @Test
    void sign_in_and_policies() {
        call("GET", "/auth/policy", "/auth/policy", null, null, 404);
        String version = "v" + UUID.randomUUID().toString().substring(0, 8);
        // A version to come, not in force: the other tests' accounts need not accept it.
        long tomorrow = System.currentTimeMillis() + 86_400_000L;
        call("POST", "/admin/policies", "/admin/policies", ADMIN_KEY, "{\"version\":\"" + version + "\",\"effective_at\":" + tomorrow + "}", 201);
        call("GET", "/admin/policies", "/admin/policies", ADMIN_KEY, null, 200);
        call("GET", "/auth/policy", "/auth/policy", null, null, 200);

        String email = "s-" + UUID.randomUUID() + "@example.com";
        call("POST", "/auth/signup", "/auth/signup", null, "{\"email\":\"" + email + "\",\"password\":\"correct horse battery\","
                + "\"age_confirmed\":true,\"accept_policy_version\":\"" + version + "\"}", 201);
        call("POST", "/auth/signup", "/auth/signup", null, "{\"email\":\"" + email + "\",\"password\":\"short\",\"age_confirmed\":true}", 400);
        // Any address has the same answer (one that just signed up is in its mail cool-down: 429).
        call("POST", "/auth/verify-email/resend", "/auth/verify-email/resend", null, "{\"email\":\"r-" + UUID.randomUUID() + "@example.com\"}", 202);
        call("GET", "/auth/verify-email", "/auth/verify-email?token=not-a-token", null, null, 400);
        call("POST", "/auth/verify-email", "/auth/verify-email", null, "{\"token\":\"not-a-token\"}", 400);
        call("GET", "/auth/confirm-email", "/auth/confirm-email", null, null, 400);
        call("POST", "/auth/confirm-email", "/auth/confirm-email?token=not-a-token", null, null, 400);
        call("POST", "/auth/reset-password", "/auth/reset-password", null, "{\"email\":\"p-" + UUID.randomUUID() + "@example.com\"}", 202);

        String admins = "a-" + UUID.randomUUID() + "@example.com";
        expect(gateway.post("/admin/users", ADMIN_KEY, "{\"email\":\"" + admins + "\",\"password\":\"correct horse battery\"}"), 201);
        Browser browser = new Browser(gateway);
        described("POST", "/auth/login", expect(browser.login(admins, "wrong password here"), 401));
        described("POST", "/auth/login", expect(browser.login(admins, "correct horse battery"), 200));
        described("POST", "/api/v1/account/policy", expect(browser.post("/api/v1/account/policy", "{\"version\":\"" + version + "\"}"), 200));
        described("GET", "/auth/session", expect(browser.get("/auth/session"), 200));
        described("GET", "/api/v1/account/sessions", expect(browser.get("/api/v1/account/sessions"), 200));
        described("POST", "/auth/logout", expect(browser.post("/auth/logout", null), 204));
        described("POST", "/auth/login", expect(browser.login(admins, "correct horse battery"), 200));
        described("POST", "/api/v1/account/sessions/revoke-all", expect(browser.post("/api/v1/account/sessions/revoke-all", null), 200));
    }

    @Test
    void operations() {
        call("GET", "/health/live", "/health/live", null, null, 200);
        call("GET", "/health/ready", "/health/ready", null, null, 200);
        call("GET", "/metrics", "/metrics", null, null, 200);
        call("GET", "/openapi.json", "/openapi.json", null, null, 200);
        call("POST", "/admin/jobs/{name}/run", "/admin/jobs/no-such-job/run", ADMIN_KEY, null, 404);
    }
}
