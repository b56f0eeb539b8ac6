package app.apimodels.testkit;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.testkit.Conditions.closedPort;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link ProviderClient} offering chat and embeddings must do, whatever its upstream
 * speaks: answers in OpenAI's wire format (what the engine hands clients) with the upstream's
 * usage, the failure classification of {@link ProviderException.Kind}, no secrets in messages,
 * and streams that follow the {@link app.apimodels.spi.provider.StreamSink} rules and can be
 * cancelled. Extend it with the vendor's fake upstream as {@code U} ({@link ModelProviderContract}
 * does for OpenAI-compatible upstreams): start it in {@link #startUpstream()} and create the
 * client under test in {@link #createClient}; the contract closes both.
 *
 * @param <U> the fake upstream speaking the vendor's wire format
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ChatProviderContract<U extends ChatUpstream> {

    /** The upstream key clients are configured with; it must never show in a message. */
    protected static final String API_KEY = "sk-contract-5f3a9c1e7b2d4f6a8c0e";
    /** The provider's name for the model; clients must send it instead of the public one. */
    protected static final String UPSTREAM_MODEL = "upstream-model-1";

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SHORT = Duration.ofMillis(400);

    private U upstream;
    private ProviderClient client;

    /** Starts the fake upstream the client under test talks to. */
    protected abstract U startUpstream();

    /** A client for the upstream API at {@code baseUrl} (an {@link ChatUpstream#baseUrl()}, or one nothing listens on). */
    protected abstract ProviderClient createClient(URI baseUrl, String apiKey, Duration timeout);

    @BeforeAll
    void startUpstreamAndClient() {
        upstream = startUpstream();
        client = createClient(URI.create(upstream.baseUrl()), API_KEY, TIMEOUT);
    }

    @AfterAll
    void stopUpstreamAndClient() {
        if (client != null) {
            client.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @BeforeEach
    void resetUpstream() {
        upstream.reset();
    }

    protected U upstream() {
        return upstream;
    }

    /** The client under test, pointed at {@link #upstream()} with {@link #API_KEY}. */
    protected ProviderClient client() {
        return client;
    }

    /**
     * Whether the client under test offers embeddings: it must claim them exactly when it does.
     * {@link ChatAndEmbeddingsProviderContract} says yes and adds the embeddings checks.
     */
    protected boolean offersEmbeddings() {
        return false;
    }

    /** A chat request as a client sends it, with the public model name. */
    protected static ProviderRequest chat(boolean stream) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-model");
        payload.put("messages", List.of(Map.of("role", "user", "content", "Say hello")));
        if (stream) {
            payload.put("stream", true);
        }
        return new ProviderRequest(Operation.CHAT, UPSTREAM_MODEL, payload, stream);
    }

    // ---- calls ---------------------------------------------------------------------------

    @Test
    void offersChatAndEmbeddingsIfItSaysSo() {
        assertThat(client.operations()).contains(Operation.CHAT);
        assertThat(client.operations().contains(Operation.EMBEDDINGS)).isEqualTo(offersEmbeddings());
    }

    @Test
    void chatCallReturnsTheAnswerAndItsUsage() throws Exception {
        ProviderResult result = await(client.call(chat(false)));

        assertThat(new String(result.body(), StandardCharsets.UTF_8))
                .contains("\"chat.completion\"", upstream.completionText());
        assertThat(result.contentType()).startsWith("application/json");
        assertThat(result.usage()).isEqualTo(upstream.usage());
        upstream.verifyReceived(Operation.CHAT, UPSTREAM_MODEL, false);
    }

    @ParameterizedTest(name = "HTTP {0} is {1}")
    @CsvSource({
            "400, INVALID_REQUEST", "413, INVALID_REQUEST", "422, INVALID_REQUEST",
            "401, UPSTREAM_CONFIG", "403, UPSTREAM_CONFIG", "404, UPSTREAM_CONFIG",
            "429, RATE_LIMITED", "500, UPSTREAM_ERROR", "502, UPSTREAM_ERROR", "503, UPSTREAM_ERROR"})
    void errorStatusesAreClassified(int status, ProviderException.Kind kind) {
        upstream.respondWithError(status);

        ProviderException callFailure = failureOf(client.call(chat(false)));
        assertThat(callFailure.kind()).as("%s caused by %s", callFailure, callFailure.getCause()).isEqualTo(kind);
        assertThat(callFailure.upstreamStatus()).isEqualTo(status);

        RecordingSink sink = new RecordingSink();
        client.stream(chat(true), sink);
        ProviderException streamFailure = sink.awaitError();
        assertThat(streamFailure.kind()).as("%s caused by %s", streamFailure, streamFailure.getCause()).isEqualTo(kind);
        assertThat(streamFailure.upstreamStatus()).isEqualTo(status);
        assertThat(sink.chunks()).isEmpty();
    }

    @Test
    void rejectedCredentialsAreNotEchoed() {
        upstream.respondWithError(401, "Incorrect API key provided: " + API_KEY.substring(0, 8) + "****4f6a8c0e.", null);

        ProviderException failure = failureOf(client.call(chat(false)));

        assertThat(failure.getMessage()).doesNotContain("sk-", "4f6a8c0e");
    }

    @Test
    void secretsInUpstreamMessagesAreScrubbed() {
        String hex = "0123456789abcdef0123456789abcdef01234567";
        upstream.respondWithError(400, "Invalid messages for key " + API_KEY + " with header Bearer "
                + "tok_live_51H8aB3xY9 and token " + hex + " sk-other9Xy8Wv7Ut6Sr5Qp4", "messages");

        ProviderException failure = failureOf(client.call(chat(false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.getMessage()).contains("Invalid messages")
                .doesNotContain(API_KEY, "tok_live_51H8aB3xY9", hex, "sk-other9Xy8Wv7Ut6Sr5Qp4");
    }

    @Test
    void slowUpstreamTimesOut() {
        upstream.delayResponses(Duration.ofSeconds(3));
        try (ProviderClient impatient = createClient(URI.create(upstream.baseUrl()), API_KEY, SHORT)) {
            assertThat(failureOf(impatient.call(chat(false))).kind()).isEqualTo(ProviderException.Kind.TIMEOUT);

            RecordingSink sink = new RecordingSink();
            impatient.stream(chat(true), sink);
            assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.TIMEOUT);
        }
    }

    @Test
    void unreachableUpstreamFailsToConnect() {
        URI closed = URI.create("http://127.0.0.1:" + closedPort() + "/v1");
        try (ProviderClient unreachable = createClient(closed, API_KEY, TIMEOUT)) {
            assertThat(failureOf(unreachable.call(chat(false))).kind()).isEqualTo(ProviderException.Kind.CONNECT);

            RecordingSink sink = new RecordingSink();
            unreachable.stream(chat(true), sink);
            assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.CONNECT);
        }
    }

    @Test
    void resetConnectionIsANetworkFailure() {
        upstream.resetConnections();

        assertThat(failureOf(client.call(chat(false))).kind()).isEqualTo(ProviderException.Kind.NETWORK);
        RecordingSink sink = new RecordingSink();
        client.stream(chat(true), sink);
        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.NETWORK);
    }

    @Test
    void apiKeyIsNotInToString() {
        assertThat(client.toString()).doesNotContain(API_KEY);
    }

    @Test
    void probeSucceedsAgainstAHealthyUpstream() throws Exception {
        assertThat(await(client.probe())).isTrue();
    }

    @Test
    void probeFailsWhenCredentialsAreRejected() throws Exception {
        upstream.respondWithError(401);

        assertThat(await(client.probe())).isFalse();
    }

    // ---- streams -------------------------------------------------------------------------

    @Test
    void streamDeliversChunksInOrderThenUsageThenCompletes() {
        RecordingSink sink = new RecordingSink();
        client.stream(chat(true), sink);
        sink.awaitEnd();

        assertThat(sink.texts().stream().filter(t -> !t.isEmpty()).toList())
                .containsExactlyElementsOf(upstream.streamDeltas());
        assertThat(sink.chunks()).allSatisfy(chunk -> assertThat(new String(chunk.data(), StandardCharsets.UTF_8))
                .startsWith("{").contains("\"chat.completion.chunk\""));
        assertThat(sink.usages()).containsExactly(upstream.usage());
        assertThat(sink.events()).endsWith("usage", "complete");
        sink.assertWellBehaved();
        upstream.verifyReceived(Operation.CHAT, UPSTREAM_MODEL, true);
    }

    @Test
    void streamWithoutUsageCompletesWithoutUsage() {
        upstream.omitStreamUsage();

        RecordingSink sink = new RecordingSink();
        client.stream(chat(true), sink);
        sink.awaitEnd();

        assertThat(String.join("", sink.texts())).isEqualTo(upstream.completionText());
        assertThat(sink.usages()).isEmpty();
        assertThat(sink.events()).last().isEqualTo("complete");
        sink.assertWellBehaved();
    }

    @Test
    void streamCutShortIsANetworkFailure() {
        upstream.cutStreams();

        RecordingSink sink = new RecordingSink();
        client.stream(chat(true), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.NETWORK);
        assertThat(String.join("", sink.texts())).isEqualTo(String.join("", upstream.streamDeltas().subList(0, 2)));
        sink.assertWellBehaved();
    }

    @Test
    void brokenStreamIsANetworkFailure() {
        upstream.breakStreams();

        RecordingSink sink = new RecordingSink();
        client.stream(chat(true), sink);

        assertThat(sink.awaitError().kind()).isEqualTo(ProviderException.Kind.NETWORK);
        sink.assertWellBehaved();
    }

    @Test
    void cancelledStreamDeliversNothingMore() {
        RecordingSink cancelled = new RecordingSink();
        CompletableFuture<Cancellable> stream = new CompletableFuture<>();
        cancelled.onFirstChunk(() -> stream.join().cancel());
        stream.complete(client.stream(chat(true), cancelled));
        cancelled.awaitFirstChunk();

        // A later stream of the same answer ending means the cancelled one would have ended too.
        RecordingSink fence = new RecordingSink();
        client.stream(chat(true), fence);
        fence.awaitEnd();

        assertThat(cancelled.events()).containsExactly("chunk");
        assertThat(fence.events()).last().isEqualTo("complete");
    }

    // ---- helpers -------------------------------------------------------------------------

    /** The future's value, waiting at most a deadline. */
    protected static <T> T await(CompletableFuture<T> future) throws Exception {
        return Conditions.await(future);
    }

    /** The future's failure, which must be a {@link ProviderException} itself (not wrapped). */
    protected static ProviderException failureOf(CompletableFuture<?> future) {
        return Conditions.failureOf(future, ProviderException.class);
    }
}
