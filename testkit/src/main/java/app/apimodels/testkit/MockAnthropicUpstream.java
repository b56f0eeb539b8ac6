package app.apimodels.testkit;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.not;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

/**
 * Anthropic's Messages API faked at the wire (WireMock), in its documented format, for provider
 * and end-to-end tests. Under {@link #baseUrl()} (the API root, without {@code /v1}) it serves:
 * <ul>
 *   <li>{@code POST /v1/messages} (only with an {@code x-api-key} and {@code anthropic-version}
 *       header; otherwise 401): a {@code message} whose text is {@link #TEXT}, or, after
 *       {@link #answerWithToolUse()}, a text block followed by two {@code tool_use} blocks
 *       ({@link #TOOL_CALLS}) and {@code stop_reason: "tool_use"}. With {@code "stream": true},
 *       the same as events: {@code message_start} (usage with the input counts and
 *       {@code output_tokens: 1}, as Anthropic sends), {@code ping}, a {@code content_block_start},
 *       {@code content_block_delta}s ({@code text_delta}, or {@code input_json_delta}s splitting
 *       each tool's input) and {@code content_block_stop} per block, {@code message_delta} with
 *       the stop reason and the cumulative usage, {@code message_stop}; sent in several network
 *       pieces that split events at arbitrary bytes;</li>
 *   <li>{@code POST /v1/messages/count_tokens}: {@code {"input_tokens": n}}, n the usage's input tokens;</li>
 *   <li>{@code GET /v1/models}: a model list.</li>
 * </ul>
 * Usage: {@code input_tokens} is the prompt less the cached part ({@code cache_read_input_tokens},
 * the {@link Usage#cachedInputTokens()}) and less {@link #cacheWrites(long)}
 * ({@code cache_creation_input_tokens}). Errors have Anthropic's shape,
 * {@code {"type": "error", "error": {"type": "...", "message": "..."}}}, e.g. 429
 * {@code rate_limit_error}, 529 {@code overloaded_error}, 400 {@code invalid_request_error}.
 */
public final class MockAnthropicUpstream extends WireMockChatUpstream<MockAnthropicUpstream> {

    public static final String MODEL = "claude-mock-1";
    public static final List<String> STREAM_DELTAS = List.of("Hello", " from", " the", " mock", " Claude.");
    public static final String TEXT = String.join("", STREAM_DELTAS);
    public static final Usage DEFAULT_USAGE = Usage.tokens(11, 0, 5);
    /** The tool calls of {@link #answerWithToolUse()}: id, name, input as JSON. */
    public static final List<List<String>> TOOL_CALLS = List.of(
            List.of("toolu_01A", "get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}"),
            List.of("toolu_01B", "get_time", "{\"zone\":\"Europe/Paris\"}"));

    private static final String MESSAGES = "/v1/messages";
    private static final String COUNT_TOKENS = "/v1/messages/count_tokens";
    private static final String STREAMING = "$[?(@.stream == true)]";
    private static final int STREAM_PIECES = 7;
    private static final int STREAM_MILLIS = 35;
    private static final int FAULT_PRIORITY = 1;
    private static final int NORMAL_PRIORITY = 5;
    private static final int AUTH_PRIORITY = 3;


    private long cacheWrites;
    private boolean toolUse;

    /** Starts the upstream on a free port. */
    public MockAnthropicUpstream() {
        reset();
    }

    @Override
    public String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public List<String> streamDeltas() {
        return STREAM_DELTAS;
    }

    /** Reports this many of the prompt's tokens as written to the cache ({@code cache_creation_input_tokens}). */
    public MockAnthropicUpstream cacheWrites(long tokens) {
        this.cacheWrites = tokens;
        install();
        return this;
    }

    /** Answers with text, then the {@link #TOOL_CALLS}, stopping for tool use. */
    public MockAnthropicUpstream answerWithToolUse() {
        toolUse = true;
        install();
        return this;
    }

    @Override
    public MockAnthropicUpstream respondWithError(int status) {
        return respondWithError(status, "mock upstream error " + status, null);
    }

