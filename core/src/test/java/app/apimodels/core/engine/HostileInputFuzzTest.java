package app.apimodels.core.engine;

import app.apimodels.core.web.Json;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile variants of every request body, path parameter and query of every route listed in
 * {@code /openapi.json}, sent to the engine in process on PostgreSQL (the stricter store: no NUL,
 * column lengths enforced). Whatever is sent: never a 5xx (but an upstream's 502/504 on routes
 * that reach one), never a stack trace, HTML or a library's words, always the error shape of the
 * path, a 400 names what is wrong, and a refused request moves no money.
 */
class HostileInputFuzzTest {

    /** Sample bodies (field → JSON text) of the routes that take one; each is mutated per try. */
    private static final Map<String, Map<String, String>> BODIES = new LinkedHashMap<>();

    static {
        body("POST /v1/chat/completions", "model", "\"test-chat\"", "messages", "[{\"role\":\"user\",\"content\":\"hi\"}]",
                "max_tokens", "20", "n", "1", "stream", "false", "temperature", "0.5");
        body("POST /v1/embeddings", "model", "\"test-embedding\"", "input", "\"hi\"");
        // Multipart only: every JSON variant is refused (415 naming file) before anything is read or held.
        body("POST /v1/audio/transcriptions", "model", "\"test-stt\"", "response_format", "\"json\"");
        body("POST /v1/messages", "model", "\"test-chat\"", "max_tokens", "20", "system", "\"be brief\"",
                "messages", "[{\"role\":\"user\",\"content\":\"hi\"}]", "stream", "false");
        body("POST /v1/messages/count_tokens", "model", "\"test-chat\"", "messages", "[{\"role\":\"user\",\"content\":\"hi\"}]");
        body("POST /v1/responses", "model", "\"test-chat\"", "input", "\"hi\"", "instructions", "\"be brief\"",
                "max_output_tokens", "20", "stream", "false", "tools", "[{\"type\":\"function\",\"name\":\"f\"}]");
        body("POST /v1/images/generations", "model", "\"test-image\"", "prompt", "\"a cat\"", "n", "1", "response_format", "\"url\"");
        body("POST /v1/audio/speech", "model", "\"test-tts\"", "input", "\"hello\"", "voice", "\"alloy\"");
        body("POST /api/v1/{kind}/generations", "model", "\"test-image\"", "prompt", "\"a cat\"", "n", "1",
                "callback_url", "\"http://127.0.0.1:9/cb\"");
        body("POST /api/v1/uploads", "file", "\"x\"");
        body("POST /webhooks/providers/{id}", "id", "\"x\"", "status", "\"succeeded\"");
        body("POST /api/v1/account/webhook-secret", "rotate", "true");
        body("POST /api/v1/account/restriction", "restricted", "false");
        body("PATCH /api/v1/account", "name", "\"Fuzz Person\"", "marketing_consent", "false", "low_balance_threshold_micros", "1000");
        body("POST /api/v1/billing/checkout", "amount_micros", "5000000", "method", "\"stripe\"", "presentation", "\"redirect\"");
        body("POST /webhooks/{type}", "event_id", "\"evt_1\"", "kind", "\"PAID\"");
        body("POST /admin/orders/{id}/refund", "amount_micros", "1000000");
        body("POST /api/v1/account/keys", "name", "\"k\"", "expires_at", "4102444800000", "allowed_models", "[\"test-chat\"]",
                "spend_limit_micros", "1000");
        body("POST /admin/users", "email", "\"fuzz@example.com\"", "role", "\"user\"");
        body("POST /admin/users/{id}/credits", "amount_micros", "1", "reason", "\"fuzz\"", "idempotency_key", "\"fuzz-1\"");
        body("POST /admin/users/{id}/keys", "name", "\"k\"", "spend_limit_micros", "1000");
        body("POST /admin/jobs/{name}/run", "x", "1");
        body("POST /admin/redemption-batches", "count", "2", "amount_micros", "1000", "expires_at", "4102444800000", "note", "\"fuzz\"");
        body("POST /admin/redemption-batches/{id}/disable", "x", "1");
        body("POST /admin/redemption-codes/{id}/disable", "x", "1");
        body("POST /api/v1/billing/redeem", "code", "\"ABCD-EFGH-JKMN-PQRS-TVWX\"");
        body("PUT /admin/users/{id}/limits", "requests_per_minute", "60", "tokens_per_minute", "100000", "concurrent_calls", "4");
        body("PUT /admin/users/{id}/role", "role", "\"user\"");
        body("POST /admin/users/{id}/suspension", "suspended", "false", "reason", "\"fuzz\"");
        body("PUT /admin/keys/{id}/limits", "requests_per_minute", "60", "tokens_per_minute", "100000", "concurrent_calls", "4");
        body("POST /auth/signup", "email", "\"fuzz-signup@example.com\"", "password", "\"a fuzzy long passphrase\"",
                "age_confirmed", "true", "marketing_consent", "false");
        body("POST /auth/login", "email", "\"fuzz-login@example.com\"", "password", "\"a fuzzy long passphrase\"");
        body("POST /auth/logout", "x", "1");
        body("POST /auth/verify-email", "token", "\"not-a-token\"");
        body("POST /auth/verify-email/resend", "email", "\"fuzz-resend@example.com\"");
        body("POST /auth/confirm-email", "token", "\"not-a-token\"");
        body("POST /auth/reset-password", "email", "\"fuzz-reset@example.com\"");
        body("POST /api/v1/account/sessions/revoke-all", "x", "1");
        body("POST /api/v1/account/policy", "version", "\"fuzz-v1\"");
        body("POST /admin/policies", "version", "\"fuzz-v1\"", "effective_at", "4102444800000", "summary", "\"s\"",
                "url", "\"https://example.com/policy\"");
        body("POST /admin/announcements", "subject", "\"fuzz news\"", "body", "\"b\"");
        body("POST /admin/invites", "email", "\"fuzz-invite@example.com\"");
        body("PUT /admin/catalog/providers/{id}", "type", "\"scripted\"", "base-url", "\"http://upstream.invalid\"", "api-key", "\"k\"");
        body("PUT /admin/catalog/models/{id}", "kind", "\"chat\"", "routes", "[{\"provider\":\"up\",\"upstream-model\":\"m\"}]",
                "price", "{\"input-per-1m-tokens\":1}", "max-output-tokens", "100", "markup", "10");
    }

