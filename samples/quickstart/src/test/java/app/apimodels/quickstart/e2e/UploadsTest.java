package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.ShiftedClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockMedia;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Uploads: multipart and by URL, sniffed types, limits, ownership, retention, and every SSRF form refused. */
class UploadsTest extends EndToEndTest {

    final ShiftedClock clock = new ShiftedClock();
    final CallbackReceiver files = new CallbackReceiver();

    @BeforeEach
    void start() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 10), dir,
                Map.of("apimodels.fetch.allowed-private-hosts", files.hostPort(),
                        "apimodels.uploads.max-image-bytes", "4096"), clock);
    }

    @AfterEach
    void stopFiles() {
        files.close();
    }

    HttpResponse<String> multipart(String key, String fileName, byte[] content) throws Exception {
        String boundary = "----apimodels-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\ninput\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(gateway.uri("/api/v1/uploads"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        return gateway.http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> get(String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return gateway.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aMultipartUploadIsStoredSniffedServedAndGoneAfterItsRetention() throws Exception {
        Gateway.User u = gateway.user(0);
        byte[] png = MockMedia.sample("image/png");
        HttpResponse<String> r = multipart(u.key(), "cat.txt", png);
        Gateway.expect(r, 200);
        JsonNode data = Gateway.json(r).get("data");
        assertThat(data.get("mimeType").asText()).isEqualTo("image/png"); // sniffed, not the declared type or name
        assertThat(data.get("fileSize").asLong()).isEqualTo(png.length);
        assertThat(data.get("expireTime").asLong() - data.get("createTime").asLong()).isEqualTo(Duration.ofHours(72).toMillis());
        String url = data.get("fileUrl").asText();
        assertThat(get(url, null).body()).isEqualTo(png);
        Gateway.expect(gateway.send("GET", "/api/v1/uploads/" + data.get("fileId").asText(), gateway.user(0).key(), null), 404);

        clock.advance(Duration.ofHours(71));
        Gateway.expect(gateway.send("POST", "/admin/jobs/media-retention/run", Gateway.ADMIN_KEY, null), 200);
        assertThat(get(url, null).statusCode()).isEqualTo(200);

        clock.advance(Duration.ofHours(2));
        Gateway.expect(gateway.send("POST", "/admin/jobs/media-retention/run", Gateway.ADMIN_KEY, null), 200);
        assertThat(get(url, null).statusCode()).isEqualTo(404);
        Gateway.expect(gateway.send("GET", "/api/v1/uploads/" + data.get("fileId").asText(), u.key(), null), 404);
        try (var files = java.nio.file.Files.walk(dir.resolve("data").resolve("media"))) {
            assertThat(files.filter(java.nio.file.Files::isRegularFile).filter(p -> p.toString().contains(data.get("fileId").asText())))
                    .isEmpty();
        }
    }

    @Test
    void wrongTypesAndOversizedFilesAreRefused() throws Exception {
        Gateway.User u = gateway.user(0);
        HttpResponse<String> text = multipart(u.key(), "x.png", "just text, not an image".getBytes(StandardCharsets.UTF_8));
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(Gateway.json(text).get("msg").asText()).contains("text/plain");
        byte[] big = Arrays.copyOf(MockMedia.sample("image/png"), 5000);
        assertThat(multipart(u.key(), "big.png", big).statusCode()).isEqualTo(413);
        String svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        assertThat(multipart(u.key(), "x.svg", svg.getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(415);
    }

    @Test
    void anUploadByUrlIsFetchedSafely() throws Exception {
        Gateway.User u = gateway.user(0);
        String url = files.serve("dog.png", MockMedia.sample("image/png"));
        HttpResponse<String> r = gateway.send("POST", "/api/v1/uploads", u.key(), "{\"url\":\"" + url + "\"}");
        Gateway.expect(r, 200);
        assertThat(Gateway.json(r).get("data").get("fileName").asText()).isEqualTo("dog.png");
        assertThat(get(Gateway.json(r).get("data").get("fileUrl").asText(), null).body()).isEqualTo(MockMedia.sample("image/png"));
    }

    @Test
    void everyPrivateOrOddAddressFormIsRefused() {
        Gateway.User u = gateway.user(0);
        List<String> refused = List.of(
                "http://127.0.0.1:" + gateway.port() + "/health/live",
                "http://localhost:" + gateway.port() + "/health/live",
                "http://[::1]/", "http://0.0.0.0/", "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
                "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://[fd00::1]/", "http://[fe80::1]/",
                "http://224.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://2130706433/",
                "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://127.1/", "http://metadata.google.internal/",
                "file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "http://user:pw@" + files.hostPort() + "/files/x");
        for (String url : refused) {
            HttpResponse<String> r = gateway.send("POST", "/api/v1/uploads", u.key(), "{\"url\":\"" + url + "\"}");
            assertThat(r.statusCode()).as(url).isEqualTo(400);
            JsonNode body = Gateway.json(r);
            assertThat(body.get("code").asInt()).as(url).isEqualTo(400);
            assertThat(body.get("msg").asText()).as(url).startsWith("url");
        }
    }
}
