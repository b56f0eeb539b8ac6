package app.apimodels.quickstart.e2e;

import app.apimodels.console.Format;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.MockStripe;
import app.apimodels.testkit.ReceivedMail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A person's whole journey in real Chromium (Debian's chromium through chromedriver, headless):
 * sign up → verify by the mailed link → log in → create a key → top up 5 credits on MockStripe's
 * checkout page (its Pay button posts the signed webhook) → the balance shows it → a chat call with
 * the key (JDK HttpClient) → the call in the usage log and the dashboard's chart → the data export →
 * delete the account. Every page is {@link ConsoleBrowser#checked}: a screenshot under
 * {@code target/console-screenshots/}, axe-core, no browser console error.
 */
class ConsolePersonJourneyTest extends EndToEndTest {

    private static final Pattern VERIFY_LINK = Pattern.compile("https?://\\S+/console/verify\\?token=[A-Za-z0-9_-]+");
    private static final String PASSWORD = "correct horse battery staple";

    private final GreenMailInbox inbox = new GreenMailInbox("apimodels", "smtp-secret");
    private final MockStripe stripe = new MockStripe("sk_test_journey", "whsec_journey");
    private ConsoleBrowser browser;

    @AfterEach
    void stopAll() {
        if (browser != null) {
            browser.close();
        }
        stripe.close();
        inbox.close();
    }

    @Test
    void signUpVerifyLogInKeyTopUpCallUsageExportDelete() throws Exception {
        Map<String, String> settings = Gateway.mailTo(inbox);
        settings.putAll(Map.of("apimodels.stripe.secret-key", "sk_test_journey", "apimodels.stripe.webhook-secret", "whsec_journey",
                "apimodels.stripe.api-base", stripe.apiBase()));
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, settings);
        stripe.endpoint(gateway.uri("/webhooks/stripe"));
        Gateway.expect(gateway.send("POST", "/admin/policies", Gateway.ADMIN_KEY,
                "{\"version\":\"2026-12\",\"effective_at\":" + System.currentTimeMillis() + ",\"url\":\"https://example.com/policy\"}"), 201);
        browser = new ConsoleBrowser(gateway.baseUrl(), ConsoleBrowser.DESKTOP);
        WebDriver driver = browser.driver();
        String email = "grace-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";

        // Sign up, verify by the mailed link, log in.
        browser.open("/console/signup", "person-signup").fill("Email", email).fill("New password", PASSWORD)
                .tick("I am 18 years old or older").tick("I accept the terms and privacy policy (version 2026-12)")
                .click("Create account", "person-signed-up");
        assertThat(browser.heading()).isEqualTo("Check your inbox");
        Matcher link = VERIFY_LINK.matcher(awaitMail(email).text());
        assertThat(link.find()).isTrue();
        browser.open(link.group(), "person-verify").click("Verify my address", "person-verified");
        assertThat(browser.heading()).isEqualTo("Address verified");
        browser.open("/console/login", "person-login").fill("Email", email).fill("Password", PASSWORD).click("Log in", "person-dashboard-empty");
        assertThat(browser.heading()).isEqualTo("Dashboard");

        // A key, shown once.
        browser.click("API keys", "person-keys").fill("Name", "laptop").click("Create key", "person-key-created");
        String key = driver.findElement(By.id("new-key")).getText().trim();
        assertThat(key).startsWith("sk-am-");

        // Top up 5 credits with Stripe: our page sends the browser to MockStripe, whose Pay posts the signed webhook.
        browser.click("Top up", "person-billing").fill("Amount in credits", "5");
        driver.findElement(By.xpath("//button[normalize-space()='Pay']")).click();
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.urlContains("/c/pay/"));
        driver.findElement(By.xpath("//button[normalize-space()='Pay']")).click();
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.urlContains("/console/billing?order="));
        browser.checked("person-billing-paid");
        assertThat(driver.findElement(By.id("order-state")).getText()).endsWith("paid");
        assertThat(driver.findElement(By.id("balance")).getText()).isEqualTo("5.00");

        // A chat call with the key, from outside the browser.
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}"), 200);
        String cost = Format.credits(Catalogs.MOCK_CALL_COST);
        browser.click("Dashboard", "person-dashboard");
        assertThat(driver.findElement(By.id("balance")).getText()).isEqualTo(Format.credits(5_000_000 - Catalogs.MOCK_CALL_COST));
        assertThat(driver.findElement(By.id("spend-table")).getText()).contains("test-chat").contains(cost);
        assertThat(driver.findElements(By.cssSelector("#spend-chart .uplot canvas"))).as("uPlot drew the chart").isNotEmpty();
        assertThat(driver.findElement(By.cssSelector("#spend-chart .u-legend")).getText()).contains("test-chat");

        browser.click("Usage", "person-usage");
        assertThat(driver.findElement(By.cssSelector("table.calls")).getText()).contains("test-chat").contains("chat.completions");
        assertThat(new String(download(driver, driver.findElement(By.id("csv")).getDomProperty("href")), StandardCharsets.UTF_8))
                .contains("test-chat");

        browser.click("Tasks and files", "person-tasks").click("Models", "person-models").click("Quick start", "person-quickstart");
        assertThat(driver.findElement(By.id("snippet-python")).getText()).contains(gateway.baseUrl() + "/v1").contains("test-chat");

        browser.click("Account and privacy", "person-account");
        Map<String, String> export = unzip(download(driver, driver.findElement(By.id("export")).getDomProperty("href")));
        assertThat(export).containsKeys("account.json", "usage.csv", "orders.csv");
        assertThat(export.get("account.json")).contains(email);
        assertThat(export.get("orders.csv")).contains("paid");
        browser.fill("Your password, to confirm", PASSWORD).click("Delete my account", "person-deleted");
        assertThat(browser.heading()).isEqualTo("Account deleted");
        assertThat(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(401);
        driver.get(gateway.baseUrl() + "/console/");
        assertThat(browser.path()).as("signed out with the account").startsWith("/console/login");
    }

    /** What a link downloads with the browser's session cookie. */
    private byte[] download(WebDriver driver, String href) throws Exception {
        var cookie = driver.manage().getCookies().stream().filter(c -> c.getName().endsWith("apimodels_session")).findFirst().orElseThrow();
        HttpResponse<byte[]> r = gateway.http.send(HttpRequest.newBuilder(java.net.URI.create(href))
                .header("Cookie", cookie.getName() + "=" + cookie.getValue()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(href).isEqualTo(200);
        return r.body();
    }

    private static Map<String, String> unzip(byte[] zip) throws Exception {
        Map<String, String> files = new HashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                files.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    private ReceivedMail awaitMail(String to) {
        AtomicReference<ReceivedMail> found = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var mine = inbox.awaitMessages(0).stream().filter(m -> m.deliveredTo().contains(to)).toList();
            if (mine.isEmpty() || !VERIFY_LINK.matcher(mine.get(mine.size() - 1).text()).find()) {
                return false;
            }
            found.set(mine.get(mine.size() - 1));
            return true;
        });
        return found.get();
    }
}
