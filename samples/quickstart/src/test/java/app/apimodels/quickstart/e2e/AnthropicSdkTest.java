package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.MockAnthropicUpstream;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The official Anthropic Java SDK, unchanged, against the running quickstart's
 * {@code /v1/messages} on a model routed to an upstream speaking Anthropic's wire format:
 * messages streamed and not, tool use round trips, token counting, errors in Anthropic's shape;
 * every call charged exactly what the upstream reported, cache reads and writes at their prices.
 */
class AnthropicSdkTest extends ClaudeAndGeminiTest {

    static final long GRANT = 1_000_000;
    /** The model's public name; the upstream knows it as {@link MockAnthropicUpstream#MODEL}. */
    static final String MODEL = "claude-test";


    private Gateway.User start(TestDatabases db) throws Exception {
        // 1,000 prompt tokens: 500 plain, 300 read from the cache, 200 written to it; 50 output.
        claude.usage(Usage.tokens(1_000, 300, 50)).cacheWrites(200);
        gateway = Gateway.start(db, Catalogs.claudeAndGemini(claude.baseUrl(), gemini.baseUrl()), dir, Map.of());
        return gateway.user(GRANT);
    }

    private AnthropicClient sdk(Gateway.User user) {
        return AnthropicOkHttpClient.builder().apiKey(user.key()).baseUrl(gateway.baseUrl()).maxRetries(0).build();
    }

    private static MessageCreateParams.Builder ask() {
        return MessageCreateParams.builder().model(MODEL).maxTokens(100).addUserMessage(ProviderChargesTest.PROMPT);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void messagesStreamedOrNotAndCountTokensAreChargedExactly(TestDatabases db) throws Exception {
        Gateway.User user = start(db);
        AnthropicClient client = sdk(user);

        Message message = client.messages().create(ask().system("Be brief.")
                .putAdditionalBodyProperty("x_new_field", JsonValue.from(Map.of("kept", true))).build());
        assertThat(message.content()).hasSize(1);
        assertThat(message.content().get(0).text().orElseThrow().text()).isEqualTo(MockAnthropicUpstream.TEXT);
        assertThat(message.model().asString()).isEqualTo(MODEL); // the public name, not the upstream's
        assertThat(message.usage().cacheCreationInputTokens()).contains(200L);
        assertThat(message.usage().cacheReadInputTokens()).contains(300L);
        assertThat(gateway.balance(user)).isEqualTo(GRANT - ProviderChargesTest.ANTHROPIC_COST);
        // Passed through: the upstream's model name, the gateway's key, fields the gateway does not know.
        claude.server().verify(postRequestedFor(urlEqualTo("/v1/messages"))
                .withHeader("x-api-key", equalTo("sk-ant-upstream"))
                .withRequestBody(matchingJsonPath("$.model", equalTo(MockAnthropicUpstream.MODEL)))
                .withRequestBody(matchingJsonPath("$.system", equalTo("Be brief.")))
                .withRequestBody(matchingJsonPath("$.x_new_field.kept", equalTo("true"))));

        String streamed;
        List<String> events = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ask().build())) {
            streamed = stream.stream().peek(e -> events.add(e.isMessageStart() ? "message_start" : e.isMessageStop() ? "message_stop" : "other"))
                    .flatMap(e -> e.contentBlockDelta().stream())
                    .flatMap(d -> d.delta().text().stream())
                    .map(t -> t.text()).collect(Collectors.joining());
        }
        assertThat(streamed).isEqualTo(MockAnthropicUpstream.TEXT);
        assertThat(events).startsWith("message_start").endsWith("message_stop");
        assertThat(gateway.balance(user)).isEqualTo(GRANT - 2 * ProviderChargesTest.ANTHROPIC_COST);

        long counted = client.messages().countTokens(MessageCountTokensParams.builder().model(MODEL)
                .addUserMessage(ProviderChargesTest.PROMPT).build()).inputTokens();
        assertThat(counted).isEqualTo(1_000);
        claude.server().verify(postRequestedFor(urlEqualTo("/v1/messages/count_tokens"))
                .withRequestBody(matchingJsonPath("$.model", equalTo(MockAnthropicUpstream.MODEL))));
        assertThat(gateway.balance(user)).as("counting tokens is free").isEqualTo(GRANT - 2 * ProviderChargesTest.ANTHROPIC_COST);
        assertThat(gateway.held(user)).isZero();

