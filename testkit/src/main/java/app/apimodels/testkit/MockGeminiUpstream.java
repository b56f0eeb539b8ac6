package app.apimodels.testkit;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.http.Fault;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

/**
 * Google's Gemini API ({@code v1beta}) faked at the wire (WireMock). It serves, under
 * {@link #baseUrl()}:
 * <ul>
 *   <li>{@code POST /v1beta/models/{model}:generateContent}: a {@code GenerateContentResponse}
 *       whose one candidate says {@link #COMPLETION_TEXT} (or, after {@link #respondWithFunctionCall},
 *       calls a function), {@code finishReason} {@code STOP}, and {@code usageMetadata};</li>
 *   <li>{@code POST /v1beta/models/{model}:streamGenerateContent?alt=sse}: the same answer as
 *       server-sent events, one {@link #STREAM_DELTAS} element per event, each event carrying the
 *       running {@code usageMetadata} (as Gemini does) and the last one the {@code finishReason};
 *       Gemini sends no end marker, the body just ends;</li>
 *   <li>{@code POST /v1beta/models/{model}:batchEmbedContents}: one embedding per request it
 *       carries, each {@link #EMBEDDING}, and no usage (Gemini reports none for embeddings);</li>
 *   <li>{@code POST /v1beta/models/{model}:countTokens}: {@code totalTokens}, the usage's input tokens;</li>
 *   <li>{@code GET /v1beta/models}: a model list.</li>
 * </ul>
 * The usage is reported as Gemini splits it: {@code promptTokenCount} (the input, of which
 * {@code cachedContentTokenCount} cached), {@code candidatesTokenCount} and
 * {@code thoughtsTokenCount}, which together are the output; {@link #thoughtsTokens} sets how
 * much of the output is thinking. Errors have Google's shape,
 * {@code {"error": {"code", "message", "status"}}}. Every call must carry the key in the
 * {@code x-goog-api-key} header, else it is answered 403. Configure it from the test's thread only.
 */
public final class MockGeminiUpstream extends WireMockChatUpstream<MockGeminiUpstream> {

    public static final List<String> STREAM_DELTAS = List.of("Hello", " from", " the", " mock", " Gemini.");
    public static final String COMPLETION_TEXT = String.join("", STREAM_DELTAS);
    /** Output tokens 5 in all: 3 of candidates, 2 of thoughts. */
    public static final Usage DEFAULT_USAGE = Usage.tokens(11, 0, 5);
    public static final long DEFAULT_THOUGHTS = 2;
    public static final String RESPONSE_ID = "mockResp42";
    /** The vector every embedding carries. */
    public static final List<Double> EMBEDDING = List.of(0.125, -0.5, 0.25);

    private static final String MODELS = "/v1beta/models/";
    private static final int STREAM_PIECES = 7;
    private static final int STREAM_MILLIS = 35;
    private static final int FAULT_PRIORITY = 1;
    private static final int NORMAL_PRIORITY = 5;


    private long thoughts;
    private Map<String, Object> functionCall;
    private String finishReason;
    private String blockReason;

    /** Starts the upstream on a free port. */
    public MockGeminiUpstream() {
        reset();
    }

    /** The API root to configure as a provider's base URL (Gemini's is {@code https://generativelanguage.googleapis.com}). */
    @Override
    public String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public List<String> streamDeltas() {
        return STREAM_DELTAS;
    }

    /** How many of the usage's output tokens are reported as {@code thoughtsTokenCount}. */
    public MockGeminiUpstream thoughtsTokens(long thoughts) {
        this.thoughts = thoughts;
        install();
        return this;
    }

    /** Answers with a call of function {@code name} with {@code args} (and no text) instead of the reply. */
    public MockGeminiUpstream respondWithFunctionCall(String name, Map<String, Object> args) {
        functionCall = Map.of("name", name, "args", args);
        install();
        return this;
    }

    /** Ends answers with {@code reason} ({@code MAX_TOKENS}, {@code SAFETY}…) instead of {@code STOP}. */
    public MockGeminiUpstream finishWith(String reason) {
        finishReason = reason;
        install();
        return this;
    }

