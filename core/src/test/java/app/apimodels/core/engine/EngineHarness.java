package app.apimodels.core.engine;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The engine as an application embeds it ({@code ApiModels.builder()…build()}), on an H2 database
 * file in a temporary directory, with a {@link ScriptedProvider} upstream, driven through
 * {@link MockExchange}s: no container, no sockets on the client side.
 */
final class EngineHarness implements AutoCloseable {

    static final String ADMIN_KEY = "test-admin-key-" + UUID.randomUUID();
    static final Duration WAIT = Duration.ofSeconds(15);
    static final ObjectMapper JSON = new ObjectMapper();

    /** Chat at 10 credits per million input tokens and 30 per million output tokens: 11 in + 5 out = 260 micros. */
    static final long CHAT_INPUT_MICROS_PER_TOKEN = 10;
    static final long CHAT_OUTPUT_MICROS_PER_TOKEN = 30;
    static final long CHAT_COST = 11 * CHAT_INPUT_MICROS_PER_TOKEN + 5 * CHAT_OUTPUT_MICROS_PER_TOKEN;
    /** Embeddings at 2 credits per million tokens. */
    static final long EMBEDDING_MICROS_PER_TOKEN = 2;
    /** 0.04 credits per image. */
    static final long PER_IMAGE = 40_000;

    static final String CATALOG = """
            providers:
              - id: up
                type: scripted
                base-url: http://upstream.invalid
                api-key: sk-upstream-secret-123
                timeout-seconds: 10
            models:
              - id: test-chat
                kind: chat
                routes: [ { provider: up, upstream-model: upstream-chat, priority: 1, weight: 1 } ]
                price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
              - id: test-embedding
                kind: embedding
                routes: [ { provider: up, upstream-model: upstream-embed, priority: 1, weight: 1 } ]
                price: { input-per-1m-tokens: 2 }
              - id: test-image
                kind: image
                routes: [ { provider: up, upstream-model: upstream-image, priority: 1, weight: 1 } ]
                price: { per-image: 0.04 }
              - id: test-tts
                kind: speech
                routes: [ { provider: up, upstream-model: upstream-tts, priority: 1, weight: 1 } ]
                price: { per-1k-characters: 0.015 }
              - id: test-stt
                kind: transcription
                routes: [ { provider: up, upstream-model: upstream-stt, priority: 1, weight: 1 } ]
                price: { per-second: 0.0001 }
            """;

    final ScriptedProvider upstream = new ScriptedProvider();
    final ApiModels engine;

    private EngineHarness(Path dir, Map<String, String> extra, java.time.Clock clock,
                          java.util.function.Consumer<ApiModels.Builder> plugins) throws IOException {
        Path catalog = dir.resolve("catalog.yaml");
        Files.writeString(catalog, CATALOG);
        Map<String, String> settings = new HashMap<>();
        // No database URL: the engine's own embedded H2 file under the data directory.
        settings.put("apimodels.data-dir", dir.resolve("data").toString());
        settings.put("apimodels.catalog", catalog.toString());
        settings.put("apimodels.bootstrap.admin-key", ADMIN_KEY);
        settings.put("apimodels.keys.pepper", "test-pepper-of-at-least-thirty-two-characters");
        settings.put("apimodels.jobs.poll-interval-ms", "50");
        settings.put("apimodels.tasks.poll-initial-ms", "50");
        settings.put("apimodels.tasks.poll-max-ms", "200");
        settings.put("apimodels.tasks.provider-webhooks", "false");
        settings.putAll(extra);
        ApiModels.Builder builder = ApiModels.builder().config(ConfigSource.of(settings)).clock(clock).provider(upstream);
        plugins.accept(builder);
        engine = builder.build();
    }

    static EngineHarness start(Path dir) throws IOException {
        return start(dir, Map.of());
    }

    static EngineHarness start(Path dir, Map<String, String> extra) throws IOException {
        return start(dir, extra, java.time.Clock.systemUTC());
    }

    /** The engine on {@code clock} (a test that moves time). */
    static EngineHarness start(Path dir, Map<String, String> extra, java.time.Clock clock) throws IOException {
        return new EngineHarness(dir, extra, clock, builder -> { });
    }

