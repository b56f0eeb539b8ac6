package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.relay.TokenCounter;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.CHAT_INPUT_MICROS_PER_TOKEN;
import static app.apimodels.core.engine.EngineHarness.CHAT_OUTPUT_MICROS_PER_TOKEN;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /v1/responses} through the engine: the request passed through with the upstream's
 * model name (fields the gateway does not know kept), the reported usage charged, a stream relayed
 * as named Responses events without {@code [DONE]}, a cut stream charged what was produced and never
 * more than the hold, and the features that would reach the upstream account's stored state refused.
 */
class ResponsesRelayTest extends EngineTest {

    static final String REQUEST = """
            {"model":"test-chat","instructions":"Be brief","input":"Say hello","max_output_tokens":50,
             "text":{"format":{"type":"text"}},"metadata":{"k":"v"},"some_future_field":[1,2]}""";
    static final Usage USAGE = Usage.tokens(20, 0, 8);
    static final long COST = 20 * CHAT_INPUT_MICROS_PER_TOKEN + 8 * CHAT_OUTPUT_MICROS_PER_TOKEN;

    @BeforeAll
    static void start() throws Exception {
        gateway = EngineHarness.start(dir, Map.of("apimodels.stream.keep-alive-ms", "0"));
    }

    static ProviderResult response(Usage usage) {
        String body = """
                {"id":"resp_1","object":"response","status":"completed","model":"upstream-chat",
                 "output":[{"type":"message","id":"msg_1","role":"assistant","status":"completed",
                   "content":[{"type":"output_text","text":"Hello there","annotations":[]}]}],
                 "usage":{"input_tokens":%d,"input_tokens_details":{"cached_tokens":0},"output_tokens":%d,
                   "output_tokens_details":{"reasoning_tokens":3},"total_tokens":%d}}"""
                .formatted(usage.inputTokens(), usage.outputTokens(), usage.inputTokens() + usage.outputTokens());
        return new ProviderResult(body.getBytes(StandardCharsets.UTF_8), "application/json", usage);
    }

    @Test
    void aResponseIsPassedThroughAndChargedTheReportedUsage() {
        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(response(USAGE));
        User u = gateway.user(1_000_000);
        MockExchange.Answer answer = expect(gateway.post("/v1/responses", u.key(), REQUEST), 200);

        JsonNode body = json(answer);
        assertThat(body.get("model").asText()).as("the public name").isEqualTo("test-chat");
        assertThat(body.at("/output/0/content/0/text").asText()).isEqualTo("Hello there");
        assertThat(gateway.upstream.calls).singleElement().satisfies(r -> {
            assertThat(r.operation()).isEqualTo(Operation.RESPONSES);
            assertThat(r.upstreamModel()).isEqualTo("upstream-chat");
            assertThat(r.payload()).containsEntry("some_future_field", List.of(1L, 2L))
                    .containsEntry("metadata", Map.of("k", "v")).containsEntry("instructions", "Be brief");
        });
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - COST);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aStreamIsRelayedAsNamedEventsWithoutDoneAndChargedTheCompletedUsage() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/responses").bearer(u.key())
                .json(REQUEST.replace("{\"model\"", "{\"stream\":true,\"model\"")).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        assertThat(upstream.request.stream()).isTrue();

