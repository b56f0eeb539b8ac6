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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aMultipart;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
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
 * An OpenAI-compatible upstream faked at the wire (WireMock), for provider and end-to-end tests.
 *
 * <p>It serves, under {@link #baseUrl()}:
 * <ul>
 *   <li>{@code POST /v1/chat/completions}: a fixed completion whose text is
 *       {@link #COMPLETION_TEXT}, with the configured {@link #usage()}; when the request has
 *       {@code "stream": true}, the same text as server-sent events, one {@link #STREAM_DELTAS}
 *       element per chunk, a finishing chunk, then (only if the request set
 *       {@code stream_options.include_usage}, as with OpenAI) a chunk with {@code "choices": []}
 *       and the usage, then {@code data: [DONE]}. The stream is sent in several network pieces
 *       that split events at arbitrary bytes, as real networks do;</li>
 *   <li>{@code POST /v1/embeddings}: one embedding and the usage;</li>
 *   <li>{@code POST /v1/images/generations} and {@code POST /v1/images/edits}: as GPT image
 *       models answer, one image, {@link #imagePng()} in {@code b64_json}, with
 *       {@code output_format} and the usage as {@code input_tokens}/{@code output_tokens}; after
 *       {@link #imagesAsUrls()}, as DALL·E answers by default, a {@code url} (served by the
 *       mock, at {@link #imageUrl()}) and no usage;</li>
 *   <li>{@code POST /v1/responses}: a Responses API answer ({@code object: "response"}) with one
 *       output message whose text is {@link #COMPLETION_TEXT} and the usage as
 *       {@code input_tokens}/{@code output_tokens}; with {@code "stream": true}, the Responses events
 *       ({@code event:} lines named as their {@code type}): {@code response.created},
 *       {@code response.in_progress}, the output item and content part opened, one
 *       {@code response.output_text.delta} per {@link #STREAM_DELTAS} element, the text, part and
 *       item done, then {@code response.completed} with the usage. {@link #cutStreams()} stops after
 *       two deltas;</li>
 *   <li>{@code POST /v1/audio/speech}: {@link #speechMp3()} as {@code audio/mpeg};</li>
 *   <li>{@code POST /v1/audio/transcriptions} (multipart): {@code {"text": }{@link #TRANSCRIPT}{@code }} as
 *       JSON, or with {@code response_format=text} the transcript as {@code text/plain};</li>
 *   <li>{@code GET /v1/models}: a model list.</li>
 * </ul>
 * Every chat and embeddings response names the model {@link #MODEL}; fields that would be {@code null} are left out.
 * Errors have OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}. A fault
 * switched on applies to every following call until {@link #reset()}. Use {@link #server()} to
 * verify what the upstream received. Configure it from the test's thread only.
 *
 * <pre>{@code
 * try (MockOpenAiUpstream upstream = new MockOpenAiUpstream()) {
 *     upstream.respondWithError(429);            // every call is now rate limited
 *     ... point a provider at upstream.baseUrl() and call it ...
 *     upstream.server().verify(postRequestedFor(urlEqualTo("/v1/chat/completions")));
 * }
 * }</pre>
 */
public final class MockOpenAiUpstream extends WireMockChatUpstream<MockOpenAiUpstream> {

    public static final String MODEL = "mock-model";
    public static final List<String> STREAM_DELTAS = List.of("Hello", " from", " the", " mock", " upstream.");
    public static final String COMPLETION_TEXT = String.join("", STREAM_DELTAS);
    public static final Usage DEFAULT_USAGE = Usage.tokens(11, 0, 5);
    public static final String TRANSCRIPT = "A steady tone.";

    private static final String CHAT = "/v1/chat/completions";
    private static final String RESPONSES = "/v1/responses";
    private static final String TRANSCRIPTIONS = "/v1/audio/transcriptions";
    private static final String IMAGE_FILE = "/files/mock-image.png";
    /** A valid 1×1 PNG. */
    private static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
    /** The start of an MP3 file: an empty ID3v2.4 tag, then an MPEG-1 Layer III frame header. */
    private static final byte[] MP3 = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFB, (byte) 0x90, 0x64};
    private static final String STREAMING = "$[?(@.stream == true)]";
    private static final String USAGE_REQUESTED = "$.stream_options[?(@.include_usage == true)]";
    /** Network pieces a stream is cut into, and over how many milliseconds they are sent. */
    private static final int STREAM_PIECES = 7;
    private static final int STREAM_MILLIS = 35;
    private static final int FAULT_PRIORITY = 1;
    private static final int NORMAL_PRIORITY = 5;


    private boolean imageUrls;

    /** Starts the upstream on a free port. */
    public MockOpenAiUpstream() {
        reset();
    }

    /** The API root to configure as a provider's base URL, e.g. {@code http://localhost:PORT/v1}. */
    @Override
    public String baseUrl() {
        return server.baseUrl() + "/v1";
    }

    /** {@link #STREAM_DELTAS}. */
    @Override
    public List<String> streamDeltas() {
        return STREAM_DELTAS;
    }

    /** Answers every call with {@code status} and an OpenAI-shaped error body. */
    @Override
    public MockOpenAiUpstream respondWithError(int status) {
        return respondWithError(status, "mock upstream error " + status, null);
    }

    /** Answers every call with {@code status} and an OpenAI-shaped error carrying this message and param. */
    @Override
    public MockOpenAiUpstream respondWithError(int status, String message, String param) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("message", message);
        detail.put("type", status >= 500 ? "server_error" : "invalid_request_error");
        detail.put("param", param);
        detail.put("code", errorCode(status));
        ResponseDefinitionBuilder response = aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json")
                .withBody(compact(Map.of("error", detail)));
        error = status == 429 ? response.withHeader("Retry-After", "1") : response;
        install();
        return this;
    }

    /**
     * Answers every call as OpenAI does for an account with no quota left: 429 with
     * {@code insufficient_quota} (and no {@code Retry-After}: waiting does not help).
     */
    public MockOpenAiUpstream outOfQuota() {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("message", "You exceeded your current quota, please check your plan and billing details.");
        detail.put("type", "insufficient_quota");
        detail.put("param", null);
        detail.put("code", "insufficient_quota");
        error = aResponse().withStatus(429).withHeader("Content-Type", "application/json").withBody(compact(Map.of("error", detail)));
        install();
        return this;
    }

    /** The image every images answer carries (a fresh copy). */
    public static byte[] imagePng() {
        return PNG.clone();
    }

    /** The audio every speech answer carries (a fresh copy). */
    public static byte[] speechMp3() {
        return MP3.clone();
    }

    /** Where the image is served when answers carry links ({@link #imagesAsUrls()}). */
    public String imageUrl() {
        return server.baseUrl() + IMAGE_FILE;
    }

    /** Answers images calls with links, as DALL·E does by default, instead of base64. */
    public MockOpenAiUpstream imagesAsUrls() {
        imageUrls = true;
        install();
        return this;
    }

    /** Back to normal answers with {@link #DEFAULT_USAGE}; also forgets the requests received. */
    @Override
    public void reset() {
        resetFaults(DEFAULT_USAGE);
        imageUrls = false;
        install();
    }

    @Override
    public void verifyReceived(Operation operation, String upstreamModel, boolean stream) {
        RequestPatternBuilder call = postRequestedFor(urlEqualTo(switch (operation) {
            case CHAT -> CHAT;
            case EMBEDDINGS -> "/v1/embeddings";
            default -> throw new IllegalArgumentException("the contract verifies chat and embeddings calls, not " + operation);
        })).withRequestBody(matchingJsonPath("$.model", equalTo(upstreamModel)));
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
        stub(post(CHAT), json(completion()));
        stub(post(CHAT).withRequestBody(matchingJsonPath(STREAMING)), stream(false));
        stub(post(CHAT).withRequestBody(matchingJsonPath(STREAMING)).withRequestBody(matchingJsonPath(USAGE_REQUESTED)),
                stream(!omitStreamUsage));
        stub(post("/v1/embeddings"), json(embeddings()));
        stub(post(RESPONSES), json(response("completed", COMPLETION_TEXT, true)));
        stub(post(RESPONSES).withRequestBody(matchingJsonPath(STREAMING)), responseStream());
        stub(post("/v1/images/generations"), json(images()));
        stub(post("/v1/images/edits"), json(images()));
        stub(get(IMAGE_FILE), aResponse().withHeader("Content-Type", "image/png").withBody(PNG));
        stub(post("/v1/audio/speech"), aResponse().withHeader("Content-Type", "audio/mpeg").withBody(MP3));
        stub(post(TRANSCRIPTIONS), json(Map.of("text", TRANSCRIPT, "usage", Map.of("type", "duration", "seconds", 3))));
        stub(post(TRANSCRIPTIONS).withMultipartRequestBody(aMultipart().withName("response_format").withBody(equalTo("text"))),
                aResponse().withHeader("Content-Type", "text/plain; charset=utf-8").withBody(TRANSCRIPT + "\n"));
        stub(get("/v1/models"), json(Map.of("object", "list",
                "data", List.of(Map.of("id", MODEL, "object", "model", "created", 1_700_000_000, "owned_by", "mock")))));
    }

    /** Later stubs of equal priority win in WireMock, so the most specific is registered last. */
    private void stub(MappingBuilder request, ResponseDefinitionBuilder response) {
        server.stubFor(request.atPriority(NORMAL_PRIORITY).willReturn(delayed(response)));
    }

    private ResponseDefinitionBuilder delayed(ResponseDefinitionBuilder response) {
        return delay.isZero() ? response : response.withFixedDelay((int) delay.toMillis());
    }

    private static ResponseDefinitionBuilder json(Object body) {
        return aResponse().withHeader("Content-Type", "application/json").withBody(compact(body));
    }

    private ResponseDefinitionBuilder stream(boolean withUsage) {
        if (streamFault == StreamFault.BROKEN) {
            return aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK);
        }
        List<Object> chunks = new ArrayList<>();
        chunks.add(chunk(Map.of("role", "assistant", "content", ""), null));
        List<String> deltas = streamFault == StreamFault.CUT ? STREAM_DELTAS.subList(0, 2) : STREAM_DELTAS;
        deltas.forEach(text -> chunks.add(chunk(Map.of("content", text), null)));
        if (streamFault != StreamFault.CUT) {
            chunks.add(chunk(Map.of(), "stop"));
            if (withUsage) {
                Map<String, Object> last = envelope("chat.completion.chunk");
                last.put("choices", List.of());
                last.put("usage", usageJson());
                chunks.add(last);
            }
            chunks.add("[DONE]");
        }
        StringBuilder body = new StringBuilder();
        for (Object chunk : chunks) {
            body.append("data: ").append(chunk instanceof String s ? s : compact(chunk)).append("\n\n");
        }
        return aResponse().withHeader("Content-Type", "text/event-stream").withHeader("Cache-Control", "no-cache")
                .withBody(body.toString()).withChunkedDribbleDelay(STREAM_PIECES, STREAM_MILLIS);
    }

    /** A Responses API object in {@code status}, its one message carrying {@code text}, with the usage if {@code withUsage}. */
    private Map<String, Object> response(String status, String text, boolean withUsage) {
        Map<String, Object> part = new LinkedHashMap<>();
        part.put("type", "output_text");
        part.put("text", text);
        part.put("annotations", List.of());
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("type", "message");
        message.put("id", "msg_mock");
        message.put("status", status);
        message.put("role", "assistant");
        message.put("content", text.isEmpty() ? List.of() : List.of(part));
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("id", "resp_mock");
        response.put("object", "response");
        response.put("created_at", 1_700_000_000);
        response.put("status", status);
        response.put("model", MODEL);
        response.put("output", text.isEmpty() ? List.of() : List.of(message));
        response.put("parallel_tool_calls", true);
        response.put("tool_choice", "auto");
        response.put("tools", List.of());
        response.put("metadata", Map.of());
        if (withUsage) {
            Map<String, Object> usage = new LinkedHashMap<>();
            usage.put("input_tokens", this.usage.inputTokens());
            usage.put("input_tokens_details", Map.of("cached_tokens", this.usage.cachedInputTokens()));
            usage.put("output_tokens", this.usage.outputTokens());
            usage.put("output_tokens_details", Map.of("reasoning_tokens", 0));
            usage.put("total_tokens", this.usage.inputTokens() + this.usage.outputTokens());
            response.put("usage", usage);
        }
        return response;
    }

    /** The Responses API's event stream for {@link #COMPLETION_TEXT}, as OpenAI sends it. */
    private ResponseDefinitionBuilder responseStream() {
        if (streamFault == StreamFault.BROKEN) {
            return aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK);
        }
        List<Map<String, Object>> events = new ArrayList<>();
        events.add(event("response.created", Map.of("response", response("in_progress", "", false))));
        events.add(event("response.in_progress", Map.of("response", response("in_progress", "", false))));
        Map<String, Object> item = new LinkedHashMap<>(Map.of("type", "message", "id", "msg_mock", "status", "in_progress",
                "role", "assistant", "content", List.of()));
        events.add(event("response.output_item.added", Map.of("output_index", 0, "item", item)));
        Map<String, Object> emptyPart = Map.of("type", "output_text", "text", "", "annotations", List.of());
        events.add(event("response.content_part.added", Map.of("item_id", "msg_mock", "output_index", 0, "content_index", 0,
                "part", emptyPart)));
        List<String> deltas = streamFault == StreamFault.CUT ? STREAM_DELTAS.subList(0, 2) : STREAM_DELTAS;
        deltas.forEach(text -> events.add(event("response.output_text.delta", Map.of("item_id", "msg_mock", "output_index", 0,
                "content_index", 0, "delta", text, "logprobs", List.of()))));
        if (streamFault != StreamFault.CUT) {
            events.add(event("response.output_text.done", Map.of("item_id", "msg_mock", "output_index", 0, "content_index", 0,
                    "text", COMPLETION_TEXT, "logprobs", List.of())));
            Map<String, Object> part = Map.of("type", "output_text", "text", COMPLETION_TEXT, "annotations", List.of());
            events.add(event("response.content_part.done", Map.of("item_id", "msg_mock", "output_index", 0, "content_index", 0,
                    "part", part)));
            @SuppressWarnings("unchecked")
            Map<String, Object> done = ((List<Map<String, Object>>) response("completed", COMPLETION_TEXT, false).get("output")).get(0);
            events.add(event("response.output_item.done", Map.of("output_index", 0, "item", done)));
            events.add(event("response.completed", Map.of("response", response("completed", COMPLETION_TEXT, !omitStreamUsage))));
        }
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            Map<String, Object> e = events.get(i);
            e.put("sequence_number", i);
            body.append("event: ").append(e.get("type")).append("\n").append("data: ").append(compact(e)).append("\n\n");
        }
        return aResponse().withHeader("Content-Type", "text/event-stream").withHeader("Cache-Control", "no-cache")
                .withBody(body.toString()).withChunkedDribbleDelay(STREAM_PIECES, STREAM_MILLIS);
    }

    private static Map<String, Object> event(String type, Map<String, Object> fields) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type);
        event.putAll(fields);
        return event;
    }

    /** One-line JSON, as an event's data line needs; WireMock's writer leaves out null fields. */
    private static String compact(Object json) {
        return new String(Json.toByteArray(json), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> chunk(Map<String, Object> delta, String finishReason) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finishReason);
        Map<String, Object> chunk = envelope("chat.completion.chunk");
        chunk.put("choices", List.of(choice));
        return chunk;
    }

    private Map<String, Object> completion() {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "assistant");
        message.put("content", COMPLETION_TEXT);
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", message);
        choice.put("finish_reason", "stop");
        Map<String, Object> completion = envelope("chat.completion");
        completion.put("choices", List.of(choice));
        completion.put("usage", usageJson());
        return completion;
    }

    private Map<String, Object> embeddings() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", List.of(Map.of("object", "embedding", "index", 0, "embedding", List.of(0.0023, -0.0093, 0.0158))));
        body.put("model", MODEL);
        body.put("usage", Map.of("prompt_tokens", usage.inputTokens(), "total_tokens", usage.inputTokens()));
        return body;
    }

    private Map<String, Object> images() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("created", 1_700_000_000);
        if (imageUrls) {
            body.put("data", List.of(Map.of("url", imageUrl(), "revised_prompt", "A mock image.")));
            return body;
        }
        body.put("data", List.of(Map.of("b64_json", Base64.getEncoder().encodeToString(PNG))));
        body.put("background", "opaque");
        body.put("output_format", "png");
        body.put("quality", "medium");
        body.put("size", "1024x1024");
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("input_tokens", this.usage.inputTokens());
        usage.put("input_tokens_details", Map.of("text_tokens", this.usage.inputTokens(), "image_tokens", 0));
        usage.put("output_tokens", this.usage.outputTokens());
        usage.put("total_tokens", this.usage.inputTokens() + this.usage.outputTokens());
        body.put("usage", usage);
        return body;
    }

    private static Map<String, Object> envelope(String object) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("id", "chatcmpl-mock");
        envelope.put("object", object);
        envelope.put("created", 1_700_000_000);
        envelope.put("model", MODEL);
        return envelope;
    }

    private Map<String, Object> usageJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("prompt_tokens", usage.inputTokens());
        json.put("completion_tokens", usage.outputTokens());
        json.put("total_tokens", usage.inputTokens() + usage.outputTokens());
        json.put("prompt_tokens_details", Map.of("cached_tokens", usage.cachedInputTokens()));
        return json;
    }

    private static String errorCode(int status) {
        return switch (status) {
            case 401 -> "invalid_api_key";
            case 404 -> "model_not_found";
            case 429 -> "rate_limit_exceeded";
            default -> null;
        };
    }
}