    /** The harness with more plug-ins handed to the builder (a mailer, a gateway). */
    static EngineHarness start(Path dir, Map<String, String> extra, java.util.function.Consumer<ApiModels.Builder> plugins) throws IOException {
        return new EngineHarness(dir, extra, java.time.Clock.systemUTC(), plugins);
    }

    /** Settings for the harness on a fresh PostgreSQL database (which refuses NULs and over-long text where H2 is lenient). */
    static Map<String, String> onPostgres(Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(TestDatabases.POSTGRESQL.settings());
        m.putAll(extra);
        return m;
    }

    /** Hands the exchange to the engine and waits for its complete answer. */
    MockExchange.Answer call(MockExchange exchange) {
        engine.handle(exchange);
        return exchange.awaitAnswer(WAIT);
    }

    MockExchange.Answer call(MockExchange.Builder request) {
        return call(request.build());
    }

    MockExchange.Answer post(String path, String key, String json) {
        return call(MockExchange.post(path).bearer(key).json(json));
    }

    MockExchange.Answer get(String path, String key) {
        return call(MockExchange.get(path).bearer(key));
    }

    /** Any request, as a hostile client may send it: no key, no body or a JSON body of any bytes, extra headers. */
    MockExchange.Answer send(String method, String target, String key, String body) {
        return send(method, target, key, body == null ? null : body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    MockExchange.Answer send(String method, String target, String key, byte[] body, Map<String, String> headers) {
        MockExchange.Builder b = MockExchange.builder(method, target).maxBodyBytes(engine.maxBodyBytes());
        if (key != null) {
            b.bearer(key);
        }
        if (body != null) {
            b.body("application/json", body);
        }
        headers.forEach(b::header);
        return call(b.build());
    }

    /** A new user with {@code micros} of credit and an API key. */
    User user(long micros) {
        JsonNode created = json(expect(post("/admin/users", ADMIN_KEY,
                "{\"email\":\"u-" + UUID.randomUUID() + "@example.com\"}"), 201));
        long id = created.get("id").asLong();
        if (micros > 0) {
            expect(post("/admin/users/" + id + "/credits", ADMIN_KEY,
                    "{\"amount_micros\":" + micros + ",\"reason\":\"test\",\"idempotency_key\":\"grant-" + id + "\"}"), 201);
        }
        JsonNode key = json(expect(post("/admin/users/" + id + "/keys", ADMIN_KEY, "{\"name\":\"test\"}"), 201));
        return new User(id, key.get("key").asText());
    }

    record User(long id, String key) {
    }

    /** The user's available micros, after the ledger's pending writes are committed. */
    long balance(User u) {
        return account(u).get("balance_micros").asLong();
    }

    /** Micros held for calls still running. */
    long held(User u) {
        return account(u).get("held_micros").asLong();
    }

    /**
     * What the user's ledger shows as spent (negative micros), newest first: one entry per hold that
     * was charged. A task holds on its own, so its charge shows once; relay calls share budget
     * leases, which post when they are returned, so tests of calls look at the balance instead.
     */
    java.util.List<Long> charges(User u) {
        java.util.List<Long> charges = new java.util.ArrayList<>();
        json(expect(get("/api/v1/account/ledger", u.key()), 200)).get("data").forEach(t -> {
            if (!"grant".equals(t.get("kind").asText())) {
                charges.add(t.get("amount_micros").asLong());
            }
        });
        return charges;
    }

    /** The account's balance and held micros. */
    long[] money(User u) {
        return new long[] {balance(u), held(u)};
    }

    private JsonNode account(User u) {
        return json(expect(get("/api/v1/account", u.key()), 200));
    }

    static MockExchange.Answer expect(MockExchange.Answer a, int status) {
        if (a.status() != status) {
            throw new AssertionError("expected " + status + " but got " + a);
        }
        return a;
    }

    static JsonNode json(MockExchange.Answer a) {
        try {
            return JSON.readTree(a.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + a, e);
        }
    }

    @Override
    public void close() {
        engine.close();
    }
}