    /** Anthropic's errors name no field: {@code param} is left out. */
    @Override
    public MockAnthropicUpstream respondWithError(int status, String message, String param) {
        ResponseDefinitionBuilder response = aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(compact(Map.of("type", "error", "error", Map.of("type", errorType(status), "message", message))));
        error = status == 429 ? response.withHeader("retry-after", "1") : response;
        install();
        return this;
    }

    /**
     * Answers every call as Anthropic does for an account out of credit: 400
     * {@code invalid_request_error} about the credit balance (and no {@code retry-after}).
     */
    public MockAnthropicUpstream outOfCredit() {
        error = aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                .withBody(compact(Map.of("type", "error", "error", Map.of("type", "invalid_request_error",
                        "message", "Your credit balance is too low to access the Anthropic API. "
                                + "Please go to Plans & Billing to upgrade or purchase credits."))));
        install();
        return this;
    }

    @Override
    public void reset() {
        resetFaults(DEFAULT_USAGE);
        cacheWrites = 0;
        toolUse = false;
        install();
    }

    /** Only chat exists on Anthropic: {@code operation} must be {@code CHAT}. */
    @Override
    public void verifyReceived(Operation operation, String upstreamModel, boolean stream) {
        if (operation != Operation.CHAT) {
            throw new IllegalArgumentException("Anthropic offers chat only, not " + operation);
        }
        RequestPatternBuilder call = postRequestedFor(urlEqualTo(MESSAGES))
                .withRequestBody(matchingJsonPath("$.model", equalTo(upstreamModel)))
                .withRequestBody(matchingJsonPath("$.max_tokens"));
        server.verify(stream ? call.withRequestBody(matchingJsonPath(STREAMING)) : call.withRequestBody(not(matchingJsonPath(STREAMING))));
    }