    /** Query parameters each GET route reads. */
    private static final Map<String, List<String>> QUERIES = Map.of(
            "GET /api/v1/account/usage", List.of("from", "to", "model", "key", "limit", "format"),
            "GET /api/v1/account/ledger", List.of("limit", "before"),
            "GET /admin/calls", List.of("user", "from", "to", "model", "key", "limit"),
            "GET /admin/users", List.of("q", "limit", "cursor"),
            "GET /admin/redemption-batches", List.of("limit", "before"),
            "GET /admin/orders", List.of("user", "state", "method", "from", "to", "review", "limit"),
            "GET /admin/reconciliation", List.of("from", "to"),
            "GET /api/v1/billing/orders", List.of("limit"),
            "GET /api/v1/{kind}/generations", List.of("task_id"));

    /** Routes whose answer may be an upstream's failure (the test provider cannot make media). */
    private static final Set<String> UPSTREAM = Set.of("POST /v1/chat/completions", "POST /v1/embeddings", "POST /v1/responses",
            "POST /v1/messages", "POST /v1/messages/count_tokens",
            "POST /v1/images/generations", "POST /v1/audio/speech", "POST /api/v1/{kind}/generations");

    private static final Pattern LEAK = Pattern.compile(
            "(?i)exception|\\tat |\\bat [a-z]+\\.[a-z]|com\\.fasterxml|jackson|DeserializationFeature|StreamReadConstraints"
                    + "|java\\.[a-z]|org\\.[a-z]+\\.|<html|<!doctype|psql|postgres|sqlstate|jdbc|h2 database");

    private static Path dir;
    private static EngineHarness engine;
    private static EngineHarness.User user;
    private static EngineHarness.User limited;
    private static long limitedKeyId;
    private static List<String> routes;

