package app.apimodels.testkit;

import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderException.Kind;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.webhook.WebhookVerificationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link ProviderClient} for an asynchronous generation upstream must do, checked
 * against the upstream's mock ({@link MockReplicateUpstream}, {@link MockFalUpstream}): submit
 * answers the upstream's id, polls follow the task to downloadable outputs or a failure whose
 * reason names no key, cancel stops it, HTTP failures are classified for submit and poll alike,
 * webhooks are read under the id submit returned and refused when forged, altered or more than
 * five minutes from the clock, and the provider is found by its catalog type.
 *
 * <p>Extend it with the vendor's mock as {@code M}; {@link #createClient} builds the client under
 * test (configured to verify the mock's webhooks) on {@link #transport()}. A fresh client is made
 * for each test.
 *
 * @param <M> the vendor's mock upstream
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class TaskProviderContract<M extends MockTaskUpstream<M>> {

    /** Where the engine would have the upstream report; the mock records it, nothing is posted. */
    protected static final URI WEBHOOK = URI.create("https://gateway.example/webhooks/providers/task-1?task=t1");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private M upstream;
    private HttpTransport transport;
    private ProviderClient client;

    /** Starts the vendor's mock. */
    protected abstract M startUpstream();

    /** The transport clients run on (the engine's default, say); closed after the class. */
    protected abstract HttpTransport createTransport();

    /** A client for the upstream at {@code baseUrl} that reads time from {@code clock}. */
    protected abstract ProviderClient createClient(URI baseUrl, Duration timeout, Clock clock);

    /** The upstream key the client is configured with; it must never show in a message. */
    protected abstract String apiKey();

    /** The catalog {@code type:} of the provider. */
    protected abstract String type();

    /** A model the vendor's API addresses (a model path, an {@code owner/name}). */
    protected abstract String model();

    /** The mock's id of the task that submit answered {@code upstreamId} for (the same by default). */
    protected String mockTaskId(String upstreamId) {
        return upstreamId;
    }

    /** A generation as the engine submits it. */
    protected TaskRequest task(URI webhookUrl) {
        return new TaskRequest(Operation.IMAGES, model(), Map.of("prompt", "a red fox"), List.of(), webhookUrl);
    }

    @BeforeAll
    void startUpstreamAndTransport() {
        upstream = startUpstream();
        transport = createTransport();
    }

    @AfterAll
    void stopUpstreamAndTransport() {
        if (upstream != null) {
            upstream.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    @BeforeEach
    void freshUpstreamAndClient() {
        upstream.reset();
        client = createClient(URI.create(upstream.baseUrl()), TIMEOUT, Clock.systemUTC());
    }

    protected M upstream() {
        return upstream;
    }

    protected HttpTransport transport() {
        return transport;
    }

    /** The client under test, fresh for each test. */
    protected ProviderClient client() {
        return client;
    }

    // ---- submit and poll ------------------------------------------------------------------------

    @Test
    void submitAnswersTheUpstreamsIdForTheTask() throws Exception {
        TaskUpdate update = await(client.submit(task(null)));

        assertThat(update.state()).isIn(TaskState.QUEUED, TaskState.RUNNING);
        assertThat(upstream.submissions()).singleElement().satisfies(submission -> {
            assertThat(submission.id()).isEqualTo(mockTaskId(update.upstreamId()));
            assertThat(submission.input()).containsEntry("prompt", "a red fox");
            assertThat(submission.webhookUrl()).isNull();
        });
    }

    @Test
    void pollsFollowTheTaskToDownloadableOutputs() throws Exception {
        upstream.pendingPolls(2).outputs("image/png", 2);
        String id = await(client.submit(task(null))).upstreamId();

        assertThat(await(client.poll(id)).state()).isIn(TaskState.QUEUED, TaskState.RUNNING);
        assertThat(await(client.poll(id)).state()).isIn(TaskState.QUEUED, TaskState.RUNNING);
        TaskUpdate done = await(client.poll(id));

        assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(done.upstreamId()).isEqualTo(id);
        assertThat(done.outputs()).hasSize(2).extracting(TaskOutput::url).doesNotHaveDuplicates();
        for (TaskOutput output : done.outputs()) {
            HttpResponseData file = await(transport.send(HttpRequestSpec.get(output.url(), Map.of(), TIMEOUT)));
            assertThat(file.status()).isEqualTo(200);
            assertThat(file.body()).isEqualTo(MockMedia.sample("image/png"));
        }
    }

    @Test
    void aFailedTaskIsFailedWithTheUpstreamsReasonWithoutTheKey() throws Exception {
        upstream.pendingPolls(0).failWith("CUDA out of memory (token " + apiKey() + ")");
        String id = await(client.submit(task(null))).upstreamId();

        TaskUpdate update = await(client.poll(id));

        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.upstreamId()).isEqualTo(id);
        assertThat(update.error()).startsWith("CUDA out of memory").doesNotContain(apiKey());
    }

    @Test
    void aCancelledTaskDoesNotSucceed() throws Exception {
        upstream.pendingPolls(5);
        String id = await(client.submit(task(null))).upstreamId();

        await(client.cancel(id));

        assertThat(await(client.poll(id)).state()).isIn(TaskState.CANCELED, TaskState.FAILED);
    }

    // ---- failures -------------------------------------------------------------------------------

    @ParameterizedTest(name = "HTTP {0} is {1}")
    @CsvSource({"400, INVALID_REQUEST", "401, UPSTREAM_CONFIG", "402, UPSTREAM_CONFIG", "403, UPSTREAM_CONFIG",
            "404, UPSTREAM_CONFIG", "429, RATE_LIMITED", "500, UPSTREAM_ERROR", "503, UPSTREAM_ERROR"})
    void httpFailuresAreClassifiedForSubmitAndPollAlike(int status, Kind kind) throws Exception {
        String id = await(client.submit(task(null))).upstreamId();
        upstream.respondWithError(status, "problem with key " + apiKey(), null);

        List<ProviderException> failures = List.of(failure(client.submit(task(null))), failure(client.poll(id)));

        assertThat(failures).allSatisfy(failure -> {
            assertThat(failure.kind()).as("%s", failure.getMessage()).isEqualTo(kind);
            assertThat(failure.upstreamStatus()).isEqualTo(status);
            // The upstream's Retry-After (the mock sends one with 429 and 503) is what routing rests the key for.
            assertThat(failure.retryAfter()).isEqualTo(status == 429 || status == 503
                    ? Optional.of(Duration.ofSeconds(1)) : Optional.empty());
        });
    }

    @Test
    void anUnreachableUpstreamIsAConnectFailure() {
        ProviderClient unreachable = createClient(URI.create("http://127.0.0.1:" + Conditions.closedPort() + "/v1"),
                TIMEOUT, Clock.systemUTC());

        assertThat(failure(unreachable.submit(task(null))).kind()).isEqualTo(Kind.CONNECT);
    }

    @Test
    void noAnswerInTimeIsATimeout() throws Exception {
        String id = await(client.submit(task(null))).upstreamId();
        upstream.delayResponses(Duration.ofSeconds(3));
        ProviderClient impatient = createClient(URI.create(upstream.baseUrl()), Duration.ofMillis(300), Clock.systemUTC());

        assertThat(failure(impatient.submit(task(null))).kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(failure(impatient.poll(id)).kind()).isEqualTo(Kind.TIMEOUT);
    }

    @Test
    void chatAndStreamsAreNotOffered() {
        ProviderRequest chat = new ProviderRequest(Operation.CHAT, model(), Map.of(), false);
        RecordingSink sink = new RecordingSink();

        client.stream(chat, sink);

        assertThat(client.operations()).doesNotContain(Operation.CHAT, Operation.EMBEDDINGS)
                .containsAnyOf(Operation.IMAGES, Operation.VIDEO, Operation.AUDIO, Operation.SPEECH);
        assertThat(failure(client.call(chat)).kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
        assertThat(sink.awaitError().kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
    }

    // ---- webhooks -------------------------------------------------------------------------------

    @Test
    void aGenuineWebhookReportsTheTaskUnderTheIdSubmitReturned() throws Exception {
        upstream.pendingPolls(3).outputs("audio/wav", 1);
        String id = await(client.submit(task(WEBHOOK))).upstreamId();

        TaskUpdate update = client.parseWebhook(upstream.webhook(mockTaskId(id)).toInbound()).orElseThrow();

        assertThat(update.upstreamId()).isEqualTo(id);
        assertThat(update.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(update.outputs()).singleElement().satisfies(output -> assertThat(output.url().getPath()).endsWith(".wav"));
    }

    @Test
    void aWebhookForAFailedTaskIsAFailedTask() throws Exception {
        upstream.failWith("NSFW content detected");
        String id = await(client.submit(task(WEBHOOK))).upstreamId();

        TaskUpdate update = client.parseWebhook(upstream.webhook(mockTaskId(id)).toInbound()).orElseThrow();

        assertThat(update.upstreamId()).isEqualTo(id);
        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.error()).isEqualTo("NSFW content detected");
    }

    @Test
    void forgedOrAlteredWebhooksAreRefused() throws Exception {
        String id = mockTaskId(await(client.submit(task(WEBHOOK))).upstreamId());
        MockWebhook genuine = upstream.webhook(id);
        byte[] padded = (new String(genuine.body(), StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8);

        assertRefused(client, upstream.badlySignedWebhook(id));
        assertRefused(client, genuine.withBody(padded));
        assertThat(client.parseWebhook(genuine.toInbound())).isPresent();
    }

    @Test
    void webhooksSignedMoreThanFiveMinutesFromTheClockAreRefused() throws Exception {
        String id = mockTaskId(await(client.submit(task(WEBHOOK))).upstreamId());
        Instant now = Instant.now();

        assertRefused(client, upstream.webhook(id, now.minus(Duration.ofMinutes(6))));
        assertRefused(client, upstream.webhook(id, now.plus(Duration.ofMinutes(6))));
        assertThat(client.parseWebhook(upstream.webhook(id, now.minus(Duration.ofMinutes(4))).toInbound())).isPresent();

        ProviderClient later = createClient(URI.create(upstream.baseUrl()), TIMEOUT,
                Clock.fixed(now.plus(Duration.ofMinutes(10)), ZoneOffset.UTC));
        await(later.submit(task(WEBHOOK))); // whatever verifying needs (keys, a secret) is loaded by then
        assertRefused(later, upstream.webhook(id, now));
    }

    @Test
    void theProviderIsFoundByItsCatalogType() {
        ModelProvider provider = ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(candidate -> candidate.type().equals(type())).findFirst()
                .orElseThrow(() -> new AssertionError("no ModelProvider of type " + type() + " in META-INF/services"));

        try (ProviderClient created = provider.create(new ProviderConfig("contract-1", type(), URI.create(upstream.baseUrl()),
                apiKey(), TIMEOUT, Map.of()), transport)) {
            assertThat(created.toString()).doesNotContain(apiKey());
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** The future's value, waiting at most a deadline. */
    protected static <T> T await(java.util.concurrent.CompletableFuture<T> future) throws Exception {
        return Conditions.await(future);
    }

    /** The future's failure: a {@link ProviderException} itself, its message free of the key. */
    protected ProviderException failure(java.util.concurrent.CompletableFuture<?> future) {
        ProviderException failure = Conditions.failureOf(future, ProviderException.class);
        assertThat(failure.getMessage()).doesNotContain(apiKey());
        return failure;
    }

    private void assertRefused(ProviderClient verifier, MockWebhook webhook) {
        assertThatThrownBy(() -> verifier.parseWebhook(webhook.toInbound()))
                .isInstanceOf(WebhookVerificationException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(apiKey()));
    }
}
