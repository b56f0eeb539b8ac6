package app.apimodels.provider.replicate;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderException.Kind;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import app.apimodels.testkit.MockReplicateUpstream;
import app.apimodels.testkit.MockSubmission;
import app.apimodels.testkit.MockWebhook;
import app.apimodels.testkit.TaskProviderContract;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Replicate client against {@link MockReplicateUpstream}, over the JDK transport: the testkit's
 * task-provider contract, plus what is particular to Replicate's API.
 */
class ReplicateClientTest extends TaskProviderContract<MockReplicateUpstream> {

    private static final String API_KEY = "r8_Kq3vT9mXw2ZpL7sN4bY6cD1fG8hJ0aE5uR";
    private static final String VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
    private static final URI WEBHOOK = URI.create("https://gateway.example/webhooks/providers/replicate-1?task=t1");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected MockReplicateUpstream startUpstream() {
        return new MockReplicateUpstream();
    }

    @Override
    protected HttpTransport createTransport() {
        return new JdkHttpTransport(TransportOptions.defaults());
    }

    @Override
    protected ProviderClient createClient(URI baseUrl, Duration timeout, Clock clock) {
        return new ReplicateClient(config(baseUrl, timeout, Map.of(ReplicateClient.WEBHOOK_SECRET_OPTION, upstream().webhookSecret())),
                transport(), JSON, clock);
    }

    @Override
    protected String apiKey() {
        return API_KEY;
    }

    @Override
    protected String type() {
        return "replicate";
    }

    @Override
    protected String model() {
        return "acme/model";
    }

