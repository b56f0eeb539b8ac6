package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.MockStripe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The people's console pages over real HTTP (forms as a browser posts them, with the session's
 * cookie and CSRF token): a key made and revoked, a Stripe top-up paid on MockStripe's checkout
 * page and credited by its signed webhook, a call that shows in the usage log, the dashboard's
 * spend and the CSV export, the data export and the account's deletion — and the rules: another
 * account's objects are 404, a change without the token is refused.
 */
class ConsolePeopleHttpTest extends EndToEndTest {

    private static final String PASSWORD = "correct horse battery staple";
    private static final Pattern CSRF = Pattern.compile("name=\"csrf_token\" value=\"([^\"]+)\"");
    private final MockStripe stripe = new MockStripe("sk_test_console", "whsec_console");

    @BeforeEach
    void start() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of(
                "apimodels.stripe.secret-key", "sk_test_console", "apimodels.stripe.webhook-secret", "whsec_console",
                "apimodels.stripe.api-base", stripe.apiBase()));
        stripe.endpoint(gateway.uri("/webhooks/stripe"));
    }

    @AfterEach
    void stopStripe() {
        stripe.close();
    }

    /** A browser signed in as a new person: its cookie and the session's CSRF token. */
    private record Browser(String cookie, String csrf) {
    }

    @Test
    void aPersonTopsUpCallsSeesTheUsageExportsAndDeletesTheAccount() throws Exception {
        Browser ada = signIn("ada");

        for (String page : new String[]{"/console/", "/console/keys", "/console/billing", "/console/usage", "/console/tasks",
                "/console/models", "/console/quickstart", "/console/account"}) {
            HttpResponse<String> shown = get(page, ada);
            assertThat(shown.statusCode()).as(page).isEqualTo(200);
            ConsoleHttpTest.secured(shown);
            assertThat(shown.body()).as(page).doesNotContain("style=").doesNotContain("<script>");
        }
        assertThat(get("/console/quickstart", ada).body()).contains(gateway.baseUrl() + "/v1").contains("\"test-chat\"");
        assertThat(get("/console/models", ada).body()).contains("test-chat").contains("10.00 per million input tokens");

        assertThat(post("/console/keys", ada, "name=laptop").statusCode()).as("no csrf_token").isEqualTo(403);
        HttpResponse<String> created = post("/console/keys", ada, "csrf_token=" + ada.csrf()
                + "&name=laptop&allowed_models=test-chat&spend_limit=2.5");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Matcher secret = Pattern.compile("id=\"new-key\">(sk-am-[^<]+)<").matcher(created.body());
        assertThat(secret.find()).isTrue();
        String key = secret.group(1);
        assertThat(get("/console/keys", ada).body()).as("shown once").doesNotContain(key).contains("0.00 / 2.50");
        HttpResponse<String> refused = post("/console/keys", ada, "csrf_token=" + ada.csrf() + "&name=x&spend_limit=lots");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("id=\"spend_limit-error\"");

        // Top up 5 credits with Stripe: our page sends the browser on, MockStripe's Pay posts the signed webhook.
        HttpResponse<String> checkout = post("/console/billing/checkout", ada, "csrf_token=" + ada.csrf() + "&amount=5&method=stripe");
        assertThat(checkout.statusCode()).as(checkout.body()).isEqualTo(201);
        Matcher pay = Pattern.compile("http-equiv=\"refresh\" content=\"0;url=([^\"]+)\"").matcher(checkout.body());
        assertThat(pay.find()).isTrue();
        URI stripePage = URI.create(pay.group(1).replace("&amp;", "&"));
        assertThat(stripePage.toString()).startsWith(stripe.apiBase() + "/c/pay/");
        HttpResponse<String> paid = gateway.http.send(HttpRequest.newBuilder(stripePage).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(paid.statusCode()).isEqualTo(303);
        URI back = URI.create(paid.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> returned = get(back.getRawPath() + "?" + back.getRawQuery(), ada);
        assertThat(returned.body()).contains("id=\"order-state\"").contains(": paid</p>").contains("<strong id=\"balance\">5.00</strong>");

        Gateway.expect(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}"), 200);
        String dashboard = get("/console/", ada).body();
        assertThat(dashboard).contains("id=\"balance\">" + credits(5_000_000 - Catalogs.MOCK_CALL_COST) + "<")
                .contains("<td>test-chat</td><td>" + credits(Catalogs.MOCK_CALL_COST) + "</td>")
                .contains("data-chart=\"{&#34;days&#34;:[");
        String usage = get("/console/usage?model=test-chat", ada).body();
        assertThat(usage).contains("<td>test-chat</td><td>chat.completions</td><td>200</td>");
        Matcher csv = Pattern.compile("href=\"(/api/v1/account/usage\\?[^\"]+)\"").matcher(usage);
        assertThat(csv.find()).isTrue();
        HttpResponse<String> download = get(csv.group(1).replace("&amp;", "&"), ada);
        assertThat(download.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/csv");
        assertThat(download.body().lines()).hasSize(2).last().asString().contains("test-chat");

        // Another person sees none of it.
        Browser bob = signIn("bob");
        Matcher keyId = Pattern.compile("/console/keys/(\\d+)/revoke").matcher(get("/console/keys", ada).body());
        assertThat(keyId.find()).isTrue();
        assertThat(post("/console/keys/" + keyId.group(1) + "/revoke", bob, "csrf_token=" + bob.csrf()).statusCode()).isEqualTo(404);
        assertThat(get(back.getRawPath() + "?" + back.getRawQuery(), bob).statusCode()).isEqualTo(404);
        assertThat(get("/console/usage", bob).body()).doesNotContain("<td>test-chat</td>");
        assertThat(get("/console/billing", bob).body()).doesNotContain("5.00 USD");

        assertThat(post("/console/keys/" + keyId.group(1) + "/revoke", ada, "csrf_token=" + ada.csrf()).statusCode()).isEqualTo(303);
        assertThat(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(401);

        HttpResponse<byte[]> export = gateway.http.send(HttpRequest.newBuilder(gateway.uri("/api/v1/account/export"))
                .header("Cookie", ada.cookie()).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.headers().firstValue("Content-Type")).hasValue("application/zip");

        HttpResponse<String> wrong = post("/console/account/delete", ada, "csrf_token=" + ada.csrf() + "&password=not-it-at-all");
        assertThat(wrong.statusCode()).isBetween(400, 403);
        assertThat(wrong.body()).contains("id=\"password-error\"");
        HttpResponse<String> deleted = post("/console/account/delete", ada, "csrf_token=" + ada.csrf() + "&password="
                + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8));
        assertThat(deleted.statusCode()).isEqualTo(303);
        assertThat(deleted.headers().firstValue("Location")).hasValue("/console/account/deleted");
        assertThat(deleted.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(get("/console/", ada).statusCode()).as("the session ended with the account").isEqualTo(303);
    }

    @Test
    void changesWithoutTheTokenAreRefusedAndOthersFilesAre404() throws Exception {
        Browser ada = signIn("ada");
        for (String path : new String[]{"/console/keys", "/console/billing/checkout", "/console/billing/redeem",
                "/console/account/profile", "/console/account/marketing", "/console/account/restriction", "/console/account/delete",
                "/console/files/file_x/delete"}) {
            HttpResponse<String> r = post(path, ada, "name=x");
            assertThat(r.statusCode()).as(path).isEqualTo(403);
            ConsoleHttpTest.html(r);
        }
        assertThat(post("/console/files/file_nope/delete", ada, "csrf_token=" + ada.csrf()).statusCode()).isEqualTo(404);
        HttpResponse<String> named = post("/console/account/profile", ada, "csrf_token=" + ada.csrf() + "&name=Ada+Lovelace");
        assertThat(named.statusCode()).isEqualTo(200);
        assertThat(named.body()).contains("value=\"Ada Lovelace\"").contains("Saved.");
        HttpResponse<String> code = post("/console/billing/redeem", ada, "csrf_token=" + ada.csrf() + "&code=AAAA-BBBB-CCCC-DDDD-EEEE");
        assertThat(code.statusCode()).isEqualTo(400);
        assertThat(code.body()).contains("id=\"code-error\"");
    }

    /** The account page's change of address: a link mailed to the new one lands on a console page; the POST there changes it, once. */
    @Test
    void theAddressChangesThroughALinkMailedToTheNewAddress() throws Exception {
        gateway.close();
        try (GreenMailInbox inbox = new GreenMailInbox("apimodels", "smtp-secret")) {
            gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Gateway.mailTo(inbox));
            Browser ada = signIn("ada");
            String newEmail = "ada-new-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
            assertThat(get("/console/account", ada).body()).contains("<label for=\"new_email\">New email address</label>");
            assertThat(post("/console/account/email", ada, "new_email=" + newEmail).statusCode()).as("no csrf_token").isEqualTo(403);
            HttpResponse<String> bad = post("/console/account/email", ada, "csrf_token=" + ada.csrf() + "&new_email=not-an-address");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("id=\"new_email-error\"").contains("value=\"not-an-address\"");

            HttpResponse<String> sent = post("/console/account/email", ada, "csrf_token=" + ada.csrf() + "&new_email="
                    + URLEncoder.encode(newEmail, StandardCharsets.UTF_8));
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
            assertThat(sent.body()).contains("A link is on its way to " + newEmail);
            Pattern confirmLink = Pattern.compile("https?://\\S+/console/confirm-email\\?token=([A-Za-z0-9_-]+)");
            AtomicReference<String> token = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> inbox.awaitMessages(0).stream()
                    .filter(m -> m.deliveredTo().contains(newEmail)).map(m -> confirmLink.matcher(m.text()))
                    .filter(Matcher::find).findFirst().map(m -> {
                        token.set(m.group(1));
                        return true;
                    }).orElse(false));

            HttpResponse<String> page = send("GET", "/console/confirm-email?token=" + token.get(), Map.of(), null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<button type=\"submit\" class=\"primary\">Use this address</button>");
            assertThat(get("/console/account", ada).body()).as("following the link alone changes nothing").doesNotContain(newEmail);
            Map<String, String> form = Map.of("Origin", gateway.baseUrl(), "Content-Type", "application/x-www-form-urlencoded");
            HttpResponse<String> confirmed = send("POST", "/console/confirm-email", form, "token=" + token.get());
            assertThat(confirmed.statusCode()).as(confirmed.body()).isEqualTo(200);
            assertThat(confirmed.body()).contains("Address changed");
            assertThat(get("/console/account", ada).body()).contains("<strong id=\"email\">" + newEmail + "</strong>");
            HttpResponse<String> again = send("POST", "/console/confirm-email", form, "token=" + token.get());
            assertThat(again.statusCode()).as("a link works once").isEqualTo(400);
            assertThat(again.body()).contains("Use this address").doesNotContain("Address changed");
            gateway.close();
            gateway = null;
        }
    }

    private Browser signIn(String name) throws Exception {
        String email = name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        Gateway.expect(gateway.send("POST", "/admin/users", Gateway.ADMIN_KEY,
                "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"), 201);
        HttpResponse<String> in = send("POST", "/console/login", Map.of("Origin", gateway.baseUrl(),
                "Content-Type", "application/x-www-form-urlencoded"), "email=" + URLEncoder.encode(email, StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8) + "&next=%2Fconsole%2F");
        assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
        String cookie = in.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        Matcher token = CSRF.matcher(send("GET", "/console/", Map.of("Cookie", cookie), null).body());
        assertThat(token.find()).isTrue();
        return new Browser(cookie, token.group(1));
    }

    private static String credits(long micros) {
        return app.apimodels.console.Format.credits(micros);
    }

    private HttpResponse<String> get(String path, Browser b) throws IOException, InterruptedException {
        return send("GET", path, Map.of("Cookie", b.cookie()), null);
    }

    private HttpResponse<String> post(String path, Browser b, String form) throws IOException, InterruptedException {
        return send("POST", path, Map.of("Cookie", b.cookie(), "Origin", gateway.baseUrl(),
                "Content-Type", "application/x-www-form-urlencoded"), form);
    }

    private HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
