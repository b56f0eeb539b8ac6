package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import jakarta.servlet.ServletContainerInitializer;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that leaves a non-streamed call, end to end in a real container (a subclass each):
 * the engine behind the servlet relays to an OpenAI-compatible upstream (the real provider) that
 * never answers; the client closes its socket once the upstream has the request. Neither Tomcat
 * nor Jetty would ever tell over HTTP/1.1: the servlet's client watch must notice, so that the
 * upstream request is cancelled, the call is logged as 499 and nothing is charged (the upstream
 * reported nothing).
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClientGoneScenario {

    /** A container on a free port serving one context set up by an initializer. */
    interface Container extends AutoCloseable {

        /** The port it listens on. */
        int port();

        default URI uri(String path) {
            return URI.create("http://localhost:" + port() + path);
        }

        /**
         * Sends a hand-written request head (request line and headers, without the blank line) and
         * returns the open socket, for what {@code HttpClient} cannot do: declare a body it never
         * sends, or drop the connection mid-response.
         */
        default Socket sendHead(String head) throws IOException {
            Socket socket = new Socket("localhost", port());
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((head + "\r\n\r\n").getBytes(US_ASCII));
            socket.getOutputStream().flush();
            return socket;
        }
    }

    /** Starts the container under test; {@code dir} is its to use. */
    abstract Container start(Path dir, ServletContainerInitializer initializer) throws Exception;

    private static final String ADMIN_KEY = "gone-admin-key-1234567890";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long GRANT = 1_000_000;
    private static final Duration WAIT = Duration.ofSeconds(15);

    private SilentUpstream upstream;
    private ApiModels engine;
    private Container container;
    private String key;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        upstream = new SilentUpstream();
        Path catalog = dir.resolve("catalog.yaml");
        Files.writeString(catalog, """
                providers:
                  - { id: slow, type: openai, base-url: "http://localhost:%d/v1", api-key: sk-upstream, timeout-seconds: 60 }
                models:
                  - id: slow-chat
                    kind: chat
                    routes: [ { provider: slow, upstream-model: slow-model } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                """.formatted(upstream.port()));
        engine = ApiModels.builder().config(ConfigSource.of(Map.of(
                "apimodels.db.url", "jdbc:h2:mem:client-gone-" + getClass().getSimpleName() + ";DB_CLOSE_DELAY=-1",
                "apimodels.data-dir", dir.resolve("data").toString(),
                "apimodels.catalog", catalog.toString(),
                "apimodels.bootstrap.admin-key", ADMIN_KEY))).build();
        container = start(dir.resolve("container"), (classes, ctx) -> ApiModelsMount.register(ctx, engine, "/api"));
        long id = post("/api/admin/users", ADMIN_KEY, "{\"email\":\"gone@example.com\"}").get("id").asLong();
        post("/api/admin/users/" + id + "/credits", ADMIN_KEY,
                "{\"amount_micros\":" + GRANT + ",\"reason\":\"test\",\"idempotency_key\":\"gone-grant\"}");
        key = post("/api/admin/users/" + id + "/keys", ADMIN_KEY, "{\"name\":\"gone\"}").get("key").asText();
    }

    @AfterAll
    void stop() throws Exception {
        try (SilentUpstream u = upstream; ApiModels e = engine; Container c = container) {
            // closed in reverse order (any not started is null and skipped): the container, the engine, the upstream
        }
    }

    @Test
    void theUpstreamIsCancelledTheCallIsLogged499AndNothingIsCharged() throws Exception {
        String chat = "{\"model\":\"slow-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";
        SilentUpstream.Request received;
        try (Socket client = container.sendHead("POST /api/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + chat.getBytes(UTF_8).length)) {
            client.getOutputStream().write(chat.getBytes(UTF_8));
            client.getOutputStream().flush();
            received = upstream.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(received).as("the call reached the upstream").isNotNull();
            assertThat(received.line()).isEqualTo("POST /v1/chat/completions HTTP/1.1");
            assertThat(account().get("held_micros").asLong()).as("the call holds its worst case").isPositive();
        } // the client leaves

        assertThat(received.closed().await(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("the engine closed the upstream connection: the request was cancelled").isTrue();
        JsonNode row = Awaitility.await("the call is logged").atMost(WAIT)
                .until(() -> get("/api/api/v1/account/usage").get("data"), rows -> !rows.isEmpty()).get(0);
        assertThat(row.get("status").asInt()).isEqualTo(499);
        assertThat(row.get("cost_micros").asLong()).isZero();
        Awaitility.await("the hold is released").atMost(WAIT)
                .untilAsserted(() -> assertThat(account().get("held_micros").asLong()).isZero());
        assertThat(account().get("balance_micros").asLong()).isEqualTo(GRANT);
    }

    private JsonNode account() throws Exception {
        return get("/api/api/v1/account");
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(container.uri(path))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private JsonNode post(String path, String bearer, String json) throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(container.uri(path))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(201);
        return JSON.readTree(response.body());
    }

    /**
     * An upstream that takes each request and never answers, and tells when the caller closed the
     * connection (how an HTTP/1.1 client cancels a request).
     */
    static final class SilentUpstream implements AutoCloseable {

        /** A request received: its request line, and a latch that opens when the caller closes the connection. */
        record Request(String line, CountDownLatch closed) {
        }

        final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
        private final ServerSocket server;

        SilentUpstream() throws IOException {
            server = new ServerSocket(0);
            Thread acceptor = new Thread(this::accept, "silent-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket connection = server.accept();
                    Thread reader = new Thread(() -> hold(connection), "silent-upstream-connection");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        /** Reads the request head, then everything else until the caller closes the connection. */
        private void hold(Socket connection) {
            CountDownLatch closed = new CountDownLatch(1);
            try (connection; InputStream in = connection.getInputStream()) {
                StringBuilder head = new StringBuilder();
                int b;
                while (head.indexOf("\r\n\r\n") < 0 && (b = in.read()) >= 0) {
                    head.append((char) b);
                }
                requests.add(new Request(head.substring(0, Math.max(0, head.indexOf("\r\n"))), closed));
                while (in.read() >= 0) {
                    // the body, and anything after it, is not answered
                }
            } catch (IOException e) {
                // reset by the caller: closed as well
            } finally {
                closed.countDown();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