    // ---- submitting -------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
            "black-forest-labs/flux-schnell, /v1/models/black-forest-labs/flux-schnell/predictions, ",
            "deployment:acme/flux-prod, /v1/deployments/acme/flux-prod/predictions, ",
            "stability-ai/sdxl:" + VERSION + ", /v1/predictions, " + VERSION,
            VERSION + ", /v1/predictions, " + VERSION})
    void submitsEachNotationWhereReplicateExpectsIt(String model, String path, String version) throws Exception {
        TaskUpdate update = await(client().submit(task(model, null)));

        LoggedRequest sent = onlyRequest();
        assertThat(sent.getMethod().getName()).isEqualTo("POST");
        assertThat(sent.getUrl()).isEqualTo(path);
        assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        JsonNode body = JSON.readTree(sent.getBody());
        assertThat(body.path("version").isMissingNode() ? null : body.get("version").asText()).isEqualTo(version);
        assertThat(body.get("input").get("prompt").asText()).isEqualTo("a red fox");
        assertThat(body.get("input").get("num_outputs").asInt()).isEqualTo(2);
        assertThat(update.state()).isEqualTo(TaskState.QUEUED);
        assertThat(update.upstreamId()).isEqualTo(upstream().submissions().get(0).id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"flux-schnell", "owner/name/extra", "owner/name:notahexversion", "deployment:owner/name:" + VERSION, ""})
    void refusesNotationsReplicateHasNoPlaceFor(String model) {
        ProviderException failure = failure(client().submit(task(model, null)));

        assertThat(failure.kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
        assertThat(upstream().server().getAllServeEvents()).isEmpty();
    }

    @Test
    void asksForTheCompletedWebhookOnlyWhenGivenAUrl() throws Exception {
        await(client().submit(task("acme/model", WEBHOOK)));
        await(client().submit(task("acme/model", null)));

        List<MockSubmission> submissions = upstream().submissions();
        assertThat(submissions.get(0).webhookUrl()).isEqualTo(WEBHOOK);
        assertThat(submissions.get(1).webhookUrl()).isNull();
        List<JsonNode> bodies = upstream().server().findAll(postRequestedFor(urlPathMatching("/v1/models/.*"))).stream()
                .map(request -> readTree(request.getBody())).toList();
        assertThat(bodies.get(0).get("webhook_events_filter").toString()).isEqualTo("[\"completed\"]");
        assertThat(bodies.get(1).has("webhook")).isFalse();
        assertThat(bodies.get(1).has("webhook_events_filter")).isFalse();
    }

    // ---- polling ----------------------------------------------------------------------------

    @Test
    void aStartedPredictionIsRunningAndItsOutputsExpireAnHourAfterCompletion() throws Exception {
        upstream().pendingPolls(1);
        String id = await(client().submit(task("acme/model", null))).upstreamId();
        Instant before = Instant.now();

        assertThat(await(client().poll(id)).state()).isEqualTo(TaskState.RUNNING);
        TaskUpdate done = await(client().poll(id));

        Instant after = Instant.now();
        assertThat(done.usage()).isNull();
        assertThat(done.outputs()).singleElement().satisfies(output -> assertThat(output.expiresAt())
                .isBetween(before.plus(Predictions.OUTPUT_RETENTION).minusSeconds(1), after.plus(Predictions.OUTPUT_RETENTION)));
    }

    @Test
    void collectsEveryFileOfAListOutput() throws Exception {
        upstream().pendingPolls(0).outputs("video/mp4", 3);
        String id = await(client().submit(task("acme/video", null))).upstreamId();

        TaskUpdate done = await(client().poll(id));

        assertThat(done.outputs()).hasSize(3).allSatisfy(output -> assertThat(output.url().getPath()).endsWith(".mp4"));
        assertThat(done.outputs().stream().map(TaskOutput::url).distinct()).hasSize(3);
    }

    @Test
    void collectsFileUrlsFromAnObjectOutputAndNothingElse() throws Exception {
        stubPrediction("p1", "\"status\":\"succeeded\",\"completed_at\":\"2025-03-01T10:00:00.123456+00:00\","
                + "\"output\":{\"images\":[\"https://replicate.delivery/a.png\"],\"audio\":\"https://replicate.delivery/b.wav\","
                + "\"caption\":\"a fox\",\"seed\":7}");

        TaskUpdate done = await(client().poll("p1"));

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

        TaskUpdate update = await(client().poll("p2"));

        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.error()).isEqualTo(message);
    }

    @Test
    void anUnknownStatusOrAMalformedAnswerIsAnUpstreamError() {
        stubPrediction("p3", "\"status\":\"thinking\"");
        upstream().server().stubFor(get("/v1/predictions/p4").atPriority(1)
                .willReturn(aResponse().withStatus(200).withBody("<html>oops</html>")));

        assertThat(failure(client().poll("p3")).kind()).isEqualTo(Kind.UPSTREAM_ERROR);
        assertThat(failure(client().poll("p4")).kind()).isEqualTo(Kind.UPSTREAM_ERROR);
    }

    @Test
    void upstreamIdsCannotReachOtherPaths() {
        failure(client().poll("../account"));

        assertThat(upstream().server().findAll(getRequestedFor(urlEqualTo("/v1/account")))).isEmpty();
        assertThat(upstream().server().findAll(getRequestedFor(urlEqualTo("/v1/predictions/..%2Faccount")))).hasSize(1);
    }

    // ---- cancelling -------------------------------------------------------------------------

    @Test
    void cancelStopsThePrediction() throws Exception {
        upstream().pendingPolls(5);
        String id = await(client().submit(task("acme/model", null))).upstreamId();

        await(client().cancel(id));

        upstream().server().verify(postRequestedFor(urlEqualTo("/v1/predictions/" + id + "/cancel"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        assertThat(await(client().poll(id)).state()).isEqualTo(TaskState.CANCELED);
    }

    // ---- failures ---------------------------------------------------------------------------

    @Test
    void aValidationErrorCarriesReplicatesDetailAndTheField() {
        upstream().respondWithError(422, "- input.num_outputs: Must be less than or equal to 4", "num_outputs");

        ProviderException failure = failure(client().submit(task("acme/model", null)));

        assertThat(failure.kind()).isEqualTo(Kind.INVALID_REQUEST);
        assertThat(failure.upstreamStatus()).isEqualTo(422);
        assertThat(failure.getMessage()).isEqualTo("- input.num_outputs: Must be less than or equal to 4");
        assertThat(failure.param()).isEqualTo("num_outputs");
    }

    @Test
    void aRateLimitSaysWhenToRetry() {
        upstream().respondWithError(429, "Request was throttled. Your rate limit resets in ~1s.", null);

        assertThat(failure(client().submit(task("acme/model", null))).getMessage())
                .isEqualTo("upstream rate limit reached (HTTP 429); retry after 1 s");
    }

    @Test
    void offersEveryKindOfGeneration() {
        assertThat(client().operations()).containsExactlyInAnyOrder(Operation.IMAGES, Operation.VIDEO, Operation.AUDIO, Operation.SPEECH);
    }

    @Test
    void probeChecksTheCredentials() throws Exception {
        assertThat(await(client().probe())).isTrue();
        upstream().server().verify(getRequestedFor(urlEqualTo("/v1/account")).withHeader("Authorization", equalTo("Bearer " + API_KEY)));

        upstream().respondWithError(401);
        assertThat(await(client().probe())).isFalse();
    }

    // ---- webhooks ---------------------------------------------------------------------------

    @Test
    void outputsReportedByWebhookExpireAnHourAfterCompletion() throws Exception {
        String id = await(client().submit(task("acme/speech", WEBHOOK))).upstreamId();

        TaskUpdate update = client().parseWebhook(upstream().webhook(id).toInbound()).orElseThrow();

        assertThat(update.outputs()).singleElement().satisfies(output ->
                assertThat(output.expiresAt()).isAfter(Instant.now().plus(Duration.ofMinutes(59))));
    }

    @Test
    void withoutAConfiguredSecretSubmitFetchesTheAccountsSecretFirst() throws Exception {
        ProviderClient fetching = client(Map.of());

        String id = await(fetching.submit(task("acme/model", WEBHOOK))).upstreamId();

        upstream().server().verify(com.github.tomakehurst.wiremock.client.WireMock.moreThanOrExactly(1),
                getRequestedFor(urlEqualTo("/v1/webhooks/default/secret")).withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        assertThat(fetching.parseWebhook(upstream().webhook(id).toInbound())).get()
                .extracting(TaskUpdate::upstreamId).isEqualTo(id);
        await(fetching.submit(task("acme/model", WEBHOOK)));
        await(fetching.submit(task("acme/model", WEBHOOK)));
        // Once per client, not per submit (the JDK client may resend a GET once on a closed pooled connection).
        upstream().server().verify(com.github.tomakehurst.wiremock.client.WireMock.lessThan(3),
                getRequestedFor(urlEqualTo("/v1/webhooks/default/secret")));
    }

    @Test
    void aWebhookBeforeTheSecretIsKnownIsRefused() throws Exception {
        String id = await(client().submit(task("acme/model", null))).upstreamId();
        // The secret endpoint is down, so no background fetch can load it in time: deterministic.
        upstream().server().stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/v1/webhooks/default/secret"))
                .atPriority(1).willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(503)));
        ProviderClient cold = client(Map.of());

        assertThatThrownBy(() -> cold.parseWebhook(upstream().webhook(id).toInbound()))
                .isInstanceOf(WebhookVerificationException.class).hasMessageContaining("not loaded yet");
    }

    @Test
    void refusesWebhooksWithoutTheirHeadersOrWithAGarbledSignatureAndSaysWhy() throws Exception {
        String id = await(client().submit(task("acme/model", WEBHOOK))).upstreamId();
        MockWebhook genuine = upstream().webhook(id);

        assertRefused(upstream().badlySignedWebhook(id), "signature does not match");
        for (String header : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
            assertRefused(genuine.withoutHeader(header), header);
        }
        Map<String, String> garbled = new HashMap<>(genuine.headers());
        garbled.put("webhook-signature", "v1,not-base64!! v2,abc");
        assertRefused(new MockWebhook(genuine.url(), garbled, genuine.body()), "signature does not match");
        assertThat(client().parseWebhook(genuine.toInbound())).isPresent();
    }

    @Test
    void aSignedBodyThatIsNotAPredictionIsRefused() throws Exception {
        String id = await(client().submit(task("acme/model", WEBHOOK))).upstreamId();
        MockWebhook genuine = upstream().webhook(id);
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
    void withoutABaseUrlTheClientCallsReplicate() {
        ProviderClient created = new ReplicateProvider().create(config(null, TIMEOUT, Map.of()), transport());

        assertThat(created.toString()).contains(ReplicateClient.DEFAULT_BASE_URL.toString());
    }

    // ---- helpers ----------------------------------------------------------------------------

    private ProviderClient client(Map<String, String> options) {
        return new ReplicateClient(config(URI.create(upstream().baseUrl()), TIMEOUT, options), transport(), JSON, Clock.systemUTC());
    }

    private static ProviderConfig config(URI baseUrl, Duration timeout, Map<String, String> options) {
        return new ProviderConfig("replicate-1", "replicate", baseUrl, API_KEY, timeout, options);
    }

    private static TaskRequest task(String model, URI webhook) {
        return new TaskRequest(Operation.IMAGES, model, Map.of("prompt", "a red fox", "num_outputs", 2), List.of(), webhook);
    }

    private void stubPrediction(String id, String fields) {
        upstream().server().stubFor(get("/v1/predictions/" + id).atPriority(1).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":\"" + id + "\"," + fields + "}")));
    }

    private LoggedRequest onlyRequest() {
        List<LoggedRequest> requests = upstream().server().findAll(anyRequestedFor(anyUrl()));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    private void assertRefused(MockWebhook webhook, String reason) {
        InboundWebhook inbound = webhook.toInbound();
        assertThatThrownBy(() -> client().parseWebhook(inbound)).isInstanceOf(WebhookVerificationException.class)
                .hasMessageContaining(reason).hasMessageNotContaining(upstream().webhookSecret().substring(6));
    }

    /** Signs {@code body} as Replicate would, for bodies the mock would never send. */
    private Map<String, String> resign(Map<String, String> headers, byte[] body) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(upstream().webhookSecret().substring(6)), "HmacSHA256"));
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

}
