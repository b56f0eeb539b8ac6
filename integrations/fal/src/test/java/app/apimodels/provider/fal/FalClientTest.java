package app.apimodels.provider.fal;

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
import app.apimodels.testkit.MockFalUpstream;
import app.apimodels.testkit.MockMedia;
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

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fal client against {@link MockFalUpstream}, over the JDK transport: the testkit's
 * task-provider contract, plus what is particular to fal's queue API.
 */
class FalClientTest extends TaskProviderContract<MockFalUpstream> {

    private static final String API_KEY = "3f9c2b1e-7a4d-4e8f-9b6c-1d2e3f4a5b6c:8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f";
    private static final String MODEL = "fal-ai/flux/dev";
    private static final String APP = "fal-ai/flux";
    private static final URI WEBHOOK = URI.create("https://gateway.example/webhooks/providers/fal-1?task=t1");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected MockFalUpstream startUpstream() {
        return new MockFalUpstream();
    }

    @Override
    protected HttpTransport createTransport() {
        return new JdkHttpTransport(TransportOptions.defaults());
    }

    @Override
    protected ProviderClient createClient(URI baseUrl, Duration timeout, Clock clock) {
        return new FalClient(config(baseUrl, timeout, Map.of(FalClient.JWKS_URL_OPTION, upstream().jwksUrl())), transport(), JSON, clock);
    }

    @Override
    protected String apiKey() {
        return API_KEY;
    }

    @Override
    protected String type() {
        return "fal";
    }

    @Override
    protected String model() {
        return MODEL;
    }

    /** fal's ids are {@code <app>/requests/<request id>}; the mock knows the request id. */
    @Override
    protected String mockTaskId(String upstreamId) {
        return requestIdOf(upstreamId);
    }

    // ---- submitting -------------------------------------------------------------------------

    @Test
    void submitsTheInputToTheModelPathAndNamesTheRequestUnderItsApp() throws Exception {
        TaskUpdate update = await(client().submit(task(MODEL, null)));

        LoggedRequest sent = onlyRequest();
        assertThat(sent.getMethod().getName()).isEqualTo("POST");
        assertThat(sent.getUrl()).isEqualTo("/" + MODEL);
        assertThat(sent.getHeader("Authorization")).isEqualTo("Key " + API_KEY);
        JsonNode body = JSON.readTree(sent.getBody());
        assertThat(body.get("prompt").asText()).isEqualTo("a red fox");
        assertThat(body.get("num_images").asInt()).isEqualTo(2);
        String requestId = upstream().submissions().get(0).id();
        assertThat(update.state()).isEqualTo(TaskState.QUEUED);
        assertThat(update.upstreamId()).isEqualTo(APP + "/requests/" + requestId);
    }

