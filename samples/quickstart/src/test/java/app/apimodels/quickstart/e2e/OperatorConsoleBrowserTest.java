package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockStripe;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operator's journey in real Chromium: log in as the bootstrap admin, find a customer, grant
 * credits (the balance moves in the API), edit a model's price (a bad value is refused beside its
 * field; a good one is what the next call costs), and refund part of an order the customer paid
 * through Stripe (the test double): the refund goes to Stripe, and when Stripe reports it the
 * ledger takes the credits back. Every operators' page is visited and {@link ConsoleBrowser#checked}:
 * a screenshot under {@code target/console-screenshots/}, axe-core, no browser console error.
 */
class OperatorConsoleBrowserTest extends EndToEndTest {

    private static final String STRIPE_KEY = "sk_test_operator";
    private static final String WEBHOOK_SECRET = "whsec_operator";
    private static final long TWENTY = 20_000_000;

    private MockStripe stripe;
    private ConsoleBrowser browser;

    @BeforeEach
    void start() throws Exception {
        stripe = new MockStripe(STRIPE_KEY, WEBHOOK_SECRET);
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of(
                "apimodels.bootstrap.admin-password", OperatorConsoleHttpTest.ADMIN_PASSWORD,
                "apimodels.stripe.secret-key", STRIPE_KEY,
                "apimodels.stripe.webhook-secret", WEBHOOK_SECRET,
                "apimodels.stripe.api-base", stripe.apiBase()));
        stripe.endpoint(gateway.uri("/webhooks/stripe"));
        browser = new ConsoleBrowser(gateway.baseUrl(), ConsoleBrowser.DESKTOP);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        stripe.close();
    }

    @Test
    void anOperatorFindsACustomerGrantsCreditsEditsAPriceAndRefundsAnOrder() {
        // A customer who paid 20 credits through Stripe.
        String email = "grace-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        long id = Gateway.json(Gateway.expect(gateway.send("POST", "/admin/users", Gateway.ADMIN_KEY,
                "{\"email\":\"" + email + "\"}"), 201)).get("id").asLong();
        String key = Gateway.json(Gateway.expect(gateway.send("POST", "/admin/users/" + id + "/keys", Gateway.ADMIN_KEY,
                "{\"name\":\"laptop\"}"), 201)).get("key").asText();
        Gateway.User customer = new Gateway.User(id, key);
        String orderId = Gateway.json(Gateway.expect(gateway.send("POST", "/api/v1/billing/checkout", key,
                "{\"amount_micros\":" + TWENTY + ",\"method\":\"stripe\"}"), 201)).get("order_id").asText();
        String session = stripe.sessionFor(orderId);
        stripe.pay(session);
        assertThat(stripe.webhook(stripe.sessionEvent("checkout.session.completed", session)).deliver()).isEqualTo(200);
        assertThat(gateway.balance(customer)).isEqualTo(TWENTY);

        // Log in as the bootstrap admin.
        browser.open("/console/login", "operator-login")
                .fill("Email", OperatorConsoleHttpTest.ADMIN_EMAIL)
                .fill("Password", OperatorConsoleHttpTest.ADMIN_PASSWORD)
                .click("Log in", "operator-dashboard");

        // Find the customer.
        browser.click("Users", "operator-users")
                .fill("Email, name or ID", email.substring(0, 10))
                .click("Search users", "operator-users-found")
                .click(email, "operator-user");
        assertThat(browser.text(By.id("user-email"))).isEqualTo(email);

        // Grant credits: the balance moves in the API.
        browser.fill("Amount to grant", "5")
                .fill("Reason", "sorry for the outage")
                .click("Grant credits", "operator-user-granted");
        assertThat(browser.text()).contains("Credits granted.");
        assertThat(browser.text(By.id("balance"))).isEqualTo("25");
        assertThat(gateway.balance(customer)).isEqualTo(TWENTY + 5_000_000);

        // Edit a price: a bad value is refused beside its field, a good one is what the next call costs.
        browser.click("Catalog", "operator-catalog")
                .click("Edit test-chat", "operator-model")
                .fill("Input, per million tokens", "-1")
                .click("Save price", "operator-model-refused");
        assertThat(browser.text(By.id("input-per-1m-tokens-error"))).contains("must not be negative");
        assertThat(browser.driver().findElement(By.id("input-per-1m-tokens")).getDomAttribute("aria-invalid")).isEqualTo("true");
        browser.fill("Input, per million tokens", "20")
                .fill("Output, per million tokens", "60")
                .click("Save price", "operator-model-saved");
        assertThat(browser.text()).contains("Price saved");
        long before = gateway.balance(customer);
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"), 200);
        assertThat(before - gateway.balance(customer)).as("11 in × 20 + 5 out × 60 micros").isEqualTo(520);

        // Refund 7 of the order's 20 credits: through Stripe, taken back when Stripe reports it.
        browser.click("Orders", "operator-orders")
                .click(orderId, "operator-order")
                .fill("Amount to refund (credits)", "7")
                .click("Refund order", "operator-order-refund-sent");
        assertThat(browser.text()).contains("Refund sent");
        assertThat(stripe.requests()).anySatisfy(r -> {
            assertThat(r.path()).isEqualTo("/v1/refunds");
            assertThat(r.params()).containsEntry("amount", "700").containsEntry("payment_intent", stripe.paymentIntentOf(session));
        });
        assertThat(stripe.webhook(stripe.chargeEvent("charge.refunded", session)).deliver()).isEqualTo(200);
        long afterCall = before - 520;
        await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(gateway.balance(customer)).isEqualTo(afterCall - 7_000_000));
        JsonNode order = Gateway.json(Gateway.expect(gateway.send("GET", "/admin/orders/" + orderId, Gateway.ADMIN_KEY, null), 200));
        assertThat(order.get("state").asText()).isEqualTo("partially_refunded");
        assertThat(order.get("clawed_back_micros").asLong()).isEqualTo(7_000_000);
        browser.open("/console/admin/orders/" + orderId, "operator-order-refunded");
        assertThat(browser.text(By.id("clawed"))).isEqualTo("7");

        // The other operators' pages, each with its main action.
        browser.click("Redemption codes", "operator-redemption")
                .fill("Number of codes", "3")
                .fill("Credits per code", "2")
                .click("Create codes", "operator-redemption-created");
        assertThat(browser.driver().findElements(By.cssSelector("ol.codes li"))).hasSize(3);
        assertThat(browser.driver().findElement(By.linkText("Download the codes (CSV)")).getDomAttribute("href")).startsWith("data:text/csv");
        browser.click("Call log", "operator-calls")
                .fill("Model", "test-chat")
                .click("Search calls", "operator-calls-found");
        assertThat(browser.driver().findElements(By.cssSelector("main tbody tr"))).hasSizeGreaterThanOrEqualTo(1);
        browser.click("Reconciliation", "operator-reconciliation")
                .click("Policies", "operator-policies")
                .fill("Version", "2027-01")
                .fill("Takes effect (UTC)", "")
                .click("Publish version", "operator-policies-refused");
        assertThat(browser.text(By.id("effective-error"))).contains("date and time");
        browser.fill("Subject", "New models")
                .fill("Message", "Two new chat models are in the catalog.")
                .click("Send announcement", "operator-announcement-queued");
        assertThat(browser.text()).contains("Announcement queued");
        browser.click("Privacy requests", "operator-privacy")
                .click("Jobs", "operator-jobs")
                .click("Run retention now", "operator-job-run");
        assertThat(browser.text()).contains("Job run.");
        browser.click("Plug-ins", "operator-plugins");
    }
}
