package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.storage.s3.S3ProxyServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console over real HTTP, without a browser: its security headers on every kind of answer,
 * HTML (never JSON) errors, the log-in redirect, the forms' CSRF and origin checks, versioned
 * assets with year-long caching and gzip, and the language switch. The browser journeys are in
 * {@code ConsoleBrowserTest}.
 */
class ConsoleHttpTest extends EndToEndTest {

    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
    private static final String PASSWORD = "correct horse battery staple";

    @BeforeEach
    void start() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
    }

    @Test
    void pagesErrorsAndAssetsCarryTheSecurityHeaders() throws Exception {
        HttpResponse<String> login = get("/console/login", Map.of());
        assertThat(login.statusCode()).isEqualTo(200);
        html(login);
        secured(login);
        assertThat(login.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(login.body()).contains("<html lang=\"en\">").contains("<label for=\"email\">").contains("<label for=\"password\">")
                .doesNotContain("<script>").doesNotContain("style=");

        HttpResponse<String> missing = get("/console/no-such-page", Map.of());
        assertThat(missing.statusCode()).isEqualTo(404);
        html(missing);
        assertThat(missing.body()).contains("There is no such page").doesNotContain("\"detail\"").doesNotContain("no such endpoint");
        secured(missing);

        Matcher css = Pattern.compile("href=\"(/console/assets/console-[0-9a-f]{10}\\.css)\"").matcher(login.body());
        assertThat(css.find()).isTrue();
        HttpResponse<byte[]> plain = gateway.http.send(HttpRequest.newBuilder(gateway.uri(css.group(1))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(plain.headers().firstValue("Content-Type").orElseThrow()).matches("text/css; ?charset=utf-8");
        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        secured(plain);
        HttpResponse<byte[]> zipped = gateway.http.send(HttpRequest.newBuilder(gateway.uri(css.group(1)))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes()).isEqualTo(plain.body());
        assertThat(zipped.body().length).isLessThan(plain.body().length);
        assertThat(get("/console/assets/console-0000000000.css", Map.of()).statusCode()).isEqualTo(404);
    }

    /** With media on S3 and redirects on, previews load from the bucket's origin: the CSP allows exactly it. */
    @Test
    void mediaOnS3IsAllowedFromExactlyTheStoragesOrigin() throws Exception {
        gateway.close();
        try (S3ProxyServer s3 = new S3ProxyServer()) {
            Map<String, String> settings = new HashMap<>(s3.engineSettings());
            gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, settings);
            String origin = s3.endpoint();
            assertThat(get("/console/login", Map.of()).headers().firstValue("Content-Security-Policy")).hasValue(
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: " + origin + "; "
                            + "media-src 'self' " + origin + "; "
                            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
            gateway.close();

            settings.put("apimodels.media.redirect", "false");
            gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, settings);
            secured(get("/console/login", Map.of()));
            gateway.close();
            gateway = null;
        }
    }

    @Test
    void signedOutPagesRedirectToLogInAndComeBackOnlyToTheConsole() throws Exception {
        HttpResponse<String> dashboard = get("/console/?tab=1", Map.of());
        assertThat(dashboard.statusCode()).isEqualTo(303);
        assertThat(dashboard.headers().firstValue("Location"))
                .hasValue("/console/login?next=" + URLEncoder.encode("/console/?tab=1", StandardCharsets.UTF_8));
        secured(dashboard);

        assertThat(get("/console/login?next=%2Fconsole%2F%3Ftab%3D1", Map.of()).body())
                .contains("name=\"next\" value=\"/console/?tab=1\"");
        for (String evil : new String[]{"https://evil.example/", "//evil.example/console/", "/console/\\evil", "/admin/users"}) {
            assertThat(get("/console/login?next=" + URLEncoder.encode(evil, StandardCharsets.UTF_8), Map.of()).body())
                    .as(evil).contains("name=\"next\" value=\"/console/\"");
        }
    }

    @Test
    void logInAndOutWithFormsThatCarryTheCsrfToken() throws Exception {
        String email = "ada-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        Gateway.expect(gateway.send("POST", "/admin/users", Gateway.ADMIN_KEY,
                "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"), 201);
        String origin = gateway.baseUrl();
        String credentials = "email=" + URLEncoder.encode(email, StandardCharsets.UTF_8) + "&password="
                + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8) + "&next=%2Fconsole%2F";

        HttpResponse<String> foreign = post("/console/login", Map.of("Origin", "https://evil.example"), credentials);
        assertThat(foreign.statusCode()).isEqualTo(403);
        html(foreign);
        assertThat(foreign.headers().firstValue("Set-Cookie")).isEmpty();

        HttpResponse<String> wrong = post("/console/login", Map.of("Origin", origin), credentials.replace("staple", "stapler"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("The email or password is wrong.").contains("value=\"" + email + "\"");

        HttpResponse<String> in = post("/console/login", Map.of("Origin", origin), credentials);
        assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
        assertThat(in.headers().firstValue("Location")).hasValue("/console/");
        String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).contains("HttpOnly").contains("SameSite=Lax");
        String cookie = setCookie.split(";", 2)[0];

        HttpResponse<String> home = get("/console/", Map.of("Cookie", cookie));
        assertThat(home.statusCode()).isEqualTo(200);
        secured(home);
        Matcher token = Pattern.compile("name=\"csrf_token\" value=\"([^\"]+)\"").matcher(home.body());
        assertThat(token.find()).as("the log-out form's token").isTrue();
        assertThat(Gateway.json(get("/auth/session", Map.of("Cookie", cookie))).get("csrf_token").asText())
                .as("the same session as /auth/login's").isEqualTo(token.group(1));

        assertThat(post("/console/logout", Map.of("Origin", origin, "Cookie", cookie), "").statusCode())
                .as("no csrf_token").isEqualTo(403);
        assertThat(post("/console/logout", Map.of("Origin", origin, "Cookie", cookie), "csrf_token=wrong").statusCode())
                .isEqualTo(403);
        assertThat(post("/console/logout", Map.of("Origin", "https://evil.example", "Cookie", cookie),
                "csrf_token=" + token.group(1)).statusCode()).isEqualTo(403);
        HttpResponse<String> out = post("/console/logout", Map.of("Origin", origin, "Cookie", cookie), "csrf_token=" + token.group(1));
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.headers().firstValue("Location")).hasValue("/console/login");
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(get("/console/", Map.of("Cookie", cookie)).statusCode()).as("the session ended").isEqualTo(303);
    }

    @Test
    void languageFollowsTheBrowserUntilSwitched() throws Exception {
        assertThat(get("/console/login", Map.of("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")).body())
                .contains("<html lang=\"zh\">").contains("电子邮箱");
        assertThat(get("/console/login", Map.of("Accept-Language", "fr-FR, en;q=0.5")).body()).contains("<html lang=\"en\">");

        HttpResponse<String> toEnglish = get("/console/lang?to=en&next=%2Fconsole%2Flogin", Map.of());
        assertThat(toEnglish.statusCode()).isEqualTo(303);
        assertThat(toEnglish.headers().firstValue("Location")).hasValue("/console/login");
        String cookie = toEnglish.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        assertThat(get("/console/login", Map.of("Accept-Language", "zh-CN", "Cookie", cookie)).body()).contains("<html lang=\"en\">");
        assertThat(get("/console/lang?to=xx", Map.of()).statusCode()).isEqualTo(400);
    }

    /** An HTML page (the container may write the type without the space). */
    static void html(HttpResponse<?> r) {
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).matches("text/html; ?charset=utf-8");
    }

    static void secured(HttpResponse<?> r) {
        assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(CSP);
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
    }

    private HttpResponse<String> get(String path, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, Map<String, String> headers, String form) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
        headers.forEach(b::header);
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