    @Override
    protected void install() {
        server.resetMappings();
        if (resetConnections) {
            server.stubFor(any(anyUrl()).atPriority(FAULT_PRIORITY)
                    .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        } else if (error != null) {
            server.stubFor(any(anyUrl()).atPriority(FAULT_PRIORITY).willReturn(delayed(error)));
        }
        // Without its headers Anthropic refuses the call.
        server.stubFor(any(anyUrl()).atPriority(AUTH_PRIORITY).withHeader("x-api-key", absent())
                .willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json").withBody(compact(
                        Map.of("type", "error", "error", Map.of("type", "authentication_error", "message", "x-api-key header is required"))))));
        server.stubFor(post(MESSAGES).atPriority(AUTH_PRIORITY).withHeader("anthropic-version", absent())
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(compact(
                        Map.of("type", "error", "error", Map.of("type", "invalid_request_error", "message", "anthropic-version: header is required"))))));
        stub(post(MESSAGES), aResponse().withHeader("Content-Type", "application/json").withBody(compact(message())));
        stub(post(MESSAGES).withRequestBody(matchingJsonPath(STREAMING)), stream());
        stub(post(COUNT_TOKENS), aResponse().withHeader("Content-Type", "application/json")
                .withBody(compact(Map.of("input_tokens", usage.inputTokens()))));
        stub(get("/v1/models"), aResponse().withHeader("Content-Type", "application/json").withBody(compact(Map.of(
                "data", List.of(Map.of("type", "model", "id", MODEL, "display_name", "Claude Mock", "created_at", "2025-01-01T00:00:00Z")),
                "has_more", false, "first_id", MODEL, "last_id", MODEL))));
    }

    private void stub(MappingBuilder request, ResponseDefinitionBuilder response) {
        server.stubFor(request.atPriority(NORMAL_PRIORITY).willReturn(delayed(response)));
    }

    private ResponseDefinitionBuilder delayed(ResponseDefinitionBuilder response) {
        return delay.isZero() ? response : response.withFixedDelay((int) delay.toMillis());
    }

    private Map<String, Object> message() {
        List<Object> content = new ArrayList<>();
        content.add(Map.of("type", "text", "text", TEXT));
        if (toolUse) {
            for (List<String> call : TOOL_CALLS) {
                content.add(Map.of("type", "tool_use", "id", call.get(0), "name", call.get(1), "input", Json.read(call.get(2), Map.class)));
            }
        }
        Map<String, Object> message = envelope();
        message.put("content", content);
        message.put("stop_reason", toolUse ? "tool_use" : "end_turn");
        message.put("stop_sequence", null);
        message.put("usage", usageJson(usage.outputTokens()));
        return message;
    }

    private Map<String, Object> envelope() {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("id", "msg_mock01");
        message.put("type", "message");
        message.put("role", "assistant");
        message.put("model", MODEL);
        return message;
    }

    private Map<String, Object> usageJson(long outputTokens) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("input_tokens", usage.inputTokens() - usage.cachedInputTokens() - cacheWrites);
        json.put("cache_creation_input_tokens", cacheWrites);
        json.put("cache_read_input_tokens", usage.cachedInputTokens());
        json.put("output_tokens", outputTokens);
        return json;
    }

    private ResponseDefinitionBuilder stream() {
        if (streamFault == StreamFault.BROKEN) {
            return aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK);
        }
        StringBuilder body = new StringBuilder();
        Map<String, Object> start = envelope();
        start.put("content", List.of());
        start.put("stop_reason", null);
        start.put("stop_sequence", null);
        if (!omitStreamUsage) {
            start.put("usage", usageJson(1));
        }
        event(body, "message_start", Map.of("type", "message_start", "message", start));
        event(body, "ping", Map.of("type", "ping"));
        event(body, "content_block_start", Map.of("type", "content_block_start", "index", 0,
                "content_block", Map.of("type", "text", "text", "")));
        List<String> deltas = streamFault == StreamFault.CUT ? STREAM_DELTAS.subList(0, 2) : STREAM_DELTAS;
        for (String text : deltas) {
            event(body, "content_block_delta", Map.of("type", "content_block_delta", "index", 0,
                    "delta", Map.of("type", "text_delta", "text", text)));
        }
        if (streamFault != StreamFault.CUT) {
            event(body, "content_block_stop", Map.of("type", "content_block_stop", "index", 0));
            if (toolUse) {
                for (int i = 0; i < TOOL_CALLS.size(); i++) {
                    List<String> call = TOOL_CALLS.get(i);
                    int index = i + 1;
                    event(body, "content_block_start", Map.of("type", "content_block_start", "index", index,
                            "content_block", Map.of("type", "tool_use", "id", call.get(0), "name", call.get(1), "input", Map.of())));
                    String input = call.get(2);
                    int half = input.length() / 2;
                    for (String part : List.of("", input.substring(0, half), input.substring(half))) {
                        event(body, "content_block_delta", Map.of("type", "content_block_delta", "index", index,
                                "delta", Map.of("type", "input_json_delta", "partial_json", part)));
                    }
                    event(body, "content_block_stop", Map.of("type", "content_block_stop", "index", index));
                }
            }
            Map<String, Object> delta = new LinkedHashMap<>();
            delta.put("type", "message_delta");
            Map<String, Object> stop = new LinkedHashMap<>();
            stop.put("stop_reason", toolUse ? "tool_use" : "end_turn");
            stop.put("stop_sequence", null);
            delta.put("delta", stop);
            if (!omitStreamUsage) {
                delta.put("usage", Map.of("output_tokens", usage.outputTokens()));
            }
            event(body, "message_delta", delta);
            event(body, "message_stop", Map.of("type", "message_stop"));
        }
        return aResponse().withHeader("Content-Type", "text/event-stream").withHeader("Cache-Control", "no-cache")
                .withBody(body.toString()).withChunkedDribbleDelay(STREAM_PIECES, STREAM_MILLIS);
    }

    private static void event(StringBuilder body, String type, Object data) {
        body.append("event: ").append(type).append('\n').append("data: ").append(compact(data)).append("\n\n");
    }

    private static String compact(Object json) {
        return new String(Json.toByteArray(json), StandardCharsets.UTF_8);
    }

    private static String errorType(int status) {
        return switch (status) {
            case 400, 413, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> "api_error";
        };
    }
}
