package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** The mock speaks fal's queue format and scripts requests as asked, checked with a plain HTTP client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MockFalUpstreamTest {

    private final MockFalUpstream upstream = new MockFalUpstream();
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
    void aRequestIsQueuedRunsCompletesAndIsReadUnderItsApp() throws Exception {
        upstream.pendingPolls(2);
        Map<String, Object> queued = json(send("POST", "/fal-ai/flux/dev", "{\"prompt\":\"fox\"}"), 200);
        String id = (String) queued.get("request_id");
        String app = upstream.baseUrl() + "/fal-ai/flux/requests/" + id;

        assertThat(queued).containsEntry("status_url", app + "/status").containsEntry("response_url", app)
                .containsEntry("cancel_url", app + "/cancel");
        assertThat(json(send("GET", "/fal-ai/flux/requests/" + id, null), 400).get("detail")).isEqualTo("Request is still in progress");
        assertThat(json(send("GET", "/fal-ai/flux/requests/" + id + "/status", null), 200).get("status")).isEqualTo("IN_QUEUE");
        assertThat(json(send("GET", "/fal-ai/flux/requests/" + id + "/status", null), 200).get("status")).isEqualTo("IN_PROGRESS");
        assertThat(json(send("GET", "/fal-ai/flux/requests/" + id + "/status?logs=0", null), 200).get("status")).isEqualTo("COMPLETED");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> images = (List<Map<String, Object>>) json(send("GET", "/fal-ai/flux/requests/" + id, null), 200).get("images");

        assertThat(images).singleElement().satisfies(image -> assertThat(image.get("content_type")).isEqualTo("image/png"));
        assertThat(download((String) images.get(0).get("url")).body()).isEqualTo(MockMedia.sample("image/png"));
        assertThat(json(send("GET", "/fal-ai/other/requests/" + id + "/status", null), 404)).containsKey("detail");
        assertThat(upstream.submissions()).singleElement().satisfies(submission -> {
            assertThat(submission.model()).isEqualTo("fal-ai/flux/dev");
            assertThat(submission.input()).isEqualTo(Map.of("prompt", "fox"));
        });
    }

    @Test
    void aFailedRequestAnswersItsResultWithAModelError() throws Exception {
        upstream.pendingPolls(0).failWith("content policy violation");
        String id = (String) json(send("POST", "/fal-ai/flux", "{}"), 200).get("request_id");

        send("GET", "/fal-ai/flux/requests/" + id + "/status", null);
        HttpResponse<String> result = send("GET", "/fal-ai/flux/requests/" + id, null);

        assertThat(result.statusCode()).isEqualTo(422);
        assertThat(result.body()).contains("\"msg\":\"content policy violation\"", "\"loc\":[\"body\"]");
    }

    @Test
    void aVideoResultAndItsDeletion() throws Exception {
        upstream.pendingPolls(0).outputs("video/mp4", 1);
        String id = (String) json(send("POST", "/fal-ai/veo3", "{}"), 200).get("request_id");
        send("GET", "/fal-ai/veo3/requests/" + id + "/status", null);
        @SuppressWarnings("unchecked")
        Map<String, Object> video = (Map<String, Object>) json(send("GET", "/fal-ai/veo3/requests/" + id, null), 200).get("video");

        assertThat(download((String) video.get("url")).statusCode()).isEqualTo(200);
        upstream.deleteOutputs();
        assertThat(download((String) video.get("url")).statusCode()).isEqualTo(404);
    }

    @Test
    void cancellingARequestInTheQueue() throws Exception {
        String id = (String) json(send("POST", "/fal-ai/flux", "{}"), 200).get("request_id");

        assertThat(json(send("PUT", "/fal-ai/flux/requests/" + id + "/cancel", null), 202)).containsEntry("status", "CANCELLATION_REQUESTED");
        assertThat(json(send("PUT", "/fal-ai/flux/requests/" + id + "/cancel", null), 400)).containsEntry("status", "ALREADY_COMPLETED");
    }

    @Test
    void errorsCarryADetail() throws Exception {
        upstream.respondWithError(422, "field required", "prompt");

        HttpResponse<String> invalid = send("POST", "/fal-ai/flux", "{}");
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(invalid.body()).startsWith("{\"detail\":[{").contains("\"loc\":[\"body\",\"prompt\"]", "\"msg\":\"field required\"");
        upstream.respondWithError(401, "Unauthorized", null);
        assertThat(send("POST", "/fal-ai/flux", "{}").body()).isEqualTo("{\"detail\":\"Unauthorized\"}");
    }

    @Test
    void webhooksAreSignedWithThePublishedKeyAndDelivered() throws Exception {
        WireMockServer receiver = new WireMockServer(options().dynamicPort());
        receiver.start();
        try {
            receiver.stubFor(post(urlPathEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
            URI hook = URI.create(receiver.baseUrl() + "/hook?fal_app=fal-ai%2Fflux");
            String id = (String) json(send("POST", "/fal-ai/flux/dev?fal_webhook=" + URLEncoder.encode(hook.toString(), StandardCharsets.UTF_8),
                    "{}"), 200).get("request_id");

            MockWebhook webhook = upstream.webhook(id);

            assertThat(upstream.submissions().get(0).webhookUrl()).isEqualTo(hook);
            assertThat(webhook.deliver()).isEqualTo(200);
            LoggedRequest received = receiver.findAll(anyRequestedFor(anyUrl())).get(0);
            assertThat(received.getUrl()).isEqualTo("/hook?fal_app=fal-ai%2Fflux");
            assertThat(Json.read(received.getBodyAsString(), Map.class)).containsEntry("request_id", id).containsEntry("status", "OK")
                    .containsKey("payload");
            assertThat(received.getHeader("X-Fal-Webhook-Request-Id")).isEqualTo(id);
            assertThat(received.getHeader("X-Fal-Webhook-User-Id")).isEqualTo(MockFalUpstream.USER_ID);
            assertThat(verifies(received.getHeader("X-Fal-Webhook-Request-Id"), received.getHeader("X-Fal-Webhook-Timestamp"),
                    received.getHeader("X-Fal-Webhook-Signature"), received.getBody())).isTrue();
            MockWebhook forged = upstream.badlySignedWebhook(id);
            assertThat(verifies(id, forged.headers().get("X-Fal-Webhook-Timestamp"), forged.headers().get("X-Fal-Webhook-Signature"),
                    forged.body())).isFalse();
        } finally {
            receiver.stop();
        }
    }

    /** Checks a signature as fal documents it, with the key from the mock's JWKS. */
    private boolean verifies(String requestId, String timestamp, String signatureHex, byte[] body) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> jwk = ((List<Map<String, Object>>) Json.read(download(upstream.jwksUrl()).body(), Map.class).get("keys")).get(0);
        assertThat(jwk).containsEntry("kty", "OKP").containsEntry("crv", "Ed25519");
        byte[] raw = Base64.getUrlDecoder().decode((String) jwk.get("x"));
        byte[] der = HexFormat.of().parseHex("302a300506032b6570032100" + HexFormat.of().formatHex(raw));
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(key);
        verifier.update(String.join("\n", requestId, MockFalUpstream.USER_ID, timestamp, hash).getBytes(StandardCharsets.UTF_8));
        return verifier.verify(HexFormat.of().parseHex(signatureHex));
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream.baseUrl() + path))
                .header("Authorization", "Key test").header("Content-Type", "application/json")
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
