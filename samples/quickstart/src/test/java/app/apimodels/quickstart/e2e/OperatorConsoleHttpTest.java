package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operators' console pages over real HTTP: every one is an admin's only (a signed-in person
 * who is not one gets the 403 page, a stranger the log-in page), every change needs the session's
 * CSRF token and the site's origin, and a price edit shows a bad value's refusal beside its field
 * while a good one is what the next call costs. The operator's journey in a browser is
 * {@code OperatorConsoleBrowserTest}.
 */
class OperatorConsoleHttpTest extends EndToEndTest {

    static final String ADMIN_EMAIL = "admin@apimodels.local";
    static final String ADMIN_PASSWORD = "operator console password 42";
    private static final String PASSWORD = "correct horse battery staple";
    /** Every operators' page a browser opens with GET (one user's and one model's page included). */
    static final List<String> PAGES = List.of("/console/admin/users", "/console/admin/users/1", "/console/admin/orders",
            "/console/admin/redemption", "/console/admin/catalog", "/console/admin/catalog/models/test-chat", "/console/admin/calls",
            "/console/admin/reconciliation", "/console/admin/policies", "/console/admin/privacy", "/console/admin/jobs",
            "/console/admin/plugins");

    private String origin;

    @BeforeEach
    void start() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir,
                Map.of("apimodels.bootstrap.admin-password", ADMIN_PASSWORD));
        origin = gateway.baseUrl();
    }

    @Test
    void everyOperatorsPageIsForAdminsOnly() throws Exception {
        String person = person();
        Session admin = login(ADMIN_EMAIL, ADMIN_PASSWORD);
        Session someone = login(person, PASSWORD);
        for (String page : PAGES) {
            HttpResponse<String> stranger = get(page, null);
            assertThat(stranger.statusCode()).as(page).isEqualTo(303);
            assertThat(stranger.headers().firstValue("Location").orElseThrow()).as(page).startsWith("/console/login?next=");

            HttpResponse<String> refused = get(page, someone);
            assertThat(refused.statusCode()).as(page).isEqualTo(403);
            assertThat(refused.headers().firstValue("Content-Type").orElseThrow()).as(page).startsWith("text/html");
            assertThat(refused.body()).as(page).doesNotContain("csrf_token\" value=\"" + admin.csrf);

            HttpResponse<String> shown = get(page, admin);
            assertThat(shown.statusCode()).as(page + ": " + shown.body()).isEqualTo(200);
            assertThat(shown.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
        }
        // The menu offers the operators' pages to an admin only.
        assertThat(get("/console/", admin).body()).contains("href=\"/console/admin/users\"");
        assertThat(get("/console/", someone).body()).doesNotContain("/console/admin/");
        // And a change posted by a non-admin is refused before anything happens.
        Gateway.User user = gateway.user(0);
        assertThat(post("/console/admin/users/" + user.id() + "/credits", someone,
                "amount=5&reason=mine&idempotency_key=x&csrf_token=" + someone.csrf).statusCode()).isEqualTo(403);
        assertThat(gateway.balance(user)).isZero();
    }

    @Test
    void changesNeedTheSessionsCsrfTokenAndTheSitesOrigin() throws Exception {
        Session admin = login(ADMIN_EMAIL, ADMIN_PASSWORD);
        Gateway.User user = gateway.user(0);
        String grant = "/console/admin/users/" + user.id() + "/credits";
        String form = "amount=2.5&reason=goodwill&idempotency_key=" + UUID.randomUUID();

        assertThat(post(grant, admin, form).statusCode()).as("no token").isEqualTo(403);
        assertThat(post(grant, admin, form + "&csrf_token=wrong").statusCode()).as("a wrong token").isEqualTo(403);
        HttpResponse<String> foreign = send(grant, admin, form + "&csrf_token=" + admin.csrf, "https://evil.example");
        assertThat(foreign.statusCode()).as("another site").isEqualTo(403);
        assertThat(gateway.balance(user)).isZero();

        HttpResponse<String> granted = post(grant, admin, form + "&csrf_token=" + admin.csrf);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(303);
        assertThat(granted.headers().firstValue("Location")).hasValue("/console/admin/users/" + user.id() + "?done=granted");
        // The same form posted again (a double click) grants once: it carries its idempotency key.
        assertThat(post(grant, admin, form + "&csrf_token=" + admin.csrf).statusCode()).isEqualTo(303);
        assertThat(gateway.balance(user)).isEqualTo(2_500_000);
        assertThat(get("/console/admin/users/" + user.id() + "?done=granted", admin).body()).contains("Credits granted.").contains(">2.5<");

        HttpResponse<String> noReason = post(grant, admin, "amount=1&reason=&idempotency_key=k2&csrf_token=" + admin.csrf);
        assertThat(noReason.statusCode()).isEqualTo(400);
        assertThat(noReason.body()).contains("id=\"reason-error\"").contains("aria-invalid=\"true\"");
        HttpResponse<String> badAmount = post(grant, admin, "amount=-3&reason=x&idempotency_key=k3&csrf_token=" + admin.csrf);
        assertThat(badAmount.statusCode()).isEqualTo(400);
        assertThat(badAmount.body()).contains("id=\"amount-error\"");
        assertThat(gateway.balance(user)).isEqualTo(2_500_000);
    }

    @Test
    void aBadPriceIsShownBesideItsFieldAndAGoodOneIsWhatTheNextCallCosts() throws Exception {
        Session admin = login(ADMIN_EMAIL, ADMIN_PASSWORD);
        String price = "/console/admin/catalog/models/test-chat/price";
        String ok = "output-per-1m-tokens=60&csrf_token=" + admin.csrf;

        HttpResponse<String> negative = post(price, admin, "input-per-1m-tokens=-1&" + ok);
        assertThat(negative.statusCode()).isEqualTo(400);
        assertThat(negative.body()).contains("id=\"input-per-1m-tokens-error\"").contains("must not be negative")
                .doesNotContain("id=\"output-per-1m-tokens-error\"");
        HttpResponse<String> words = post(price, admin, "input-per-1m-tokens=ten&" + ok);
        assertThat(words.statusCode()).isEqualTo(400);
        assertThat(words.body()).contains("id=\"input-per-1m-tokens-error\"").contains("value=\"ten\"");

        Gateway.User user = gateway.user(1_000_000);
        chat(user);
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST);

        HttpResponse<String> saved = post(price, admin, "input-per-1m-tokens=20&" + ok);
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
        chat(user);
        assertThat(gateway.balance(user)).as("11 in × 20 + 5 out × 60").isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST - 520);
        assertThat(get("/console/admin/catalog", admin).body()).contains("input-per-1m-tokens: 20");
    }

    private void chat(Gateway.User user) {
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", user.key(),
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"), 200);
    }

    /** A person with a password (made by the admin API), who can log in to the console. */
    private String person() {
        String email = "ada-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        Gateway.expect(gateway.send("POST", "/admin/users", Gateway.ADMIN_KEY,
                "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"), 201);
        return email;
    }

    /** A browser's session: its cookie and the CSRF token its pages carry. */
    record Session(String cookie, String csrf) {
    }

    private Session login(String email, String password) throws Exception {
        HttpResponse<String> in = send("/console/login", null, "email=" + URLEncoder.encode(email, StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "&next=%2Fconsole%2F", origin);
        assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
        String cookie = in.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        Matcher token = Pattern.compile("name=\"csrf_token\" value=\"([^\"]+)\"").matcher(get("/console/", new Session(cookie, null)).body());
        assertThat(token.find()).isTrue();
        return new Session(cookie, token.group(1));
    }

    private HttpResponse<String> get(String path, Session session) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30));
        if (session != null) {
            b.header("Cookie", session.cookie());
        }
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, Session session, String form) throws IOException, InterruptedException {
        return send(path, session, form, origin);
    }

    private HttpResponse<String> send(String path, Session session, String form, String from) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", from)
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (session != null) {
            b.header("Cookie", session.cookie());
        }
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
