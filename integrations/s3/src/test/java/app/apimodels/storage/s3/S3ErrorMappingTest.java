package app.apimodels.storage.s3;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.NoSuchObjectException;
import app.apimodels.spi.storage.StorageConfig;
import app.apimodels.spi.storage.StorageException;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Failure classification against an endpoint answering every request with one S3 REST error
 * response (status, {@code application/xml} body of Code, Message, Resource, RequestId), as
 * documented at https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html.
 */
class S3ErrorMappingTest {

    private HttpServer server;
    private MediaStorage storage;
    private volatile int status;
    private volatile String code;
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code>"
                    + "<Message>simulated " + code + "</Message><Resource>" + exchange.getRequestURI().getPath()
                    + "</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/xml");
            exchange.getResponseHeaders().set("x-amz-request-id", "4442587FB7D0A2F9");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(status, -1);
            } else {
                exchange.sendResponseHeaders(status, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
        storage = new S3MediaStorageFactory().create(new StorageConfig("s3", Map.of(
                "bucket", "media", "endpoint", "http://127.0.0.1:" + server.getAddress().getPort(), "path-style", "true",
                "access-key-id", S3ProxyServer.ACCESS_KEY_ID, "secret-access-key", S3ProxyServer.SECRET)));
    }

    @AfterEach
    void stop() {
        storage.close();
        server.stop(0);
    }

    private void answer(int status, String code) {
        this.status = status;
        this.code = code;
    }

    @ParameterizedTest(name = "HTTP {0} {1} is retryable: {2}")
    @CsvSource({
            "500, InternalError, true",
            "503, SlowDown, true",
            "503, ServiceUnavailable, true",
            "429, TooManyRequests, true",
            "400, RequestTimeout, true",
            "403, AccessDenied, false",
            "403, SignatureDoesNotMatch, false",
            "400, InvalidArgument, false",
            "404, NoSuchBucket, false"})
    void failuresAreClassified(int status, String code, boolean retryable) {
        answer(status, code);

        for (Throwable failure : new Throwable[]{
                catchThrowable(() -> storage.put("a.txt", new ByteArrayInputStream(new byte[3]), 3, "text/plain")),
                catchThrowable(() -> storage.put("b.bin", new ByteArrayInputStream(new byte[9 * 1024 * 1024]), -1, "video/mp4")),
                catchThrowable(() -> storage.open("a.txt", 0, -1)),
                catchThrowable(() -> storage.list("", null, 5))}) {
            assertThat(failure).isInstanceOf(StorageException.class).isNotInstanceOf(NoSuchObjectException.class)
                    .hasMessageContaining("HTTP " + status + " " + code)
                    .hasMessageNotContaining(S3ProxyServer.SECRET);
            assertThat(((StorageException) failure).retryable()).as("%s", failure).isEqualTo(retryable);
        }
    }

    @Test
    void serverErrorsAreRetriedBeforeTheyAreReported() {
        answer(500, "InternalError");

        assertThatThrownBy(() -> storage.open("a.txt", 0, -1)).isInstanceOf(StorageException.class);

        assertThat(requests.get()).isGreaterThan(1);
    }

    @Test
    void aMissingKeyIsNoSuchObjectOrEmpty() {
        answer(404, "NoSuchKey");

        assertThatThrownBy(() -> storage.open("gone.png", 0, -1)).isInstanceOf(NoSuchObjectException.class);
        assertThatThrownBy(() -> storage.open("gone.png", 5, 10)).isInstanceOf(NoSuchObjectException.class);
        assertThat(storage.stat("gone.png")).isEmpty();
        storage.delete("gone.png");
    }

    @Test
    void anUnsatisfiableRangeIsTheCallersMistake() {
        answer(416, "InvalidRange");

        assertThatThrownBy(() -> storage.open("short.png", 5000, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeleteThatIsRefusedIsReported() {
        answer(403, "AccessDenied");

        assertThatThrownBy(() -> storage.delete("kept.png"))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("HTTP 403 AccessDenied");
    }
}
