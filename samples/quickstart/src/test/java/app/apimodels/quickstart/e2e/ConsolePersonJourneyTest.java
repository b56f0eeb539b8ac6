package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.MockStripe;
import app.apimodels.testkit.ReceivedMail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
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
 * delete the account. Every page is saved as a screenshot under
 * {@code target/console-screenshots/person-*.png} and checked with axe-core (no serious or critical
 * violation), and the browser's console must stay free of errors (a CSP refusal would show there).
 */
class ConsolePersonJourneyTest extends EndToEndTest {

    private static final Pattern VERIFY_LINK = Pattern.compile("https?://\\S+/console/verify\\?token=[A-Za-z0-9_-]+");
    private static final String PASSWORD = "correct horse battery staple";
    private static final Path SHOTS = Path.of("target", "console-screenshots");

    private final GreenMailInbox inbox = new GreenMailInbox("apimodels", "smtp-secret");
    private final MockStripe stripe = new MockStripe("sk_test_journey", "whsec_journey");
    private WebDriver driver;
    private int shot;

    @AfterEach
    void stopAll() {
        if (driver != null) {
            driver.quit();
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
        driver = chromium();
        String email = "grace-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";

        // Sign up, verify by the mailed link, log in.
        open("/console/signup", "signup");
        type("Email", email);
        type("New password", PASSWORD);
        tick("I am 18 years old or older");
        tick("I accept the terms and privacy policy (version 2026-12)");
        press("Create account");
        checked("signed-up");
        assertThat(heading()).isEqualTo("Check your inbox");
        Matcher link = VERIFY_LINK.matcher(awaitMail(email).text());
        assertThat(link.find()).isTrue();
        driver.get(link.group());
        checked("verify");
        press("Verify my address");
        assertThat(heading()).isEqualTo("Address verified");
        open("/console/login", "login");
        type("Email", email);
        type("Password", PASSWORD);
        press("Log in");
        assertThat(heading()).isEqualTo("Dashboard");
        checked("dashboard-empty");

        // A key, shown once.
        follow("API keys");
        checked("keys");
        type("Name", "laptop");
        press("Create key");
        String key = driver.findElement(By.id("new-key")).getText().trim();
        assertThat(key).startsWith("sk-am-");
        checked("key-created");

        // Top up 5 credits with Stripe: our page sends the browser to MockStripe, whose Pay posts the signed webhook.
        follow("Top up");
        checked("billing");
        type("Amount in credits", "5");
        press("Pay");
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.urlContains("/c/pay/"));
        screenshot("stripe-checkout");
        press("Pay");
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.urlContains("/console/billing?order="));
        checked("billing-paid");
        assertThat(driver.findElement(By.id("order-state")).getText()).endsWith("paid");
        assertThat(driver.findElement(By.id("balance")).getText()).isEqualTo("5.00");

        // A chat call with the key, from outside the browser.
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}"), 200);
        String cost = app.apimodels.console.Format.credits(Catalogs.MOCK_CALL_COST);
        follow("Dashboard");
        checked("dashboard");
        assertThat(driver.findElement(By.id("balance")).getText()).isEqualTo(app.apimodels.console.Format.credits(5_000_000 - Catalogs.MOCK_CALL_COST));
        assertThat(driver.findElement(By.id("spend-table")).getText()).contains("test-chat").contains(cost);
        assertThat(driver.findElements(By.cssSelector("#spend-chart .uplot canvas"))).as("uPlot drew the chart").isNotEmpty();
        assertThat(driver.findElement(By.cssSelector("#spend-chart .u-legend")).getText()).contains("test-chat");

        follow("Usage");
        checked("usage");
        assertThat(driver.findElement(By.cssSelector("table.calls")).getText()).contains("test-chat").contains("chat.completions");
        byte[] csv = download(driver.findElement(By.id("csv")).getAttribute("href"));
        assertThat(new String(csv, StandardCharsets.UTF_8)).contains("test-chat");

        for (String[] page : new String[][]{{"Tasks and files", "tasks"}, {"Models", "models"}, {"Quick start", "quickstart"}}) {
            follow(page[0]);
            checked(page[1]);
        }
        assertThat(driver.findElement(By.id("snippet-python")).getText()).contains(gateway.baseUrl() + "/v1").contains("test-chat");

        follow("Account and privacy");
        checked("account");
        Map<String, String> export = unzip(download(driver.findElement(By.id("export")).getAttribute("href")));
        assertThat(export).containsKeys("account.json", "usage.csv", "orders.csv");
        assertThat(export.get("account.json")).contains(email);
        assertThat(export.get("orders.csv")).contains("paid");
        type("Your password, to confirm", PASSWORD);
        press("Delete my account");
        assertThat(heading()).isEqualTo("Account deleted");
        checked("deleted");
        assertThat(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(401);
        driver.get(gateway.baseUrl() + "/console/");
        assertThat(driver.getCurrentUrl()).as("signed out with the account").contains("/console/login");
    }

    // ---- the browser -------------------------------------------------------------------------------

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        chrome.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
        return chrome;
    }

    private void open(String path, String name) throws Exception {
        driver.get(gateway.baseUrl() + path);
        checked(name);
    }

    /** The menu link with this text. */
    private void follow(String linkText) {
        driver.findElement(By.xpath("//nav//a[normalize-space()='" + linkText + "']")).click();
    }

    /** The field whose label says {@code label}. */
    private void type(String label, String text) {
        WebElement field = labelled(label);
        field.clear();
        field.sendKeys(text);
    }

    private void tick(String label) {
        WebElement box = labelled(label);
        if (!box.isSelected()) {
            box.click();
        }
    }

    private WebElement labelled(String label) {
        String id = driver.findElement(By.xpath("//label[normalize-space()=\"" + label + "\"]")).getAttribute("for");
        return driver.findElement(By.id(id));
    }

    /** The button with this text (the first, in page order). */
    private void press(String text) {
        driver.findElement(By.xpath("//button[normalize-space()='" + text + "']")).click();
    }

    private String heading() {
        return driver.findElement(By.tagName("h1")).getText();
    }

    /** A screenshot, then axe-core over the page (no serious or critical violation) and no error in the browser's console. */
    private void checked(String name) throws Exception {
        screenshot(name);
        String axe;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("axe.min.js")) {
            axe = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript(axe);
        Object result = js.executeAsyncScript("var done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
                + "  done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })"
                + "    .map(function (v) { return v.id + ': ' + v.help + ' ' + v.nodes.map(function (n) { return n.target; }).join(' '); }));"
                + "}).catch(function (e) { done(['axe failed: ' + e]); });");
        assertThat((List<?>) result).as("axe on %s (%s)", name, driver.getCurrentUrl()).isEmpty();
        List<String> errors = new ArrayList<>();
        driver.manage().logs().get(LogType.BROWSER).forEach(entry -> {
            // The browser's own guess at /favicon.ico is not the console's to answer.
            if (entry.getLevel().intValue() >= Level.SEVERE.intValue() && !entry.getMessage().contains("/favicon.ico")) {
                errors.add(entry.getMessage());
            }
        });
        assertThat(errors).as("browser console on %s", name).isEmpty();
    }

    private void screenshot(String name) throws Exception {
        Files.createDirectories(SHOTS);
        Files.write(SHOTS.resolve(String.format("person-%02d-%s.png", ++shot, name)), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    /** What a link downloads with the browser's session cookie. */
    private byte[] download(String href) throws Exception {
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
