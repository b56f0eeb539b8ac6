package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.ShiftedClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.storage.s3.S3ProxyServer;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.MockReplicateUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Media on S3 (S3Proxy in the JVM): outputs re-hosted into the bucket and served through
 * redirects to presigned links after the upstream deleted its copy; uploads gone from the bucket
 * after their retention; a storage outage that outlasts the upstream's link fails the task uncharged.
 */
class S3StorageTest extends EndToEndTest {

    final ShiftedClock clock = new ShiftedClock();
    final MockReplicateUpstream replicate = new MockReplicateUpstream();
    final CallbackReceiver callbacks = new CallbackReceiver();
    final HttpClient redirecting = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    S3ProxyServer s3;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3ProxyServer();
        Map<String, String> settings = TasksTest.settings(replicate, callbacks);
        settings.putAll(s3.engineSettings());
        gateway = Gateway.start(TestDatabases.H2, TasksTest.catalog(replicate), dir, settings, clock);
    }

    @AfterEach
    void stopMocks() throws Exception {
        replicate.close();
        callbacks.close();
        s3.close();
    }

    List<String> bucket() {
        return s3.blobStore().list(S3ProxyServer.BUCKET, org.jclouds.blobstore.options.ListContainerOptions.Builder.recursive())
                .stream().map(StorageMetadata::getName).toList();
    }

    @Test
    void outputsAreCopiedIntoTheBucketAndServedFromItAfterTheUpstreamDeletesThem() throws Exception {
        replicate.pendingPolls(1).outputs("image/png", 1);
        Gateway.User u = gateway.user(1_000_000);
        Gateway.expect(gateway.send("POST", "/api/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"callback_url\":\"" + callbacks.url() + "\"}"), 200);
        JsonNode done = Gateway.JSON.readTree(callbacks.next(30).body()).get("data");
        assertThat(done.get("state").asText()).isEqualTo("completed");
        assertThat(bucket()).singleElement().asString().startsWith("media/outputs/");
        replicate.deleteOutputs();

        String url = done.get("resultUrls").get(0).asText();
        HttpResponse<byte[]> direct = gateway.http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(direct.statusCode()).isEqualTo(302);
        assertThat(direct.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).startsWith(s3.endpoint()).contains("X-Amz-Signature"));
        HttpResponse<byte[]> file = redirecting.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(file.statusCode()).isEqualTo(200);
        assertThat(file.body()).isEqualTo(MockMedia.sample("image/png"));
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - TasksTest.PER_IMAGE);
    }

    @Test
    void anUploadLeavesTheBucketAfterItsRetention() throws Exception {
        Gateway.User u = gateway.user(0);
        String source = callbacks.serve("in.png", MockMedia.sample("image/png"));
        Gateway.expect(gateway.send("POST", "/api/v1/uploads", u.key(), "{\"url\":\"" + source + "\"}"), 200);
        assertThat(bucket()).singleElement().asString().startsWith("media/uploads/");
        clock.advance(Duration.ofHours(73));
        Gateway.expect(gateway.send("POST", "/admin/jobs/media-retention/run", Gateway.ADMIN_KEY, null), 200);
        assertThat(bucket()).isEmpty();
    }

    @Test
    void aStorageOutageLongerThanTheUpstreamsLinkFailsTheTaskUncharged() throws Exception {
        // The link is valid for 2 s from completion; the engine keeps retrying the copy until then.
        replicate.pendingPolls(0).outputs("image/png", 1).signOutputUrls(Duration.ofSeconds(2));
        s3.stop();
        Gateway.User u = gateway.user(1_000_000);
        Gateway.expect(gateway.send("POST", "/api/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"callback_url\":\"" + callbacks.url() + "\"}"), 200);
        JsonNode done = Gateway.JSON.readTree(callbacks.next(60).body()).get("data");
        assertThat(done.get("state").asText()).isEqualTo("failed");
        assertThat(done.get("failMsg").asText()).contains("could not be copied");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }
}
