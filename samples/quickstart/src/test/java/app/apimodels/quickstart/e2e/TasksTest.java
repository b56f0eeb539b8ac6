package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.MockReplicateUpstream;
import app.apimodels.testkit.MockSubmission;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generation tasks end to end: the quickstart with the Replicate provider against a mock of
 * Replicate's API, local-disk storage, and a client's callback server.
 */
class TasksTest extends EndToEndTest {

    /** 0.04 credits per image. */
    static final long PER_IMAGE = 40_000;

    final MockReplicateUpstream replicate = new MockReplicateUpstream();
    final CallbackReceiver callbacks = new CallbackReceiver();

    static String catalog(MockReplicateUpstream replicate) {
        return """
                providers:
                  - id: rep
                    type: replicate
                    base-url: %s
                    api-key: r8_test_upstream_key_123
                    timeout-seconds: 10
                    options: { webhook-secret: "${TEST_REPLICATE_WEBHOOK_SECRET}" }
                models:
                  - id: test-image
                    kind: image
                    routes: [ { provider: rep, upstream-model: owner/image-model, priority: 1, weight: 1 } ]
                    price: { per-image: 0.04 }
                  - id: test-video
                    kind: video
                    timeout-seconds: 1
                    routes: [ { provider: rep, upstream-model: owner/video-model, priority: 1, weight: 1 } ]
                    price: { per-second: 0.1 }
                """.formatted(replicate.baseUrl());
    }

    /**
     * Settings for a gateway using {@link #catalog}: the mock's secret comes in through
     * configuration (as a deployment's environment would), fast polling, the mocks' hosts allowed.
     */
    static Map<String, String> settings(MockReplicateUpstream replicate, CallbackReceiver callbacks) {
        return new java.util.HashMap<>(Map.of(
                "TEST_REPLICATE_WEBHOOK_SECRET", replicate.webhookSecret(),
                "apimodels.fetch.allowed-private-hosts", URI.create(replicate.baseUrl()).getAuthority() + "," + callbacks.hostPort(),
                "apimodels.jobs.poll-interval-ms", "50",
                "apimodels.tasks.poll-initial-ms", "50",
                "apimodels.tasks.poll-max-ms", "200"));
    }

