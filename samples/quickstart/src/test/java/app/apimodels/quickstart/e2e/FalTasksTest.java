package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockFalUpstream;
import app.apimodels.testkit.MockMedia;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A video task through the fal provider, completed by fal's ED25519-signed webhook, on PostgreSQL. */
class FalTasksTest extends EndToEndTest {

    final MockFalUpstream fal = new MockFalUpstream();
    final CallbackReceiver callbacks = new CallbackReceiver();

    @AfterEach
    void stopMocks() {
        fal.close();
        callbacks.close();
    }

    @Test
    void aVideoCompletesByWebhookAndIsChargedPerSecond() throws Exception {
        String catalog = """
                providers:
                  - id: fal-main
                    type: fal
                    base-url: %s
                    api-key: fal_test_key_123
                    timeout-seconds: 10
                    options: { jwks-url: "%s" }
                models:
                  - id: test-video
                    kind: video
                    routes: [ { provider: fal-main, upstream-model: fal-ai/some-video/text-to-video, priority: 1, weight: 1 } ]
                    price: { per-second: 0.05 }
                """.formatted(fal.baseUrl(), fal.jwksUrl());
        gateway = Gateway.start(TestDatabases.POSTGRESQL, catalog, dir, Map.of(
                "apimodels.fetch.allowed-private-hosts", URI.create(fal.baseUrl()).getAuthority() + "," + callbacks.hostPort(),
                "apimodels.jobs.poll-interval-ms", "50", "apimodels.tasks.poll-initial-ms", "50"));
        fal.pendingPolls(100_000).outputs("video/mp4", 1);
        Gateway.User u = gateway.user(1_000_000);
        HttpResponse<String> r = gateway.send("POST", "/api/v1/video/generations", u.key(),
                "{\"model\":\"test-video\",\"prompt\":\"the sea\",\"duration\":8,\"aspect_ratio\":\"16:9\",\"callback_url\":\"" + callbacks.url() + "\"}");
        Gateway.expect(r, 200);
        assertThat(gateway.held(u)).isEqualTo(400_000);
        assertThat(fal.submissions()).singleElement().satisfies(s -> assertThat(s.input()).containsEntry("duration", 8));

        assertThat(fal.badlySignedWebhook(fal.submissions().get(0).id()).deliver()).isEqualTo(401);
        assertThat(fal.webhook(fal.submissions().get(0).id()).deliver()).isEqualTo(200);
        JsonNode done = Gateway.JSON.readTree(callbacks.next(30).body()).get("data");
        assertThat(done.get("state").asText()).isEqualTo("completed");
        fal.deleteOutputs();
        HttpResponse<byte[]> video = gateway.http.send(HttpRequest.newBuilder(URI.create(done.get("resultUrls").get(0).asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(video.statusCode()).isEqualTo(200);
        assertThat(video.headers().firstValue("Content-Type")).hasValue("video/mp4");
        assertThat(video.body()).isEqualTo(MockMedia.sample("video/mp4"));
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 400_000);
        assertThat(gateway.held(u)).isZero();
    }
}