        JsonNode calls = gateway.usage(user);
        assertThat(calls).hasSize(2);
        for (JsonNode call : calls) {
            assertThat(call.get("endpoint").asText()).isEqualTo("messages");
            assertThat(call.get("status").asInt()).isEqualTo(200);
            assertThat(call.get("usage_estimated").asBoolean()).isFalse();
            assertThat(call.get("input_tokens").asLong()).isEqualTo(1_000);
            assertThat(call.get("cached_input_tokens").asLong()).isEqualTo(300);
            assertThat(call.get("cache_write_tokens").asLong()).isEqualTo(200);
            assertThat(call.get("output_tokens").asLong()).isEqualTo(50);
            assertThat(call.get("cost_micros").asLong()).isEqualTo(ProviderChargesTest.ANTHROPIC_COST);
        }
    }

    @Test
    void toolUseBlocksRoundTripStreamedAndNot() throws Exception {
        Gateway.User user = start(TestDatabases.H2);
        AnthropicClient client = sdk(user);
        claude.answerWithToolUse();
        Tool weather = Tool.builder().name("get_weather").description("The weather in a city")
                .inputSchema(Tool.InputSchema.builder().properties(JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .required(List.of("city")).build()).build();

        Message asked = client.messages().create(ask().addTool(weather).build());
        List<ToolUseBlock> uses = asked.content().stream().flatMap(b -> b.toolUse().stream()).toList();
        assertThat(uses).extracting(ToolUseBlock::id).containsExactly("toolu_01A", "toolu_01B");
        assertThat(uses.get(0).name()).isEqualTo("get_weather");
        assertThat(uses.get(0)._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris", "unit", "celsius"));

        // The answer goes back as the assistant's turn, the tool results as the user's.
        List<ContentBlockParam> results = uses.stream().map(u -> ContentBlockParam.ofToolResult(
                ToolResultBlockParam.builder().toolUseId(u.id()).content("sunny, 21°C").build())).toList();
        Message answered = client.messages().create(ask().addTool(weather).addMessage(asked)
                .addUserMessageOfContentBlockParams(results).build());
        assertThat(answered.content()).isNotEmpty();
        claude.server().verify(postRequestedFor(urlEqualTo("/v1/messages"))
                .withRequestBody(matchingJsonPath("$.tools[0].name", equalTo("get_weather")))
                .withRequestBody(matchingJsonPath("$.messages[1].content[1].type", equalTo("tool_use")))
                .withRequestBody(matchingJsonPath("$.messages[1].content[1].id", equalTo("toolu_01A")))
                .withRequestBody(matchingJsonPath("$.messages[2].content[0].type", equalTo("tool_result")))
                .withRequestBody(matchingJsonPath("$.messages[2].content[0].tool_use_id", equalTo("toolu_01A"))));

        StringBuilder json = new StringBuilder();
        List<String> started = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ask().addTool(weather).build())) {
            stream.stream().forEach(e -> {
                e.contentBlockStart().flatMap(s -> s.contentBlock().toolUse()).ifPresent(t -> started.add(t.id()));
                e.contentBlockDelta().flatMap(d -> d.delta().inputJson()).ifPresent(d -> json.append(d.partialJson()));
            });
        }
        assertThat(started).containsExactly("toolu_01A", "toolu_01B");
        assertThat(json.toString()).isEqualTo(MockAnthropicUpstream.TOOL_CALLS.get(0).get(2) + MockAnthropicUpstream.TOOL_CALLS.get(1).get(2));
        assertThat(gateway.balance(user)).isEqualTo(GRANT - 3 * ProviderChargesTest.ANTHROPIC_COST);
    }

    @Test
    void errorsHaveAnthropicsShapeAndCostNothing() throws Exception {
        Gateway.User user = start(TestDatabases.H2);
        AnthropicClient client = sdk(user);

        // A model without an Anthropic route.
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("gemini-test").maxTokens(10)
                .addUserMessage("hi").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("gemini-test", "Anthropic"));
        HttpResponse<String> raw = gateway.send("POST", "/v1/messages", user.key(),
                "{\"model\":\"claude-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(raw.statusCode()).isEqualTo(400);
        JsonNode error = Gateway.json(raw);
        assertThat(error.get("type").asText()).isEqualTo("error");
        assertThat(error.get("error").get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("error").get("message").asText()).contains("max_tokens");
        assertThat(Gateway.json(gateway.send("POST", "/v1/messages", user.key(), "{\"model\":\"nope\",\"max_tokens\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).get("error").get("type").asText()).isEqualTo("not_found_error");

        assertThatThrownBy(() -> AnthropicOkHttpClient.builder().apiKey("sk-am-not-a-key").baseUrl(gateway.baseUrl()).maxRetries(0)
                .build().messages().create(ask().build())).isInstanceOf(UnauthorizedException.class);

        // The upstream's refusal comes back in Anthropic's shape too, its message kept.
        claude.respondWithError(400, "messages: roles must alternate", null);
        assertThatThrownBy(() -> client.messages().create(ask().build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("roles must alternate"));
        assertThat(gateway.balance(user)).isEqualTo(GRANT);
        assertThat(gateway.held(user)).isZero();
    }

    @Test
    void aBearerKeyWorksAndAnIdempotentRetryOfAStreamIsReplayedAndChargedOnce() throws Exception {
        Gateway.User user = start(TestDatabases.H2);
        String body = "{\"model\":\"claude-test\",\"max_tokens\":100,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + ProviderChargesTest.PROMPT + "\"}]}";
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/messages"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + user.key())
                    .header("Content-Type", "application/json").header("Idempotency-Key", "retry-me")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            answers.add(gateway.http.send(request, HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(answers.get(0).statusCode()).isEqualTo(200);
        assertThat(answers.get(0).body()).startsWith("event: message_start\n").contains("event: content_block_delta\n")
                .endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n").doesNotContain("[DONE]");
        assertThat(answers.get(1).headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(answers.get(1).body()).isEqualTo(answers.get(0).body());
        assertThat(gateway.balance(user)).isEqualTo(GRANT - ProviderChargesTest.ANTHROPIC_COST);
    }

    @Test
    void aClientThatLeavesMidStreamPaysForWhatWasDeliveredAndTheUpstreamIsLeft() throws Exception {
        Gateway.User user = start(TestDatabases.H2);
        // A slow stream: message_start, then text deltas over seconds.
        StringBuilder sse = new StringBuilder("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_slow\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-mock-1\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":500,\"cache_read_input_tokens\":300,\"cache_creation_input_tokens\":200,\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
        for (String word : MockAnthropicUpstream.STREAM_DELTAS) {
            sse.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"")
                    .append(word).append("\"}}\n\n");
        }
        sse.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        claude.server().stubFor(post(urlEqualTo("/v1/messages")).atPriority(1).willReturn(aResponse()
                .withHeader("Content-Type", "text/event-stream").withBody(sse.toString()).withChunkedDribbleDelay(5, 5_000)));

        StringBuilder first = new StringBuilder();
        String body = "{\"model\":\"claude-test\",\"max_tokens\":100,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + ProviderChargesTest.PROMPT + "\"}]}";
        try (Socket ignored = Gateway.openStream(gateway.port(), user.key(), "/v1/messages", body, first)) {
            assertThat(first.toString()).contains("message_start").contains(MODEL);
        } // the client leaves after the first event

        // Usage reaches the relay when a stream ends; a cut one is counted: the prompt and the text delivered.
        JsonNode call = gateway.awaitLoggedCall(user);
        assertThat(call.get("status").asInt()).isEqualTo(499);
        assertThat(call.get("usage_estimated").asBoolean()).isTrue();
        assertThat(call.get("input_tokens").asLong()).isBetween(150L, 1_400L);
        assertThat(call.get("output_tokens").asLong()).isBetween(0L, 5L);
        long cost = call.get("input_tokens").asLong() * 10 + call.get("output_tokens").asLong() * 30;
        assertThat(call.get("cost_micros").asLong()).isEqualTo(cost);
        assertThat(gateway.balance(user)).isEqualTo(GRANT - cost);
        assertThat(gateway.held(user)).isZero();
        // The upstream request was given up with the client: WireMock saw one call, and nothing retried it.
        claude.server().verify(1, postRequestedFor(urlEqualTo("/v1/messages")));
    }
}
