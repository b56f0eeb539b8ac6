package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.CHAT_COST;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Routing through the engine's public surface: a failing route is skipped, a breaker opens when
 * failures are its route's recent verdicts (at least half, at least the threshold) and closes after its probe (the clock is moved, nothing sleeps), a
 * {@code Retry-After} rests a route, a key pool is spread and a refused key left out, timeouts move
 * a call to the next route, nothing is retried once content reached the client — and in every case
 * the call is charged once, for the route that answered, and nothing stays held.
 */
class RoutingTest extends EngineTest {

    static final String FIRST = "sk-first-route-0001";
    static final String SECOND = "sk-second-route-0002";
    static final String POOL_A = "sk-pool-key-aaaa";
    static final String POOL_B = "sk-pool-key-bbbb";
    static final String POOL_C = "sk-pool-key-cccc";
    static final String CREDIT_A = "sk-credit-key-dddd";
    static final String CREDIT_B = "sk-credit-key-eeee";
    static final String PRICE = "price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }";

    /** Each test has models of its own, so one test's breakers and cool-downs never meet another's. */
    static final String CATALOG = """
            providers:
              - { id: first, type: scripted, base-url: http://first.invalid, api-key: %s, timeout-seconds: 10 }
              - { id: second, type: scripted, base-url: http://second.invalid, api-key: %s, timeout-seconds: 10 }
              - { id: pool, type: scripted, base-url: http://pool.invalid, api-keys: [ %s, %s, %s ] }
              - { id: credit, type: scripted, base-url: http://credit.invalid, api-keys: [ %s, %s ] }
            models:
            """.formatted(FIRST, SECOND, POOL_A, POOL_B, POOL_C, CREDIT_A, CREDIT_B)
            + twoRoutes("skip", "") + twoRoutes("breaker", "") + twoRoutes("cooldown", "") + twoRoutes("first-byte", ", first-byte-timeout-seconds: 1")
            + twoRoutes("total", ", timeout-seconds: 1") + twoRoutes("after-content", "") + twoRoutes("closed", "") + twoRoutes("cooldown-all", "")
            + twoRoutes("stream-probe", "") + twoRoutes("stream-deadline", ", timeout-seconds: 1") + twoRoutes("streaming-busy", "")
            + """
              - id: pooled
                kind: chat
                routes: [ { provider: pool, upstream-model: pooled-up } ]
                %s
              - id: credit-pooled
                kind: chat
                routes: [ { provider: credit, upstream-model: credit-up } ]
                %s
              - id: task-routes
                kind: image
                routes: [ { provider: first, upstream-model: image-a, priority: 1 }, { provider: second, upstream-model: image-b, priority: 2 } ]
                price: { per-image: 0.04 }
            """.formatted(PRICE, PRICE);

    static String twoRoutes(String model, String firstRouteExtra) {
        return """
                  - id: %s
                    kind: chat
                    routes:
                      - { provider: first, upstream-model: %s-up, priority: 1%s }
                      - { provider: second, upstream-model: %s-up, priority: 2 }
                    %s
                """.formatted(model, model, firstRouteExtra, model, PRICE);
    }

    static final MutableClock clock = new MutableClock();

    @BeforeAll
    static void start() throws Exception {
        Path catalog = dir.resolve("routing-catalog.yaml");
        Files.writeString(catalog, CATALOG);
        gateway = EngineHarness.start(dir, Map.of("apimodels.catalog", catalog.toString(), "apimodels.stream.keep-alive-ms", "0",
                "apimodels.routing.breaker-failures", "3", "apimodels.routing.breaker-open-seconds", "30"), clock);
    }

