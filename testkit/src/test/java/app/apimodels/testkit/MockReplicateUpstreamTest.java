package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** The mock speaks Replicate's format and scripts predictions as asked, checked with a plain HTTP client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MockReplicateUpstreamTest {

    private final MockReplicateUpstream upstream = new MockReplicateUpstream();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @AfterAll
    void close() {
        upstream.close();
    }

    @Test
    void aPredictionStartsProcessesThenSucceedsWithServedFiles() throws Exception {
        upstream.pendingPolls(2);
        Map<String, Object> created = json(send("POST", "/models/acme/flux/predictions", "{\"input\":{\"prompt\":\"fox\"}}"), 201);
        String id = (String) created.get("id");

        assertThat(created.get("status")).isEqualTo("starting");
        assertThat(json(send("GET", "/predictions/" + id, null), 200).get("status")).isEqualTo("processing");
        assertThat(json(send("GET", "/predictions/" + id, null), 200).get("status")).isEqualTo("processing");
        Map<String, Object> done = json(send("GET", "/predictions/" + id, null), 200);

        assertThat(done.get("status")).isEqualTo("succeeded");
        assertThat(done.get("completed_at")).isNotNull();
        HttpResponse<byte[]> file = download((String) done.get("output"));
        assertThat(file.statusCode()).isEqualTo(200);
        assertThat(file.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(file.body()).isEqualTo(MockMedia.sample("image/png"));
        assertThat(upstream.submissions()).singleElement().satisfies(submission -> {
            assertThat(submission.id()).isEqualTo(id);
            assertThat(submission.model()).isEqualTo("acme/flux");
            assertThat(submission.input()).isEqualTo(Map.of("prompt", "fox"));
            assertThat(submission.webhookUrl()).isNull();
        });
    }

    @Test
    void deletedOutputsAnswer404() throws Exception {
        upstream.pendingPolls(0).outputs("video/mp4", 2);
        String id = (String) json(send("POST", "/deployments/acme/video/predictions", "{\"input\":{}}"), 201).get("id");
        @SuppressWarnings("unchecked")
        List<String> outputs = (List<String>) json(send("GET", "/predictions/" + id, null), 200).get("output");

        assertThat(outputs).hasSize(2);
        assertThat(download(outputs.get(1)).statusCode()).isEqualTo(200);
        upstream.deleteOutputs();
        assertThat(download(outputs.get(1)).statusCode()).isEqualTo(404);
        assertThat(upstream.submissions().get(0).model()).isEqualTo("deployment:acme/video");
    }

    @Test
    void signedOutputUrlsSayWhenTheyExpire() throws Exception {
        upstream.pendingPolls(0).signOutputUrls(Duration.ofMinutes(10));
        String id = (String) json(send("POST", "/predictions", "{\"version\":\"abc123\",\"input\":{}}"), 201).get("id");

        String url = (String) json(send("GET", "/predictions/" + id, null), 200).get("output");

        assertThat(url).contains("X-Amz-Expires=600", "X-Amz-Date=", "X-Amz-Signature=");
        assertThat(download(url).statusCode()).isEqualTo(200);
        assertThat(upstream.submissions().get(0).model()).isEqualTo("abc123");
    }

    @Test
    void failuresAndCancellationsEndPredictions() throws Exception {
        upstream.pendingPolls(0).failWith("out of memory");
        String failing = (String) json(send("POST", "/models/a/b/predictions", "{\"input\":{}}"), 201).get("id");
        upstream.pendingPolls(3);
        String cancelled = (String) json(send("POST", "/models/a/b/predictions", "{\"input\":{}}"), 201).get("id");

        Map<String, Object> failed = json(send("GET", "/predictions/" + failing, null), 200);
        Map<String, Object> stopped = json(send("POST", "/predictions/" + cancelled + "/cancel", ""), 200);

        assertThat(failed.get("status")).isEqualTo("failed");
        assertThat(failed.get("error")).isEqualTo("out of memory");
        assertThat(stopped.get("status")).isEqualTo("canceled");
        assertThat(json(send("GET", "/predictions/" + cancelled, null), 200).get("status")).isEqualTo("canceled");
    }

    @Test
    void errorsAreProblemDetailsAndSpareTheFiles() throws Exception {
        upstream.pendingPolls(0);
        String id = (String) json(send("POST", "/models/a/b/predictions", "{\"input\":{}}"), 201).get("id");
        String output = (String) json(send("GET", "/predictions/" + id, null), 200).get("output");
        upstream.respondWithError(422, "prompt is required", "prompt");

        HttpResponse<String> invalid = send("POST", "/models/a/b/predictions", "{\"input\":{}}");

        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(invalid.body()).contains("\"detail\":\"prompt is required\"", "\"status\":422",
                "\"field\":\"input.prompt\"", "\"title\":\"Input validation failed\"");
        assertThat(download(output).statusCode()).isEqualTo(200);
        upstream.respondWithError(429);
        assertThat(send("GET", "/predictions/" + id, null).headers().firstValue("Retry-After")).hasValue("1");
    }

    @Test
    void webhooksAreSignedTheStandardWebhooksWayAndDelivered() throws Exception {
        WireMockServer receiver = new WireMockServer(options().dynamicPort());
        receiver.start();
        try {
            receiver.stubFor(post(urlPathEqualTo("/hook")).willReturn(aResponse().withStatus(204)));
            URI hook = URI.create(receiver.baseUrl() + "/hook?task=1");
            String id = (String) json(send("POST", "/models/a/b/predictions",
                    "{\"input\":{},\"webhook\":\"" + hook + "\",\"webhook_events_filter\":[\"completed\"]}"), 201).get("id");

            MockWebhook webhook = upstream.webhook(id);
            int status = webhook.deliver();

            assertThat(status).isEqualTo(204);
            assertThat(upstream.submissions().get(0).webhookUrl()).isEqualTo(hook);
            LoggedRequest received = receiver.findAll(anyRequestedFor(anyUrl())).get(0);
            assertThat(received.getUrl()).isEqualTo("/hook?task=1");
            assertThat(received.getBody()).isEqualTo(webhook.body());
            assertThat(Json.read(received.getBodyAsString(), Map.class).get("status")).isEqualTo("succeeded");
            assertThat(received.getHeader("webhook-signature")).isEqualTo("v1," + hmac(upstream.webhookSecret(),
                    received.getHeader("webhook-id") + "." + received.getHeader("webhook-timestamp") + ".", received.getBody()));
            assertThat(Long.parseLong(received.getHeader("webhook-timestamp"))).isCloseTo(Instant.now().getEpochSecond(),
                    org.assertj.core.data.Offset.offset(30L));
            assertThat(json(send("GET", "/predictions/" + id, null), 200).get("status")).as("polls agree").isEqualTo("succeeded");
            MockWebhook forged = upstream.badlySignedWebhook(id);
            assertThat(forged.headers().get("webhook-signature")).isNotEqualTo("v1," + hmac(upstream.webhookSecret(),
                    forged.headers().get("webhook-id") + "." + forged.headers().get("webhook-timestamp") + ".", forged.body()));
        } finally {
            receiver.stop();
        }
    }

    @Test
    void servesTheSigningSecret() throws Exception {
        assertThat(json(send("GET", "/webhooks/default/secret", null), 200)).isEqualTo(Map.of("key", upstream.webhookSecret()));
        assertThat(upstream.webhookSecret()).startsWith("whsec_");
    }

    private static String hmac(String secret, String prefix, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update(prefix.getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream.baseUrl() + path))
                .header("Authorization", "Bearer r8_test").header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> download(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return Json.read(response.body(), Map.class);
    }
}
