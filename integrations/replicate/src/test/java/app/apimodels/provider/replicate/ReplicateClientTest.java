package app.apimodels.provider.replicate;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
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
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.MockReplicateUpstream;
import app.apimodels.testkit.MockSubmission;
import app.apimodels.testkit.MockWebhook;
import app.apimodels.testkit.RecordingSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Replicate client against {@link MockReplicateUpstream}, over the JDK transport. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicateClientTest {

    private static final String API_KEY = "r8_Kq3vT9mXw2ZpL7sN4bY6cD1fG8hJ0aE5uR";
    private static final String VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
    private static final URI WEBHOOK = URI.create("https://gateway.example/webhooks/providers/replicate-1?task=t1");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long WAIT_SECONDS = 15;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MockReplicateUpstream upstream = new MockReplicateUpstream();
    private final HttpTransport transport = new JdkHttpTransport(TransportOptions.defaults());
    private ProviderClient client;

    @BeforeEach
    void reset() {
        upstream.reset();
        client = client(Map.of(ReplicateClient.WEBHOOK_SECRET_OPTION, upstream.webhookSecret()));
    }

    @AfterAll
    void close() {
        upstream.close();
        transport.close();
    }

    // ---- submitting -------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
            "black-forest-labs/flux-schnell, /v1/models/black-forest-labs/flux-schnell/predictions, ",
            "deployment:acme/flux-prod, /v1/deployments/acme/flux-prod/predictions, ",
            "stability-ai/sdxl:" + VERSION + ", /v1/predictions, " + VERSION,
            VERSION + ", /v1/predictions, " + VERSION})
    void submitsEachNotationWhereReplicateExpectsIt(String model, String path, String version) throws Exception {
        TaskUpdate update = await(client.submit(task(model, null)));

        LoggedRequest sent = onlyRequest();
        assertThat(sent.getMethod().getName()).isEqualTo("POST");
        assertThat(sent.getUrl()).isEqualTo(path);
        assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        JsonNode body = JSON.readTree(sent.getBody());
        assertThat(body.path("version").isMissingNode() ? null : body.get("version").asText()).isEqualTo(version);
        assertThat(body.get("input").get("prompt").asText()).isEqualTo("a red fox");
        assertThat(body.get("input").get("num_outputs").asInt()).isEqualTo(2);
        assertThat(update.state()).isEqualTo(TaskState.QUEUED);
        assertThat(update.upstreamId()).isEqualTo(upstream.submissions().get(0).id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"flux-schnell", "owner/name/extra", "owner/name:notahexversion", "deployment:owner/name:" + VERSION, ""})
    void refusesNotationsReplicateHasNoPlaceFor(String model) {
        ProviderException failure = failure(client.submit(task(model, null)));

        assertThat(failure.kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
        assertThat(upstream.server().getAllServeEvents()).isEmpty();
    }

    @Test
    void asksForTheCompletedWebhookOnlyWhenGivenAUrl() throws Exception {
        await(client.submit(task("acme/model", WEBHOOK)));
        await(client.submit(task("acme/model", null)));

        List<MockSubmission> submissions = upstream.submissions();
        assertThat(submissions.get(0).webhookUrl()).isEqualTo(WEBHOOK);
        assertThat(submissions.get(1).webhookUrl()).isNull();
        List<JsonNode> bodies = upstream.server().findAll(postRequestedFor(urlPathMatching("/v1/models/.*"))).stream()
                .map(request -> readTree(request.getBody())).toList();
        assertThat(bodies.get(0).get("webhook_events_filter").toString()).isEqualTo("[\"completed\"]");
        assertThat(bodies.get(1).has("webhook")).isFalse();
        assertThat(bodies.get(1).has("webhook_events_filter")).isFalse();
    }

    // ---- polling ----------------------------------------------------------------------------

    @Test
    void pollsThroughToSuccessWithDownloadableOutputsExpiringAnHourAfterCompletion() throws Exception {
        upstream.pendingPolls(2);
        String id = await(client.submit(task("acme/model", null))).upstreamId();
        Instant before = Instant.now();

        assertThat(await(client.poll(id)).state()).isEqualTo(TaskState.RUNNING);
        assertThat(await(client.poll(id)).state()).isEqualTo(TaskState.RUNNING);
        TaskUpdate done = await(client.poll(id));

        Instant after = Instant.now();
        assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(done.upstreamId()).isEqualTo(id);
        assertThat(done.usage()).isNull();
        TaskOutput output = done.outputs().get(0);
        assertThat(done.outputs()).hasSize(1);
        assertThat(output.expiresAt()).isBetween(before.plus(Predictions.OUTPUT_RETENTION).minusSeconds(1),
                after.plus(Predictions.OUTPUT_RETENTION));
        HttpResponseData file = await(transport.send(HttpRequestSpec.get(output.url(), Map.of(), TIMEOUT)));
        assertThat(file.status()).isEqualTo(200);
        assertThat(file.body()).isEqualTo(MockMedia.sample("image/png"));
    }

    @Test
    void collectsEveryFileOfAListOutput() throws Exception {
        upstream.pendingPolls(0).outputs("video/mp4", 3);
        String id = await(client.submit(task("acme/video", null))).upstreamId();

        TaskUpdate done = await(client.poll(id));

        assertThat(done.outputs()).hasSize(3).allSatisfy(output -> assertThat(output.url().getPath()).endsWith(".mp4"));
        assertThat(done.outputs().stream().map(TaskOutput::url).distinct()).hasSize(3);
    }

    @Test
    void collectsFileUrlsFromAnObjectOutputAndNothingElse() throws Exception {
        stubPrediction("p1", "\"status\":\"succeeded\",\"completed_at\":\"2025-03-01T10:00:00.123456+00:00\","
                + "\"output\":{\"images\":[\"https://replicate.delivery/a.png\"],\"audio\":\"https://replicate.delivery/b.wav\","
                + "\"caption\":\"a fox\",\"seed\":7}");

        TaskUpdate done = await(client.poll("p1"));

        assertThat(done.outputs()).extracting(TaskOutput::url).containsExactly(
                URI.create("https://replicate.delivery/a.png"), URI.create("https://replicate.delivery/b.wav"));
        assertThat(done.outputs().get(0).expiresAt()).isEqualTo(Instant.parse("2025-03-01T11:00:00.123456Z"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"status\":\"succeeded\",\"output\":\"just text\"            | the upstream finished without producing a file",
            "\"status\":\"succeeded\",\"output\":[\"https://r.example/a.png\"],\"data_removed\":true | the upstream removed the outputs before they were collected",
            "\"status\":\"aborted\"                                        | the upstream gave up on the task before it started",
            "\"status\":\"failed\",\"error\":null                          | the upstream task failed"})
    void finishedPredictionsWithoutFilesAreFailedTasks(String fields, String message) throws Exception {
        stubPrediction("p2", fields);

        TaskUpdate update = await(client.poll("p2"));

        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.error()).isEqualTo(message);
    }

    @Test
    void aFailedPredictionIsAFailedTaskWithReplicatesErrorScrubbed() throws Exception {
        upstream.pendingPolls(0).failWith("CUDA out of memory (token " + API_KEY + ")");
        String id = await(client.submit(task("acme/model", null))).upstreamId();

        TaskUpdate update = await(client.poll(id));

        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.upstreamId()).isEqualTo(id);
        assertThat(update.error()).startsWith("CUDA out of memory").doesNotContain(API_KEY).contains("[redacted]");
    }

    @Test
    void anUnknownStatusOrAMalformedAnswerIsAnUpstreamError() {
        stubPrediction("p3", "\"status\":\"thinking\"");
        upstream.server().stubFor(get("/v1/predictions/p4").atPriority(1)
                .willReturn(aResponse().withStatus(200).withBody("<html>oops</html>")));

        assertThat(failure(client.poll("p3")).kind()).isEqualTo(Kind.UPSTREAM_ERROR);
        assertThat(failure(client.poll("p4")).kind()).isEqualTo(Kind.UPSTREAM_ERROR);
    }

    @Test
    void upstreamIdsCannotReachOtherPaths() {
        failure(client.poll("../account"));

        assertThat(upstream.server().findAll(getRequestedFor(urlEqualTo("/v1/account")))).isEmpty();
        assertThat(upstream.server().findAll(getRequestedFor(urlEqualTo("/v1/predictions/..%2Faccount")))).hasSize(1);
    }

    // ---- cancelling -------------------------------------------------------------------------

    @Test
    void cancelStopsThePrediction() throws Exception {
        upstream.pendingPolls(5);
        String id = await(client.submit(task("acme/model", null))).upstreamId();

        await(client.cancel(id));

        upstream.server().verify(postRequestedFor(urlEqualTo("/v1/predictions/" + id + "/cancel"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        assertThat(await(client.poll(id)).state()).isEqualTo(TaskState.CANCELED);
    }

    // ---- failures ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"401, UPSTREAM_CONFIG", "403, UPSTREAM_CONFIG", "402, UPSTREAM_CONFIG", "404, UPSTREAM_CONFIG",
            "429, RATE_LIMITED", "500, UPSTREAM_ERROR", "503, UPSTREAM_ERROR", "400, INVALID_REQUEST"})
    void classifiesHttpErrors(int status, Kind kind) {
        upstream.respondWithError(status, "problem with key " + API_KEY, null);

        ProviderException submit = failure(client.submit(task("acme/model", null)));
        ProviderException poll = failure(client.poll("abc"));

        assertThat(List.of(submit, poll)).allSatisfy(failure -> {
            assertThat(failure.kind()).isEqualTo(kind);
            assertThat(failure.upstreamStatus()).isEqualTo(status);
            assertThat(failure.getMessage()).doesNotContain(API_KEY);
        });
    }

    @Test
    void aValidationErrorCarriesReplicatesDetailAndTheField() {
        upstream.respondWithError(422, "- input.num_outputs: Must be less than or equal to 4", "num_outputs");

        ProviderException failure = failure(client.submit(task("acme/model", null)));

        assertThat(failure.kind()).isEqualTo(Kind.INVALID_REQUEST);
        assertThat(failure.upstreamStatus()).isEqualTo(422);
        assertThat(failure.getMessage()).isEqualTo("- input.num_outputs: Must be less than or equal to 4");
        assertThat(failure.param()).isEqualTo("num_outputs");
    }

    @Test
    void aRateLimitSaysWhenToRetry() {
        upstream.respondWithError(429, "Request was throttled. Your rate limit resets in ~1s.", null);

        assertThat(failure(client.submit(task("acme/model", null))).getMessage())
                .isEqualTo("upstream rate limit reached (HTTP 429); retry after 1 s");
    }

    @Test
    void connectionRefusedIsAConnectFailure() throws Exception {
        ProviderClient closed = new ReplicateClient(config(URI.create("http://127.0.0.1:" + closedPort() + "/v1"),
                TIMEOUT, Map.of()), transport, JSON, Clock.systemUTC());

        ProviderException failure = failure(closed.submit(task("acme/model", null)));

        assertThat(failure.kind()).isEqualTo(Kind.CONNECT);
        assertThat(failure.getMessage()).doesNotContain(API_KEY);
    }

    @Test
    void noAnswerInTimeIsATimeout() {
        upstream.delayResponses(Duration.ofSeconds(3));
        ProviderClient impatient = new ReplicateClient(config(URI.create(upstream.baseUrl()), Duration.ofMillis(300), Map.of()),
                transport, JSON, Clock.systemUTC());

        assertThat(failure(impatient.submit(task("acme/model", null))).kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(failure(impatient.poll("abc")).kind()).isEqualTo(Kind.TIMEOUT);
    }

    @Test
    void chatAndStreamsAreNotOffered() {
        ProviderRequest chat = new ProviderRequest(Operation.CHAT, "acme/model", Map.of(), false);

        assertThat(client.operations()).containsExactlyInAnyOrder(Operation.IMAGES, Operation.VIDEO, Operation.AUDIO, Operation.SPEECH);
        assertThat(failure(client.call(chat)).kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
        RecordingSink sink = new RecordingSink();
        client.stream(chat, sink);
        assertThat(sink.awaitError().kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
    }

    @Test
    void probeChecksTheCredentials() throws Exception {
        assertThat(await(client.probe())).isTrue();
        upstream.server().verify(getRequestedFor(urlEqualTo("/v1/account")).withHeader("Authorization", equalTo("Bearer " + API_KEY)));

        upstream.respondWithError(401);
        assertThat(await(client.probe())).isFalse();
    }

    // ---- webhooks ---------------------------------------------------------------------------

    @Test
    void aGenuineWebhookReportsTheTaskUnderTheIdSubmitReturned() throws Exception {
        upstream.pendingPolls(3).outputs("audio/wav", 1);
        String id = await(client.submit(task("acme/speech", WEBHOOK))).upstreamId();

        TaskUpdate update = client.parseWebhook(upstream.webhook(id).toInbound()).orElseThrow();

        assertThat(update.upstreamId()).isEqualTo(id);
        assertThat(update.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(update.outputs()).singleElement().satisfies(output -> {
            assertThat(output.url().getPath()).endsWith(".wav");
            assertThat(output.expiresAt()).isAfter(Instant.now().plus(Duration.ofMinutes(59)));
        });
    }

    @Test
    void aWebhookForAFailedPredictionIsAFailedTask() throws Exception {
        upstream.failWith("NSFW content detected");
        String id = await(client.submit(task("acme/model", WEBHOOK))).upstreamId();

        TaskUpdate update = client.parseWebhook(upstream.webhook(id).toInbound()).orElseThrow();

        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.error()).isEqualTo("NSFW content detected");
    }

    @Test
    void withoutAConfiguredSecretSubmitFetchesTheAccountsSecretFirst() throws Exception {
        ProviderClient fetching = client(Map.of());

        String id = await(fetching.submit(task("acme/model", WEBHOOK))).upstreamId();

        upstream.server().verify(1, getRequestedFor(urlEqualTo("/v1/webhooks/default/secret"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        assertThat(fetching.parseWebhook(upstream.webhook(id).toInbound())).get()
                .extracting(TaskUpdate::upstreamId).isEqualTo(id);
        await(fetching.submit(task("acme/model", WEBHOOK)));
        upstream.server().verify(1, getRequestedFor(urlEqualTo("/v1/webhooks/default/secret")));
    }

    @Test
    void aWebhookBeforeTheSecretIsKnownIsRefused() throws Exception {
        String id = await(client.submit(task("acme/model", null))).upstreamId();
        ProviderClient cold = client(Map.of());

        assertThatThrownBy(() -> cold.parseWebhook(upstream.webhook(id).toInbound()))
                .isInstanceOf(WebhookVerificationException.class).hasMessageContaining("not loaded yet");
    }

    @Test
    void refusesWebhooksSignedWithAnotherSecretOrAlteredOrUnsigned() throws Exception {
        String id = await(client.submit(task("acme/model", WEBHOOK))).upstreamId();
        MockWebhook genuine = upstream.webhook(id);

        assertRefused(upstream.badlySignedWebhook(id), "signature does not match");
        assertRefused(genuine.withBody(genuine.body().length == 0 ? new byte[1]
                : new String(genuine.body(), StandardCharsets.UTF_8).replace("succeeded", "failed").getBytes(StandardCharsets.UTF_8)),
                "signature does not match");
        for (String header : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
            assertRefused(genuine.withoutHeader(header), header);
        }
        Map<String, String> garbled = new HashMap<>(genuine.headers());
        garbled.put("webhook-signature", "v1,not-base64!! v2,abc");
        assertRefused(new MockWebhook(genuine.url(), garbled, genuine.body()), "signature does not match");
        assertThat(client.parseWebhook(genuine.toInbound())).isPresent();
    }

    @Test
    void refusesWebhooksSignedMoreThanFiveMinutesAwayFromTheClock() throws Exception {
        String id = await(client.submit(task("acme/model", WEBHOOK))).upstreamId();
        Instant now = Instant.now();

        assertRefused(upstream.webhook(id, now.minus(Duration.ofMinutes(6))), "minutes from now");
        assertRefused(upstream.webhook(id, now.plus(Duration.ofMinutes(6))), "minutes from now");
        assertThat(client.parseWebhook(upstream.webhook(id, now.minus(Duration.ofMinutes(4))).toInbound())).isPresent();
        ProviderClient later = new ReplicateClient(config(URI.create(upstream.baseUrl()), TIMEOUT,
                Map.of(ReplicateClient.WEBHOOK_SECRET_OPTION, upstream.webhookSecret())), transport, JSON,
                Clock.fixed(now.plus(Duration.ofMinutes(10)), ZoneOffset.UTC));
        assertThatThrownBy(() -> later.parseWebhook(upstream.webhook(id, now).toInbound()))
                .isInstanceOf(WebhookVerificationException.class);
    }

    @Test
    void aSignedBodyThatIsNotAPredictionIsRefused() throws Exception {
        String id = await(client.submit(task("acme/model", WEBHOOK))).upstreamId();
        MockWebhook genuine = upstream.webhook(id);
        byte[] body = "not json".getBytes(StandardCharsets.UTF_8);
        MockWebhook signed = new MockWebhook(genuine.url(), resign(genuine.headers(), body), body);

        assertRefused(signed, "not a prediction");
    }

    @Test
    void aSecretThatIsNotBase64IsAConfigurationErrorThatDoesNotRepeatIt() {
        String secret = "whsec_%%%not-base64-" + API_KEY;

        assertThatThrownBy(() -> client(Map.of(ReplicateClient.WEBHOOK_SECRET_OPTION, secret)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("webhook-secret")
                .hasMessageNotContaining("not-base64").hasMessageNotContaining(API_KEY);
    }

    @Test
    void theProviderIsFoundByItsCatalogType() {
        ModelProvider provider = ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(candidate -> candidate.type().equals("replicate")).findFirst().orElseThrow();

        ProviderClient created = provider.create(config(null, TIMEOUT, Map.of()), transport);

        assertThat(created).isInstanceOf(ReplicateClient.class);
        assertThat(created.toString()).contains(ReplicateClient.DEFAULT_BASE_URL.toString()).doesNotContain(API_KEY);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private ProviderClient client(Map<String, String> options) {
        return new ReplicateClient(config(URI.create(upstream.baseUrl()), TIMEOUT, options), transport, JSON, Clock.systemUTC());
    }

    private static ProviderConfig config(URI baseUrl, Duration timeout, Map<String, String> options) {
        return new ProviderConfig("replicate-1", "replicate", baseUrl, API_KEY, timeout, options);
    }

    private static TaskRequest task(String model, URI webhook) {
        return new TaskRequest(Operation.IMAGES, model, Map.of("prompt", "a red fox", "num_outputs", 2), List.of(), webhook);
    }

    private void stubPrediction(String id, String fields) {
        upstream.server().stubFor(get("/v1/predictions/" + id).atPriority(1).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":\"" + id + "\"," + fields + "}")));
    }

    private LoggedRequest onlyRequest() {
        List<LoggedRequest> requests = upstream.server().findAll(anyRequestedFor(anyUrl()));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    private void assertRefused(MockWebhook webhook, String reason) {
        InboundWebhook inbound = webhook.toInbound();
        assertThatThrownBy(() -> client.parseWebhook(inbound)).isInstanceOf(WebhookVerificationException.class)
                .hasMessageContaining(reason).hasMessageNotContaining(upstream.webhookSecret().substring(6));
    }

    /** Signs {@code body} as Replicate would, for bodies the mock would never send. */
    private Map<String, String> resign(Map<String, String> headers, byte[] body) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(upstream.webhookSecret().substring(6)), "HmacSHA256"));
        mac.update((headers.get("webhook-id") + "." + headers.get("webhook-timestamp") + ".").getBytes(StandardCharsets.UTF_8));
        Map<String, String> signed = new HashMap<>(headers);
        signed.put("webhook-signature", "v1," + java.util.Base64.getEncoder().encodeToString(mac.doFinal(body)));
        return signed;
    }

    private static JsonNode readTree(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The future's failure, which must be a ProviderException itself (not wrapped). */
    private static ProviderException failure(CompletableFuture<?> future) {
        Throwable failure;
        try {
            failure = future.handle((value, error) -> error).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("neither succeeded nor failed in time", e);
        }
        assertThat(failure).as("should have failed").isInstanceOf(ProviderException.class);
        assertThat(failure.getMessage()).doesNotContain(API_KEY);
        return (ProviderException) failure;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