    @Test
    void givesFalTheWebhookUrlWithTheAppAdded() throws Exception {
        await(client().submit(task(MODEL, WEBHOOK)));
        await(client().submit(task("fal-ai/kling-video/v2/master/text-to-video", URI.create("https://gateway.example/hook"))));
        await(client().submit(task(MODEL, null)));

        List<MockSubmission> submissions = upstream().submissions();
        assertThat(submissions.get(0).webhookUrl()).isEqualTo(URI.create(WEBHOOK + "&fal_app=fal-ai%2Fflux"));
        assertThat(submissions.get(1).webhookUrl()).isEqualTo(URI.create("https://gateway.example/hook?fal_app=fal-ai%2Fkling-video"));
        assertThat(submissions.get(2).webhookUrl()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"flux", "fal-ai/../admin", "fal-ai//flux", "/fal-ai/flux", "fal-ai/flux?x=1", ""})
    void refusesModelIdsThatAreNotFalPaths(String model) {
        assertThat(failure(client().submit(task(model, null))).kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
        assertThat(upstream().server().getAllServeEvents()).isEmpty();
    }

    // ---- polling ----------------------------------------------------------------------------

    @Test
    void pollsStatusUnderTheAppThenFetchesTheResult() throws Exception {
        upstream().pendingPolls(2).outputs("image/png", 2);
        String id = await(client().submit(task(MODEL, null))).upstreamId();

        assertThat(await(client().poll(id)).state()).isEqualTo(TaskState.QUEUED);
        assertThat(await(client().poll(id)).state()).isEqualTo(TaskState.RUNNING);
        TaskUpdate done = await(client().poll(id));

        assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(done.upstreamId()).isEqualTo(id);
        assertThat(done.usage()).isNull();
        assertThat(done.outputs()).hasSize(2).allSatisfy(output -> {
            assertThat(output.contentType()).isEqualTo("image/png");
            assertThat(output.expiresAt()).isNull();
        });
        upstream().server().verify(3, getRequestedFor(urlEqualTo("/" + id + "/status?logs=0"))
                .withHeader("Authorization", equalTo("Key " + API_KEY)));
        upstream().server().verify(1, getRequestedFor(urlEqualTo("/" + id)));
    }

    @Test
    void findsAVideoFile() throws Exception {
        upstream().pendingPolls(0).outputs("video/mp4", 1);
        String id = await(client().submit(task("fal-ai/veo3", null))).upstreamId();

        assertThat(await(client().poll(id)).outputs()).singleElement().satisfies(output -> {
            assertThat(output.contentType()).isEqualTo("video/mp4");
            assertThat(output.url().getPath()).endsWith(".mp4");
        });
    }

    @Test
    void readsFilesWhereverTheModelPutsThemIncludingDataUris() throws Exception {
        String png = Base64.getEncoder().encodeToString(MockMedia.sample("image/png"));
        stubCompleted("r1", 200, "{\"audio_file\":{\"url\":\"https://v3.fal.media/files/a.mp3\",\"content_type\":\"audio/mpeg\"},"
                + "\"image\":{\"url\":\"data:image/png;base64," + png + "\"},"
                + "\"timings\":{\"inference\":1.2},\"prompt\":\"https://not.a.file/x\"}");

        TaskUpdate done = await(client().poll(APP + "/requests/r1"));

        assertThat(done.outputs()).hasSize(2);
        assertThat(done.outputs().get(0)).isEqualTo(TaskOutput.url(URI.create("https://v3.fal.media/files/a.mp3"), "audio/mpeg", null));
        assertThat(done.outputs().get(1).data()).isEqualTo(MockMedia.sample("image/png"));
        assertThat(done.outputs().get(1).contentType()).isEqualTo("image/png");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "200 | {\"seed\":1,\"images\":[]}                                      | the upstream finished without producing a file",
            "504 | {\"detail\":\"Request timed out\",\"error_type\":\"request_timeout\"} | Request timed out",
            "422 | {\"detail\":[{\"loc\":[\"body\",\"image_size\",\"width\"],\"msg\":\"too large\",\"type\":\"value_error\"}]} | image_size.width: too large"})
    void finishedRequestsWithoutFilesAreFailedTasks(int status, String body, String message) throws Exception {
        stubCompleted("r2", status, body);

        TaskUpdate update = await(client().poll(APP + "/requests/r2"));

        assertThat(update.state()).isEqualTo(TaskState.FAILED);
        assertThat(update.error()).isEqualTo(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "401 | {\"detail\":\"Unauthorized\"}  | UPSTREAM_CONFIG",
            "429 | {\"detail\":\"Too many\"}      | RATE_LIMITED",
            "502 | <html>Bad gateway</html>       | UPSTREAM_ERROR",
            "200 | not json                       | UPSTREAM_ERROR"})
    void aResultThatCannotBeReadIsThePollsFailure(int status, String body, Kind kind) {
        stubCompleted("r3", status, body);

        assertThat(failure(client().poll(APP + "/requests/r3")).kind()).isEqualTo(kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"r1", "fal-ai/flux/r1", "fal-ai/flux/requests/../../x", "fal-ai/flux/requests/r1/status"})
    void pollRefusesIdsItDidNotMake(String upstreamId) {
        assertThat(failure(client().poll(upstreamId)).kind()).isEqualTo(Kind.UPSTREAM_CONFIG);
        assertThat(upstream().server().getAllServeEvents()).isEmpty();
    }

    // ---- cancelling -------------------------------------------------------------------------

    @Test
    void cancelAsksFalToStopTheRequest() throws Exception {
        upstream().pendingPolls(5);
        String id = await(client().submit(task(MODEL, null))).upstreamId();

        await(client().cancel(id));

        upstream().server().verify(putRequestedFor(urlEqualTo("/" + id + "/cancel"))
                .withHeader("Authorization", equalTo("Key " + API_KEY)));
        await(client().cancel(id)); // already cancelled: fal answers 400, nothing is left to stop
    }

    @Test
    void cancelFailsWhenFalDoes() {
        upstream().respondWithError(500);

        assertThat(failure(client().cancel(APP + "/requests/r4")).kind()).isEqualTo(Kind.UPSTREAM_ERROR);
    }

    // ---- failures ---------------------------------------------------------------------------

