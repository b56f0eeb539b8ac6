package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /api/v1/uploads} with a multipart body, read by the engine as a stream, through its public surface. */
class UploadsTest {

    static final long MAX_IMAGE_BYTES = 4096;
    static final String BOUNDARY = "----apimodels-test-boundary";

    @TempDir
    static Path dir;
    static EngineHarness gateway;

    @BeforeAll
    static void start() throws Exception {
        gateway = EngineHarness.start(dir, Map.of("apimodels.uploads.max-image-bytes", String.valueOf(MAX_IMAGE_BYTES)));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void aMultipartUploadIsStoredSniffedAndServedToItsOwnerOnly() {
        User owner = gateway.user(0);
        User other = gateway.user(0);
        byte[] png = MockMedia.sample("image/png");
        assertThat(gateway.engine.streamsBody("POST", "/api/v1/uploads", "multipart/form-data; boundary=" + BOUNDARY))
                .as("the engine reads an upload as a stream").isTrue();

        // The part claims text: the stored type comes from the bytes.
        JsonNode data = json(expect(upload(owner, "cat.png", "text/plain", png), 200)).get("data");

        assertThat(data.get("mimeType").asText()).isEqualTo("image/png");
        assertThat(data.get("fileSize").asLong()).isEqualTo(png.length);
        assertThat(data.get("fileName").asText()).isEqualTo("cat.png");
        String fileId = data.get("fileId").asText();
        expect(gateway.get("/api/v1/uploads/" + fileId, owner.key()), 200);
        expect(gateway.get("/api/v1/uploads/" + fileId, other.key()), 404);

        MockExchange.Answer mine = gateway.get("/media/" + fileId, owner.key());
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.body()).isEqualTo(png);
        assertThat(gateway.get("/media/" + fileId, other.key()).status()).isEqualTo(404);
        // The signed link works without a key.
        String link = data.get("fileUrl").asText();
        assertThat(gateway.call(MockExchange.get(link.substring("http://localhost".length()))).body()).isEqualTo(png);
    }

    @Test
    void aFileOverTheLimitIs413() {
        User u = gateway.user(0);
        byte[] large = Arrays.copyOf(MockMedia.sample("image/png"), (int) MAX_IMAGE_BYTES + 1);

        MockExchange.Answer answer = expect(upload(u, "big.png", "image/png", large), 413);

        assertThat(json(answer).get("code").asInt()).isEqualTo(413);
        assertThat(json(answer).get("msg").asText()).contains(String.valueOf(MAX_IMAGE_BYTES));
    }

    @Test
    void aMultipartBodyWithoutAFileNamesTheField() {
        User u = gateway.user(0);
        String body = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nx\r\n--" + BOUNDARY + "--\r\n";

        MockExchange.Answer answer = expect(gateway.call(MockExchange.post("/api/v1/uploads").bearer(u.key())
                .body("multipart/form-data; boundary=" + BOUNDARY, body.getBytes(StandardCharsets.UTF_8))), 400);

        assertThat(json(answer).get("msg").asText()).contains("'file'");
    }

    @Test
    void aJsonBodyOverTheAdaptersLimitIs413WithoutBeingRead() {
        User u = gateway.user(0);
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key())
                .json("{\"model\":\"test-chat\",\"messages\":[]}").maxBodyBytes(10).build();

        MockExchange.Answer answer = expect(gateway.call(exchange), 413);

        assertThat(json(answer).at("/error/code").asText()).isEqualTo("body_too_large");
        assertThat(gateway.upstream.calls).isEmpty();
    }

    private static MockExchange.Answer upload(User u, String fileName, String partType, byte[] bytes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
                + "\"\r\nContent-Type: " + partType + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(bytes);
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return gateway.call(MockExchange.post("/api/v1/uploads").bearer(u.key())
                .body("multipart/form-data; boundary=" + BOUNDARY, body.toByteArray()));
    }
}
