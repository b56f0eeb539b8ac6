package app.apimodels.core.engine;

import app.apimodels.core.web.Json;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile inputs that used to answer 500 or 503, each now a 400 naming the field, on
 * PostgreSQL (which refuses NULs and over-long text where H2 is lenient).
 */
class HostileInputTest {

    private static final long GRANT = 1_000_000;
    private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static EngineHarness engine;
    private static EngineHarness.User user;

    @BeforeAll
    static void start() throws IOException {
        engine = EngineHarness.start(Files.createTempDirectory("hostile-input"), EngineHarness.onPostgres(Map.of()));
        user = engine.user(GRANT);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    /** The 400's field (OpenAI's {@code error.param} or the problem's {@code param}) and message. */
    @SuppressWarnings("unchecked")
    private static String[] refused(String method, String path, String key, String body) {
        MockExchange.Answer r = engine.send(method, path, key, body);
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.status()).as(text).isEqualTo(400);
        assertThat(text).doesNotContainIgnoringCase("exception").doesNotContain("com.fasterxml").doesNotContain("Feature");
        Map<String, Object> json = Json.object(r.body());
        if (json.get("error") instanceof Map<?, ?> e) {
            return new String[] {(String) e.get("param"), (String) e.get("message")};
        }
        return new String[] {(String) json.get("param"), (String) (json.containsKey("detail") ? json.get("detail") : json.get("msg"))};
    }

    @Test
    void deepNestingOnEveryShapeIsA400() {
        String deep = "[".repeat(5000);
        assertThat(refused("POST", "/v1/chat/completions", user.key(), deep)[1]).contains("nested deeper than 128 levels");
        assertThat(refused("POST", "/api/v1/images/generations", user.key(), deep)[1]).contains("nested deeper");
        assertThat(refused("POST", "/admin/users", EngineHarness.ADMIN_KEY, deep)[1]).contains("nested deeper");
        assertThat(refused("POST", "/admin/users", EngineHarness.ADMIN_KEY, "{\"a\":1} {\"b\":2}")[1])
                .contains("unexpected content after the JSON value");
    }

    @Test
    void tokenCountsNear2To63AreA400() {
        assertThat(refused("POST", "/v1/chat/completions", user.key(),
                "{\"model\":\"test-chat\"," + MESSAGES + ",\"max_tokens\":9223372036854775807}")[0]).isEqualTo("max_tokens");
        assertThat(refused("POST", "/v1/chat/completions", user.key(),
                "{\"model\":\"test-chat\"," + MESSAGES + ",\"max_completion_tokens\":9223372036854775808}")[0]).isEqualTo("max_completion_tokens");
        assertThat(refused("POST", "/v1/chat/completions", user.key(),
                "{\"model\":\"test-chat\"," + MESSAGES + ",\"max_tokens\":100000000,\"n\":9223372036854775807}")[0]).isEqualTo("n");
    }

    @Test
    void infiniteNumbersInCatalogAndGenerationBodiesAreA400() {
        assertThat(refused("PUT", "/admin/catalog/models/m1", EngineHarness.ADMIN_KEY,
                "{\"kind\":\"chat\",\"routes\":[{\"provider\":\"up\",\"upstream-model\":\"m\"}],\"price\":{\"input-per-1m-tokens\":1e400}}")[0])
                .isEqualTo("price.input-per-1m-tokens");
        assertThat(refused("POST", "/api/v1/images/generations", user.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"n\":1e400}")[1]).contains("n is out of range");
        assertThat(refused("POST", "/api/v1/images/generations", user.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"n\":1e300}")[1]).contains("n is out of range");
    }

    @Test
    void grantsOutOfRangeOrOverTheCapAreA400() {
        String credits = "/admin/users/" + user.id() + "/credits";
        assertThat(refused("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":9223372036854775807,\"idempotency_key\":\"g1\"}")[0]).isEqualTo("amount_micros");
        assertThat(refused("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":1000000000001,\"idempotency_key\":\"g2\"}")[1]).contains("between 1 and 1000000000000");
        assertThat(refused("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":99999999999999999999999,\"idempotency_key\":\"g3\"}")[0]).isEqualTo("amount_micros");
        EngineHarness.expect(engine.send("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":1000000000000,\"idempotency_key\":\"g4\"}"), 201);
        assertThat(engine.money(user)[0]).isEqualTo(GRANT + 1_000_000_000_000L);
        EngineHarness.expect(engine.send("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":-1000000000000,\"idempotency_key\":\"g5\"}"), 400);
        EngineHarness.expect(engine.send("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":1000000000000,\"idempotency_key\":\"g4\"}"), 201); // replayed, not granted again
        assertThat(engine.money(user)[0]).isEqualTo(GRANT + 1_000_000_000_000L);
    }

    @Test
    void longTextAndNulsBeforeTheDatabaseAreA400NamingTheField() {
        String credits = "/admin/users/" + user.id() + "/credits";
        assertThat(refused("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":5,\"reason\":\"" + "r".repeat(100_000) + "\",\"idempotency_key\":\"t1\"}")[0]).isEqualTo("reason");
        assertThat(refused("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":5,\"reason\":\"a\\u0000b\",\"idempotency_key\":\"t2\"}")[0]).isEqualTo("reason");
        assertThat(refused("POST", credits, EngineHarness.ADMIN_KEY,
                "{\"amount_micros\":5,\"idempotency_key\":\"t\\u00003\"}")[0]).isEqualTo("idempotency_key");
        assertThat(refused("POST", "/api/v1/account/keys", user.key(), "{\"name\":\"k\\u0000\"}")[0]).isEqualTo("name");
        assertThat(refused("POST", "/api/v1/account/keys", user.key(), "{\"name\":\"" + "k".repeat(201) + "\"}")[0]).isEqualTo("name");
        assertThat(refused("POST", "/admin/users", EngineHarness.ADMIN_KEY, "{\"email\":\"a\\u0000@example.com\"}")[0]).isEqualTo("email");
        assertThat(refused("PUT", "/admin/catalog/models/" + "m".repeat(201), EngineHarness.ADMIN_KEY,
                "{\"kind\":\"chat\",\"routes\":[{\"provider\":\"up\",\"upstream-model\":\"m\"}],\"price\":{\"input-per-1m-tokens\":1}}")[0])
                .isEqualTo("id");
        assertThat(refused("POST", "/api/v1/images/generations", user.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a\\u0000cat\"}")[1]).contains("prompt");
        assertThat(refused("GET", "/api/v1/account/usage?model=a%00b", user.key(), null)[0]).isEqualTo("model");
        assertThat(engine.money(user)[0] + engine.money(user)[1]).isGreaterThanOrEqualTo(GRANT);
    }

    @Test
    void aNulInAHeaderIsA400() {
        MockExchange.Answer r = engine.send("POST", "/api/v1/account/keys", user.key(),
                "{}".getBytes(StandardCharsets.UTF_8), Map.of("Idempotency-Key", "a\u0000b"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(Json.object(r.body()).get("param")).isEqualTo("Idempotency-Key");
    }
}