    @BeforeEach
    void start() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, catalog(replicate), dir, settings(replicate, callbacks));
    }

    @AfterEach
    void stopMocks() {
        replicate.close();
        callbacks.close();
    }

    String submit(Gateway.User u, String body) {
        HttpResponse<String> r = gateway.send("POST", "/api/v1/images/generations", u.key(), body);
        Gateway.expect(r, 200);
        JsonNode json = Gateway.json(r);
        assertThat(json.get("code").asInt()).isEqualTo(200);
        assertThat(json.get("data").get("state").asText()).isEqualTo("pending");
        return json.get("data").get("taskId").asText();
    }

    JsonNode task(Gateway.User u, String kind, String taskId) {
        HttpResponse<String> r = gateway.send("GET", "/api/v1/" + kind + "/generations?task_id=" + taskId, u.key(), null);
        Gateway.expect(r, 200);
        return Gateway.json(r).get("data");
    }

    /** The callback, after checking its signature with the account's secret. */
    JsonNode signedCallback(Gateway.User u) throws Exception {
        CallbackReceiver.Call call = callbacks.next(30);
        String secret = Gateway.json(gateway.send("GET", "/api/v1/account/webhook-secret", u.key(), null)).get("webhook_secret").asText();
        assertThat(call.signature()).matches("t=\\d+,v1=[0-9a-f]{64}");
        String t = call.signature().substring(2, call.signature().indexOf(','));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal((t + "." + call.body()).getBytes(StandardCharsets.UTF_8)));
        assertThat(call.signature()).endsWith(",v1=" + expected);
        return Gateway.JSON.readTree(call.body()).get("data");
    }

    HttpResponse<byte[]> download(String url, String key, String range) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (range != null) {
            b.header("Range", range);
        }
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void completesByPollingRehostsOutputsCallsBackAndChargesPerImage() throws Exception {
        replicate.pendingPolls(2).outputs("image/png", 2);
        Gateway.User u = gateway.user(1_000_000);
        String id = submit(u, "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"n\":2,\"callback_url\":\"" + callbacks.url() + "\"}");
        assertThat(replicate.submissions()).singleElement().satisfies(s -> {
            assertThat(s.input()).containsEntry("prompt", "a cat");
            assertThat(s.webhookUrl().toString()).startsWith(gateway.baseUrl() + "/webhooks/providers/rep");
        });

        JsonNode done = signedCallback(u);
        assertThat(done.get("taskId").asText()).isEqualTo(id);
        assertThat(done.get("state").asText()).isEqualTo("completed");
        assertThat(done.get("completeTime").asLong()).isGreaterThanOrEqualTo(done.get("createTime").asLong());
        assertThat(done.get("resultUrls")).hasSize(2);

        // The upstream deletes its copies: ours still serve the same bytes, to anyone with the link.
        replicate.deleteOutputs();
        for (JsonNode url : done.get("resultUrls")) {
            assertThat(url.asText()).startsWith(gateway.baseUrl() + "/media/file_").doesNotContain(URI.create(replicate.baseUrl()).getAuthority());
            HttpResponse<byte[]> file = download(url.asText(), null, null);
            assertThat(file.statusCode()).isEqualTo(200);
            assertThat(file.headers().firstValue("Content-Type")).hasValue("image/png");
            assertThat(file.body()).isEqualTo(MockMedia.sample("image/png"));
            HttpResponse<byte[]> part = download(url.asText(), null, "bytes=1-3");
            assertThat(part.statusCode()).isEqualTo(206);
            assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(MockMedia.sample("image/png"), 1, 4));
            // Without the signature only the owner's key opens it; anyone else gets a 404.
            String unsigned = url.asText().substring(0, url.asText().indexOf('?'));
            assertThat(download(unsigned, null, null).statusCode()).isEqualTo(404);
            assertThat(download(unsigned, gateway.user(0).key(), null).statusCode()).isEqualTo(404);
            assertThat(download(unsigned, u.key(), null).statusCode()).isEqualTo(200);
        }
        assertThat(task(u, "images", id).get("resultUrls")).isEqualTo(done.get("resultUrls"));
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 2 * PER_IMAGE);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void completesByTheProvidersSignedWebhook() throws Exception {
        replicate.pendingPolls(100_000);
        Gateway.User u = gateway.user(1_000_000);
        String id = submit(u, "{\"model\":\"test-image\",\"prompt\":\"a dog\",\"callback_url\":\"" + callbacks.url() + "\"}");
        MockSubmission s = replicate.submissions().get(0);
        assertThat(gateway.held(u)).isEqualTo(PER_IMAGE);

        assertThat(replicate.badlySignedWebhook(s.id()).deliver()).isEqualTo(401);
        assertThat(task(u, "images", id).get("state").asText()).isEqualTo("pending");
        assertThat(replicate.webhook(s.id()).deliver()).isEqualTo(200);

        JsonNode done = signedCallback(u);
        assertThat(done.get("state").asText()).isEqualTo("completed");
        assertThat(done.get("resultUrls")).hasSize(1);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - PER_IMAGE);
    }

    @Test
    void aFailedTaskCostsNothingAndSaysWhy() throws Exception {
        replicate.failWith("NSFW content detected");
        Gateway.User u = gateway.user(1_000_000);
        String id = submit(u, "{\"model\":\"test-image\",\"prompt\":\"x\",\"callback_url\":\"" + callbacks.url() + "\"}");
        JsonNode done = signedCallback(u);
        assertThat(done.get("state").asText()).isEqualTo("failed");
        assertThat(done.get("failMsg").asText()).contains("NSFW content detected");
        assertThat(done.get("resultUrls")).isEmpty();
        assertThat(task(u, "images", id).get("state").asText()).isEqualTo("failed");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aTaskPastItsTimeoutFailsUnchargedAndIsCancelledUpstream() throws Exception {
        replicate.pendingPolls(100_000);
        Gateway.User u = gateway.user(1_000_000);
        HttpResponse<String> r = gateway.send("POST", "/api/v1/video/generations", u.key(),
                "{\"model\":\"test-video\",\"prompt\":\"waves\",\"duration\":5,\"callback_url\":\"" + callbacks.url() + "\"}");
        Gateway.expect(r, 200);
        assertThat(gateway.held(u)).isEqualTo(500_000);
        JsonNode done = signedCallback(u);
        assertThat(done.get("state").asText()).isEqualTo("failed");
        assertThat(done.get("failMsg").asText()).contains("did not finish within");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
        replicate.server().verify(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                com.github.tomakehurst.wiremock.client.WireMock.urlMatching("/v1/predictions/.*/cancel")));
    }

    @Test
    void aRestartInTheMiddleResumesTheTask() throws Exception {
        replicate.pendingPolls(100_000);
        Gateway.User u = gateway.user(1_000_000);
        String id = submit(u, "{\"model\":\"test-image\",\"prompt\":\"a bird\",\"callback_url\":\"" + callbacks.url() + "\"}");
        gateway = gateway.restart();
        assertThat(task(u, "images", id).get("state").asText()).isEqualTo("pending");
        assertThat(replicate.webhook(replicate.submissions().get(0).id()).deliver()).isEqualTo(200);
        JsonNode done = signedCallback(u);
        assertThat(done.get("state").asText()).isEqualTo("completed");
        assertThat(download(done.get("resultUrls").get(0).asText(), null, null).body()).isEqualTo(MockMedia.sample("image/png"));
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - PER_IMAGE);
    }

    @Test
    void callbacksAreRetriedUntilTheClientAccepts() throws Exception {
        replicate.pendingPolls(0);
        callbacks.refuseNext(1);
        Gateway.User u = gateway.user(1_000_000);
        submit(u, "{\"model\":\"test-image\",\"prompt\":\"a fox\",\"callback_url\":\"" + callbacks.url() + "\"}");
        JsonNode first = signedCallback(u);
        JsonNode second = signedCallback(u);
        assertThat(second).isEqualTo(first);
        assertThat(second.get("state").asText()).isEqualTo("completed");
    }

    @Test
    void tasksAreTheirOwnersOnly() {
        replicate.pendingPolls(100_000);
        Gateway.User owner = gateway.user(1_000_000);
        Gateway.User other = gateway.user(1_000_000);
        String id = submit(owner, "{\"model\":\"test-image\",\"prompt\":\"mine\"}");
        Gateway.expect(gateway.send("GET", "/api/v1/images/generations?task_id=" + id, other.key(), null), 404);
        Gateway.expect(gateway.send("GET", "/api/v1/video/generations?task_id=" + id, owner.key(), null), 404);
        Gateway.expect(gateway.send("GET", "/api/v1/images/generations?task_id=task_nope", owner.key(), null), 404);
        JsonNode err = Gateway.json(gateway.send("GET", "/api/v1/images/generations?task_id=" + id, other.key(), null));
        assertThat(err.get("code").asInt()).isEqualTo(404);
        assertThat(err.has("data")).isTrue();
    }

    @Test
    void badParametersAreRefusedNamingTheFieldAndHoldNothing() {
        Gateway.User u = gateway.user(1_000_000);
        Map<String, String> cases = Map.of(
                "{\"model\":\"test-image\"}", "prompt",
                "{\"model\":\"test-image\",\"prompt\":\"x\",\"n\":11}", "n",
                "{\"model\":\"test-image\",\"prompt\":\"x\",\"n\":1.5}", "n",
                "{\"model\":\"test-image\",\"prompt\":\"x\",\"colour\":\"red\"}", "colour",
                "{\"model\":\"test-image\",\"prompt\":7}", "prompt",
                "{\"model\":\"test-video\",\"prompt\":\"x\"}", "model",
                "{\"model\":\"test-image\",\"prompt\":\"x\",\"callback_url\":\"http://10.1.2.3/hook\"}", "callback_url",
                "{\"model\":\"test-image\",\"prompt\":\"x\",\"image_url\":\"http://169.254.169.254/latest/meta-data\"}", "image_url");
        cases.forEach((body, field) -> {
            HttpResponse<String> r = gateway.send("POST", "/api/v1/images/generations", u.key(), body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(Gateway.json(r).get("msg").asText()).as(body).contains(field);
        });
        assertThat(replicate.submissions()).isEmpty();
        assertThat(gateway.held(u)).isZero();
        Gateway.expect(gateway.send("POST", "/api/v1/images/generations", gateway.user(100).key(),
                "{\"model\":\"test-image\",\"prompt\":\"x\"}"), 402);
    }
}
