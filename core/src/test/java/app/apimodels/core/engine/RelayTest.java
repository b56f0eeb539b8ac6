package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.relay.TokenCounter;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamCut;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.CHAT_COST;
import static app.apimodels.core.engine.EngineHarness.CHAT_INPUT_MICROS_PER_TOKEN;
import static app.apimodels.core.engine.EngineHarness.CHAT_OUTPUT_MICROS_PER_TOKEN;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The OpenAI-compatible relay through the engine's public surface: what a call is charged (the
 * price of the reported usage, or of what was used up to a cut, never above the hold), that a
 * failed upstream costs nothing, and that a stream reaches the client chunk by chunk.
 */
class RelayTest extends EngineTest {

    static final List<Map<String, String>> MESSAGES = List.of(Map.of("role", "user", "content", "Say hello"));
    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String STREAM = "{\"model\":\"test-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    @BeforeAll
    static void start() throws Exception {
        // Keep-alive comments would interleave with the events these tests count.
        gateway = EngineHarness.start(dir, Map.of("apimodels.stream.keep-alive-ms", "0"));
    }

    @Test
    void aCallIsChargedWhatThePriceSaysForTheReportedUsage() {
        User u = gateway.user(1_000_000);
        MockExchange.Answer answer = expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);

        JsonNode body = json(answer);
        assertThat(body.get("model").asText()).as("the public name, not the upstream's").isEqualTo("test-chat");
        assertThat(body.at("/choices/0/message/content").asText()).isEqualTo(ScriptedProvider.REPLY);
        assertThat(answer.header("x-request-id")).as("time-ordered: the call-log row's key appends to its index")
                .matches("req_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}");
        assertThat(gateway.upstream.calls).singleElement().satisfies(r -> {
            assertThat(r.upstreamModel()).isEqualTo("upstream-chat");
            assertThat(r.stream()).isFalse();
            assertThat(r.payload().get("messages")).isEqualTo(MESSAGES);
        });
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - CHAT_COST);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void theUpstreamGetsTheClientsBytesWithOnlyTheModelReplaced() {
        User u = gateway.user(1_000_000);
        // Key order, spacing, number forms and escapes as a client may send them.
        String sent = "{ \"temperature\": 1.0E0, \"messages\":[{\"content\":\"Say \\u0068ello\",\"role\":\"user\"}],\n"
                + "  \"model\" : \"test-chat\", \"max_tokens\": 100, \"seed\": 12345678901234567890 }\n";
        expect(gateway.post("/v1/chat/completions", u.key(), sent), 200);

        assertThat(gateway.upstream.calls).singleElement().satisfies(r -> {
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(sent.replace("\"test-chat\"", "\"upstream-chat\""));
            assertThat(r.payload().get("messages")).isEqualTo(MESSAGES);
        });
    }

    @Test
    void aFieldGivenTwiceIsRefusedNamingIt() {
        User u = gateway.user(1_000_000);
        // Which one counts depends on the reader: the model billed and the one run could differ.
        MockExchange.Answer model = expect(gateway.post("/v1/chat/completions", u.key(),
                "{\"model\":\"test-chat\",\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400);
        assertThat(json(model).at("/error/param").asText()).isEqualTo("model");
        MockExchange.Answer nested = expect(gateway.post("/v1/chat/completions", u.key(),
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":null,\"content\":\"hi\"}]}"), 400);
        assertThat(json(nested).at("/error/param").asText()).isEqualTo("messages[0].content");
        assertThat(json(nested).at("/error/message").asText()).contains("messages[0].content appears more than once");
        assertThat(gateway.upstream.calls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
    }

    @Test
    void embeddingsAreChargedTheirInputTokens() {
        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(ScriptedProvider.embeddings());
        User u = gateway.user(1_000_000);
        MockExchange.Answer answer = expect(gateway.post("/v1/embeddings", u.key(),
                "{\"model\":\"test-embedding\",\"input\":\"hello world\"}"), 200);

        assertThat(json(answer).get("model").asText()).isEqualTo("test-embedding");
        assertThat(json(answer).at("/data/0/embedding/1").asDouble()).isEqualTo(-0.25);
        assertThat(gateway.upstream.calls).singleElement().satisfies(r -> assertThat(r.upstreamModel()).isEqualTo("upstream-embed"));
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 7 * EngineHarness.EMBEDDING_MICROS_PER_TOKEN);
    }

    @Test
    void aFailedUpstreamCostsNothing() {
        gateway.upstream.onCall = r -> CompletableFuture.failedFuture(ScriptedProvider.failure("upstream exploded"));
        User u = gateway.user(1_000_000);
        MockExchange.Answer answer = expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 502);

        assertThat(json(answer).at("/error/code").asText()).isEqualTo("upstream_error");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void anUnknownModelIsRefusedNamingTheField() {
        User u = gateway.user(1_000_000);
        MockExchange.Answer answer = expect(gateway.post("/v1/chat/completions", u.key(), CHAT.replace("test-chat", "nope")), 404);

        assertThat(json(answer).at("/error/param").asText()).isEqualTo("model");
        assertThat(gateway.upstream.calls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
    }

    @Test
    void aStreamIsRelayedChunkByChunkAndChargedTheReportedUsage() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(STREAM).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        assertThat(upstream.request.stream()).isTrue();

        upstream.chunk("Hello");
        // The first event reaches the client before the upstream sends the next one.
        assertThat(exchange.awaitEvents(WAIT, e -> !e.isEmpty())).singleElement()
                .satisfies(e -> assertThat(e).startsWith("data: {").contains("\"model\":\"test-chat\"").contains("Hello"));
        upstream.chunk(" there");
        String usageChunk = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"upstream-chat\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":5,\"total_tokens\":16}}";
        upstream.sink.onChunk(new StreamChunk(usageChunk.getBytes(StandardCharsets.UTF_8), ""));
        upstream.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        upstream.sink.onComplete();

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.kind()).isEqualTo(MockExchange.Kind.EVENTS);
        assertThat(answer.status()).isEqualTo(200);
        List<String> events = exchange.events();
        assertThat(events).hasSize(4);
        assertThat(events.get(1)).contains(" there");
        assertThat(events.get(2)).contains("\"usage\":{\"prompt_tokens\":11").contains("\"model\":\"test-chat\"");
        assertThat(events.get(3)).isEqualTo("data: [DONE]\n\n");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - CHAT_COST);
        assertThat(gateway.held(u)).isZero();
    }

    /**
     * Once content flows no other route will be tried: a held-open stream lets its parsed request go
     * (a long conversation is several times its JSON as maps), and counts the prompt from the body
     * as it came should the upstream report no usage.
     */
    @Test
    void aStreamLetsItsParsedRequestGoOnceContentFlows() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = RoutingTest.stream(u, "test-chat");
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        WeakReference<Map<String, Object>> payload = new WeakReference<>(upstream.forgetRequest().payload());
        gateway.upstream.calls.clear();

        upstream.chunk("Hello");
        exchange.awaitEvents(WAIT, e -> e.size() == 1);
        await().atMost(WAIT).until(() -> {
            System.gc();
            return payload.get() == null;
        });

        upstream.sink.onComplete();
        assertThat(exchange.awaitAnswer(WAIT).status()).isEqualTo(200);
        TokenCounter tokens = new TokenCounter();
        long used = tokens.countPrompt(MESSAGES) * CHAT_INPUT_MICROS_PER_TOKEN + tokens.count("Hello") * CHAT_OUTPUT_MICROS_PER_TOKEN;
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - used);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aClientLeavingMidStreamIsChargedForWhatWasUsed() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(STREAM).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hello");
        upstream.chunk(" there");
        exchange.awaitEvents(WAIT, e -> e.size() == 2);

        exchange.leave();

        assertThat(upstream.awaitCancelled(WAIT)).as("the upstream call is stopped").isTrue();
        TokenCounter tokens = new TokenCounter();
        long used = tokens.countPrompt(MESSAGES) * CHAT_INPUT_MICROS_PER_TOKEN
                + tokens.count("Hello there") * CHAT_OUTPUT_MICROS_PER_TOKEN;
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - used);
        assertThat(gateway.held(u)).isZero();
        // Whatever the upstream still sends is not relayed.
        upstream.chunk(" late");
        assertThat(exchange.events()).hasSize(2);
    }

    @Test
    void aCutIsNeverChargedMoreThanTheHold() throws Exception {
        User u = gateway.user(1_000_000);
        String capped = STREAM.replace("\"stream\":true", "\"stream\":true,\"max_tokens\":1");
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(capped).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        // An upstream that ignores max_tokens: far more text than the hold covers.
        String text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
        upstream.chunk(text);
        exchange.awaitEvents(WAIT, e -> e.size() == 1);

        exchange.leave();

        long hold = TokenCounter.promptUpperBound(MESSAGES) * CHAT_INPUT_MICROS_PER_TOKEN + CHAT_OUTPUT_MICROS_PER_TOKEN;
        TokenCounter tokens = new TokenCounter();
        long used = tokens.countPrompt(MESSAGES) * CHAT_INPUT_MICROS_PER_TOKEN + tokens.count(text) * CHAT_OUTPUT_MICROS_PER_TOKEN;
        assertThat(used).as("the test's premise").isGreaterThan(hold);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - hold);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aStreamFailingAfterItsFirstChunkEndsWithAnErrorEventAndCostsNothing() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(STREAM).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hel");
        upstream.sink.onError(new ProviderException(ProviderException.Kind.NETWORK, "connection reset", null));

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.bodyText()).contains("\"error\"").doesNotContain("[DONE]");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }

    /**
     * A stream that ends before its last event (rare, and to the client only "the upstream
     * failed") is logged once as a warning naming the route and what the upstream sent, never the prompt.
     */
    @Test
    void aStreamCutBeforeItsLastEventIsLoggedWithTheRouteAndWhatCame() throws Exception {
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("app.apimodels.core.relay.StreamRelay");
        java.util.logging.Handler recorder = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(recorder);
        try {
            User u = gateway.user(1_000_000);
            MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(STREAM).build();
            gateway.engine.handle(exchange);
            ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
            upstream.sink.onError(new ProviderException(ProviderException.Kind.NETWORK, "upstream stream ended before it finished",
                    new StreamCut(200, "application/json", 10, 0, 0, null)));

            assertThat(exchange.awaitAnswer(WAIT).status()).isEqualTo(502);
            assertThat(warnings).singleElement().satisfies(line -> assertThat(line)
                    .contains("chat.completions stream of model 'test-chat' from provider 'up' (upstream model 'upstream-chat') "
                            + "ended before it finished: status 200, content type application/json, 10 bytes in 0 events")
                    .startsWith("call req_").doesNotContain("Say hello", "relayed"));
            assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        } finally {
            logger.removeHandler(recorder);
        }
    }

    @Test
    void aStreamWithoutReportedUsageIsChargedTheCountedTokens() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(STREAM).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hello");
        upstream.chunk(" there");
        upstream.sink.onComplete();

        exchange.awaitAnswer(WAIT);
        TokenCounter tokens = new TokenCounter();
        long used = tokens.countPrompt(MESSAGES) * CHAT_INPUT_MICROS_PER_TOKEN
                + tokens.count("Hello there") * CHAT_OUTPUT_MICROS_PER_TOKEN;
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - used);
    }

    @Test
    void aCallTheBalanceCannotCoverIsRefusedBeforeItIsForwarded() {
        User u = gateway.user(100);
        MockExchange.Answer answer = expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 402);

        assertThat(json(answer).at("/error/code").asText()).isEqualTo("insufficient_credits");
        assertThat(gateway.upstream.calls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(100);
    }
}