    private static void body(String route, String... fieldsAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            m.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        BODIES.put(route, m);
    }

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("hostile");
        engine = EngineHarness.start(dir, EngineHarness.onPostgres(Map.of("apimodels.max-body-bytes", "1048576",
                // The sample callback_url is this address: valid, so a 400 is the hostile field's.
                "apimodels.fetch.allowed-private-hosts", "127.0.0.1:9")));
        user = engine.user(1_000_000);
        limited = engine.user(0);
        limitedKeyId = EngineHarness.json(engine.get("/api/v1/account/keys", limited.key())).at("/data/0/id").asLong();
        routes = listedRoutes();
        // Every route with a body must have a sample to mutate: a route added later is fuzzed or this fails.
        for (String r : routes) {
            if (r.startsWith("POST ") || r.startsWith("PUT ") || r.startsWith("PATCH ")) {
                assertThat(BODIES).as("sample body for %s", r).containsKey(r);
            }
        }
    }

    @AfterAll
    static void stop() {
        System.out.println("HostileInputFuzzTest seed " + SEED + ", answers by status class: " + STATUSES);
        if (engine != null) {
            engine.close();
        }
    }

    /** Every method and path template the engine lists in its OpenAPI document. */
    @SuppressWarnings("unchecked")
    private static List<String> listedRoutes() {
        Map<String, Object> doc = Json.object(EngineHarness.expect(engine.send("GET", "/openapi.json", null, null), 200).body());
        Set<String> out = new TreeSet<>();
        ((Map<String, Object>) doc.get("paths")).forEach((path, item) ->
                ((Map<String, Object>) item).keySet().forEach(method -> out.add(method.toUpperCase() + " " + path)));
        assertThat(out).hasSizeGreaterThan(20);
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------- properties

    @Test
    void hostileBodies() {
        Random random = new Random(SEED);
        List<String> bodyRoutes = routes.stream().filter(BODIES::containsKey).toList();
        for (int i = 0; i < TRIES; i++) {
            String route = pick(random, bodyRoutes);
            String pathValue = pathValue(random);
            Mutation.Applied applied = mutation(random).apply(BODIES.get(route));
            // With a hostile path the fault may be the path's: only a sound path makes the field the one to name.
            fuzz(route, pathValue, "", applied.body(), "SELF".equals(pathValue) ? applied.field() : null);
            if (route.equals("POST /api/v1/account/restriction")) {
                // A mutation may have restricted the fuzz user, which would refuse every later call it makes.
                engine.post("/api/v1/account/restriction", user.key(), "{\"restricted\":false}");
            }
        }
    }

    @Test
    void hostileQueriesAndPaths() {
        Random random = new Random(SEED + 1);
        List<String> queryRoutes = routes.stream().filter(r -> r.startsWith("GET ") || r.startsWith("DELETE ")).toList();
        for (int i = 0; i < TRIES / 2; i++) {
            String route = pick(random, queryRoutes);
            String name = pick(random, QUERIES.getOrDefault(route, List.of("limit")));
            fuzz(route, pathValue(random), "?" + name + "=" + queryValue(random), null, null);
        }
    }

    // ---------------------------------------------------------------- generators

    /** The same seed gives the same requests: {@code -Dfuzz.seed=N} replays a reported run, another explores. */
    private static final long SEED = Long.getLong("fuzz.seed", 20_261_204L);
    private static final int TRIES = Integer.getInteger("fuzz.tries", 400);
    private static final Map<String, Integer> STATUSES = new TreeMap<>();

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    @SafeVarargs
    private static String oneOf(Random random, Function<Random, String>... generators) {
        return generators[random.nextInt(generators.length)].apply(random);
    }

    private static String randomString(Random random, int maxLength, boolean alphanumericOnly) {
        StringBuilder b = new StringBuilder();
        int length = random.nextInt(maxLength + 1);
        for (int i = 0; i < length; i++) {
            if (alphanumericOnly) {
                b.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(random.nextInt(36)));
            } else {
                // Any code point: controls, surrogates' partners, emoji, right-to-left marks.
                int cp = random.nextInt(4) == 0 ? random.nextInt(0x20) : random.nextInt(0x1F700);
                if (Character.isValidCodePoint(cp) && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                    b.appendCodePoint(cp);
                }
            }
        }
        return b.toString();
    }

    /** Path parameter values: the fuzz user's own id (so admin routes reach real work) and hostile ones. */
    private static String pathValue(Random random) {
        return oneOf(random,
                r -> "SELF",
                r -> pick(r, List.of("images", "video", "audio", "speech", "0", "-1", "99999999999999999999", "1e400",
                        "a%00b", "%00", "x".repeat(300), "%F0%9F%92%A5", "..", "a%2Fb", "fuzz-model", "fuzz-provider")),
                r -> randomString(r, 40, true) + "x");
    }

    /** Query values, URL-encoded as sent. */
    private static String queryValue(Random random) {
        return oneOf(random,
                r -> pick(r, List.of("", "%00", "1%00", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                        "1e400", "-1", "0", "1001", "abc", "%F0%9F%92%A5", "csv", "%ZZ", "x".repeat(5000), "1".repeat(500))),
                r -> String.valueOf(r.nextLong()),
                r -> java.net.URLEncoder.encode(randomString(r, 30, false), StandardCharsets.UTF_8));
    }

    /** A JSON value meant to hurt: huge or odd numbers, NULs, long or strange strings, deep or wrong structures. */
    private static String hostileValue(Random random) {
        return oneOf(random,
                r -> pick(r, List.of("9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
                        "1e400", "-1e400", "1e-400", "4.2e18", "0", "-1", "0.5", "1" + "0".repeat(200), "-0", "1E+2")),
                r -> String.valueOf(r.nextLong()),
                r -> String.valueOf(r.nextDouble() * Math.pow(10, r.nextInt(600) - 300)),
                r -> pick(r, List.of("\"a\\u0000b\"", "\"\\u0000\"", "\"" + "x".repeat(100_000) + "\"", "\"" + "y".repeat(600) + "\"",
                        "\"💥\\u202e\\ufeffñ\"", "\"\\ud800\"", "\"\"", "\"   \"", "\"<script>alert(1)</script>\"",
                        "\"${jndi:ldap://x/a}\"", "\"../../etc/passwd\"", "\"%00\"", "\"\\r\\nX-Injected: 1\"")),
                r -> Json.string(randomString(r, 50, false)),
                r -> pick(r, List.of("true", "false", "null", "[]", "{}", "[null]", "[1,\"a\",{}]", "{\"a\":{\"b\":[1e400]}}",
                        "[" + "[".repeat(200) + "]".repeat(200) + "]", "{\"a\":".repeat(150) + "1" + "}".repeat(150),
                        "[" + "1,".repeat(20_000) + "1]", "[\"a\\u0000\"]", "{\"role\":\"user\",\"content\":\"\\u0000\"}")));
    }

    private static Mutation mutation(Random random) {
        return switch (random.nextInt(5)) {
            case 0, 1 -> new Mutation(Mutation.Kind.REPLACE, random.nextInt(20), hostileValue(random));
            case 2 -> new Mutation(Mutation.Kind.REMOVE, random.nextInt(20), null);
            case 3 -> new Mutation(Mutation.Kind.ADD, 0, pick(random, List.of("\"x\\u0000\"", "\"" + "n".repeat(2000) + "\"", "\"\"",
                    "\"__proto__\"", "\"💥\"")) + ":" + hostileValue(random));
            default -> new Mutation(Mutation.Kind.WHOLE, 0, pick(random, List.of("", "[".repeat(5000), "{".repeat(3000),
                    "{\"a\":1} {\"b\":2}", "[1]", "\"s\"", "null", "{\"a\":", "{'a':1}", "\u00c3(", "{\"a\":1,}", "{\"a\" 1}",
                    "\ufeff{}", "{\"a\":\"\u0000\"}", "1e400", "{}")));
        };
    }

    /** One change to a sample body. */
    record Mutation(Kind kind, int index, String value) {
        enum Kind { REPLACE, REMOVE, ADD, WHOLE }

        /** The body to send, and the field made hostile if one was. */
        record Applied(byte[] body, String field) {
        }

        Applied apply(Map<String, String> sample) {
            Map<String, String> fields = new LinkedHashMap<>(sample);
            List<String> names = new ArrayList<>(fields.keySet());
            String field = null;
            switch (kind) {
                case REPLACE -> {
                    field = names.get(index % names.size());
                    fields.put(field, value);
                }
                case REMOVE -> fields.remove(names.get(index % names.size()));
                case ADD -> fields.put(null, value);
                case WHOLE -> {
                    byte[] raw = value.equals("\u00c3(") ? new byte[] {(byte) 0xc3, (byte) 0x28} : value.getBytes(StandardCharsets.UTF_8);
                    return new Applied(raw, null);
                }
            }
            StringBuilder b = new StringBuilder("{");
            // An added member is written as given (its name may itself be hostile).
            fields.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append(k == null ? v : Json.string(k) + ":" + v));
            return new Applied(b.append('}').toString().getBytes(StandardCharsets.UTF_8), field);
        }
    }

    // ---------------------------------------------------------------- one request and its checks

    /**
     * A real id for the template: the fuzzing user for user routes; for limits, another account and
     * its key, so the limits the fuzzer sets never throttle the fuzzing user's own requests.
     */
    private static String self(String template) {
        if (template.endsWith("/limits")) {
            return String.valueOf(template.startsWith("/admin/keys/") ? limitedKeyId : limited.id());
        }
        return template.startsWith("/admin/users/") ? String.valueOf(user.id()) : "images";
    }

    private static void fuzz(String route, String pathValue, String query, byte[] body, String field) {
        String method = route.substring(0, route.indexOf(' '));
        String template = route.substring(route.indexOf(' ') + 1);
        String value = "SELF".equals(pathValue) ? self(template) : pathValue;
        String path = template.replaceAll("\\{[^}]+}", java.util.regex.Matcher.quoteReplacement(value));
        String key = template.startsWith("/admin") ? EngineHarness.ADMIN_KEY : user.key();
        long before = sum(engine.money(user));
        MockExchange.Answer r = engine.send(method, path + query, key, body, Map.of());
        String text = new String(r.body(), StandardCharsets.UTF_8);
        String what = "[seed " + SEED + "] " + method + " " + path + query + " " + (body == null ? "" : abbreviate(new String(body, StandardCharsets.UTF_8)))
                + " → " + r.status() + " " + abbreviate(text);

        STATUSES.merge(r.status() / 100 + "xx", 1, Integer::sum);
        boolean upstreamFailure = UPSTREAM.contains(route) && (r.status() == 502 || r.status() == 504);
        assertThat(r.status() < 500 || upstreamFailure).as("no server error: %s", what).isTrue();
        if (r.status() >= 400) {
            assertThat(LEAK.matcher(text).find()).as("no internals in %s", what).isFalse();
            assertThat(r.contentType()).as(what).startsWith("application/");
            Map<String, Object> json = Json.object(r.body());
            String message = errorShape(path, json, r.status(), what);
            assertThat(message).as("an error says what is wrong: %s", what).isNotBlank();
            if (r.status() == 400 && field != null) {
                Object param = json.get("error") instanceof Map<?, ?> e ? e.get("param") : json.get("param");
                assertThat(param != null || message.contains(field) || message.startsWith("request body"))
                        .as("a 400 for a hostile %s names the field at fault: %s", field, what).isTrue();
            }
            assertThat(sum(engine.money(user))).as("a refused request moves no money: %s", what).isEqualTo(before);
        }
    }

    /** Checks the error shape the path promises and returns its message. */
    @SuppressWarnings("unchecked")
    private static String errorShape(String path, Map<String, Object> json, int status, String what) {
        if (path.startsWith("/v1/messages")) {
            assertThat(json).as(what).containsOnlyKeys("type", "error");
            Map<String, Object> e = (Map<String, Object>) json.get("error");
            assertThat(e).as(what).containsOnlyKeys("type", "message");
            return (String) e.get("message");
        }
        if (path.startsWith("/v1/")) {
            assertThat(json).as(what).containsOnlyKeys("error");
            Map<String, Object> e = (Map<String, Object>) json.get("error");
            assertThat(e).as(what).containsKeys("message", "type", "code", "param");
            return (String) e.get("message");
        }
        if (path.startsWith("/api/v1/") && (path.contains("/generations") || path.startsWith("/api/v1/uploads"))) {
            assertThat(json).as(what).containsOnlyKeys("code", "msg", "data");
            assertThat(((Number) json.get("code")).intValue()).as(what).isEqualTo(status);
            return (String) json.get("msg");
        }
        assertThat(json).as(what).containsKeys("type", "title", "status", "detail");
        assertThat(((Number) json.get("status")).intValue()).as(what).isEqualTo(status);
        return (String) json.get("detail");
    }

    private static long sum(long[] money) {
        return money[0] + money[1];
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…(" + s.length() + " chars)" : s;
    }
}
