package app.apimodels.provider.gemini;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.ChatAndEmbeddingsProviderContract;
import app.apimodels.testkit.MockGeminiUpstream;
import app.apimodels.testkit.RecordingSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

/** The chat and embeddings provider contract against the Gemini fake, plus what is particular to Gemini's wire format. */
class GeminiClientTest extends ChatAndEmbeddingsProviderContract<MockGeminiUpstream> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpTransport transport = new JdkHttpTransport(TransportOptions.defaults());

    @Override
    protected MockGeminiUpstream startUpstream() {
        return new MockGeminiUpstream();
    }

    @Override
    protected ProviderClient createClient(URI baseUrl, String apiKey, Duration timeout) {
        return new GeminiProvider().create(new ProviderConfig("gemini-test", "gemini", baseUrl, apiKey, timeout, Map.of()),
                transport);
    }

    @AfterAll
    void closeTransport() {
        transport.close();
    }

    @Test
    void isFoundByItsType() {
        assertThat(ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(provider -> assertThat(provider.type()).isEqualTo("gemini"));
    }

    @Test
    void chatIsTranslatedToGenerateContent() throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-model");
        payload.put("messages", List.of(
                Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", List.of(
                        Map.of("type", "text", "text", "What is in these?"),
                        Map.of("type", "image_url", "image_url", Map.of("url", "data:image/png;base64,iVBORw0K")),
                        Map.of("type", "image_url", "image_url", Map.of("url", "https://example.com/cat.JPG?size=2")))),
                Map.of("role", "assistant", "content", "", "tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                        "function", Map.of("name", "lookup", "arguments", "{\"q\":\"cats\"}")))),
                Map.of("role", "tool", "tool_call_id", "call_1", "content", "42 cats")));
        payload.put("max_tokens", 64);
        payload.put("temperature", 0.2);
        payload.put("top_p", 0.9);
        payload.put("stop", "END");
        payload.put("tools", List.of(Map.of("type", "function", "function", Map.of("name", "lookup",
                "description", "Looks up", "parameters", Map.of("type", "object", "properties", Map.of("q", Map.of("type", "string")))))));
        payload.put("tool_choice", Map.of("type", "function", "function", Map.of("name", "lookup")));

        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));

        LoggedRequest sent = upstream().server().findAll(postRequestedFor(anyUrl())).get(0);
        assertThat(sent.getUrl()).isEqualTo("/v1beta/models/" + UPSTREAM_MODEL + ":generateContent").doesNotContain("key=");
        assertThat(sent.getHeader("x-goog-api-key")).isEqualTo(API_KEY);
        JsonNode body = JSON.readTree(sent.getBody());
        assertThat(body.at("/systemInstruction/parts/0/text").asText()).isEqualTo("Be brief.");
        assertThat(body.at("/contents/0/role").asText()).isEqualTo("user");
        assertThat(body.at("/contents/0/parts/1/inlineData/mimeType").asText()).isEqualTo("image/png");
        assertThat(body.at("/contents/0/parts/1/inlineData/data").asText()).isEqualTo("iVBORw0K");
        assertThat(body.at("/contents/0/parts/2/fileData/mimeType").asText()).isEqualTo("image/jpeg");
        assertThat(body.at("/contents/1/role").asText()).isEqualTo("model");
        assertThat(body.at("/contents/1/parts/0/functionCall/args/q").asText()).isEqualTo("cats");
        assertThat(body.at("/contents/2/parts/0/functionResponse/name").asText()).isEqualTo("lookup");
        assertThat(body.at("/contents/2/parts/0/functionResponse/response/content").asText()).isEqualTo("42 cats");
        assertThat(body.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(64);
        assertThat(body.at("/generationConfig/temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.at("/generationConfig/topP").asDouble()).isEqualTo(0.9);
        assertThat(body.at("/generationConfig/stopSequences/0").asText()).isEqualTo("END");
        assertThat(body.at("/tools/0/functionDeclarations/0/name").asText()).isEqualTo("lookup");
        assertThat(body.at("/tools/0/functionDeclarations/0/parametersJsonSchema/type").asText()).isEqualTo("object");
        assertThat(body.at("/toolConfig/functionCallingConfig/mode").asText()).isEqualTo("ANY");
        assertThat(body.at("/toolConfig/functionCallingConfig/allowedFunctionNames/0").asText()).isEqualTo("lookup");
    }

    @Test
    void aPerMinuteQuotaIsARateLimitRestedForItsRetryDelay() {
        upstream().quotaExceeded("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 15, "13.5s");
        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);

        for (ProviderException failure : List.of(failureOf(client().call(chat(false))), sink.awaitError())) {
            assertThat(failure.kind()).isEqualTo(ProviderException.Kind.RATE_LIMITED);
            assertThat(failure.keyRefused()).isFalse();
            assertThat(failure.retryAfter()).as("RetryInfo.retryDelay is Gemini's Retry-After").contains(Duration.ofMillis(13_500));
        }
    }

    @ParameterizedTest(name = "{0} limit {1}")
    @CsvSource({"GenerateRequestsPerDayPerProjectPerModel-FreeTier, 50",
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier, 0"})
    void aUsedUpQuotaRefusesTheKey(String quotaId, int limit) {
        upstream().quotaExceeded(quotaId, limit, "37s");
        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);

        for (ProviderException failure : List.of(failureOf(client().call(chat(false))), sink.awaitError())) {
            assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_CONFIG);
            assertThat(failure.keyRefused()).as("waiting a minute will not help").isTrue();
            assertThat(failure.getMessage()).isEqualTo("upstream project is out of quota (HTTP 429)");
        }
    }

    @Test
    void imageByUrlOfUnknownTypeIsRefusedNamingTheField() {
        ProviderRequest request = new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, Map.of("messages", List.of(
                Map.of("role", "user", "content", List.of(Map.of("type", "image_url",
                        "image_url", Map.of("url", "https://example.com/picture")))))), false);

        ProviderException failure = failureOf(client().call(request));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("messages[0].content[0].image_url.url");
        assertThat(failure.getMessage()).contains("media type");
        assertThat(upstream().server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void functionCallsBecomeToolCalls() throws Exception {
        upstream().respondWithFunctionCall("get_weather", Map.of("city", "Paris"));

        JsonNode answer = JSON.readTree(await(client().call(chat(false))).body());

        JsonNode choice = answer.at("/choices/0");
        assertThat(choice.at("/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(choice.at("/message/tool_calls/0/id").asText()).isEqualTo("call_" + MockGeminiUpstream.RESPONSE_ID + "_0");
        assertThat(choice.at("/message/tool_calls/0/type").asText()).isEqualTo("function");
        assertThat(choice.at("/message/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(JSON.readTree(choice.at("/message/tool_calls/0/function/arguments").asText()))
                .isEqualTo(JSON.readTree("{\"city\":\"Paris\"}"));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();
        sink.assertWellBehaved();
        JsonNode chunk = JSON.readTree(sink.chunks().get(0).data());
        assertThat(chunk.at("/choices/0/delta/tool_calls/0/index").asInt()).isZero();
        assertThat(chunk.at("/choices/0/delta/tool_calls/0/id").asText()).isEqualTo("call_" + MockGeminiUpstream.RESPONSE_ID + "_0");
        assertThat(chunk.at("/choices/0/delta/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(chunk.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void thinkingTokensAreBilledAsOutputExactly() throws Exception {
        upstream().usage(Usage.tokens(1_000, 400, 300)).thoughtsTokens(220);

        var result = await(client().call(chat(false)));

        assertThat(result.usage()).isEqualTo(Usage.tokens(1_000, 400, 300));
        JsonNode usage = JSON.readTree(result.body()).path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(1_000);
        assertThat(usage.at("/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(400);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(300);
        assertThat(usage.at("/completion_tokens_details/reasoning_tokens").asLong()).isEqualTo(220);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(1_300);

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();
        // Every event carries the running total: the last one counts, once.
        assertThat(sink.usages()).containsExactly(Usage.tokens(1_000, 400, 300));
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"STOP, stop", "MAX_TOKENS, length", "SAFETY, content_filter", "RECITATION, content_filter",
            "BLOCKLIST, content_filter", "PROHIBITED_CONTENT, content_filter"})
    void finishReasonsAreMapped(String gemini, String openAi) throws Exception {
        upstream().finishWith(gemini);

        JsonNode answer = JSON.readTree(await(client().call(chat(false))).body());

        assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo(openAi);
    }

    @Test
    void blockedPromptIsAContentFilterAnswer() throws Exception {
        upstream().blockPrompt("SAFETY");

        JsonNode answer = JSON.readTree(await(client().call(chat(false))).body());
        assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
        assertThat(answer.at("/choices/0/message/content").asText()).isEmpty();

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();
        assertThat(sink.events()).last().isEqualTo("complete");
        assertThat(JSON.readTree(sink.chunks().get(0).data()).at("/choices/0/finish_reason").asText())
                .isEqualTo("content_filter");
    }

    @Test
    void invalidApiKeyIsTheGatewaysConfigurationNotTheClientsRequest() throws IOException {
        upstream().server().stubFor(post(urlPathMatching(".*")).atPriority(0).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\","
                        + "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
                        + "\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\"}]}}")));

        ProviderException failure = failureOf(client().call(chat(false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_CONFIG);
        assertThat(failure.getMessage()).doesNotContain(API_KEY);
    }

    // ---- embeddings ---------------------------------------------------------------------------

    private static ProviderRequest embeddings(Map<String, Object> payload) {
        return new ProviderRequest(Operation.EMBEDDINGS, UPSTREAM_MODEL, payload, false);
    }

    @Test
    void severalTextsAreOneBatchWithTheirDimensionsAndCountedByCountTokens() throws Exception {
        upstream().usage(Usage.tokens(9, 0, 0));
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-embedding");
        payload.put("input", List.of("first text", "second text"));
        payload.put("dimensions", 3L);

        var result = await(client().call(embeddings(payload)));

        JsonNode answer = JSON.readTree(result.body());
        assertThat(answer.get("data")).hasSize(2);
        assertThat(answer.at("/data/1/index").asInt()).isEqualTo(1);
        assertThat(answer.at("/data/0/embedding/1").asDouble()).isEqualTo(-0.5);
        assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(9);
        assertThat(result.usage()).isEqualTo(Usage.tokens(9, 0, 0));
        JsonNode batch = JSON.readTree(upstream().server().findAll(postRequestedFor(urlPathMatching(".*:batchEmbedContents")))
                .get(0).getBody());
        assertThat(batch.at("/requests/1/content/parts/0/text").asText()).isEqualTo("second text");
        assertThat(batch.at("/requests/0/model").asText()).isEqualTo("models/" + UPSTREAM_MODEL);
        assertThat(batch.at("/requests/0/outputDimensionality").asLong()).isEqualTo(3);
        JsonNode count = JSON.readTree(upstream().server().findAll(postRequestedFor(urlPathMatching(".*:countTokens")))
                .get(0).getBody());
        assertThat(count.at("/contents/0/parts/0/text").asText()).isEqualTo("first text");
    }

    @Test
    void base64EmbeddingsAreLittleEndianFloat32AsOpenAiSendsThem() throws Exception {
        var result = await(client().call(embeddings(Map.of("input", "text", "encoding_format", "base64"))));

        byte[] raw = java.util.Base64.getDecoder().decode(JSON.readTree(result.body()).at("/data/0/embedding").asText());
        java.nio.FloatBuffer floats = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertThat(new float[] {floats.get(0), floats.get(1), floats.get(2)}).containsExactly(0.125f, -0.5f, 0.25f);
    }

    @Test
    void aFailedCountLeavesTheUsageToTheEngine() throws Exception {
        upstream().server().stubFor(post(urlPathMatching(".*:countTokens")).atPriority(0).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"code\":404,\"message\":\"countTokens is not supported\",\"status\":\"NOT_FOUND\"}}")));

        var result = await(client().call(embeddings(Map.of("input", "text"))));

        assertThat(result.usage()).isNull();
        assertThat(JSON.readTree(result.body()).has("usage")).isFalse();
        assertThat(JSON.readTree(result.body()).get("data")).hasSize(1);
    }

    @Test
    void tokenIdsAreRefusedWithoutCallingGoogle() {
        ProviderException failure = failureOf(client().call(embeddings(Map.of("input", List.of(List.of(1L, 2L))))));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        upstream().server().verify(0, postRequestedFor(urlPathMatching(".*")));
    }
}