        event(upstream, "response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"upstream-chat\"}}", "");
        event(upstream, "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":\"Hello\"}", "Hello");
        assertThat(exchange.awaitEvents(WAIT, e -> e.size() == 2).get(0))
                .startsWith("event: response.created\ndata: {").contains("\"model\":\"test-chat\"");
        event(upstream, "response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"usage\":"
                + "{\"input_tokens\":20,\"output_tokens\":8}}}", "");
        upstream.sink.onUsage(USAGE);
        upstream.sink.onComplete();

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(exchange.events()).hasSize(3).noneMatch(e -> e.contains("[DONE]"));
        assertThat(exchange.events().get(2)).startsWith("event: response.completed\n");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - COST);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aCompletedStreamIsReplayedForItsIdempotencyKeyAndChargedOnce() throws Exception {
        User u = gateway.user(1_000_000);
        String body = REQUEST.replace("{\"model\"", "{\"stream\":true,\"model\"");
        MockExchange first = MockExchange.post("/v1/responses").bearer(u.key()).header("Idempotency-Key", "resp-1").json(body).build();
        gateway.engine.handle(first);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        event(upstream, "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":\"Hello\"}", "Hello");
        event(upstream, "response.completed", "{\"type\":\"response.completed\",\"response\":{\"usage\":"
                + "{\"input_tokens\":20,\"output_tokens\":8}}}", "");
        upstream.sink.onUsage(USAGE);
        upstream.sink.onComplete();
        String firstBody = first.awaitAnswer(WAIT).bodyText();

        MockExchange.Answer again = gateway.call(MockExchange.post("/v1/responses").bearer(u.key())
                .header("Idempotency-Key", "resp-1").json(body));

        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.bodyText()).isEqualTo(firstBody).contains("event: response.completed");
        assertThat(gateway.upstream.calls).hasSize(1);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - COST);
    }

    @Test
    void aStreamTheClientLeavesIsChargedWhatWasProducedNeverAboveTheHold() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/responses").bearer(u.key())
                .json("{\"model\":\"test-chat\",\"stream\":true,\"instructions\":\"Be brief\",\"input\":\"Say hello\"}").build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        event(upstream, "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":\"Hello there\"}", "Hello there");
        exchange.awaitEvents(WAIT, e -> e.size() == 1);

        exchange.leave();

        assertThat(upstream.awaitCancelled(WAIT)).isTrue();
        TokenCounter tokens = new TokenCounter();
        long used = tokens.countPrompt(Arrays.asList("Be brief", "Say hello")) * CHAT_INPUT_MICROS_PER_TOKEN
                + tokens.count("Hello there") * CHAT_OUTPUT_MICROS_PER_TOKEN;
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - used);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void anUpstreamReportingMoreThanTheHoldIsChargedTheHold() {
        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(response(Usage.tokens(20, 0, 5_000)));
        User u = gateway.user(1_000_000);
        String request = "{\"model\":\"test-chat\",\"input\":\"Say hello\",\"max_output_tokens\":1}";
        expect(gateway.post("/v1/responses", u.key(), request), 200);

        Map<String, Object> payload = Map.of("model", "test-chat", "input", "Say hello", "max_output_tokens", 1L);
        long hold = TokenCounter.promptUpperBound(payload) * CHAT_INPUT_MICROS_PER_TOKEN + CHAT_OUTPUT_MICROS_PER_TOKEN;
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - hold);
        assertThat(gateway.held(u)).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"model\":\"test-chat\"}|input",
            "{\"model\":\"test-chat\",\"input\":[]}|input",
            "{\"model\":\"test-chat\",\"input\":\"hi\",\"previous_response_id\":\"resp_someone_elses\"}|previous_response_id",
            "{\"model\":\"test-chat\",\"input\":\"hi\",\"conversation\":\"conv_1\"}|conversation",
            "{\"model\":\"test-chat\",\"input\":\"hi\",\"background\":true}|background",
            "{\"model\":\"test-chat\",\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}|tools[0].type",
            "{\"model\":\"test-chat\",\"input\":\"hi\",\"max_output_tokens\":0}|max_output_tokens",
            "{\"model\":\"test-chat\",\"input\":\"hi\",\"instructions\":7}|instructions",
    })
    void whatTheGatewayCannotBillOrIsolateIsRefusedNamingTheField(String request, String field) {
        User u = gateway.user(1_000_000);
        MockExchange.Answer answer = expect(gateway.post("/v1/responses", u.key(), request), 400);

        assertThat(json(answer).at("/error/param").asText()).isEqualTo(field);
        assertThat(gateway.upstream.calls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
    }

    private static void event(ScriptedProvider.OpenStream upstream, String type, String data, String text) {
        upstream.sink.onChunk(new StreamChunk(data.getBytes(StandardCharsets.UTF_8), text, type));
    }
}