    @Test
    void aValidationErrorCarriesFalsMessageAndTheField() {
        upstream().respondWithError(422, "ensure this value is less than or equal to 4", "num_images");

        ProviderException failure = failure(client().submit(task(MODEL, null)));

        assertThat(failure.kind()).isEqualTo(Kind.INVALID_REQUEST);
        assertThat(failure.getMessage()).isEqualTo("num_images: ensure this value is less than or equal to 4");
        assertThat(failure.param()).isEqualTo("num_images");
    }

    @Test
    void offersEveryKindOfGeneration() {
        assertThat(client().operations()).containsExactlyInAnyOrder(Operation.IMAGES, Operation.VIDEO, Operation.AUDIO, Operation.SPEECH);
    }

    // ---- webhooks ---------------------------------------------------------------------------

    @Test
    void theWebhookOfACancelledRequestIsAFailedTask() throws Exception {
        String cancelled = await(client().submit(task(MODEL, WEBHOOK))).upstreamId();
        await(client().cancel(cancelled));

        TaskUpdate stopped = client().parseWebhook(upstream().webhook(requestIdOf(cancelled)).toInbound()).orElseThrow();

        assertThat(stopped.state()).isEqualTo(TaskState.FAILED);
        assertThat(stopped.error()).isEqualTo("Request was cancelled");
    }