    static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    }

    static Function<ProviderRequest, CompletableFuture<ProviderResult>> failing(ProviderException e) {
        return r -> CompletableFuture.failedFuture(e);
    }

    static ProviderException serverError() {
        return new ProviderException(ProviderException.Kind.UPSTREAM_ERROR, 500, "upstream failed (HTTP 500)", null, null);
    }

    /** Starts a streamed chat call to {@code model}; its answer comes as the test drives the upstream. */
    static MockExchange stream(User u, String model) {
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key())
                .json(chat(model).replace("{\"model\"", "{\"stream\":true,\"model\"")).build();
        gateway.engine.handle(exchange);
        return exchange;
    }

    /** The route's entry in {@code GET /admin/routes}. */
    static JsonNode route(String model, String provider) {
        for (JsonNode r : json(expect(gateway.get("/admin/routes", ADMIN_KEY), 200)).get("data")) {
            if (r.get("model").asText().equals(model) && r.get("provider").asText().equals(provider)) {
                return r;
            }
        }
        throw new AssertionError("no route " + model + "/" + provider);
    }

    /** Balance and held: exactly {@code calls} charges of a chat call, nothing left held. */
    static void chargedFor(User u, int calls) {
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - calls * CHAT_COST);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aFailingRouteIsSkippedAndOnlyTheRouteThatAnsweredIsCharged() {
        gateway.upstream.onCallWithKey.put(FIRST, failing(serverError()));
        User u = gateway.user(1_000_000);

        expect(gateway.post("/v1/chat/completions", u.key(), chat("skip")), 200);

        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST, SECOND);
        assertThat(gateway.upstream.calls).extracting(ProviderRequest::upstreamModel).containsExactly("skip-up", "skip-up");
        chargedFor(u, 1);
    }

    @Test
    void theBreakerOpensAfterConsecutiveFailuresAndItsProbeClosesIt() {
        gateway.upstream.onCallWithKey.put(FIRST, failing(serverError()));
        User u = gateway.user(1_000_000);
        for (int i = 0; i < 3; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("breaker")), 200);
        }
        assertThat(route("breaker", "first").get("circuit").asText()).isEqualTo("open");
        assertThat(route("breaker", "first").get("circuit_open_until").asLong()).isEqualTo(clock.millis() + 30_000);
        assertThat(route("breaker", "first").get("error_rate").asDouble()).isEqualTo(1.0);
        assertThat(route("breaker", "second").get("circuit").asText()).isEqualTo("closed");
        gateway.upstream.keysUsed.clear();

        expect(gateway.post("/v1/chat/completions", u.key(), chat("breaker")), 200);
        assertThat(gateway.upstream.keysUsed).as("the open route is not called").containsExactly(SECOND);

        // The upstream recovers; once the open time has passed, one call probes it and closes the breaker.
        gateway.upstream.onCallWithKey.clear();
        clock.advance(Duration.ofSeconds(30));
        assertThat(route("breaker", "first").get("circuit").asText()).isEqualTo("half_open");
        gateway.upstream.keysUsed.clear();
        expect(gateway.post("/v1/chat/completions", u.key(), chat("breaker")), 200);
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST);
        assertThat(route("breaker", "first").get("circuit").asText()).isEqualTo("closed");
        assertThat(route("breaker", "first").get("consecutive_failures").asInt()).isZero();
        chargedFor(u, 5);
    }

    @Test
    void aFailedProbeOpensTheBreakerAgain() {
        gateway.upstream.onCallWithKey.put(FIRST, failing(serverError()));
        User u = gateway.user(1_000_000);
        for (int i = 0; i < 3; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("closed")), 200);
        }
        clock.advance(Duration.ofSeconds(31));
        gateway.upstream.keysUsed.clear();

        expect(gateway.post("/v1/chat/completions", u.key(), chat("closed")), 200);

        assertThat(gateway.upstream.keysUsed).as("the probe, then the next route").containsExactly(FIRST, SECOND);
        assertThat(route("closed", "first").get("circuit").asText()).isEqualTo("open");
        assertThat(route("closed", "first").get("circuit_open_until").asLong()).isEqualTo(clock.millis() + 30_000);
        chargedFor(u, 4);
    }

    /**
     * A stream as the half-open breaker's probe closes it with its first content: the route
     * answers. Closing it only at the stream's end kept every other call off the route (503) for
     * the whole length of the probe stream, twenty seconds and more for a slow-dribbling one.
     */
    @Test
    void aStreamingProbeClosesTheBreakerAtItsFirstContent() throws Exception {
        gateway.upstream.onCallWithKey.put(FIRST, failing(serverError()));
        User u = gateway.user(1_000_000);
        for (int i = 0; i < 3; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("stream-probe")), 200);
        }
        assertThat(route("stream-probe", "first").get("circuit").asText()).isEqualTo("open");
        gateway.upstream.onCallWithKey.remove(FIRST);
        clock.advance(Duration.ofSeconds(30));

        MockExchange exchange = stream(u, "stream-probe");
        ScriptedProvider.OpenStream probe = gateway.upstream.nextStream(WAIT);
        assertThat(probe.key).isEqualTo(FIRST);
        assertThat(route("stream-probe", "first").get("circuit").asText()).isEqualTo("half_open");
        probe.chunk("Hello");
        assertThat(route("stream-probe", "first").get("circuit").asText())
                .as("closed while the probe streams on").isEqualTo("closed");

        probe.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        probe.sink.onComplete();
        assertThat(exchange.awaitAnswer(WAIT).status()).isEqualTo(200);
        assertThat(route("stream-probe", "first").get("circuit").asText()).isEqualTo("closed");
        chargedFor(u, 4);
    }

    /**
     * Streams that are delivering count for their route from their first content: while thousands
     * of streams open, none has ended yet, and a few failures among them are not the route being down.
     */
    @Test
    void failuresAmongMoreStreamsThatAreDeliveringLeaveTheBreakerClosed() throws Exception {
        User u = gateway.user(1_000_000);
        List<MockExchange> exchanges = new java.util.ArrayList<>();
        List<ScriptedProvider.OpenStream> delivering = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            exchanges.add(stream(u, "streaming-busy"));
            ScriptedProvider.OpenStream s = gateway.upstream.nextStream(WAIT);
            s.chunk("Hello");
            delivering.add(s);
        }
        gateway.upstream.onCallWithKey.put(FIRST, failing(serverError()));
        for (int i = 0; i < 3; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("streaming-busy")), 200);
        }
        assertThat(route("streaming-busy", "first").get("circuit").asText()).as("3 failures, 4 answering").isEqualTo("closed");
        assertThat(route("streaming-busy", "first").get("consecutive_failures").asInt()).isEqualTo(3);

        expect(gateway.post("/v1/chat/completions", u.key(), chat("streaming-busy")), 200);
        assertThat(route("streaming-busy", "first").get("circuit").asText()).as("4 of 8: half").isEqualTo("open");
        assertThat(expect(gateway.post("/v1/chat/completions", u.key(), chat("streaming-busy")), 200).status()).isEqualTo(200);

        for (ScriptedProvider.OpenStream s : delivering) {
            s.sink.onUsage(ScriptedProvider.CHAT_USAGE);
            s.sink.onComplete();
        }
        for (MockExchange e : exchanges) {
            assertThat(e.awaitAnswer(WAIT).status()).isEqualTo(200);
        }
        chargedFor(u, 9);
    }

    /**
     * The route's whole timeout cutting a stream that was delivering is the gateway's own deadline:
     * the stream fails (and costs nothing), but the route answered and is not counted as failing.
     */
    @Test
    void streamsCutByTheRoutesWholeTimeoutAfterContentDoNotOpenTheBreaker() throws Exception {
        User u = gateway.user(1_000_000);
        List<MockExchange> exchanges = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            exchanges.add(stream(u, "stream-deadline"));
            gateway.upstream.nextStream(WAIT).chunk("Hel");
        }
        // The route's timeout is 1 s (real time: the relay's timer, not the clock).
        for (MockExchange e : exchanges) {
            assertThat(e.awaitAnswer(WAIT).bodyText()).contains("Hel").contains("\"error\"").doesNotContain("[DONE]");
        }
        assertThat(route("stream-deadline", "first").get("circuit").asText()).isEqualTo("closed");
        assertThat(route("stream-deadline", "first").get("consecutive_failures").asInt()).isZero();
        chargedFor(u, 0);
    }

    @Test
    void retryAfterRestsTheRouteUntilItHasPassed() {
        gateway.upstream.onCallWithKey.put(FIRST, failing(new ProviderException(ProviderException.Kind.RATE_LIMITED, 429,
                "upstream rate limit reached (HTTP 429)", null, null, Duration.ofSeconds(20))));
        User u = gateway.user(1_000_000);
        expect(gateway.post("/v1/chat/completions", u.key(), chat("cooldown")), 200);
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST, SECOND);
        JsonNode first = route("cooldown", "first");
        assertThat(first.get("cool_down_until").asLong()).isEqualTo(clock.millis() + 20_000);
        assertThat(first.get("circuit").asText()).as("a rate limit is not the route failing").isEqualTo("closed");
        assertThat(first.at("/keys/0/state").asText()).isEqualTo("cooling");

        gateway.upstream.keysUsed.clear();
        expect(gateway.post("/v1/chat/completions", u.key(), chat("cooldown")), 200);
        assertThat(gateway.upstream.keysUsed).as("rested").containsExactly(SECOND);

        gateway.upstream.onCallWithKey.clear();
        clock.advance(Duration.ofSeconds(20));
        gateway.upstream.keysUsed.clear();
        expect(gateway.post("/v1/chat/completions", u.key(), chat("cooldown")), 200);
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST);
        chargedFor(u, 3);
    }

    @Test
    void callsAreSpreadOverTheKeyPoolAndARefusedKeyIsLeftOutAndReportedByItsLastFour() {
        User u = gateway.user(1_000_000);
        for (int i = 0; i < 6; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("pooled")), 200);
        }
        assertThat(gateway.upstream.keysUsed).containsExactlyInAnyOrder(POOL_A, POOL_B, POOL_C, POOL_A, POOL_B, POOL_C);

        gateway.upstream.onCallWithKey.put(POOL_B, failing(new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 401,
                "upstream rejected the gateway's credentials", null, null)));
        gateway.upstream.keysUsed.clear();
        for (int i = 0; i < 6; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("pooled")), 200);
        }
        // B was tried once, refused, and the same call went on with another key of the pool.
        assertThat(gateway.upstream.keysUsed.stream().filter(POOL_B::equals)).hasSize(1);
        assertThat(gateway.upstream.keysUsed).hasSize(7);

        String report = expect(gateway.get("/admin/routes", ADMIN_KEY), 200).bodyText();
        assertThat(report).doesNotContain(POOL_A).doesNotContain(POOL_B).doesNotContain(POOL_C);
        JsonNode pooled = route("pooled", "pool");
        assertThat(pooled.get("circuit").asText()).as("a refused key is not the route failing").isEqualTo("closed");
        assertThat(pooled.get("keys")).hasSize(3);
        JsonNode b = pooled.get("keys").get(1);
        assertThat(b.get("key").asText()).isEqualTo("…bbbb");
        assertThat(b.get("state").asText()).isEqualTo("disabled");
        assertThat(b.get("reason").asText()).isEqualTo("HTTP 401");
        assertThat(b.get("until").asLong()).isEqualTo(clock.millis() + 3_600_000);
        assertThat(pooled.get("keys").get(0).get("state").asText()).isEqualTo("active");
        assertThat(expect(gateway.get("/metrics", null), 200).bodyText()).contains("apimodels_upstream_keys_disabled 1.0");
        chargedFor(u, 12);
    }

    @Test
    void aKeyRefusedWithA400LikeAnthropicsCreditBalanceIsLeftOutNotAnsweredToTheClient() {
        User u = gateway.user(1_000_000);
        gateway.upstream.onCallWithKey.put(CREDIT_A, failing(new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 400,
                "upstream account is out of credit (HTTP 400)", null, null)));
        for (int i = 0; i < 4; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), chat("credit-pooled")), 200);
        }
        assertThat(gateway.upstream.keysUsed.stream().filter(CREDIT_A::equals)).hasSize(1);
        assertThat(gateway.upstream.keysUsed).hasSize(5);
        JsonNode a = route("credit-pooled", "credit").get("keys").get(0);
        assertThat(a.get("state").asText()).isEqualTo("disabled");
        assertThat(a.get("reason").asText()).isEqualTo("HTTP 400");
        chargedFor(u, 4);
        clock.advance(Duration.ofHours(1).plusSeconds(1)); // the rest ends: other tests count no disabled key of ours
    }

    @Test
    void aStreamSilentPastItsFirstByteTimeoutMovesToTheNextRoute() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = stream(u, "first-byte");
        ScriptedProvider.OpenStream silent = gateway.upstream.nextStream(WAIT);
        assertThat(silent.key).isEqualTo(FIRST);

        // The route's first-byte timeout is 1 s (real time: the relay's timer, not the clock).
        ScriptedProvider.OpenStream next = gateway.upstream.nextStream(WAIT);
        assertThat(next.key).isEqualTo(SECOND);
        assertThat(silent.awaitCancelled(WAIT)).as("the silent upstream is stopped").isTrue();
        next.chunk("Hello");
        next.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        next.sink.onComplete();
        // What the first route sends late is not relayed.
        silent.chunk("late");

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(exchange.events()).hasSize(2).noneMatch(e -> e.contains("late"));
        assertThat(route("first-byte", "first").get("first_byte_timeout_ms").asLong()).isEqualTo(1000);
        chargedFor(u, 1);
    }

    @Test
    void aCallPastItsRouteTimeoutMovesToTheNextRoute() {
        CompletableFuture<ProviderResult> never = new CompletableFuture<>();
        gateway.upstream.onCallWithKey.put(FIRST, r -> never);
        User u = gateway.user(1_000_000);

        expect(gateway.post("/v1/chat/completions", u.key(), chat("total")), 200);

        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST, SECOND);
        assertThat(never).as("the upstream call is cancelled").isCancelled();
        assertThat(route("total", "first").get("timeout_ms").asLong()).isEqualTo(1000);
        assertThat(route("total", "first").get("consecutive_failures").asInt()).isEqualTo(1);
        chargedFor(u, 1);
    }

    @Test
    void nothingIsRetriedOnceContentReachedTheClient() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = stream(u, "after-content");
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hel");
        upstream.sink.onError(serverError());

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.bodyText()).contains("Hel").contains("\"error\"").doesNotContain("[DONE]");
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST);
        assertThat(gateway.balance(u)).as("a failed stream costs nothing").isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aTaskGoesToTheNextRouteWhenTheFirstRefusesItAndIsChargedOnce() {
        java.util.concurrent.atomic.AtomicInteger submissions = new java.util.concurrent.atomic.AtomicInteger();
        gateway.upstream.onSubmit = r -> submissions.getAndIncrement() == 0
                ? CompletableFuture.failedFuture(new ProviderException(ProviderException.Kind.UPSTREAM_ERROR, 503,
                        "upstream failed (HTTP 503)", null, null))
                : CompletableFuture.completedFuture(TaskUpdate.succeeded("sync-1",
                        List.of(TaskOutput.bytes(MockMedia.sample("image/png"), null)), null));
        User u = gateway.user(1_000_000);

        JsonNode data = json(expect(gateway.post("/api/v1/images/generations", u.key(),
                "{\"model\":\"task-routes\",\"prompt\":\"a red fox\"}"), 200)).get("data");

        assertThat(data.get("state").asText()).isEqualTo("completed");
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST, SECOND);
        assertThat(gateway.upstream.submissions).extracting(TaskRequest::upstreamModel).containsExactly("image-a", "image-b");
        assertThat(route("task-routes", "first").get("consecutive_failures").asInt()).isEqualTo(1);
        assertThat(gateway.charges(u)).containsExactly(-EngineHarness.PER_IMAGE);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void whenNoRouteCanTakeACallItIsRefusedAtOnceAndNothingIsHeld() {
        ProviderException limited = new ProviderException(ProviderException.Kind.RATE_LIMITED, 429,
                "upstream rate limit reached (HTTP 429)", null, null, Duration.ofSeconds(45));
        gateway.upstream.onCallWithKey.put(FIRST, failing(limited));
        gateway.upstream.onCallWithKey.put(SECOND, failing(limited));
        User u = gateway.user(1_000_000);
        MockExchange.Answer first = expect(gateway.post("/v1/chat/completions", u.key(), chat("cooldown-all")), 429);
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST, SECOND);
        gateway.upstream.keysUsed.clear();

        MockExchange.Answer refused = expect(gateway.post("/v1/chat/completions", u.key(), chat("cooldown-all")), 429);

        assertThat(gateway.upstream.keysUsed).as("not forwarded").isEmpty();
        assertThat(refused.header("retry-after")).isEqualTo("45");
        assertThat(json(refused).at("/error/code").asText()).isEqualTo("upstream_rate_limited");
        assertThat(first.status()).isEqualTo(429);
        chargedFor(u, 0);
    }
}
