package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.ReceivedMail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
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
 * A person's whole path over real HTTP, with mail delivered by SMTP to a real (GreenMail) server:
 * sign up (18+, the policy in force accepted) → the verification mail → verify → log in (cookie and
 * CSRF token) → create a key with the session → a paid call with the key → export → delete, which
 * ends the session, revokes the key and mails the deletion notices.
 */
class PeopleEndToEndTest extends EndToEndTest {

    /** The mailed link lands on the console's page; its token also works on the JSON route, used here. */
    private static final Pattern VERIFY_LINK = Pattern.compile("https?://\\S+/console/verify\\?token=([A-Za-z0-9_-]+)");
    private static final String PASSWORD = "correct horse battery staple";
    private final GreenMailInbox inbox = new GreenMailInbox("apimodels", "smtp-secret");

    @AfterEach
    void stopMail() {
        inbox.close();
    }

    @Test
    void signUpVerifyLogInCallExportAndDelete() throws Exception {
        Map<String, String> mail = Gateway.mailTo(inbox);
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, mail);
        String origin = gateway.baseUrl();
        Gateway.expect(gateway.send("POST", "/admin/policies", Gateway.ADMIN_KEY,
                "{\"version\":\"2026-12\",\"effective_at\":" + System.currentTimeMillis() + "}"), 201);

        String email = "ada-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        HttpResponse<String> signUp = send("POST", "/auth/signup", Map.of("Origin", origin), "{\"email\":\"" + email
                + "\",\"password\":\"" + PASSWORD + "\",\"age_confirmed\":true,\"accept_policy_version\":\"2026-12\"}");
        assertThat(signUp.statusCode()).as(signUp.body()).isEqualTo(201);
        HttpResponse<String> early = send("POST", "/auth/login", Map.of("Origin", origin), credentials(email));
        assertThat(early.statusCode()).as("no login before the address is verified").isNotEqualTo(200);

        ReceivedMail verification = awaitMail(email, VERIFY_LINK);
        Matcher link = VERIFY_LINK.matcher(verification.text());
        assertThat(link.find()).isTrue();
        assertThat(send("GET", "/auth/verify-email?token=" + link.group(1), Map.of(), null).statusCode()).isEqualTo(200);

        HttpResponse<String> login = send("POST", "/auth/login", Map.of("Origin", origin), credentials(email));
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        assertThat(login.headers().firstValue("Set-Cookie").orElseThrow()).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax");
        String csrf = Gateway.json(login).get("csrf_token").asText();
        Map<String, String> session = Map.of("Cookie", cookie, "X-CSRF-Token", csrf, "Origin", origin);

        assertThat(send("POST", "/api/v1/account/keys", Map.of("Cookie", cookie, "Origin", origin), "{\"name\":\"laptop\"}").statusCode())
                .as("a change made with the cookie needs the CSRF token").isEqualTo(403);
        HttpResponse<String> created = send("POST", "/api/v1/account/keys", session, "{\"name\":\"laptop\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String key = Gateway.json(created).get("key").asText();

        long accountId = Gateway.json(Gateway.expect(gateway.send("GET", "/api/v1/account", key, null), 200)).get("id").asLong();
        Gateway.expect(gateway.send("POST", "/admin/users/" + accountId + "/credits", Gateway.ADMIN_KEY,
                "{\"amount_micros\":1000000,\"reason\":\"welcome\",\"idempotency_key\":\"welcome-" + accountId + "\"}"), 201);
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", key,
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}"), 200);
        assertThat(Gateway.json(Gateway.expect(gateway.send("GET", "/api/v1/account", key, null), 200)).get("balance_micros").asLong())
                .isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST);

        HttpResponse<byte[]> export = gateway.http.send(HttpRequest.newBuilder(gateway.uri("/api/v1/account/export"))
                .header("Cookie", cookie).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.headers().firstValue("Content-Type")).contains("application/zip");
        Map<String, String> files = unzip(export.body());
        assertThat(files).containsKeys("account.json", "usage.csv", "ledger.csv");
        assertThat(files.get("account.json")).contains(email);
        assertThat(files.values()).noneMatch(text -> text.contains(key));

        HttpResponse<String> deleted = send("DELETE", "/api/v1/account", session, "{\"password\":\"" + PASSWORD + "\"}");
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/account", Map.of("Cookie", cookie), null).statusCode()).as("the session ended").isEqualTo(401);
        assertThat(gateway.send("GET", "/api/v1/account", key, null).statusCode()).as("the key is revoked").isEqualTo(401);
        assertThat(send("POST", "/auth/login", Map.of("Origin", origin), credentials(email)).statusCode()).isNotEqualTo(200);
        awaitMail(email, Pattern.compile("(?s).*"), 3); // verification, then deletion requested and done
    }

    private static String credentials(String email) {
        return "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}";
    }

    private HttpResponse<String> send(String method, String path, Map<String, String> headers, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private ReceivedMail awaitMail(String to, Pattern text) {
        return awaitMail(to, text, 1);
    }

    /** The latest of at least {@code count} messages delivered to {@code to}, once the latest matches {@code text}. */
    private ReceivedMail awaitMail(String to, Pattern text, int count) {
        AtomicReference<ReceivedMail> found = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var mine = inbox.awaitMessages(0).stream().filter(m -> m.deliveredTo().contains(to)).toList();
            if (mine.size() < count || !text.matcher(mine.get(mine.size() - 1).text()).find()) {
                return false;
            }
            found.set(mine.get(mine.size() - 1));
            return true;
        });
        return found.get();
    }

    private static Map<String, String> unzip(byte[] zip) throws IOException {
        Map<String, String> files = new HashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                files.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return files;
    }
}