    @Test
    void submitFetchesTheSigningKeysOnceWithoutCredentials() throws Exception {
        for (int i = 0; i < 4; i++) {
            await(client().submit(task(MODEL, WEBHOOK)));
        }

        // Once per client; the JDK HTTP client may resend an idempotent GET once when the server
        // closed a pooled connection under it, so the mock can count one more — never one per submit.
        upstream().server().verify(com.github.tomakehurst.wiremock.client.WireMock.lessThan(3),
                getRequestedFor(urlEqualTo("/.well-known/jwks.json")));
        upstream().server().verify(0, getRequestedFor(urlEqualTo("/.well-known/jwks.json")).withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.matching(".*")));
    }

    @Test
    void aWebhookBeforeTheKeysAreKnownIsRefused() throws Exception {
        // fal's key endpoint is down, so no background fetch can load the keys in time: deterministic.
        upstream().server().stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/.well-known/jwks.json"))
                .atPriority(1).willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(503)));
        String id = await(client().submit(task(MODEL, null))).upstreamId();

        assertThatThrownBy(() -> client().parseWebhook(upstream().webhook(requestIdOf(id)).toInbound()))
                .isInstanceOf(WebhookVerificationException.class).hasMessageContaining("not loaded yet");
    }

    @Test
    void refusesWebhooksWithoutTheirHeadersOrAppOrWithAGarbledSignatureAndSaysWhy() throws Exception {
        String requestId = requestIdOf(await(client().submit(task(MODEL, WEBHOOK))).upstreamId());
        MockWebhook genuine = upstream().webhook(requestId);

        assertRefused(upstream().badlySignedWebhook(requestId), "signature does not match");
        for (String header : List.of("X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id", "X-Fal-Webhook-Timestamp",
                "X-Fal-Webhook-Signature")) {
            assertRefused(genuine.withoutHeader(header), header);
        }
        assertRefused(withHeader(genuine, "X-Fal-Webhook-Signature", "zz"), "not hex");
        assertRefused(new MockWebhook(URI.create("https://gateway.example/webhooks/providers/fal-1"), genuine.headers(),
                genuine.body()), "fal_app");
        assertThat(client().parseWebhook(genuine.toInbound())).isPresent();
    }

    @Test
    void readsBodiesFalSendsThatTheMockDoesNot() throws Exception {
        OwnSigner signer = new OwnSigner();
        ProviderClient own = client(signer.jwksUrl(), Clock.systemUTC());
        await(own.submit(task(MODEL, WEBHOOK)));
        URI hook = URI.create(WEBHOOK + "&fal_app=fal-ai%2Fflux");

        assertThat(own.parseWebhook(signer.sign(hook, "r7", "{\"request_id\":\"r7\",\"status\":\"OK\",\"payload\":null,"
                + "\"payload_error\":\"Response payload is not JSON serializable\"}"))).as("polling fetches it instead").isEmpty();
        assertThat(own.parseWebhook(signer.sign(hook, "r7", "{\"request_id\":\"r7\",\"status\":\"ERROR\",\"error\":\"Invalid status code: 500\"}")))
                .get().extracting(TaskUpdate::error).isEqualTo("Invalid status code: 500");
        assertThatThrownBy(() -> own.parseWebhook(signer.sign(hook, "r7", "{\"request_id\":\"r8\",\"status\":\"OK\",\"payload\":{}}")))
                .isInstanceOf(WebhookVerificationException.class).hasMessageContaining("different requests");
        assertThatThrownBy(() -> own.parseWebhook(signer.sign(hook, "r7", "{\"request_id\":\"r7\",\"status\":\"MAYBE\"}")))
                .isInstanceOf(WebhookVerificationException.class);
        assertThatThrownBy(() -> own.parseWebhook(signer.sign(hook, "r7", "not json")))
                .isInstanceOf(WebhookVerificationException.class);
    }

    @Test
    void aJwksUrlThatIsNotHttpIsAConfigurationError() {
        assertThatThrownBy(() -> client("file:///etc/passwd", Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jwks-url");
    }

    @Test
    void withoutABaseUrlTheClientCallsFal() {
        ProviderClient created = new FalProvider().create(config(null, TIMEOUT, Map.of()), transport());

        assertThat(created.toString()).contains(FalClient.DEFAULT_BASE_URL.toString());
    }

    // ---- helpers ----------------------------------------------------------------------------

    private ProviderClient client(String jwksUrl, Clock clock) {
        return new FalClient(config(URI.create(upstream().baseUrl()), TIMEOUT, Map.of(FalClient.JWKS_URL_OPTION, jwksUrl)),
                transport(), JSON, clock);
    }

    private static ProviderConfig config(URI baseUrl, Duration timeout, Map<String, String> options) {
        return new ProviderConfig("fal-1", "fal", baseUrl, API_KEY, timeout, options);
    }

    private static TaskRequest task(String model, URI webhook) {
        return new TaskRequest(Operation.IMAGES, model, Map.of("prompt", "a red fox", "num_images", 2), List.of(), webhook);
    }

    private static String requestIdOf(String upstreamId) {
        return upstreamId.substring(upstreamId.lastIndexOf('/') + 1);
    }

    /** A request fal reports completed, whose result answers {@code status} with {@code body}. */
    private void stubCompleted(String requestId, int status, String body) {
        String path = "/" + APP + "/requests/" + requestId;
        upstream().server().stubFor(get(urlPathEqualTo(path + "/status")).atPriority(1).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody("{\"status\":\"COMPLETED\",\"request_id\":\"" + requestId + "\"}")));
        upstream().server().stubFor(get(urlPathEqualTo(path)).atPriority(1).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(body)));
    }

    private LoggedRequest onlyRequest() {
        List<LoggedRequest> requests = upstream().server().findAll(anyRequestedFor(anyUrl()));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    private void assertRefused(MockWebhook webhook, String reason) {
        InboundWebhook inbound = webhook.toInbound();
        assertThatThrownBy(() -> client().parseWebhook(inbound)).isInstanceOf(WebhookVerificationException.class)
                .hasMessageContaining(reason);
    }

    private static MockWebhook withHeader(MockWebhook webhook, String name, String value) {
        Map<String, String> headers = new java.util.HashMap<>(webhook.headers());
        headers.put(name, value);
        return new MockWebhook(webhook.url(), headers, webhook.body());
    }

    /** Signs bodies the mock would never send with a key of our own, published on the mock's server. */
    private final class OwnSigner {
        private final KeyPair key;

        OwnSigner() throws Exception {
            key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            byte[] encoded = key.getPublic().getEncoded();
            String x = Base64.getUrlEncoder().encodeToString(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
            // Padded, as fal's own JWKS has been seen to be.
            upstream().server().stubFor(get("/own-jwks.json").atPriority(1).willReturn(aResponse()
                    .withHeader("Content-Type", "application/json")
                    .withBody("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"}]}")));
        }

        String jwksUrl() {
            return upstream().baseUrl() + "/own-jwks.json";
        }

        InboundWebhook sign(URI url, String requestId, String body) throws Exception {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            String timestamp = Long.toString(Instant.now().getEpochSecond());
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key.getPrivate());
            signer.update(String.join("\n", requestId, "user-1", timestamp, hash).getBytes(StandardCharsets.UTF_8));
            return new InboundWebhook(url, Map.of("x-fal-webhook-request-id", requestId, "x-fal-webhook-user-id", "user-1",
                    "x-fal-webhook-timestamp", timestamp, "x-fal-webhook-signature", HexFormat.of().formatHex(signer.sign())), bytes);
        }
    }

}
