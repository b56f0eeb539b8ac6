package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamCut;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.ModelProviderContract;
import app.apimodels.testkit.RecordingSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider contract plus what is particular to OpenAI's wire format, run once per transport
 * by the subclasses: the provider must behave the same on each.
 */
abstract class OpenAiClientTestBase extends ModelProviderContract {

    private static final String CHAT_PATH = "/v1/chat/completions";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpTransport transport = newTransport();

    /** The transport the provider is tested on; closed after the class. */
    protected abstract HttpTransport newTransport();

    @Override
    protected ProviderClient createClient(URI baseUrl, String apiKey, Duration timeout) {
        return client(baseUrl, apiKey, timeout, Map.of());
    }

    private ProviderClient client(URI baseUrl, String apiKey, Duration timeout, Map<String, String> options) {
        return new OpenAiProvider().create(new ProviderConfig("test-upstream", "openai", baseUrl, apiKey, timeout, options),
                transport);
    }

    @AfterAll
    void closeTransport() {
        transport.close();
    }

    // ---- requests on the wire ---------------------------------------------------------------

    @Test
    void sendsTheKeyAsBearerToken() throws Exception {
        await(client().call(chat(false)));

        upstream().server().verify(postRequestedFor(urlEqualTo(CHAT_PATH))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
    }

    @Test
    void sendsNoAuthorizationWithoutAKey() throws Exception {
        try (ProviderClient keyless = createClient(URI.create(upstream().baseUrl() + "/"), " ", TIMEOUT)) {
            await(keyless.call(chat(false)));
        }

        upstream().server().verify(postRequestedFor(urlEqualTo(CHAT_PATH)).withHeader("Authorization", absent()));
    }

    @Test
    void callSendsThePayloadWithTheUpstreamModelAndNoStreamFields() throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-model");
        payload.put("messages", List.of(Map.of("role", "user", "content", "Hi")));
        payload.put("temperature", 0.2);
        payload.put("stream", false);
        payload.put("stream_options", Map.of("include_usage", true));
        Map<String, Object> original = new LinkedHashMap<>(payload);

        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false)));

        JsonNode sent = lastRequestBody();
        assertThat(sent.get("model").asText()).isEqualTo(UPSTREAM_MODEL);
        assertThat(sent.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.get("messages").get(0).get("content").asText()).isEqualTo("Hi");
        assertThat(sent.has("stream")).isFalse();
        assertThat(sent.has("stream_options")).isFalse();
        assertThat(payload).as("the caller's payload is not changed").isEqualTo(original);
    }

    @Test
    void streamAsksForUsageAndKeepsTheClientsStreamOptions() {
        Map<String, Object> payload = new LinkedHashMap<>(chat(true).payload());
        payload.put("stream_options", Map.of("continuous_usage_stats", true));

        RecordingSink sink = new RecordingSink();
        client().stream(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, true), sink);
        sink.awaitEnd();

        JsonNode sent = lastRequestBody();
        assertThat(sent.get("model").asText()).isEqualTo(UPSTREAM_MODEL);
        assertThat(sent.get("stream").asBoolean()).isTrue();
        assertThat(sent.get("stream_options").get("include_usage").asBoolean()).isTrue();
        assertThat(sent.get("stream_options").get("continuous_usage_stats").asBoolean()).isTrue();
        assertThat(sink.usages()).containsExactly(upstream().usage());
    }

    @Test
    void theClientsBytesAreSentAsTheyCameWithUsageAskedForOnAStream() throws Exception {
        // As the engine hands them over: the client's body with the upstream's model already in it.
        String asSent = "{ \"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}], \"model\":\"" + UPSTREAM_MODEL
                + "\", \"temperature\": 2E-1, \"n\": 1 }\n";
        Map<String, Object> payload = new LinkedHashMap<>(chat(false).payload());
        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false, List.of(), bytes(asSent))));
        assertThat(lastRequestText()).isEqualTo(asSent);

        String streamed = asSent.replace("\"n\": 1", "\"n\": 1, \"stream\":true");
        payload.put("stream", true);
        RecordingSink sink = new RecordingSink();
        client().stream(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, true, List.of(), bytes(streamed)), sink);
        sink.awaitEnd();
        assertThat(lastRequestText()).isEqualTo(streamed.replace(" }", " ,\"stream_options\":{\"include_usage\":true}}"));
        assertThat(sink.usages()).containsExactly(upstream().usage());
    }

    @Test
    void streamFieldsTheCallDoesNotMatchAreNotSentAsTheyCame() throws Exception {
        // stream_options without a stream, or a stream flag the call does not have: encoded again without them.
        Map<String, Object> payload = new LinkedHashMap<>(chat(false).payload());
        payload.put("stream_options", Map.of("include_usage", true));
        String asSent = "{\"model\":\"" + UPSTREAM_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}],"
                + "\"stream_options\":{\"include_usage\":true}}";
        await(client().call(new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, false, List.of(), bytes(asSent))));
        assertThat(lastRequestBody().has("stream_options")).isFalse();
        assertThat(lastRequestBody().get("messages").get(0).get("content").asText()).isEqualTo("Say hello");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRateLimitCarriesTheUpstreamsRetryAfterStreamedOrNot() {
        upstream().respondWithError(429); // with Retry-After: 1, as OpenAI sends it

        ProviderException unary = failureOf(client().call(chat(false)));
        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        ProviderException streamed = sink.awaitError();

        for (ProviderException failure : List.of(unary, streamed)) {
            assertThat(failure.kind()).isEqualTo(ProviderException.Kind.RATE_LIMITED);
            assertThat(failure.retryAfter()).contains(Duration.ofSeconds(1));
            assertThat(failure.keyRefused()).isFalse();
        }
    }

    @Test
    void anAccountOutOfQuotaOrABadKeyRefusesTheKey() {
        upstream().outOfQuota();
        ProviderException quota = failureOf(client().call(chat(false)));
        assertThat(quota.keyRefused()).as("insufficient_quota is the key's account, not a passing limit").isTrue();
        assertThat(quota.retryAfter()).isEmpty();

        upstream().respondWithError(401);
        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        assertThat(sink.awaitError().keyRefused()).isTrue();

        upstream().respondWithError(404);
        assertThat(failureOf(client().call(chat(false))).keyRefused()).as("a wrong model is the route's").isFalse();
    }

    @Test
    void invalidRequestCarriesTheUpstreamMessageAndParam() {
        upstream().respondWithError(400, "Invalid value for 'temperature': must be at most 2.", "temperature");

        ProviderException failure = failureOf(client().call(chat(false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.kind().retryable()).isFalse();
        assertThat(failure.getMessage()).isEqualTo("Invalid value for 'temperature': must be at most 2.");
        assertThat(failure.param()).isEqualTo("temperature");
    }

    @Test
    void streamingEmbeddingsIsRefused() {
        RecordingSink sink = new RecordingSink();
        client().stream(new ProviderRequest(Operation.EMBEDDINGS, UPSTREAM_MODEL, Map.of("input", "x"), true), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
    }

    // ---- event streams as upstreams really send them -------------------------------------------

    @Test
    void eventsAreForwardedByteForByteWhateverTheLineEndings() {
        String first = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hé\"},\"finish_reason\":null}]}";
        String second = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\n\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\"},\"finish_reason\":\"stop\"}]}";
        stubStream(": keep-alive\r\n\r\ndata: " + first + "\r\n\r\n"
                + "event: message\rid: 7\rdata: " + second.replace("\n", "\rdata: ") + "\r\r"
                + "data:\n\n"
                + "data: [DONE]\n\n");

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();

        assertThat(sink.chunks()).as("%s", sink).extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8))
                .containsExactly(first, second);
        assertThat(sink.texts()).containsExactly("Hé", "llo");
        assertThat(sink.events()).containsExactly("chunk", "chunk", "complete");
    }

    @Test
    void reasoningCountsAsText() {
        stubStream(event("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Think. \"},\"finish_reason\":null}]}")
                + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer.\"},\"finish_reason\":\"stop\"}]}")
                + event("[DONE]"));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();

        assertThat(sink.chunks()).extracting(StreamChunk::text).containsExactly("Think. ", "Answer.");
    }

    @Test
    void runningUsageTotalsAreReportedOnceWithTheLast() {
        stubStream(event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}],"
                        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1}}")
                + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}")
                + event("[DONE]"));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();

        assertThat(sink.usages()).containsExactly(Usage.tokens(9, 0, 2));
        assertThat(sink.events()).containsExactly("chunk", "chunk", "usage", "complete");
    }

    @Test
    void streamEndingAfterTheFinishReasonWithoutDoneCompletes() {
        stubStream(event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}"));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        sink.awaitEnd();

        assertThat(sink.events()).containsExactly("chunk", "complete");
    }

    /**
     * A stream that ends before its last event fails as a network failure whose message stays
     * generic (a client may see it), with what the upstream sent as its cause, for the operator's log.
     */
    @Test
    void aStreamEndingBeforeItsLastEventSaysWhatCame() {
        String first = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"},\"finish_reason\":null}]}";
        String second = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "é".repeat(60) + "\"},\"finish_reason\":null}]}";
        stubStream(event(first) + event(second));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        ProviderException failure = sink.awaitError();

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.NETWORK);
        assertThat(failure.getMessage()).isEqualTo("upstream stream ended before it finished");
        assertThat(failure.getCause()).isInstanceOf(StreamCut.class);
        StreamCut cut = (StreamCut) failure.getCause();
        assertThat(cut.status()).isEqualTo(200);
        assertThat(cut.contentType()).isEqualTo("text/event-stream");
        assertThat(cut.events()).isEqualTo(2);
        assertThat(cut.bytes()).isEqualTo((event(first) + event(second)).getBytes(StandardCharsets.UTF_8).length);
        assertThat(cut.lastEventBytes()).isEqualTo(second.getBytes(StandardCharsets.UTF_8).length);
        assertThat(cut.lastEvent()).startsWith("{\"choices\":[{\"index\":0,").contains("\\xc3\\xa9").endsWith("...");
        assertThat(cut.getMessage()).startsWith("status 200, content type text/event-stream, " + cut.bytes()
                + " bytes in 2 events; the last one, " + cut.lastEventBytes() + " bytes: {\"choices\"");

        // An answer that is no event stream at all: no event, and its type says why.
        upstream().server().stubFor(post(CHAT_PATH).atPriority(1).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody("{\"id\":\"x\"}")));
        RecordingSink json = new RecordingSink();
        client().stream(chat(true), json);
        assertThat(json.awaitError().getCause()).hasMessage("status 200, content type application/json, 10 bytes in 0 events");
    }

    @Test
    void errorEventInTheStreamIsAnUpstreamErrorWithoutSecrets() {
        stubStream(event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"},\"finish_reason\":null}]}")
                + event("{\"error\":{\"message\":\"Model overloaded (key " + API_KEY + ")\",\"type\":\"server_error\"}}"));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);
        ProviderException failure = sink.awaitError();

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
        assertThat(failure.getMessage()).startsWith("Model overloaded").doesNotContain(API_KEY, "sk-");
        assertThat(sink.events()).containsExactly("chunk", "error");
    }

    @Test
    void malformedEventFailsTheStream() {
        stubStream(event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}") + event("[DONE]"));

        RecordingSink sink = new RecordingSink();
        client().stream(chat(true), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
        assertThat(sink.chunks()).isEmpty();
    }

    @Test
    void streamIdleTimeoutComesFromTheOptions() {
        // The head and first piece come after 1.5 s (within the 10 s timeout), then 1.5 s of
        // silence: longer than the 1 s idle option.
        upstream().server().stubFor(post(CHAT_PATH).atPriority(1).willReturn(sse(
                event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}")
                        + event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}"))
                .withChunkedDribbleDelay(2, 3_000)));

        try (ProviderClient client = client(URI.create(upstream().baseUrl()), API_KEY, TIMEOUT,
                Map.of(OpenAiClient.STREAM_IDLE_TIMEOUT_OPTION, "1"))) {
            RecordingSink sink = new RecordingSink();
            client.stream(chat(true), sink);

            assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.TIMEOUT);
        }
    }

    // ---- the Responses API, passed through -------------------------------------------------------

    private static ProviderRequest responses(boolean stream) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-model");
        payload.put("input", "Say hello");
        payload.put("some_future_field", Map.of("kept", true));
        if (stream) {
            payload.put("stream", true);
        }
        return new ProviderRequest(Operation.RESPONSES, UPSTREAM_MODEL, payload, stream);
    }

    @Test
    void aResponseIsPostedAsItCameWithTheUpstreamModelAndItsUsageRead() throws Exception {
        upstream().usage(Usage.tokens(30, 10, 7));
        var result = await(client().call(responses(false)));

        assertThat(JSON.readTree(result.body()).at("/output/0/content/0/text").asText())
                .isEqualTo(app.apimodels.testkit.MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(result.usage()).isEqualTo(Usage.tokens(30, 10, 7));
        JsonNode sent = JSON.readTree(upstream().server().findAll(postRequestedFor(urlEqualTo("/v1/responses"))).get(0).getBody());
        assertThat(sent.get("model").asText()).isEqualTo(UPSTREAM_MODEL);
        assertThat(sent.at("/some_future_field/kept").asBoolean()).isTrue();
        assertThat(sent.has("stream")).isFalse();
    }

    @Test
    void aResponseStreamIsRelayedAsNamedEventsWithTheCompletedUsage() throws Exception {
        RecordingSink sink = new RecordingSink();
        client().stream(responses(true), sink);
        sink.awaitEnd();

        sink.assertWellBehaved();
        assertThat(sink.chunks()).extracting(StreamChunk::event).startsWith("response.created", "response.in_progress")
                .endsWith("response.completed");
        assertThat(String.join("", sink.texts())).isEqualTo(app.apimodels.testkit.MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(sink.usages()).containsExactly(app.apimodels.testkit.MockOpenAiUpstream.DEFAULT_USAGE);
        JsonNode sent = JSON.readTree(upstream().server().findAll(postRequestedFor(urlEqualTo("/v1/responses"))).get(0).getBody());
        assertThat(sent.get("stream").asBoolean()).isTrue();
        assertThat(sent.has("stream_options")).as("chat's include_usage is not the Responses API's").isFalse();
    }

    @Test
    void aResponseStreamCutBeforeResponseCompletedIsANetworkFailure() throws Exception {
        upstream().cutStreams();
        RecordingSink sink = new RecordingSink();
        client().stream(responses(true), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.NETWORK);
        assertThat(String.join("", sink.texts())).isEqualTo("Hello from");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void stubStream(String body) {
        upstream().server().stubFor(post(CHAT_PATH).atPriority(1).willReturn(sse(body)));
    }

    private static ResponseDefinitionBuilder sse(String body) {
        return aResponse().withHeader("Content-Type", "text/event-stream").withBody(body);
    }

    private static String event(String data) {
        return "data: " + data + "\n\n";
    }

    private JsonNode lastRequestBody() {
        try {
            return JSON.readTree(lastRequestText());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private String lastRequestText() {
        List<LoggedRequest> requests = upstream().server().findAll(postRequestedFor(urlEqualTo(CHAT_PATH)));
        assertThat(requests).isNotEmpty();
        return requests.get(requests.size() - 1).getBodyAsString();
    }
}
