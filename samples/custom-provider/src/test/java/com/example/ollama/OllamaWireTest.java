package com.example.ollama;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.RecordingSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** What is particular to Ollama's native wire format, beyond the provider contract. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OllamaWireTest {

    private static final String KEY = "ollama-proxy-key-9f8e7d6c5b4a39281706";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MockOllamaUpstream upstream = new MockOllamaUpstream();
    private final HttpTransport transport = new JdkHttpTransport(TransportOptions.defaults());
    private final ProviderClient client = client(KEY);

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @AfterAll
    void close() {
        client.close();
        transport.close();
        upstream.close();
    }

    // ---- requests -------------------------------------------------------------------------------

    @Test
    void samplingSettingsBecomeOptionsAndJsonModeBecomesFormat() throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-name");
        payload.put("messages", List.of(Map.of("role", "system", "content", "Answer in JSON."),
                Map.of("role", "user", "content", "Hi")));
        payload.put("temperature", 0.2);
        payload.put("top_p", 0.9);
        payload.put("seed", 42);
        payload.put("max_tokens", 50);
        payload.put("stop", "END");
        payload.put("response_format", Map.of("type", "json_object"));
        Map<String, Object> original = new LinkedHashMap<>(payload);

        await(client.call(chat(payload)));

        JsonNode sent = lastBody("/api/chat");
        assertThat(sent.get("model").asText()).isEqualTo("llama3.2:3b");
        assertThat(sent.get("stream").asBoolean(true)).isFalse();
        assertThat(sent.get("messages")).hasSize(2);
        assertThat(sent.get("messages").get(0).get("role").asText()).isEqualTo("system");
        assertThat(sent.get("options")).hasSize(5);
        assertThat(sent.get("options").get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.get("options").get("top_p").asDouble()).isEqualTo(0.9);
        assertThat(sent.get("options").get("seed").asInt()).isEqualTo(42);
        assertThat(sent.get("options").get("num_predict").asInt()).isEqualTo(50);
        assertThat(sent.get("options").get("stop").toString()).isEqualTo("[\"END\"]");
        assertThat(sent.get("format").asText()).isEqualTo("json");
        assertThat(sent.has("temperature")).as("OpenAI's top-level settings are not sent as they are").isFalse();
        assertThat(payload).as("the caller's payload is not changed").isEqualTo(original);
    }

    @Test
    void aJsonSchemaBecomesTheFormat() throws Exception {
        Map<String, Object> schema = Map.of("type", "object", "properties", Map.of("age", Map.of("type", "integer")));

        await(client.call(chat(Map.of("messages", List.of(Map.of("role", "user", "content", "How old?")),
                "response_format", Map.of("type", "json_schema", "json_schema", Map.of("name", "age", "schema", schema))))));

        assertThat(lastBody("/api/chat").get("format")).isEqualTo(JSON.valueToTree(schema));
    }

    @Test
    void textPartsAreJoinedAndDataUrlImagesGoIntoImages() throws Exception {
        String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
        List<Object> parts = List.of(Map.of("type", "text", "text", "What is in"),
                Map.of("type", "image_url", "image_url", Map.of("url", "data:image/png;base64," + png)),
                Map.of("type", "text", "text", "this picture?"));

        await(client.call(chat(Map.of("messages", List.of(Map.of("role", "user", "content", parts))))));

        JsonNode message = lastBody("/api/chat").get("messages").get(0);
        assertThat(message.get("content").asText()).isEqualTo("What is in\nthis picture?");
        assertThat(message.get("images").toString()).isEqualTo("[\"" + png + "\"]");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tools", "image link", "n"})
    void whatOllamaCannotDoIsRefusedBeforeAnythingIsSent(String what) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("messages", List.of(Map.of("role", "user", "content", what.equals("image link")
                ? List.of(Map.of("type", "image_url", "image_url", Map.of("url", "https://example.com/cat.png"))) : "Hi")));
        if (what.equals("tools")) {
            payload.put("tools", List.of(Map.of("type", "function", "function", Map.of("name", "get_weather"))));
        } else if (what.equals("n")) {
            payload.put("n", 2);
        }

        ProviderException failure = failure(client.call(chat(payload)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo(switch (what) {
            case "tools" -> "tools";
            case "n" -> "n";
            default -> "messages";
        });
        assertThat(upstream.server().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void theKeyIsSentAsABearerTokenOnlyWhenThereIsOne() throws Exception {
        await(client.call(chat(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi"))))));
        try (ProviderClient keyless = client("")) {
            await(keyless.probe());
        }

        upstream.server().verify(postRequestedFor(urlEqualTo("/api/chat")).withHeader("Authorization", equalTo("Bearer " + KEY)));
        upstream.server().verify(anyRequestedFor(urlEqualTo("/api/version")).withHeader("Authorization", absent()));
    }

    // ---- answers --------------------------------------------------------------------------------

    @Test
    void aWholeAnswerIsAnOpenAiCompletion() throws Exception {
        stubChat("{\"model\":\"qwen3:8b\",\"created_at\":\"2025-10-26T17:15:24.097767Z\",\"message\":{\"role\":\"assistant\","
                + "\"content\":\"Forty-two.\",\"thinking\":\"The user wants a number.\"},\"done\":true,\"done_reason\":\"length\","
                + "\"prompt_eval_count\":12,\"eval_count\":40}");

        ProviderResult result = await(client.call(chat(Map.of("messages", List.of(Map.of("role", "user", "content", "?"))))));

        JsonNode completion = JSON.readTree(result.body());
        assertThat(completion.get("id").asText()).startsWith("chatcmpl-");
        assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.get("created").asLong()).isEqualTo(Instant.parse("2025-10-26T17:15:24.097767Z").getEpochSecond());
        assertThat(completion.get("model").asText()).isEqualTo("qwen3:8b");
        JsonNode choice = completion.get("choices").get(0);
        assertThat(choice.get("message").get("content").asText()).isEqualTo("Forty-two.");
        assertThat(choice.get("message").get("reasoning_content").asText()).isEqualTo("The user wants a number.");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(completion.get("usage").toString()).isEqualTo("{\"prompt_tokens\":12,\"completion_tokens\":40,\"total_tokens\":52}");
        assertThat(result.usage()).isEqualTo(Usage.tokens(12, 0, 40));
    }

    @Test
    void anOllamaErrorIsTheClientsMistakeWithOllamasWordsScrubbed() {
        upstream.respondWithError(400, "invalid options: num_ctx for key " + KEY, null);

        ProviderException failure = failure(client.call(chat(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi"))))));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.getMessage()).startsWith("invalid options: num_ctx for key").doesNotContain(KEY);
    }

    @Test
    void aUsageChunkIsSentOnlyWhenTheClientAskedAndUsageIsReportedEitherWay() throws Exception {
        Map<String, Object> asked = Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true,
                "stream_options", Map.of("include_usage", true));
        Map<String, Object> notAsked = Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true);

        RecordingSink withChunk = stream(asked);
        RecordingSink withoutChunk = stream(notAsked);

        JsonNode last = JSON.readTree(withChunk.chunks().get(withChunk.chunks().size() - 1).data());
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.get("usage").get("prompt_tokens").asLong()).isEqualTo(MockOllamaUpstream.DEFAULT_USAGE.inputTokens());
        assertThat(withChunk.chunks()).hasSize(withoutChunk.chunks().size() + 1);
        assertThat(withoutChunk.chunks()).noneSatisfy(chunk -> assertThat(new String(chunk.data(), StandardCharsets.UTF_8)).contains("\"usage\""));
        assertThat(withChunk.usages()).containsExactly(MockOllamaUpstream.DEFAULT_USAGE);
        assertThat(withoutChunk.usages()).containsExactly(MockOllamaUpstream.DEFAULT_USAGE);
        JsonNode first = JSON.readTree(withoutChunk.chunks().get(0).data());
        assertThat(first.get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        JsonNode finish = JSON.readTree(withoutChunk.chunks().get(withoutChunk.chunks().size() - 1).data());
        assertThat(finish.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void anErrorLineMidStreamFailsTheStreamAfterWhatCameBefore() {
        stubStream("{\"model\":\"m\",\"created_at\":\"2025-10-26T17:21:21.196249Z\",\"message\":{\"role\":\"assistant\",\"content\":\" Yes\"},\"done\":false}\n"
                + "{\"error\":\"an error was encountered while running the model (key " + KEY + ")\"}\n");

        RecordingSink sink = new RecordingSink();
        client.stream(chat(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true)), sink);
        ProviderException failure = sink.awaitError();

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
        assertThat(failure.getMessage()).startsWith("an error was encountered while running the model").doesNotContain(KEY);
        assertThat(sink.texts()).containsExactly(" Yes");
        assertThat(sink.events()).containsExactly("chunk", "error");
    }

    @Test
    void aMalformedLineFailsTheStream() {
        stubStream("{\"model\":\"m\",\"message\":{\"content\":\"x\"\n");

        RecordingSink sink = new RecordingSink();
        client.stream(chat(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true)), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
        assertThat(sink.chunks()).isEmpty();
    }

    @Test
    void thinkingCountsAsStreamedText() {
        stubStream("{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hmm. \"},\"done\":false}\n"
                + "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"Yes.\"},\"done\":false}\n"
                + "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n");

        RecordingSink sink = stream(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true));

        assertThat(sink.chunks()).extracting(StreamChunk::text).containsExactly("Hmm. ", "Yes.", "");
        assertThat(sink.usages()).isEmpty();
        assertThat(sink.events()).last().isEqualTo("complete");
    }

    // ---- embeddings -----------------------------------------------------------------------------

    @Test
    void embeddingsComeAsFloatsOrBase64AsTheClientAsks() throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>(Map.of("model", "public-embedding", "input", List.of("one", "two")));
        ProviderResult floats = await(client.call(new ProviderRequest(Operation.EMBEDDINGS, "all-minilm", payload, false)));
        payload.put("encoding_format", "base64");
        ProviderResult base64 = await(client.call(new ProviderRequest(Operation.EMBEDDINGS, "all-minilm", payload, false)));

        assertThat(lastBody("/api/embed").get("input").toString()).isEqualTo("[\"one\",\"two\"]");
        JsonNode asFloats = JSON.readTree(floats.body()).get("data").get(0).get("embedding");
        assertThat(asFloats.get(0).asDouble()).isEqualTo(0.010071029);
        ByteBuffer packed = ByteBuffer.wrap(Base64.getDecoder().decode(JSON.readTree(base64.body()).get("data").get(0).get("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(packed.remaining()).isEqualTo(3 * Float.BYTES);
        assertThat(packed.getFloat()).isEqualTo(0.010071029f);
        assertThat(JSON.readTree(base64.body()).get("usage").get("prompt_tokens").asLong())
                .isEqualTo(MockOllamaUpstream.DEFAULT_USAGE.inputTokens());
    }

    @Test
    void tokenIdInputsAreRefused() {
        ProviderException failure = failure(client.call(new ProviderRequest(Operation.EMBEDDINGS, "all-minilm",
                Map.of("input", List.of(101, 2023, 102)), false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("input");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private ProviderClient client(String key) {
        return new OllamaProvider().create(new ProviderConfig("local-ollama", "ollama-native", URI.create(upstream.baseUrl() + "/"),
                key, Duration.ofSeconds(10), Map.of()), transport);
    }

    private static ProviderRequest chat(Map<String, Object> payload) {
        return new ProviderRequest(Operation.CHAT, MockOllamaUpstream.MODEL, payload, Boolean.TRUE.equals(payload.get("stream")));
    }

    private RecordingSink stream(Map<String, Object> payload) {
        RecordingSink sink = new RecordingSink();
        client.stream(chat(payload), sink);
        sink.awaitEnd();
        sink.assertWellBehaved();
        return sink;
    }

    private void stubChat(String body) {
        upstream.server().stubFor(post("/api/chat").atPriority(1)
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(body)));
    }

    private void stubStream(String ndjson) {
        upstream.server().stubFor(post("/api/chat").atPriority(1)
                .willReturn(aResponse().withHeader("Content-Type", "application/x-ndjson").withBody(ndjson)));
    }

    private JsonNode lastBody(String path) throws IOException {
        List<LoggedRequest> requests = upstream.server().findAll(postRequestedFor(urlEqualTo(path)));
        assertThat(requests).isNotEmpty();
        return JSON.readTree(requests.get(requests.size() - 1).getBody());
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(15, TimeUnit.SECONDS);
    }

    private static ProviderException failure(CompletableFuture<?> future) {
        Throwable failure;
        try {
            failure = future.handle((value, error) -> error).get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("neither succeeded nor failed in time", e);
        }
        assertThat(failure).isInstanceOf(ProviderException.class);
        return (ProviderException) failure;
    }
}
