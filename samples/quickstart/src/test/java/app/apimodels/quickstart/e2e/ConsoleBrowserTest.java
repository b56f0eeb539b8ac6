package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.ReceivedMail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The console's own pages in Chromium (see {@link ConsoleBrowser}: every page is screenshotted and
 * checked for console errors and serious accessibility violations), against the quickstart server
 * with mail delivered over SMTP to GreenMail: sign up → the mailed link → verified → log in →
 * dashboard → log out; a forgotten password reset through the mailed link; Chinese by the switch;
 * a signed-out visit sent to the log-in page and back. Also measured (printed and written to
 * {@code target/console-screenshots/measurements.txt}, not asserted on time): the first page's load
 * time and the JS and CSS the console ships, gzip-compressed.
 */
class ConsoleBrowserTest extends EndToEndTest {

    private static final Pattern VERIFY_LINK = Pattern.compile("https?://\\S+/console/verify\\?token=[A-Za-z0-9_-]+");
    private static final Pattern RESET_LINK = Pattern.compile("https?://\\S+/console/reset-password\\?token=[A-Za-z0-9_-]+");
    private static final String PASSWORD = "correct horse battery staple";
    private final GreenMailInbox inbox = new GreenMailInbox("apimodels", "smtp-secret");

    @BeforeEach
    void start() throws Exception {
        Map<String, String> mail = new HashMap<>(Map.of("apimodels.mail.type", "smtp", "apimodels.mail.host", inbox.host(),
                "apimodels.mail.port", Integer.toString(inbox.port()), "apimodels.mail.username", inbox.username(),
                "apimodels.mail.password", inbox.password(), "apimodels.mail.starttls", "false",
                "apimodels.mail.from", "Acme AI <noreply@acme.example>"));
        mail.put("apimodels.mail.send-interval-ms", "50");
        mail.put("apimodels.jobs.poll-interval-ms", "50");
        mail.put("apimodels.auth.mail-cooldown-seconds", "1"); // the reset mail follows the sign-up mail within seconds
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, mail);
        Gateway.expect(gateway.send("POST", "/admin/policies", Gateway.ADMIN_KEY, "{\"version\":\"2026-12\",\"effective_at\":"
                + System.currentTimeMillis() + ",\"url\":\"https://acme.example/terms\"}"), 201);
    }

    @AfterEach
    void stopMail() {
        inbox.close();
    }

    @Test
    void signUpVerifyLogInOutResetAndSwitchToChinese() throws Exception {
        String email = "ada-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        long started = System.nanoTime();
        assertThat(gateway.http.send(HttpRequest.newBuilder(gateway.uri("/console/login")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        measure("first /console/login answer after the server started (HTTP, no browser)",
                String.format("%.0f ms", (System.nanoTime() - started) / 1e6));
        try (ConsoleBrowser phone = new ConsoleBrowser(gateway.baseUrl(), ConsoleBrowser.PHONE)) {
            phone.open("/console/login", "login");
            measure("first page load (/console/login in a new browser, phone: HTML, CSS, JS to the load event)",
                    String.format("%.0f ms", phone.loadMillis()));
            phone.click("Sign up", "signup");
            assertThat(phone.heading()).isEqualTo("Sign up");
        }
        try (ConsoleBrowser browser = new ConsoleBrowser(gateway.baseUrl(), ConsoleBrowser.DESKTOP)) {
            browser.open("/console/signup", "signup");
            measure("first page load (/console/signup in a new browser, desktop)", String.format("%.0f ms", browser.loadMillis()));
            browser.fill("Email", email).fill("New password", "short").tick("I am 18 years old or older")
                    .tick("I accept the terms and privacy policy (version 2026-12)")
                    .click("Create account", "signup-refused");
            assertThat(browser.text()).contains("password must");
            browser.fill("New password", PASSWORD).tick("I am 18 years old or older")
                    .tick("I accept the terms and privacy policy (version 2026-12)")
                    .click("Create account", "signup-done");
            assertThat(browser.heading()).isEqualTo("Check your inbox");

            browser.open(link(email, VERIFY_LINK, 1), "verify");
            assertThat(browser.heading()).isEqualTo("Verify your email");
            browser.click("Verify my address", "verified");
            assertThat(browser.heading()).isEqualTo("Address verified");

            browser.open("/console/", "signed-out-redirect");
            assertThat(browser.path()).isEqualTo("/console/login?next=%2Fconsole%2F");
            browser.fill("Email", email).fill("Password", PASSWORD).click("Log in", "dashboard");
            assertThat(browser.path()).isEqualTo("/console/");
            assertThat(browser.heading()).isEqualTo("Dashboard");
            browser.click("Log out", "logged-out");
            assertThat(browser.path()).isEqualTo("/console/login");
            browser.open("/console/", "signed-out-again");
            assertThat(browser.path()).startsWith("/console/login");

            browser.click("Forgot your password?", "forgot");
            browser.fill("Email", email).click("Send the link", "forgot-done");
            assertThat(browser.heading()).isEqualTo("Check your inbox");
            browser.open(link(email, RESET_LINK, 2), "reset");
            String newPassword = PASSWORD + " again";
            browser.fill("New password", newPassword).click("Set the new password", "reset-done");
            assertThat(browser.heading()).isEqualTo("Password changed");
            browser.click("Log in", "login");
            browser.fill("Email", email).fill("Password", PASSWORD).click("Log in", "login-old-password");
            assertThat(browser.text()).contains("The email or password is wrong.");
            browser.fill("Password", newPassword).click("Log in", "dashboard-after-reset");
            assertThat(browser.heading()).isEqualTo("Dashboard");

            browser.click("中文", "dashboard-zh");
            assertThat(browser.lang()).isEqualTo("zh");
            assertThat(browser.heading()).isEqualTo("概览");
            browser.click("退出登录", "logged-out-zh");
            assertThat(browser.heading()).isEqualTo("登录");
            browser.click("English", "login-en");
            assertThat(browser.lang()).isEqualTo("en");
        }
        measureAssets();
    }

    /** The link of the {@code count}-th mail to {@code to} once it came. */
    private String link(String to, Pattern pattern, int count) {
        AtomicReference<String> found = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var mine = inbox.awaitMessages(0).stream().filter(m -> m.deliveredTo().contains(to)).toList();
            if (mine.size() < count) {
                return false;
            }
            ReceivedMail latest = mine.get(count - 1);
            Matcher m = pattern.matcher(latest.text());
            if (m.find()) {
                found.set(m.group());
            }
            return m.find(0);
        });
        return found.get();
    }

    /** Every JS and CSS file the console serves, as a browser that accepts gzip receives it. */
    private void measureAssets() throws Exception {
        String page = gateway.http.send(HttpRequest.newBuilder(gateway.uri("/console/login")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher asset = Pattern.compile("(?:href|src)=\"(/console/assets/[^\"]+)\"").matcher(page);
        long pageTotal = 0;
        while (asset.find()) {
            pageTotal += gzipped(asset.group(1));
        }
        long uplot = gzipped("/console/assets/uplot-1.6.30.min.js") + gzipped("/console/assets/uplot-1.6.30.min.css");
        measure("JS+CSS of a page (console.js, console.css), gzip", pageTotal + " bytes");
        measure("JS+CSS shipped in all, with uPlot for charts, gzip", (pageTotal + uplot) + " bytes");
        assertThat(pageTotal + uplot).as("the console ships under 150 KB of compressed JS and CSS").isLessThan(150 * 1024);
    }

    private long gzipped(String path) throws Exception {
        HttpResponse<byte[]> r = gateway.http.send(HttpRequest.newBuilder(gateway.uri(path)).header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Encoding")).as(path).hasValue("gzip");
        assertThat(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(r.body())).readAllBytes()).isNotEmpty();
        return r.body().length;
    }

    private static void measure(String what, String figure) throws Exception {
        String line = what + ": " + figure;
        System.out.println("[console measurement] " + line);
        Files.createDirectories(ConsoleBrowser.SCREENSHOTS);
        Files.writeString(ConsoleBrowser.SCREENSHOTS.resolve("measurements.txt"), line + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
}
