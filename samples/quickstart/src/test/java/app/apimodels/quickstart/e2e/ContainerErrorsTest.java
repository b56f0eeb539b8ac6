package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockOpenAiUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the container answers by itself (requests it cannot parse or will not route) and what a
 * broken upload gets: a short problem with the status, never the container's HTML error page, a
 * stack trace or the server's version.
 */
@Timeout(120)
class ContainerErrorsTest {

    private static final byte[] NONE = new byte[0];
    private static MockOpenAiUpstream upstream;
    private static Gateway gateway;
    private static Gateway.User user;
    private static int port;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        upstream = new MockOpenAiUpstream();
        dir = Files.createTempDirectory("container-errors");
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
        user = gateway.user(100_000);
        port = gateway.uri("/").getPort();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
    }

    /** The answer's status, after checking it shows nothing of the container. */
    private static int clean(String answer) {
        assertThat(answer).as("an answer").startsWith("HTTP/1.1 ");
        assertThat(answer.toLowerCase(java.util.Locale.ROOT)).as(answer)
                .doesNotContain("<html").doesNotContain("exception").doesNotContain("tomcat").doesNotContain("jetty")
                .doesNotContain("\tat ").doesNotContain("org.apache").doesNotContain("org.eclipse").doesNotContain("app.apimodels")
                .doesNotContain("server:");
        return Integer.parseInt(answer.substring(9, 12));
    }

    private static String problemBody(String answer) {
        assertThat(answer).containsIgnoringCase("Content-Type: application/problem+json");
        return answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void overLongHeaders() throws Exception {
        String answer = RawHttp.exchange(port, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "X-Long: " + "a".repeat(20_000), NONE);
        assertThat(clean(answer)).isBetween(400, 431);
        assertThat(problemBody(answer)).contains("\"status\":" + clean(answer));
    }

    @Test
    void invalidCharactersInTheRequestTarget() throws Exception {
        for (String target : new String[] {"/v1/mo{dels", "/v1/mo dels", "/v1/mo\u0001dels"}) {
            String answer = RawHttp.exchange(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close", NONE);
            assertThat(clean(answer)).as(target).isEqualTo(400);
            assertThat(problemBody(answer)).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400}");
        }
        // Jetty takes <, > and | in a query (Tomcat refused them): the request then goes on as any
        // other, here to the API's own answer for a call without a key.
        String answer = RawHttp.exchange(port, "GET /v1/models?q=<x>| HTTP/1.1\r\nHost: localhost\r\nConnection: close", NONE);
        assertThat(clean(answer)).isEqualTo(401);
        assertThat(answer).contains("\"error\":");
    }

    @Test
    void encodedSlashesAndNulsInIds() throws Exception {
        for (String id : new String[] {"a%2Fb", "a%00b", "..%2F..%2Fetc", "%2e%2e%5cx"}) {
            String answer = RawHttp.exchange(port, "GET /api/v1/uploads/" + id + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + user.key() + "\r\nConnection: close", NONE);
            assertThat(clean(answer)).as(id).isIn(400, 404);
        }
    }

    @Test
    void badChunkSizes() throws Exception {
        String answer = RawHttp.exchange(port, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + user.key() + "\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close", "zz\r\n{}\r\n0\r\n\r\n".getBytes(US_ASCII));
        assertThat(clean(answer)).isEqualTo(400);
    }

    /**
     * A chunked body's trailers count against the request header limit (8 KiB): a body without
     * them or with short ones is read, trailers past the limit are a clean 4xx.
     */
    @Test
    void chunkedBodiesWithAndWithoutTrailers() throws Exception {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + user.key()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close";
        String chat = "{\"model\":\"test-chat\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String chunk = Integer.toHexString(chat.length()) + "\r\n" + chat + "\r\n0\r\n";
        assertThat(clean(RawHttp.exchange(port, head, (chunk + "\r\n").getBytes(US_ASCII)))).isEqualTo(200);
        assertThat(clean(RawHttp.exchange(port, head, (chunk + "X-Checksum: abc\r\n\r\n").getBytes(US_ASCII))))
                .isEqualTo(200);
        String answer = RawHttp.exchange(port, head, (chunk + "X-Checksum: " + "a".repeat(10_000) + "\r\n\r\n").getBytes(US_ASCII));
        assertThat(clean(answer)).isIn(400, 431);
        assertThat(problemBody(answer)).contains("\"status\":" + clean(answer));
    }

    /**
     * The quickstart's response headers have 4 KiB, and the container fails an answer whose headers
     * do not fit: the log-in redirect does not carry back a deep link that escaping made that long.
     */
    @Test
    void aLongDeepLinkStillRedirectsToTheLogIn() throws Exception {
        String answer = RawHttp.exchange(port, "GET /console/keys?" + "~".repeat(1300) + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Connection: close", NONE);
        assertThat(clean(answer)).isEqualTo(303);
        assertThat(answer).contains("Location: /console/login?next=%2Fconsole%2F\r\n");
    }

    @Test
    void aMalformedChunkedMultipartUpload() throws Exception {
        String head = "POST /api/v1/uploads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + user.key()
                + "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\nConnection: close";
        String part = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n\u0089PNG\r\n";
        // A valid first chunk, then a chunk size that is not hexadecimal.
        String brokenChunk = Integer.toHexString(part.length()) + "\r\n" + part + "\r\nnot-hex\r\nabc\r\n0\r\n\r\n";
        assertThat(clean(RawHttp.exchange(port, head, brokenChunk.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))))
                .isEqualTo(400);

        // Well-formed chunks carrying a multipart body that never ends.
        String unterminated = Integer.toHexString(part.length()) + "\r\n" + part + "\r\n0\r\n\r\n";
        String answer = RawHttp.exchange(port, head, unterminated.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(clean(answer)).isEqualTo(400);
        assertThat(answer.substring(answer.indexOf("\r\n\r\n"))).contains("file");

        awaitSpooled(0);
    }

    @Test
    void anUploadArrivesInATemporaryFileDeletedWhenTheClientLeaves() throws Exception {
        String part = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n";
        try (java.net.Socket socket = RawHttp.open(port, "POST /api/v1/uploads HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + user.key() + "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                + "Content-Length: 100000")) {
            socket.getOutputStream().write(part.getBytes(US_ASCII));
            socket.getOutputStream().flush();
            awaitSpooled(1); // in the application's temporary directory, under the quickstart's data directory
        }
        awaitSpooled(0);
    }

    /** Waits until exactly {@code count} upload files are being received. */
    private static void awaitSpooled(int count) {
        org.awaitility.Awaitility.await("upload files being received").atMost(java.time.Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(spooled()).hasSize(count));
    }

    private static java.util.List<Path> spooled() throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("apimodels-upload-")).toList();
        }
    }
}
