package app.apimodels.core.engine;

import app.apimodels.core.testing.ShiftedClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * People through the engine's HTTP surface: sign-up, the mailed links, login sessions with their
 * cookie, CSRF and origin checks, logout, resets, throttling, policy versions. Time moves on a
 * shifted clock, never by sleeping.
 */
class PeopleTest {

    static final String PASSWORD = "a long and unusual passphrase";

    @TempDir
    Path dir;
    final ShiftedClock clock = new ShiftedClock();
    EngineHarness engine;
    Mailbox mail;
    DatabaseProbe probe;

    void start(TestDatabases db, Map<String, String> extra) throws IOException {
        Map<String, String> settings = new HashMap<>(db.settings());
        settings.putAll(extra);
        engine = EngineHarness.start(dir, settings, clock);
        probe = new DatabaseProbe(settings);
        mail = new Mailbox(probe);
    }

    void start(TestDatabases db) throws IOException {
        start(db, Map.of());
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    long count(String sql, Object... args) {
        try {
            return probe.number(sql, args);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String text(String sql, Object... args) {
        try {
            return probe.text(sql, args);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static String email() {
        return "p-" + UUID.randomUUID() + "@example.com";
    }

    MockExchange.Answer publicPost(String path, String json) {
        return engine.call(MockExchange.post(path).json(json));
    }

    MockExchange.Answer signUp(String email, String password, String policy) {
        return publicPost("/auth/signup", "{\"email\":\"" + email + "\",\"password\":\"" + password + "\",\"age_confirmed\":true"
                + (policy == null ? "" : ",\"accept_policy_version\":\"" + policy + "\"") + "}");
    }

    /** Signs up, verifies by the mailed link and logs in: a browser with a live session. */
    Browser person(String email) {
        expect(signUp(email, PASSWORD, null), 201);
        expect(engine.call(MockExchange.get("/auth/verify-email?token=" + mail.last(email, "verify-email").token())), 200);
        Browser b = new Browser(engine);
        expect(b.login(email, PASSWORD), 200);
        return b;
    }

    void publish(String version, long effectiveAt) {
        expect(engine.post("/admin/policies", ADMIN_KEY, "{\"version\":\"" + version + "\",\"effective_at\":" + effectiveAt
                + ",\"summary\":\"what changed\"}"), 201);
    }

    static void assertProblem(MockExchange.Answer a, int status, String code) {
        assertThat(a.status()).as(a.toString()).isEqualTo(status);
        assertThat(a.contentType()).isEqualTo("application/problem+json");
        assertThat(json(a).get("type").asText()).isEqualTo("https://apimodels.app/problems/" + code.replace('_', '-'));
    }

    // ------------------------------------------------------------------ the whole path

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void signUpVerifyLoginMakeAKeyCallAndLogOut(TestDatabases db) throws IOException {
        start(db);
        expect(engine.call(MockExchange.get("/auth/policy")), 404);
        publish("2026-01", clock.millis() - 1000);
        JsonNode policy = json(expect(engine.call(MockExchange.get("/auth/policy")), 200));
        assertThat(policy.get("version").asText()).isEqualTo("2026-01");
        assertThat(policy.get("in_force").asBoolean()).isTrue();

        String email = email();
        assertProblem(signUp(email, PASSWORD, null), 400, "invalid_request");
        expect(signUp(" " + email.toUpperCase() + " ", PASSWORD, "2026-01"), 201);
        Browser browser = new Browser(engine);
        assertProblem(browser.login(email, PASSWORD), 403, "email_not_verified");

        Mailbox.Letter letter = mail.last(email, "verify-email");
        assertThat(letter.values().get("link").asText()).startsWith("http://localhost/auth/verify-email?token=");
        expect(engine.call(MockExchange.get("/auth/verify-email?token=" + letter.token())), 200);
        assertProblem(engine.call(MockExchange.get("/auth/verify-email?token=" + letter.token())), 400, "invalid_request");

        MockExchange.Answer login = browser.login(email, PASSWORD);
        expect(login, 200);
        String setCookie = login.header("Set-Cookie");
        assertThat(setCookie).startsWith("apimodels_session=").contains("; Path=/", "; HttpOnly", "; SameSite=Lax")
                .doesNotContain("Secure");
        assertThat(json(login).get("csrf_token").asText()).hasSizeGreaterThan(30);
        assertThat(count("SELECT COUNT(*) FROM apimodels_consent c JOIN apimodels_account a ON a.id = c.account_id "
                + "WHERE a.email = ? AND c.kind = 'policy' AND c.version = '2026-01' AND c.granted", email)).isEqualTo(1);

        JsonNode account = json(expect(browser.get("/api/v1/account"), 200));
        assertThat(account.get("email").asText()).isEqualTo(email);
        long id = account.get("id").asLong();
        expect(engine.post("/admin/users/" + id + "/credits", ADMIN_KEY,
                "{\"amount_micros\":1000000,\"reason\":\"test\",\"idempotency_key\":\"people-" + id + "\"}"), 201);

        JsonNode key = json(expect(browser.post("/api/v1/account/keys", "{\"name\":\"from the console\"}"), 201));
        expect(engine.post("/v1/chat/completions", key.get("key").asText(),
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 200);
        assertThat(json(expect(browser.get("/api/v1/account/keys"), 200)).get("data")).hasSize(1);
        // The session is not a key: the OpenAI-compatible API takes keys only.
        assertThat(browser.bare("GET", "/v1/models", null).status()).isEqualTo(401);

        expect(browser.post("/auth/logout", null), 204);
        assertThat(browser.cookie()).isNull();
        browser.cookie(setCookie.substring(0, setCookie.indexOf(';')));
        assertProblem(browser.get("/api/v1/account"), 401, "invalid_api_key");
    }

    // ------------------------------------------------------------------ sessions

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCookieBroughtToLoginIsNeverAdoptedAndTheIdChanges(TestDatabases db) throws IOException {
        start(db);
        String email = email();
        Browser victim = person(email);
        String first = victim.cookie();

        // An id planted before login (by another site or a shared machine) is not the one logged in.
        Browser planted = new Browser(engine);
        planted.cookie("apimodels_session=chosen-by-the-attacker-0123456789012345678901");
        expect(planted.login(email, PASSWORD), 200);
        assertThat(planted.cookie()).isNotEqualTo("apimodels_session=chosen-by-the-attacker-0123456789012345678901");
        Browser attacker = new Browser(engine);
        attacker.cookie("apimodels_session=chosen-by-the-attacker-0123456789012345678901");
        assertThat(attacker.get("/api/v1/account").status()).isEqualTo(401);

        // Logging in again with a live session rotates it: the old id ends.
        expect(victim.login(email, PASSWORD), 200);
        assertThat(victim.cookie()).isNotEqualTo(first);
        Browser old = new Browser(engine);
        old.cookie(first);
        assertThat(old.get("/api/v1/account").status()).isEqualTo(401);
        expect(victim.get("/api/v1/account"), 200);
    }

    @Test
    void changesWithTheCookieNeedTheCsrfTokenAndTheServicesOrigin() throws IOException {
        start(TestDatabases.H2);
        Browser b = person(email());
        String create = "{\"name\":\"k\"}";
        assertProblem(b.bare("POST", "/api/v1/account/keys", create, "Origin", Browser.ORIGIN), 403, "csrf_rejected");
        assertThat(json(b.bare("POST", "/api/v1/account/keys", create, "Origin", Browser.ORIGIN)).get("detail").asText())
                .contains("X-CSRF-Token");
        assertProblem(b.bare("POST", "/api/v1/account/keys", create, "Origin", Browser.ORIGIN, "X-CSRF-Token", "guessed"),
                403, "csrf_rejected");
        MockExchange.Answer crossSite = b.bare("POST", "/api/v1/account/keys", create, "Origin", "https://evil.example",
                "X-CSRF-Token", b.csrf());
        assertProblem(crossSite, 403, "csrf_rejected");
        assertThat(json(crossSite).get("detail").asText()).contains("https://evil.example");
        assertProblem(b.bare("POST", "/api/v1/account/keys", create, "X-CSRF-Token", b.csrf()), 403, "csrf_rejected");
        assertProblem(b.bare("POST", "/api/v1/account/keys", create, "Referer", "https://evil.example/page", "X-CSRF-Token", b.csrf()),
                403, "csrf_rejected");
        assertProblem(b.bare("POST", "/auth/logout", null, "Origin", "null", "X-CSRF-Token", b.csrf()), 403, "csrf_rejected");
        assertThat(json(expect(b.get("/api/v1/account/keys"), 200)).get("data")).isEmpty();

        expect(b.bare("POST", "/api/v1/account/keys", create, "Referer", Browser.ORIGIN + "/console/", "X-CSRF-Token", b.csrf()), 201);
        expect(b.post("/api/v1/account/keys", create), 201);
        // A login form posted from another site is refused too.
        assertProblem(engine.call(MockExchange.post("/auth/login").header("Origin", "https://evil.example")
                .json("{\"email\":\"x@example.com\",\"password\":\"whatever-it-is\"}")), 403, "csrf_rejected");
    }

    @Test
    void overHttpsTheCookieIsSecureWithTheHostPrefix() throws IOException {
        start(TestDatabases.H2, Map.of("apimodels.public-url", "https://api.example.com/ai"));
        String email = email();
        expect(signUp(email, PASSWORD, null), 201);
        Mailbox.Letter letter = mail.last(email, "verify-email");
        assertThat(letter.values().get("link").asText()).startsWith("https://api.example.com/ai/auth/verify-email?token=");
        expect(engine.call(MockExchange.get("/auth/verify-email?token=" + letter.token())), 200);
        MockExchange.Answer login = engine.call(MockExchange.post("/auth/login").header("Origin", "https://api.example.com")
                .json("{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"));
        assertThat(login.header("Set-Cookie")).startsWith("__Host-apimodels_session=")
                .contains("; Path=/;", "; Secure", "; HttpOnly", "; SameSite=Lax");
        String cookie = login.header("Set-Cookie").substring(0, login.header("Set-Cookie").indexOf(';'));
        String csrf = json(login).get("csrf_token").asText();
        // The page's origin is the public URL's; the request's own address does not count.
        assertProblem(engine.call(MockExchange.post("/api/v1/account/keys").header("Cookie", cookie).header("X-CSRF-Token", csrf)
                .header("Origin", "http://localhost").json("{\"name\":\"k\"}")), 403, "csrf_rejected");
        expect(engine.call(MockExchange.post("/api/v1/account/keys").header("Cookie", cookie).header("X-CSRF-Token", csrf)
                .header("Origin", "https://api.example.com").json("{\"name\":\"k\"}")), 201);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void sessionsEndWhenIdleAtTheirAbsoluteEndAndEverywhereAtOnce(TestDatabases db) throws IOException {
        start(db, Map.of("apimodels.session.idle-seconds", "1800", "apimodels.session.absolute-seconds", "7200"));
        String email = email();
        Browser one = person(email);
        expect(one.get("/api/v1/account"), 200);
        clock.advance(Duration.ofMinutes(31));
        assertThat(one.get("/api/v1/account").status()).isEqualTo(401);

        Browser two = new Browser(engine);
        expect(two.login(email, PASSWORD), 200);
        for (int i = 0; i < 4; i++) { // used every 25 minutes: never idle, but ended two hours after login
            clock.advance(Duration.ofMinutes(25));
            expect(two.get("/api/v1/account"), 200);
        }
        clock.advance(Duration.ofMinutes(25));
        assertThat(two.get("/api/v1/account").status()).isEqualTo(401);

        Browser a = new Browser(engine);
        Browser b = new Browser(engine);
        expect(a.login(email, PASSWORD), 200);
        expect(b.login(email, PASSWORD), 200);
        JsonNode sessions = json(expect(a.get("/api/v1/account/sessions"), 200)).get("data");
        assertThat(sessions).hasSize(2);
        assertThat(sessions.findValuesAsText("current")).containsExactlyInAnyOrder("true", "false");
        assertThat(json(expect(a.post("/api/v1/account/sessions/revoke-all", null), 200)).get("ended").asInt()).isEqualTo(2);
        assertThat(a.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(b.get("/api/v1/account").status()).isEqualTo(401);
    }

    @Test
    void aSessionSubmitsGenerationsForItsAccountWithoutAKey() throws IOException {
        start(TestDatabases.H2);
        Browser b = person(email());
        long id = json(expect(b.get("/api/v1/account"), 200)).get("id").asLong();
        expect(engine.post("/admin/users/" + id + "/credits", ADMIN_KEY,
                "{\"amount_micros\":1000000,\"reason\":\"test\",\"idempotency_key\":\"session-task-" + id + "\"}"), 201);
        engine.upstream.onSubmit = r -> java.util.concurrent.CompletableFuture.completedFuture(
                app.apimodels.spi.provider.TaskUpdate.pending("up-session", app.apimodels.spi.provider.TaskState.RUNNING));
        engine.upstream.onPoll = up -> java.util.concurrent.CompletableFuture.completedFuture(
                app.apimodels.spi.provider.TaskUpdate.pending(up, app.apimodels.spi.provider.TaskState.RUNNING));
        String task = json(expect(b.post("/api/v1/images/generations", "{\"model\":\"test-image\",\"prompt\":\"a cat\"}"), 200))
                .at("/data/taskId").asText();
        expect(b.get("/api/v1/images/generations?task_id=" + task), 200);
        // Held for the account, recorded without a key: a session is the account itself.
        assertThat(json(expect(b.get("/api/v1/account"), 200)).get("held_micros").asLong()).isPositive();
        assertThat(count("SELECT COUNT(*) FROM apimodels_task WHERE id = ? AND account_id = ? AND key_id IS NULL", task, id)).isEqualTo(1);
    }

    @Test
    void anotherAccountsSessionSeesAndTouchesNothingOfTheFirst() throws IOException {
        start(TestDatabases.H2);
        Browser alice = person(email());
        Browser bob = person(email());
        long aliceKey = json(expect(alice.post("/api/v1/account/keys", "{\"name\":\"alice's\"}"), 201)).get("id").asLong();
        assertThat(json(expect(bob.get("/api/v1/account/keys"), 200)).get("data")).isEmpty();
        expect(bob.send("DELETE", "/api/v1/account/keys/" + aliceKey, null), 404);
        assertThat(json(expect(bob.get("/api/v1/account/sessions"), 200)).get("data")).hasSize(1);
        assertThat(json(expect(alice.get("/api/v1/account/keys"), 200)).get("data").get(0).get("revoked_at").isNull()).isTrue();
        // A user's session is not an admin's.
        assertThat(bob.get("/admin/users/1").status()).isEqualTo(403);
    }

    @Test
    void anAdminsSessionWorksOnTheAdminApi() throws IOException {
        start(TestDatabases.H2);
        String email = email();
        expect(engine.post("/admin/users", ADMIN_KEY, "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD
                + "\",\"role\":\"admin\"}"), 201);
        Browser admin = new Browser(engine);
        expect(admin.login(email, PASSWORD), 200);
        expect(admin.get("/admin/policies"), 200);
        expect(admin.post("/admin/invites", "{}"), 201);
        assertProblem(admin.bare("POST", "/admin/invites", "{}", "Origin", Browser.ORIGIN), 403, "csrf_rejected");
    }

    @Test
    void erasingTheAccountEndsItsSessionsAndDeletesItsLinks() throws IOException {
        start(TestDatabases.H2);
        String email = email();
        Browser b = person(email);
        Browser other = new Browser(engine);
        expect(other.login(email, PASSWORD), 200);
        long id = json(expect(b.get("/api/v1/account"), 200)).get("id").asLong();
        expect(b.send("DELETE", "/api/v1/account", "{\"password\":\"" + PASSWORD + "\"}"), 200);
        assertThat(b.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(other.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(count("SELECT COUNT(*) FROM apimodels_session WHERE account_id = ?", id)).isZero();
        assertThat(count("SELECT COUNT(*) FROM apimodels_account_token WHERE account_id = ?", id)).isZero();
        assertProblem(new Browser(engine).login(email, PASSWORD), 401, "invalid_credentials");
    }

    // ------------------------------------------------------------------ links

    @Test
    void linksExpireAndWorkOnce() throws IOException {
        start(TestDatabases.H2);
        String email = email();
        expect(signUp(email, PASSWORD, null), 201);
        String verify = mail.last(email, "verify-email").token();
        clock.advance(Duration.ofHours(49));
        assertProblem(engine.call(MockExchange.get("/auth/verify-email?token=" + verify)), 400, "invalid_request");
        expect(publicPost("/auth/verify-email/resend", "{\"email\":\"" + email + "\"}"), 202);
        String again = mail.last(email, "verify-email").token();
        assertThat(again).isNotEqualTo(verify);
        expect(publicPost("/auth/verify-email", "{\"token\":\"" + again + "\"}"), 200);

        Browser b = new Browser(engine);
        expect(b.login(email, PASSWORD), 200);
        clock.advance(Duration.ofMinutes(2));
        expect(publicPost("/auth/reset-password", "{\"email\":\"" + email + "\"}"), 202);
        String reset = mail.last(email, "reset-password").token();
        clock.advance(Duration.ofMinutes(61));
        assertProblem(publicPost("/auth/reset-password", "{\"token\":\"" + reset + "\",\"password\":\"another long passphrase\"}"),
                400, "invalid_request");
        expect(publicPost("/auth/reset-password", "{\"email\":\"" + email + "\"}"), 202);
        String fresh = mail.last(email, "reset-password").token();
        expect(publicPost("/auth/reset-password", "{\"token\":\"" + fresh + "\",\"password\":\"another long passphrase\"}"), 200);
        assertProblem(publicPost("/auth/reset-password", "{\"token\":\"" + fresh + "\",\"password\":\"yet another passphrase\"}"),
                400, "invalid_request");

        // The reset ended the session and changed the password.
        assertThat(b.get("/api/v1/account").status()).isEqualTo(401);
        assertProblem(new Browser(engine).login(email, PASSWORD), 401, "invalid_credentials");
        expect(new Browser(engine).login(email, "another long passphrase"), 200);
    }

    @Test
    void aChangeOfAddressTakesEffectOnceTheNewAddressIsVerified() throws IOException {
        start(TestDatabases.H2);
        String old = email();
        Browser b = person(old);
        String fresh = email();
        JsonNode pending = json(expect(b.send("PATCH", "/api/v1/account", "{\"email\":\"" + fresh + "\"}"), 200));
        assertThat(pending.get("email_change").asText()).startsWith("pending");
        assertThat(pending.get("email").asText()).isEqualTo(old);
        assertThat(json(expect(b.get("/api/v1/account"), 200)).get("email").asText()).isEqualTo(old);
        Mailbox.Letter letter = mail.last(fresh, "verify-email");
        assertThat(letter.values().get("link").asText()).startsWith("http://localhost/auth/confirm-email?token=");
        expect(engine.call(MockExchange.get("/auth/confirm-email?token=" + letter.token())), 200);
        assertThat(json(expect(b.get("/api/v1/account"), 200)).get("email").asText()).isEqualTo(fresh);
        expect(new Browser(engine).login(fresh, PASSWORD), 200);
        assertProblem(new Browser(engine).login(old, PASSWORD), 401, "invalid_credentials");
        assertProblem(engine.call(MockExchange.get("/auth/confirm-email?token=" + letter.token())), 400, "invalid_request");
    }

    // ------------------------------------------------------------------ nothing tells whether an address is registered

    @Test
    void knownAndUnknownAddressesGetTheSameAnswers() throws IOException {
        start(TestDatabases.H2);
        String known = email();
        person(known);
        String unknown = email();
        clock.advance(Duration.ofMinutes(2)); // past the known address's mail cool-down

        MockExchange.Answer signUpKnown = signUp(known, "some other passphrase", null);
        MockExchange.Answer signUpUnknown = signUp(unknown, "some other passphrase", null);
        assertSame(signUpKnown, signUpUnknown);
        // The known address's owner is told (a reset link), and no second account is made.
        assertThat(mail.last(known, "reset-password").token()).isNotBlank();
        assertThat(count("SELECT COUNT(*) FROM apimodels_account WHERE email = ?", known)).isEqualTo(1);

        // Each address below has the same history, so the mail cool-down treats them alike.
        String nobody = "nobody-" + UUID.randomUUID() + "@example.com";
        clock.advance(Duration.ofMinutes(2));
        assertSame(publicPost("/auth/reset-password", "{\"email\":\"" + known + "\"}"),
                publicPost("/auth/reset-password", "{\"email\":\"" + nobody + "\"}"));
        clock.advance(Duration.ofMinutes(2));
        assertSame(publicPost("/auth/verify-email/resend", "{\"email\":\"" + known + "\"}"),
                publicPost("/auth/verify-email/resend", "{\"email\":\"" + nobody + "\"}"));
        assertSame(new Browser(engine).login(known, "not the password at all"),
                new Browser(engine).login(nobody, "not the password at all"));
        // The cool-down applies to any address alike.
        MockExchange.Answer again = publicPost("/auth/verify-email/resend", "{\"email\":\"" + known + "\"}");
        assertThat(again.status()).isEqualTo(429);
        assertSame(again, publicPost("/auth/verify-email/resend", "{\"email\":\"" + nobody + "\"}"));
    }

    private static void assertSame(MockExchange.Answer known, MockExchange.Answer unknown) {
        assertThat(known.status()).as(known + " vs " + unknown).isEqualTo(unknown.status());
        // A time in the answer (when a wait ends) may differ by the moments between the two requests.
        assertThat(known.bodyText().replaceAll("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", "<time>"))
                .isEqualTo(unknown.bodyText().replaceAll("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", "<time>"));
        assertThat(known.headers().keySet()).isEqualTo(unknown.headers().keySet());
    }

    // ------------------------------------------------------------------ throttling

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void failedLoginsLockTheAddressForAWhileAndTellItsOwner(TestDatabases db) throws IOException {
        start(db, Map.of("apimodels.auth.login-max-failures", "3", "apimodels.auth.lockout-seconds", "600"));
        String email = email();
        person(email);
        Browser b = new Browser(engine);
        assertProblem(b.login(email, "wrong passphrase one"), 401, "invalid_credentials");
        assertProblem(b.login(email, "wrong passphrase two"), 401, "invalid_credentials");
        MockExchange.Answer locked = b.login(email, "wrong passphrase three");
        assertProblem(locked, 423, "account_locked");
        assertThat(Long.parseLong(locked.header("Retry-After"))).isBetween(590L, 600L);
        assertThat(mail.last(email, "login-locked").values().get("until").asText()).isNotBlank();
        // Locked means locked: the right password waits too.
        assertProblem(b.login(email, PASSWORD), 423, "account_locked");
        clock.advance(Duration.ofSeconds(601));
        expect(b.login(email, PASSWORD), 200);

        // An address nobody has locks alike (and nobody is mailed).
        String nobody = "nobody-" + UUID.randomUUID() + "@example.com";
        for (int i = 0; i < 2; i++) {
            assertProblem(b.login(nobody, "wrong passphrase"), 401, "invalid_credentials");
        }
        assertProblem(b.login(nobody, "wrong passphrase"), 423, "account_locked");
        assertThat(mail.to(nobody)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void oneClientFailingOnManyAddressesIsBlocked(TestDatabases db) throws IOException {
        start(db, Map.of("apimodels.auth.login-max-failures-per-ip", "4", "apimodels.auth.lockout-seconds", "300"));
        String email = email();
        person(email);
        for (int i = 0; i < 3; i++) {
            assertProblem(engine.call(MockExchange.post("/auth/login").remoteAddress("203.0.113.9")
                    .json("{\"email\":\"" + email() + "\",\"password\":\"wrong passphrase\"}")), 401, "invalid_credentials");
        }
        engine.call(MockExchange.post("/auth/login").remoteAddress("203.0.113.9")
                .json("{\"email\":\"" + email() + "\",\"password\":\"wrong passphrase\"}"));
        MockExchange.Answer blocked = engine.call(MockExchange.post("/auth/login").remoteAddress("203.0.113.9")
                .json("{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"));
        assertProblem(blocked, 429, "rate_limited");
        assertThat(Long.parseLong(blocked.header("Retry-After"))).isBetween(290L, 300L);
        // Others are not held up by that client.
        expect(engine.call(MockExchange.post("/auth/login").remoteAddress("198.51.100.7")
                .json("{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}")), 200);
        clock.advance(Duration.ofSeconds(301));
        expect(engine.call(MockExchange.post("/auth/login").remoteAddress("203.0.113.9")
                .json("{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}")), 200);
    }

    @Test
    void resetRequestsAreLimitedPerAddress() throws IOException {
        start(TestDatabases.H2, Map.of("apimodels.auth.reset-max-requests", "2", "apimodels.auth.mail-cooldown-seconds", "1"));
        String email = email();
        person(email);
        clock.advance(Duration.ofSeconds(2));
        expect(publicPost("/auth/reset-password", "{\"email\":\"" + email + "\"}"), 202);
        clock.advance(Duration.ofSeconds(2));
        expect(publicPost("/auth/reset-password", "{\"email\":\"" + email + "\"}"), 202);
        clock.advance(Duration.ofSeconds(2));
        MockExchange.Answer limited = publicPost("/auth/reset-password", "{\"email\":\"" + email + "\"}");
        assertProblem(limited, 429, "rate_limited");
        assertThat(limited.header("Retry-After")).isNotNull();
        assertThat(mail.to(email).stream().filter(l -> l.template().equals("reset-password"))).hasSize(2);
    }

    // ------------------------------------------------------------------ policy versions

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aNewPolicyHoldsSessionsBackAtOnceAndKeysAfterTheirGrace(TestDatabases db) throws IOException {
        start(db, Map.of("apimodels.policy.key-grace-days", "30"));
        publish("v1", clock.millis() - 1000);
        String email = email();
        expect(signUp(email, PASSWORD, "v1"), 201);
        expect(engine.call(MockExchange.get("/auth/verify-email?token=" + mail.last(email, "verify-email").token())), 200);
        Browser b = new Browser(engine);
        expect(b.login(email, PASSWORD), 200);
        String key = json(expect(b.post("/api/v1/account/keys", "{\"name\":\"k\"}"), 201)).get("key").asText();

        long effective = clock.millis() + Duration.ofDays(1).toMillis();
        publish("v2", effective);
        Mailbox.Letter notice = mail.last(email, "policy-change");
        assertThat(notice.values().get("version").asText()).isEqualTo("v2");
        assertThat(notice.values().get("link").asText()).isEqualTo("http://localhost/auth/policy");
        expect(b.get("/api/v1/account/keys"), 200); // not in force yet

        clock.advance(Duration.ofDays(1).plusMinutes(1));
        expect(b.login(email, PASSWORD), 200); // the idle session ended meanwhile; a login is allowed
        MockExchange.Answer held = b.get("/api/v1/account/keys");
        assertProblem(held, 403, "policy_not_accepted");
        assertThat(json(held).get("detail").asText()).contains("v2", "POST /api/v1/account/policy");
        expect(b.get("/api/v1/account"), 200); // what it needs to put it right still works
        expect(engine.get("/v1/models", key), 200); // keys: within their grace

        clock.advance(Duration.ofDays(30));
        MockExchange.Answer keyHeld = engine.get("/v1/models", key);
        assertThat(keyHeld.status()).isEqualTo(403);
        assertThat(json(keyHeld).get("error").get("code").asText()).isEqualTo("policy_not_accepted");

        expect(b.login(email, PASSWORD), 200);
        assertProblem(b.post("/api/v1/account/policy", "{\"version\":\"v1\"}"), 400, "invalid_request");
        expect(b.post("/api/v1/account/policy", "{\"version\":\"v2\"}"), 200);
        expect(b.get("/api/v1/account/keys"), 200);
        expect(engine.get("/v1/models", key), 200);
        assertThat(count("SELECT COUNT(*) FROM apimodels_consent c JOIN apimodels_account a ON a.id = c.account_id "
                + "WHERE a.email = ? AND c.kind = 'policy'", email)).isEqualTo(2);
        assertThat(json(expect(engine.get("/admin/policies", ADMIN_KEY), 200)).get("data").findValuesAsText("version"))
                .containsExactly("v2", "v1");
        assertProblem(engine.post("/admin/policies", ADMIN_KEY, "{\"version\":\"v0\",\"effective_at\":1}"), 400, "invalid_request");
    }

    // ------------------------------------------------------------------ sign-up rules and modes

    @Test
    void signUpRefusesWeakPasswordsAndMissingConfirmations() throws IOException {
        start(TestDatabases.H2);
        assertThat(json(expect(signUp(email(), "short", null), 400)).get("param").asText()).isEqualTo("password");
        assertThat(json(expect(signUp(email(), "Password123", null), 400)).get("detail").asText()).contains("common");
        assertThat(json(expect(signUp("not-an-address", PASSWORD, null), 400)).get("param").asText()).isEqualTo("email");
        assertThat(json(expect(publicPost("/auth/signup", "{\"email\":\"" + email() + "\",\"password\":\"" + PASSWORD + "\","
                + "\"age_confirmed\":false}"), 400)).get("param").asText()).isEqualTo("age_confirmed");
    }

    @Test
    void closedAndInviteOnlySignUp() throws IOException {
        start(TestDatabases.H2, Map.of("apimodels.signup.mode", "invite"));
        assertProblem(signUp(email(), PASSWORD, null), 403, "signup_closed");
        String invited = email();
        String token = json(expect(engine.post("/admin/invites", ADMIN_KEY, "{\"email\":\"" + invited + "\"}"), 201))
                .get("invite_token").asText();
        assertThat(json(expect(publicPost("/auth/signup", "{\"email\":\"" + email() + "\",\"password\":\"" + PASSWORD
                + "\",\"age_confirmed\":true,\"invite_token\":\"" + token + "\"}"), 400)).get("param").asText()).isEqualTo("invite_token");
        expect(publicPost("/auth/signup", "{\"email\":\"" + invited + "\",\"password\":\"" + PASSWORD
                + "\",\"age_confirmed\":true,\"invite_token\":\"" + token + "\"}"), 201);
        assertThat(mail.last(invited, "verify-email").token()).isNotBlank();
        engine.close();
        engine = null;

        start(TestDatabases.H2, Map.of("apimodels.signup.mode", "closed"));
        assertProblem(signUp(email(), PASSWORD, null), 403, "signup_closed");
    }

    // ------------------------------------------------------------------ password hashing

    @Test
    void aHashMadeWithOlderParametersIsRedoneAtLogin() throws IOException {
        Map<String, String> database = TestDatabases.H2.settings(); // kept in memory across the two engines
        String email = email();
        start(TestDatabases.H2, database);
        expect(engine.post("/admin/users", ADMIN_KEY, "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"), 201);
        expect(new Browser(engine).login(email, PASSWORD), 200);
        String before = text("SELECT password_hash FROM apimodels_account WHERE email = ?", email);
        assertThat(before).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        engine.close();

        Map<String, String> stronger = new HashMap<>(database);
        stronger.put("apimodels.passwords.argon2-iterations", "3");
        engine = EngineHarness.start(java.nio.file.Files.createDirectories(dir.resolve("second")), stronger, clock);
        expect(new Browser(engine).login(email, PASSWORD), 200);
        String after = text("SELECT password_hash FROM apimodels_account WHERE email = ?", email);
        assertThat(after).startsWith("$argon2id$v=19$m=19456,t=3,p=1$");
        expect(new Browser(engine).login(email, PASSWORD), 200);
        assertProblem(new Browser(engine).login(email, "not the passphrase"), 401, "invalid_credentials");
    }
}
