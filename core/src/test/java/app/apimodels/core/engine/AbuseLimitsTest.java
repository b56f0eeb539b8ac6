package app.apimodels.core.engine;

import app.apimodels.core.testing.MutableClock;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Abuse limits through the engine: requests per minute per key, account and address, tokens per
 * minute (worst case reserved, corrected to the usage), concurrent calls released on every way a
 * call can end, admins' own limits per account and key, and 429 with {@code Retry-After} in each
 * API's error shape. Time is a clock the test moves; nothing sleeps.
 */
class AbuseLimitsTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";
    private static final String STREAM = "{\"model\":\"test-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private EngineHarness h;
    /** Upstream calls left pending when a test holds them, in arrival order. */
    private final BlockingQueue<CompletableFuture<ProviderResult>> pending = new LinkedBlockingQueue<>();

    private void start(Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(Map.of("apimodels.stream.keep-alive-ms", "0"));
        all.putAll(settings);
        h = EngineHarness.start(dir, all, clock);
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private void holdUpstreamCalls() {
        h.upstream.onCall = r -> {
            CompletableFuture<ProviderResult> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        };
    }

    private CompletableFuture<ProviderResult> nextPending() throws InterruptedException {
        CompletableFuture<ProviderResult> f = pending.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(f).as("the call reached the upstream").isNotNull();
        return f;
    }

    private MockExchange.Answer chat(String key) {
        return h.post("/v1/chat/completions", key, CHAT);
    }

    private MockExchange send(MockExchange.Builder b) {
        MockExchange ex = b.build();
        h.engine.handle(ex);
        return ex;
    }

    private static MockExchange.Builder chatFrom(String key, String body) {
        return MockExchange.post("/v1/chat/completions").bearer(key).json(body);
    }

    /** A 429 with Retry-After in whole seconds, its message naming {@code limit}; returns the seconds. */
    private static long refused(MockExchange.Answer a, String limit) {
        assertThat(a.status()).as(a.toString()).isEqualTo(429);
        assertThat(a.bodyText()).contains(limit);
        String retry = a.header("Retry-After");
        assertThat(retry).as("Retry-After").isNotNull().matches("[1-9][0-9]*");
        return Long.parseLong(retry);
    }

    private long counted() {
        String metrics = h.call(MockExchange.get("/metrics")).bodyText();
        return metrics.lines().filter(l -> l.startsWith("apimodels_limits_counted_calls "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no apimodels_limits_counted_calls in " + metrics));
    }

    @Test
    void requestsPerMinutePerKeyAnswer429WithRetryAfterInEachApisShape() throws Exception {
        start(Map.of("apimodels.limits.key.requests-per-minute", "3"));
        EngineHarness.User u = h.user(1_000_000);
        expect(chat(u.key()), 200);
        expect(h.get("/api/v1/account", u.key()), 200);
        expect(h.get("/v1/models", u.key()), 200);

        // OpenAI's shape under /v1: three a minute is one every 20 s.
        MockExchange.Answer openAi = chat(u.key());
        assertThat(refused(openAi, "requests per minute of this API key")).isEqualTo(20);
        JsonNode error = json(openAi).get("error");
        assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error.get("code").asText()).isEqualTo("rate_limited");
        // apimodels.app's shape on the generation endpoints.
        MockExchange.Answer app = h.post("/api/v1/images/generations", u.key(), "{\"model\":\"test-image\",\"prompt\":\"a cat\"}");
        refused(app, "requests per minute");
        assertThat(json(app).get("code").asInt()).isEqualTo(429);
        assertThat(json(app).has("msg")).isTrue();
        // RFC 9457 everywhere else.
        MockExchange.Answer problem = h.get("/api/v1/account", u.key());
        refused(problem, "requests per minute");
        assertThat(problem.contentType()).isEqualTo("application/problem+json");
        assertThat(json(problem).get("type").asText()).endsWith("/rate-limited");
        assertThat(json(problem).get("status").asInt()).isEqualTo(429);

        // Another key of the same account has its own count; admin routes are never counted.
        String second = json(expect(h.post("/admin/users/" + u.id() + "/keys", ADMIN_KEY, "{\"name\":\"second\"}"), 201)).get("key").asText();
        expect(chat(second), 200);

        clock.advance(Duration.ofSeconds(20));
        expect(chat(u.key()), 200);
        refused(chat(u.key()), "requests per minute");
        assertThat(h.upstream.calls).as("refused calls never reached the upstream").hasSize(3);
        assertThat(h.call(MockExchange.get("/metrics")).bodyText())
                .contains("apimodels_limit_refusals_total{limit=\"requests\",scope=\"key\"} 4.0");
    }

    @Test
    void requestsPerMinutePerAccountCountEveryKeyOfIt() throws Exception {
        start(Map.of("apimodels.limits.account.requests-per-minute", "2"));
        EngineHarness.User u = h.user(1_000_000);
        String second = json(expect(h.post("/admin/users/" + u.id() + "/keys", ADMIN_KEY, "{\"name\":\"second\"}"), 201)).get("key").asText();
        expect(chat(u.key()), 200);
        expect(chat(second), 200);
        assertThat(refused(chat(second), "requests per minute of this account")).isEqualTo(30);
        refused(chat(u.key()), "of this account");
        EngineHarness.User other = h.user(1_000_000);
        expect(chat(other.key()), 200);
    }

    @Test
    void requestsPerMinutePerAddressAndXForwardedForOnlyFromTrustedProxies() throws Exception {
        start(Map.of("apimodels.limits.ip.requests-per-minute", "2", "apimodels.limits.trusted-proxies", "10.0.0.0/8"));
        EngineHarness.User a = h.user(1_000_000);
        EngineHarness.User b = h.user(1_000_000);
        String client = "203.0.113.7";
        expect(h.call(chatFrom(a.key(), CHAT).remoteAddress(client)), 200);
        // Through the trusted proxy, the forwarded address is the client's: the same count, whoever calls.
        expect(h.call(chatFrom(b.key(), CHAT).remoteAddress("10.1.2.3").header("X-Forwarded-For", "198.51.100.1, " + client)), 200);
        refused(h.call(chatFrom(b.key(), CHAT).remoteAddress(client)), "requests per minute of this address");
        // A header from a peer that is no trusted proxy is ignored: the peer is the client.
        expect(h.call(chatFrom(a.key(), CHAT).remoteAddress("198.51.100.9").header("X-Forwarded-For", client)), 200);
        expect(h.call(chatFrom(a.key(), CHAT).remoteAddress("198.51.100.10")), 200);
    }

    @Test
    void tokensPerMinuteReserveTheWorstCaseAndAreCorrectedToTheUsage() throws Exception {
        // max_tokens 400 makes each call's worst case a little over 400 tokens: two fit in 1,000, not three.
        start(Map.of("apimodels.limits.key.tokens-per-minute", "1000"));
        EngineHarness.User u = h.user(10_000_000);
        String big = CHAT.replace("\"max_tokens\":50", "\"max_tokens\":400");
        holdUpstreamCalls();
        MockExchange first = send(chatFrom(u.key(), big));
        MockExchange second = send(chatFrom(u.key(), big));
        CompletableFuture<ProviderResult> one = nextPending();
        CompletableFuture<ProviderResult> two = nextPending();
        refused(h.call(chatFrom(u.key(), big)), "tokens per minute of this API key");

        // They used 16 tokens each: the rest of their reservations comes back at once, without waiting.
        one.complete(ScriptedProvider.chat(ScriptedProvider.CHAT_USAGE));
        two.complete(ScriptedProvider.chat(ScriptedProvider.CHAT_USAGE));
        expect(first.awaitAnswer(WAIT), 200);
        expect(second.awaitAnswer(WAIT), 200);
        h.upstream.onCall = r -> CompletableFuture.completedFuture(ScriptedProvider.chat(Usage.tokens(900, 0, 50)));
        expect(h.call(chatFrom(u.key(), big)), 200);

        // That call used 950 (more than it reserved): the bucket is in debt until it refills.
        long wait = refused(h.call(chatFrom(u.key(), big)), "tokens per minute");
        assertThat(wait).isBetween(20L, 60L);
        clock.advance(Duration.ofSeconds(wait - 1));
        refused(h.call(chatFrom(u.key(), big)), "tokens per minute");
        clock.advance(Duration.ofSeconds(1));
        h.upstream.reset();
        expect(h.call(chatFrom(u.key(), big)), 200);
    }

    @Test
    void aConcurrentCallIsReleasedOnEveryWayACallEnds() throws Exception {
        start(Map.of("apimodels.limits.key.concurrent-calls", "1", "apimodels.limits.account.concurrent-calls", "1"));
        EngineHarness.User u = h.user(1_000_000);
        holdUpstreamCalls();

        // Answered.
        MockExchange call = send(chatFrom(u.key(), CHAT));
        CompletableFuture<ProviderResult> upstream = nextPending();
        assertThat(refused(h.call(chatFrom(u.key(), CHAT)), "concurrent calls of this API key")).isEqualTo(1);
        assertThat(counted()).as("the key's and the account's counters").isEqualTo(2);
        upstream.complete(ScriptedProvider.chat(ScriptedProvider.CHAT_USAGE));
        expect(call.awaitAnswer(WAIT), 200);
        assertThat(counted()).isZero();

        // Failed upstream.
        call = send(chatFrom(u.key(), CHAT));
        nextPending().completeExceptionally(ScriptedProvider.failure("upstream exploded"));
        expect(call.awaitAnswer(WAIT), 502);
        assertThat(counted()).isZero();

        // The client left while the upstream worked.
        call = send(chatFrom(u.key(), CHAT));
        upstream = nextPending();
        refused(h.call(chatFrom(u.key(), CHAT)), "concurrent calls");
        call.leave();
        assertThat(upstream).isCancelled();
        assertThat(counted()).isZero();

        // A stream that completes.
        call = send(chatFrom(u.key(), STREAM));
        ScriptedProvider.OpenStream stream = h.upstream.nextStream(WAIT);
        stream.chunk("Hello");
        refused(h.call(chatFrom(u.key(), CHAT)), "concurrent calls");
        stream.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        stream.sink.onComplete();
        call.awaitAnswer(WAIT);
        assertThat(counted()).isZero();

        // A stream the client cut.
        call = send(chatFrom(u.key(), STREAM));
        stream = h.upstream.nextStream(WAIT);
        stream.chunk("Hello");
        call.awaitEvents(WAIT, e -> !e.isEmpty());
        call.leave();
        assertThat(stream.awaitCancelled(WAIT)).isTrue();
        assertThat(counted()).isZero();

        // A stream whose upstream failed after its first chunk.
        call = send(chatFrom(u.key(), STREAM));
        stream = h.upstream.nextStream(WAIT);
        stream.chunk("Hello");
        stream.sink.onError(ScriptedProvider.failure("cut upstream"));
        call.awaitAnswer(WAIT);
        assertThat(counted()).isZero();

        // A call the wallet cannot cover.
        EngineHarness.User poor = h.user(0);
        expect(chat(poor.key()), 402);
        assertThat(counted()).isZero();

        // And the slot is free: the next call goes.
        h.upstream.reset();
        expect(chat(u.key()), 200);
        assertThat(counted()).isZero();
    }

    @Test
    void noCounterLeaksAfterAThousandMixedCalls() throws Exception {
        // Half of the non-streamed calls fail upstream, judged within the same second: the route's
        // breaker would rightly open on that share and refuse the streams. Counters are what this
        // test is about, so the breaker is set past the 250 failures.
        start(Map.of("apimodels.limits.key.concurrent-calls", "1000", "apimodels.limits.account.tokens-per-minute", "1000000000",
                "apimodels.limits.ip.concurrent-calls", "1000", "apimodels.routing.breaker-failures", "1000"));
        EngineHarness.User u = h.user(100_000_000);
        // A quarter of the calls fail upstream, a quarter are answered, a quarter are streams that
        // complete (all at the end, so hundreds run at once) and a quarter are streams the client cuts.
        h.upstream.onCall = r -> r.payload().toString().contains("fail")
                ? CompletableFuture.failedFuture(ScriptedProvider.failure("no"))
                : CompletableFuture.completedFuture(ScriptedProvider.chat(ScriptedProvider.CHAT_USAGE));
        // All sent at once; the streams are then driven by the test: those marked "cut-<i>" are left
        // by their client after a chunk, the others complete.
        MockExchange[] calls = new MockExchange[1000];
        for (int i = 0; i < calls.length; i++) {
            String body = switch (i % 4) {
                case 0 -> CHAT;
                case 1 -> CHAT.replace("hi", "fail");
                case 2 -> STREAM.replace("hi", "complete-" + i);
                default -> STREAM.replace("hi", "cut-" + i);
            };
            calls[i] = send(chatFrom(u.key(), body));
        }
        for (int n = 0; n < calls.length / 2; n++) {
            ScriptedProvider.OpenStream s = h.upstream.nextStream(WAIT);
            String content = s.request.payload().toString();
            s.chunk("x");
            java.util.regex.Matcher cut = java.util.regex.Pattern.compile("cut-(\\d+)").matcher(content);
            if (cut.find()) {
                MockExchange c = calls[Integer.parseInt(cut.group(1))];
                c.awaitEvents(WAIT, e -> !e.isEmpty());
                c.leave();
            } else {
                s.sink.onUsage(ScriptedProvider.CHAT_USAGE);
                s.sink.onComplete();
            }
        }
        for (MockExchange c : calls) {
            c.awaitAnswer(WAIT);
        }
        // Every permit ends before its call's answer (or cut) is complete, so nothing is left to wait for.
        assertThat(counted()).isZero();
    }

    @Test
    void anAdminsLimitsForAnAccountOrKeyTakeEffectHereAtOnce() throws Exception {
        start(Map.of("apimodels.limits.account.requests-per-minute", "1"));
        EngineHarness.User u = h.user(1_000_000);
        expect(chat(u.key()), 200);
        refused(chat(u.key()), "of this account");

        // The account's own limit: unlimited.
        JsonNode account = json(expect(h.call(MockExchange.builder("PUT", "/admin/users/" + u.id() + "/limits").bearer(ADMIN_KEY)
                .json("{\"requests_per_minute\":0}")), 200));
        assertThat(account.get("requests_per_minute").asLong()).isZero();
        assertThat(account.at("/effective/requests_per_minute").asLong()).isZero();
        expect(chat(u.key()), 200);
        expect(chat(u.key()), 200);

        // The key's own limit: two a minute.
        long keyId = json(expect(h.get("/api/v1/account/keys", u.key()), 200)).at("/data/0/id").asLong();
        expect(h.call(MockExchange.builder("PUT", "/admin/keys/" + keyId + "/limits").bearer(ADMIN_KEY)
                .json("{\"requests_per_minute\":2,\"concurrent_calls\":5}")), 200);
        JsonNode key = json(expect(h.get("/admin/keys/" + keyId + "/limits", ADMIN_KEY), 200));
        assertThat(key.get("scope").asText()).isEqualTo("key");
        assertThat(key.get("requests_per_minute").asLong()).isEqualTo(2);
        assertThat(key.get("tokens_per_minute").isNull()).as("not set: the default").isTrue();
        assertThat(key.at("/effective/concurrent_calls").asLong()).isEqualTo(5);
        expect(chat(u.key()), 200);
        expect(chat(u.key()), 200);
        refused(chat(u.key()), "of this API key");

        // Back to the defaults: an empty body.
        expect(h.call(MockExchange.builder("PUT", "/admin/keys/" + keyId + "/limits").bearer(ADMIN_KEY).json("{}")), 200);
        expect(h.call(MockExchange.builder("PUT", "/admin/users/" + u.id() + "/limits").bearer(ADMIN_KEY).json("{}")), 200);
        clock.advance(Duration.ofMinutes(1));
        expect(chat(u.key()), 200);
        refused(chat(u.key()), "of this account");
    }

    @Test
    void badLimitsAreRefusedNamingTheFieldAndUnknownSubjectsAre404() throws Exception {
        start(Map.of());
        EngineHarness.User u = h.user(0);
        MockExchange.Answer bad = h.call(MockExchange.builder("PUT", "/admin/users/" + u.id() + "/limits").bearer(ADMIN_KEY)
                .json("{\"tokens_per_minute\":-1}"));
        expect(bad, 400);
        assertThat(json(bad).get("param").asText()).isEqualTo("tokens_per_minute");
        expect(h.call(MockExchange.builder("PUT", "/admin/users/" + u.id() + "/limits").bearer(ADMIN_KEY)
                .json("{\"concurrent_calls\":\"many\"}")), 400);
        expect(h.call(MockExchange.builder("PUT", "/admin/keys/999999/limits").bearer(ADMIN_KEY).json("{}")), 404);
        expect(h.get("/admin/users/999999/limits", ADMIN_KEY), 404);
        expect(h.call(MockExchange.builder("PUT", "/admin/users/" + u.id() + "/limits").bearer(u.key()).json("{}")), 403);
    }
}