    /** Blocks the prompt: answers carry {@code promptFeedback.blockReason} and no candidate. */
    public MockGeminiUpstream blockPrompt(String reason) {
        blockReason = reason;
        install();
        return this;
    }

    @Override
    public MockGeminiUpstream respondWithError(int status) {
        return respondWithError(status, "mock upstream error " + status, null);
    }

    /** Google's errors name no field: {@code param} is left out. */
    @Override
    public MockGeminiUpstream respondWithError(int status, String message, String param) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", status);
        body.put("message", message);
        body.put("status", switch (status) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            default -> status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
        });
        error = aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(compact(Map.of("error", body)));
        install();
        return this;
    }

    /**
     * Answers every call with Google's 429 {@code RESOURCE_EXHAUSTED} for one quota: a
     * {@code google.rpc.QuotaFailure} naming {@code quotaId} with limit {@code quotaValue}, and a
     * {@code google.rpc.RetryInfo} asking to wait {@code retryDelay} (e.g. "13s"; no header).
     * {@code GenerateRequestsPerMinutePerProjectPerModel-FreeTier} is a rate limit,
     * {@code GenerateRequestsPerDayPerProjectPerModel-FreeTier} (or a limit of 0) a quota used up.
     */
    public MockGeminiUpstream quotaExceeded(String quotaId, int quotaValue, String retryDelay) {
        Map<String, Object> violation = new LinkedHashMap<>();
        violation.put("quotaMetric", "generativelanguage.googleapis.com/generate_content_free_tier_requests");
        violation.put("quotaId", quotaId);
        violation.put("quotaDimensions", Map.of("location", "global", "model", "gemini-2.0-flash"));
        violation.put("quotaValue", String.valueOf(quotaValue));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", 429);
        body.put("message", "You exceeded your current quota, please check your plan and billing details.");
        body.put("status", "RESOURCE_EXHAUSTED");
        body.put("details", List.of(
                Map.of("@type", "type.googleapis.com/google.rpc.QuotaFailure", "violations", List.of(violation)),
                Map.of("@type", "type.googleapis.com/google.rpc.Help",
                        "links", List.of(Map.of("description", "Learn more about Gemini API quotas",
                                "url", "https://ai.google.dev/gemini-api/docs/rate-limits"))),
                Map.of("@type", "type.googleapis.com/google.rpc.RetryInfo", "retryDelay", retryDelay)));
        error = aResponse().withStatus(429).withHeader("Content-Type", "application/json")
                .withBody(compact(Map.of("error", body)));
        install();
        return this;
    }

    @Override
    public void reset() {
        resetFaults(DEFAULT_USAGE);
        thoughts = DEFAULT_THOUGHTS;
        functionCall = null;
        finishReason = "STOP";
        blockReason = null;
        install();
    }

    @Override
    public void verifyReceived(Operation operation, String upstreamModel, boolean stream) {
        String method = switch (operation) {
            case CHAT -> stream ? ":streamGenerateContent" : ":generateContent";
            case EMBEDDINGS -> ":batchEmbedContents";
            default -> throw new IllegalArgumentException("the Gemini fake serves chat and embeddings, not " + operation);
        };
        server.verify(postRequestedFor(urlPathEqualTo(MODELS + upstreamModel + method)));
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
        stub(post(urlPathMatching(MODELS + "[^/:]+:generateContent")), json(response(answerParts(COMPLETION_TEXT), finishReason, true)));
        stub(post(urlPathMatching(MODELS + "[^/:]+:streamGenerateContent")).withQueryParam("alt", equalTo("sse")), stream());
        // As many embeddings as the request has requests (WireMock's response templating counts them).
        String vector = compact(Map.of("values", EMBEDDING));
        stub(post(urlPathMatching(MODELS + "[^/:]+:batchEmbedContents")), aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"embeddings\":[{{#each (jsonPath request.body '$.requests') as |r|}}{{#unless @first}},{{/unless}}"
                        + vector + "{{/each}}]}").withTransformers("response-template"));
        stub(post(urlPathMatching(MODELS + "[^/:]+:countTokens")), json(Map.of("totalTokens", usage.inputTokens())));
        stub(get(urlPathEqualTo("/v1beta/models")), json(Map.of("models",
                List.of(Map.of("name", "models/gemini-mock", "displayName", "Gemini mock")))));
        // Google refuses calls without a key: 403 PERMISSION_DENIED.
        server.stubFor(any(anyUrl()).atPriority(FAULT_PRIORITY + 1).withHeader("x-goog-api-key", matching("^\\s*$"))
                .willReturn(aResponse().withStatus(403).withHeader("Content-Type", "application/json")
                        .withBody(compact(Map.of("error", Map.of("code", 403, "status", "PERMISSION_DENIED",
                                "message", "Method doesn't allow unregistered callers."))))));
    }

    private List<Object> answerParts(String text) {
        return functionCall != null ? List.of(Map.of("functionCall", functionCall)) : List.of(Map.of("text", text));
    }

    private Map<String, Object> response(List<Object> parts, String finish, boolean withUsage) {
        Map<String, Object> response = new LinkedHashMap<>();
        if (blockReason != null) {
            response.put("promptFeedback", Map.of("blockReason", blockReason));
        } else {
            Map<String, Object> candidate = new LinkedHashMap<>();
            candidate.put("content", Map.of("role", "model", "parts", parts));
            if (finish != null) {
                candidate.put("finishReason", finish);
            }
            candidate.put("index", 0);
            response.put("candidates", List.of(candidate));
        }
        if (withUsage) {
            Map<String, Object> metadata = new LinkedHashMap<>();
            metadata.put("promptTokenCount", usage.inputTokens());
            if (usage.cachedInputTokens() > 0) {
                metadata.put("cachedContentTokenCount", usage.cachedInputTokens());
            }
            metadata.put("candidatesTokenCount", usage.outputTokens() - thoughts);
            if (thoughts > 0) {
                metadata.put("thoughtsTokenCount", thoughts);
            }
            metadata.put("totalTokenCount", usage.inputTokens() + usage.outputTokens());
            response.put("usageMetadata", metadata);
        }
        response.put("modelVersion", "gemini-mock-001");
        response.put("responseId", RESPONSE_ID);
        return response;
    }

    private ResponseDefinitionBuilder stream() {
        if (streamFault == StreamFault.BROKEN) {
            return aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK);
        }
        List<Map<String, Object>> events = new ArrayList<>();
        if (functionCall != null || blockReason != null) {
            events.add(response(answerParts(""), finishReason, !omitStreamUsage));
        } else {
            List<String> deltas = streamFault == StreamFault.CUT ? STREAM_DELTAS.subList(0, 2) : STREAM_DELTAS;
            for (int i = 0; i < deltas.size(); i++) {
                boolean last = i == deltas.size() - 1 && streamFault != StreamFault.CUT;
                // Running totals on every event: a client must keep the last, not add them up.
                events.add(response(answerParts(deltas.get(i)), last ? finishReason : null, !omitStreamUsage));
            }
        }
        StringBuilder body = new StringBuilder();
        events.forEach(event -> body.append("data: ").append(compact(event)).append("\r\n\r\n"));
        return aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(body.toString()).withChunkedDribbleDelay(STREAM_PIECES, STREAM_MILLIS);
    }

    private void stub(MappingBuilder request, ResponseDefinitionBuilder response) {
        server.stubFor(request.atPriority(NORMAL_PRIORITY).willReturn(delayed(response)));
    }

    private ResponseDefinitionBuilder delayed(ResponseDefinitionBuilder response) {
        return delay.isZero() ? response : response.withFixedDelay((int) delay.toMillis());
    }

    private static ResponseDefinitionBuilder json(Object body) {
        return aResponse().withHeader("Content-Type", "application/json").withBody(compact(body));
    }

    private static String compact(Object json) {
        return new String(Json.toByteArray(json), StandardCharsets.UTF_8);
    }
}
