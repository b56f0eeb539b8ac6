package app.apimodels.provider.anthropic;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.ChatProviderContract;
import app.apimodels.testkit.MockAnthropicUpstream;
import app.apimodels.testkit.RecordingSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider contract against Anthropic's wire format, plus the translation both ways: what
 * reaches {@code /v1/messages} for an OpenAI request, and what an OpenAI client gets back.
 */
class AnthropicClientTest extends ChatProviderContract<MockAnthropicUpstream> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpTransport transport = new JdkHttpTransport(TransportOptions.defaults());

    @Override
    protected MockAnthropicUpstream startUpstream() {
        return new MockAnthropicUpstream();
    }

    @Override
    protected ProviderClient createClient(URI baseUrl, String apiKey, Duration timeout) {
        return client(baseUrl, apiKey, timeout, Map.of());
    }

    private ProviderClient client(URI baseUrl, String apiKey, Duration timeout, Map<String, String> options) {
        return new AnthropicProvider().create(new ProviderConfig("claude", "anthropic", baseUrl, apiKey, timeout, options),
                transport);
    }

    @AfterAll
    void closeTransport() {
        transport.close();
    }

    @Test
    void isFoundByItsType() {
        assertThat(ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(provider -> assertThat(provider.type()).isEqualTo("anthropic"));
    }

    // ---- the request on the wire ------------------------------------------------------------

    @Test
    void sendsTheKeyAndVersionHeaders() throws Exception {
        await(client().call(chat(false)));

        upstream().server().verify(postRequestedFor(urlEqualTo("/v1/messages"))
                .withHeader("x-api-key", equalTo(API_KEY))
                .withHeader("anthropic-version", equalTo("2023-06-01")));
    }

    @Test
    void translatesAChatRequestToMessages() throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-model");
        payload.put("messages", List.of(
                Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "developer", "content", List.of(Map.of("type", "text", "text", "Use metric units."))),
                Map.of("role", "user", "content", List.of(
                        Map.of("type", "text", "text", "What is in these?"),
                        Map.of("type", "image_url", "image_url", Map.of("url", "data:image/png;base64,iVBORw0KGgo=")),
                        Map.of("type", "image_url", "image_url", Map.of("url", "https://example.com/cat.jpg")))),
                Map.of("role", "assistant", "content", "Let me check.", "tool_calls", List.of(
                        Map.of("id", "toolu_1", "type", "function",
                                "function", Map.of("name", "get_weather", "arguments", "{\"city\":\"Paris\"}")),
                        Map.of("id", "toolu_2", "type", "function",
                                "function", Map.of("name", "get_time", "arguments", "")))),
                Map.of("role", "tool", "tool_call_id", "toolu_1", "content", "18 C"),
                Map.of("role", "tool", "tool_call_id", "toolu_2", "content", "noon")));
        payload.put("max_completion_tokens", 300);
        payload.put("stop", "END");
        payload.put("temperature", 0.2);
        payload.put("top_p", 0.9);
        payload.put("user", "user-42");
        payload.put("tools", List.of(Map.of("type", "function", "function", Map.of("name", "get_weather",
                "description", "Weather of a city",
                "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")))))));
        payload.put("tool_choice", "required");
        payload.put("parallel_tool_calls", false);

        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));

        JsonNode sent = lastRequest();
        // JSON equality: object fields in any order, arrays in theirs.
        assertThat(sent).isEqualTo(JSON.readTree("""
                {"model":"upstream-model-1","max_tokens":300,
                 "system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Use metric units."}],
                 "messages":[
                  {"role":"user","content":[{"type":"text","text":"What is in these?"},
                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                    {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]},
                  {"role":"assistant","content":[{"type":"text","text":"Let me check."},
                    {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
                    {"type":"tool_use","id":"toolu_2","name":"get_time","input":{}}]},
                  {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18 C"}]},
                    {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"noon"}]}]}],
                 "stop_sequences":["END"],"temperature":0.2,"top_p":0.9,"metadata":{"user_id":"user-42"},
                 "tools":[{"name":"get_weather","description":"Weather of a city",
                   "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
                 "tool_choice":{"type":"any","disable_parallel_tool_use":true}}
                """));
    }

    @ParameterizedTest(name = "tool_choice {0} is {1}")
    @CsvSource(delimiter = '|', value = {
            "\"auto\"|{\"type\":\"auto\"}",
            "\"none\"|{\"type\":\"none\"}",
            "\"required\"|{\"type\":\"any\"}",
            "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}|{\"type\":\"tool\",\"name\":\"get_weather\"}"})
    void mapsToolChoice(String given, String sent) throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>(chat(false).payload());
        payload.put("tool_choice", JSON.readValue(given, Object.class));

        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));

        assertThat(lastRequest().get("tool_choice")).isEqualTo(JSON.readTree(sent));
    }

    @Test
    void maxTokensComesFromTheRequestOrTheConfiguredDefault() throws Exception {
        await(client().call(chat(false)));
        assertThat(lastRequest().get("max_tokens").asLong()).isEqualTo(4096);

        Map<String, Object> payload = new LinkedHashMap<>(chat(false).payload());
        payload.put("max_tokens", 77);
        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));
        assertThat(lastRequest().get("max_tokens").asLong()).isEqualTo(77);

        try (ProviderClient configured = client(URI.create(upstream().baseUrl()), API_KEY, Duration.ofSeconds(10),
                Map.of("max-tokens", "1024"))) {
            await(configured.call(chat(false)));
        }
        assertThat(lastRequest().get("max_tokens").asLong()).isEqualTo(1024);
    }

    @Test
    void aBadToolCallIsRefusedNamingTheField() {
        Map<String, Object> payload = new LinkedHashMap<>(chat(false).payload());
        payload.put("messages", List.of(Map.of("role", "assistant", "tool_calls", List.of(Map.of("id", "t",
                "function", Map.of("name", "f", "arguments", "[1, 2]"))))));

        ProviderException failure = failureOf(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("messages[0].tool_calls[0].function.arguments");
        assertThat(upstream().server().getAllServeEvents()).isEmpty();
    }

    @Test
    void anAccountOutOfCreditRefusesTheKeyNotTheRequest() {
        upstream().outOfCredit();
        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);

        for (ProviderException failure : List.of(failureOf(client().call(chat(false))), sink.awaitError())) {
            assertThat(failure.kind()).as("the key's account, not the client's request").isEqualTo(ProviderException.Kind.UPSTREAM_CONFIG);
            assertThat(failure.keyRefused()).isTrue();
            assertThat(failure.getMessage()).isEqualTo("upstream account is out of credit (HTTP 400)");
        }

        upstream().respondWithError(400, "messages: field required", null);
        ProviderException invalid = failureOf(client().call(chat(false)));
        assertThat(invalid.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(invalid.keyRefused()).isFalse();
    }

    @Test
    void severalChoicesAreRefusedNamingN() {
        Map<String, Object> payload = new LinkedHashMap<>(chat(false).payload());
        payload.put("n", 2);

        ProviderException failure = failureOf(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("n");
        assertThat(upstream().server().getAllServeEvents()).isEmpty();
    }

    // ---- the answer -----------------------------------------------------------------------

    @Test
    void toolUseBecomesToolCalls() throws Exception {
        upstream().answerWithToolUse();

        JsonNode answer = JSON.readTree(await(client().call(chat(false))).body());

        JsonNode message = answer.path("choices").path(0).path("message");
        assertThat(message.path("content").asText()).isEqualTo(MockAnthropicUpstream.TEXT);
        assertThat(answer.path("choices").path(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(message.path("tool_calls")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode call = message.path("tool_calls").path(i);
            List<String> expected = MockAnthropicUpstream.TOOL_CALLS.get(i);
            assertThat(call.path("id").asText()).isEqualTo(expected.get(0));
            assertThat(call.path("type").asText()).isEqualTo("function");
            assertThat(call.path("function").path("name").asText()).isEqualTo(expected.get(1));
            assertThat(JSON.readTree(call.path("function").path("arguments").asText())).isEqualTo(JSON.readTree(expected.get(2)));
        }
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"end_turn, stop", "stop_sequence, stop", "max_tokens, length", "tool_use, tool_calls",
            "refusal, content_filter"})
    void stopReasonsAreFinishReasons(String stopReason, String finishReason) {
        assertThat(ChatCompletion.finishReason(stopReason)).isEqualTo(finishReason);
    }

    @Test
    void cacheReadsAndCacheWritesArePartsOfTheInput() throws Exception {
        upstream().usage(Usage.tokens(2_000, 1_500, 40)).cacheWrites(300);

        var result = await(client().call(chat(false)));

        assertThat(result.usage()).isEqualTo(Usage.tokens(2_000, 1_500, 40).withCacheWriteTokens(300));
        JsonNode usage = JSON.readTree(result.body()).path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(2_000);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(1_500);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(40);
    }

    @ParameterizedTest(name = "HTTP {0} is {1}")
    @CsvSource({"529, UPSTREAM_ERROR", "429, RATE_LIMITED", "400, INVALID_REQUEST"})
    void anthropicErrorsAreClassified(int status, ProviderException.Kind kind) {
        upstream().respondWithError(status, "messages: roles must alternate", null);

        ProviderException failure = failureOf(client().call(chat(false)));

        assertThat(failure.kind()).isEqualTo(kind);
        assertThat(failure.kind().retryable()).isEqualTo(status != 400);
        if (status == 400) {
            assertThat(failure.getMessage()).isEqualTo("messages: roles must alternate");
        }
    }

    // ---- Anthropic's own API passed through -------------------------------------------------

    private static ProviderRequest messages(Operation operation, boolean stream) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-model");
        payload.put("max_tokens", 64);
        payload.put("system", List.of(Map.of("type", "text", "text", "Be brief.", "cache_control", Map.of("type", "ephemeral"))));
        payload.put("messages", List.of(Map.of("role", "user", "content", "Hello")));
        payload.put("a_field_added_later", Map.of("kept", true));
        return new ProviderRequest(operation, MockAnthropicUpstream.MODEL, payload, stream);
    }

    @Test
    void aMessagesRequestIsPassedThroughAndItsAnswerHandedBackAsItCame() throws Exception {
        upstream().usage(Usage.tokens(2_000, 1_500, 40)).cacheWrites(300);

        var result = await(client().call(messages(Operation.MESSAGES, false)));

        JsonNode sent = lastRequest();
        JsonNode expected = JSON.valueToTree(messages(Operation.MESSAGES, false).payload());
        ((com.fasterxml.jackson.databind.node.ObjectNode) expected).put("model", MockAnthropicUpstream.MODEL);
        assertThat(sent).isEqualTo(expected); // every field as sent, only the model renamed; no stream flag
        JsonNode answer = JSON.readTree(result.body());
        assertThat(answer.path("type").asText()).isEqualTo("message");
        assertThat(answer.path("content").get(0).path("text").asText()).isEqualTo(MockAnthropicUpstream.TEXT);
        assertThat(answer.path("usage").path("cache_creation_input_tokens").asLong()).isEqualTo(300);
        assertThat(result.usage()).isEqualTo(Usage.tokens(2_000, 1_500, 40).withCacheWriteTokens(300));
    }

    @Test
    void aMessagesStreamIsRelayedEventByEventUnderItsNames() throws Exception {
        upstream().answerWithToolUse().usage(Usage.tokens(900, 600, 52)).cacheWrites(100);

        RecordingSink sink = new RecordingSink();
        client().stream(messages(Operation.MESSAGES, true), sink);
        sink.awaitEnd();

        assertThat(lastRequest().path("stream").asBoolean()).isTrue();
        List<StreamChunk> chunks = sink.chunks();
        assertThat(chunks).extracting(StreamChunk::event).startsWith("message_start", "ping", "content_block_start")
                .endsWith("message_delta", "message_stop").contains("content_block_delta", "content_block_stop");
        for (StreamChunk chunk : chunks) {
            assertThat(JSON.readTree(chunk.data()).path("type").asText()).isEqualTo(chunk.event()); // the upstream's own data
        }
        String text = chunks.stream().map(StreamChunk::text).reduce("", String::concat);
        assertThat(text).isEqualTo(MockAnthropicUpstream.TEXT + MockAnthropicUpstream.TOOL_CALLS.get(0).get(2)
                + MockAnthropicUpstream.TOOL_CALLS.get(1).get(2));
        // message_start said 1 output token, message_delta 52 in all: replaced, not added.
        assertThat(sink.usages()).containsExactly(Usage.tokens(900, 600, 52).withCacheWriteTokens(100));
        sink.assertWellBehaved();
    }

    @Test
    void countTokensIsPassedThrough() throws Exception {
        upstream().usage(Usage.tokens(1_234, 0, 1));

        var result = await(client().call(messages(Operation.COUNT_TOKENS, false)));

        assertThat(JSON.readTree(result.body())).isEqualTo(JSON.readTree("{\"input_tokens\":1234}"));
        assertThat(result.usage()).isNull();
        List<LoggedRequest> requests = upstream().server().findAll(postRequestedFor(urlEqualTo("/v1/messages/count_tokens")));
        assertThat(requests).hasSize(1);
        assertThat(JSON.readTree(requests.get(0).getBodyAsString()).path("model").asText()).isEqualTo(MockAnthropicUpstream.MODEL);
        assertThat(JSON.readTree(requests.get(0).getBodyAsString()).has("stream")).isFalse();
    }

    @Test
    void aCutMessagesStreamFailsAsNetworkWithTheUsageSoFar() throws Exception {
        upstream().usage(Usage.tokens(100, 0, 9)).cutStreams();

        RecordingSink sink = new RecordingSink();
        client().stream(messages(Operation.MESSAGES, true), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.NETWORK);
        assertThat(sink.usages()).containsExactly(Usage.tokens(100, 0, 1)); // message_start's, all that came
    }

    // ---- streams --------------------------------------------------------------------------

    @Test
    void streamedToolUseBecomesToolCallDeltasWithTheirIndex() throws Exception {
        upstream().answerWithToolUse().usage(Usage.tokens(900, 600, 52)).cacheWrites(100);

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();

        List<StringBuilder> arguments = List.of(new StringBuilder(), new StringBuilder());
        List<String> ids = new ArrayList<>();
        String finish = null;
        for (StreamChunk chunk : sink.chunks()) {
            JsonNode choice = JSON.readTree(chunk.data()).path("choices").path(0);
            for (JsonNode call : choice.path("delta").path("tool_calls")) {
                int index = call.path("index").asInt();
                if (call.has("id")) {
                    ids.add(index, call.path("id").asText());
                }
                arguments.get(index).append(call.path("function").path("arguments").asText());
            }
            if (choice.path("finish_reason").isTextual()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertThat(ids).containsExactly("toolu_01A", "toolu_01B");
        for (int i = 0; i < 2; i++) {
            assertThat(JSON.readTree(arguments.get(i).toString()))
                    .isEqualTo(JSON.readTree(MockAnthropicUpstream.TOOL_CALLS.get(i).get(2)));
        }
        assertThat(finish).isEqualTo("tool_calls");
        // message_start said 1 output token, message_delta 52 in all: replaced, not added.
        assertThat(sink.usages()).containsExactly(Usage.tokens(900, 600, 52).withCacheWriteTokens(100));
        JsonNode last = JSON.readTree(sink.chunks().get(sink.chunks().size() - 1).data());
        assertThat(last.path("choices")).isEmpty();
        assertThat(last.path("usage").path("completion_tokens").asLong()).isEqualTo(52);
        sink.assertWellBehaved();
    }

    @Test
    void anErrorEventFailsTheStream() {
        ProviderException failure = new AnthropicErrors(JSON, API_KEY).forStreamError(
                JSON.createObjectNode().put("type", "overloaded_error").put("message", "Overloaded " + API_KEY));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
        assertThat(failure.getMessage()).startsWith("Overloaded").doesNotContain(API_KEY);
    }

    private JsonNode lastRequest() throws Exception {
        List<LoggedRequest> requests = upstream().server().findAll(postRequestedFor(urlEqualTo("/v1/messages")));
        return JSON.readTree(requests.get(requests.size() - 1).getBodyAsString());
    }
}
