package app.apimodels.quickstart;

import app.apimodels.core.config.ConfigSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.management.ObjectName;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The quickstart as a user meets it: started with the demo catalog, then the README's first call. */
@Timeout(180)
class QuickstartTest {

    private static final String ADMIN_KEY = "quickstart-test-admin-key-123456";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dataDir;
    private static Quickstart quickstart;

    @BeforeAll
    static void start() throws Exception {
        quickstart = Quickstart.start(settings(0, dataDir));
    }

    @AfterAll
    static void stop() {
        if (quickstart != null) {
            quickstart.close();
        }
    }

    @Test
    void writesTheLabelledDemoCatalogIntoTheDataDirectory() throws Exception {
        assertThat(Files.readString(dataDir.resolve("demo-catalog.yaml"))).startsWith("# DEMO catalog");
    }

    /** A container's per-connection MBeans cost heap and, on Tomcat, made every new connection wait on one lock. */
    @Test
    void registersNoContainerMBeansWhileServing() throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(uri("/health/live")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("org.eclipse.jetty*:*"), null)).isEmpty();
    }

    /** The host does not say what it is. */
    @Test
    void answersWithoutAServerHeader() throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(uri("/health/live")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("Server")).isEmpty();
        assertThat(response.headers().firstValue("X-Powered-By")).isEmpty();
    }

    /** Answers far larger than the connector's 4 KiB output buffer leave whole, with their length. */
    @Test
    void sendsALargeAnswerWholeThroughTheSmallResponseBuffer() throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(uri("/openapi.json")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body().length).isGreaterThan(16 * 1024);
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(response.body().length);
        assertThat(JSON.readTree(response.body()).get("paths").size()).isPositive();
    }

    @Test
    void isLive() throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(uri("/health/live")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void servesTheReadmesFirstCallToAnOpenAiClient() throws Exception {
        String key = userKey("readme", 5_000_000);
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(uri("/v1").toString()).apiKey(key).build();

        ChatCompletionCreateParams chat = ChatCompletionCreateParams.builder()
                .model("demo-chat").addUserMessage("Hello apimodels").build();
        assertThat(openai.chat().completions().create(chat).choices().get(0).message().content())
                .hasValue("[demo provider] You said: Hello apimodels");

        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(chat)) {
            String streamed = stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .flatMap(choice -> choice.delta().content().stream())
                    .collect(Collectors.joining());
            assertThat(streamed).isEqualTo("[demo provider] You said: Hello apimodels");
        }

        var embedding = openai.embeddings().create(EmbeddingCreateParams.builder()
                .model("demo-embedding").input("Hello apimodels").build());
        assertThat(embedding.data().get(0).embedding()).hasSize(8);
    }

    @Test
    void drawsTheDemoImageAsATaskStoredHereAndChargedPerImage() throws Exception {
        String key = userKey("painter", 1_000_000);

        JsonNode task = send(key, "POST", "/api/v1/images/generations",
                Map.of("model", "demo-image", "prompt", "a red fox in the snow", "n", 2)).path("data");

        assertThat(task.path("state").asText()).isEqualTo("completed");
        assertThat(task.path("resultUrls")).hasSize(2);
        byte[] first = null;
        for (JsonNode url : task.path("resultUrls")) {
            assertThat(url.asText()).as("stored here, behind a signed link").contains("/media/").contains("signature=");
            var file = HTTP.send(HttpRequest.newBuilder(URI.create(url.asText())).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(file.statusCode()).isEqualTo(200);
            assertThat(file.headers().firstValue("Content-Type")).hasValue("image/png");
            var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(file.body()));
            assertThat(image.getWidth()).isEqualTo(256);
            assertThat(image.getHeight()).isEqualTo(256);
            assertThat(file.body()).as("the two images of one prompt differ").isNotEqualTo(first);
            first = file.body();
        }
        // 0.01 credits per image, two images: 20,000 micros, held, then settled exactly.
        JsonNode account = send(key, "GET", "/api/v1/account", null);
        assertThat(account.path("balance_micros").asLong()).isEqualTo(1_000_000 - 20_000);
        assertThat(account.path("held_micros").asLong()).isZero();
        JsonNode listed = send(key, "GET", "/api/v1/account/tasks", null).path("data").path(0);
        assertThat(listed.path("taskId").asText()).isEqualTo(task.path("taskId").asText());
        assertThat(listed.path("cost_micros").asLong()).isEqualTo(20_000);
        assertThat(listed.path("files")).hasSize(2).allSatisfy(f -> assertThat(f.path("mimeType").asText()).isEqualTo("image/png"));
        JsonNode spend = send(key, "GET", "/api/v1/account/spend", null);
        assertThat(spend.path("data")).singleElement().satisfies(day -> {
            assertThat(day.path("model").asText()).isEqualTo("demo-image");
            assertThat(day.path("cost_micros").asLong()).isEqualTo(20_000);
        });
    }

    @Test
    void refusesToStartWhenThePortIsTaken(@TempDir Path otherDataDir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            assertThatThrownBy(() -> Quickstart.start(settings(taken.getLocalPort(), otherDataDir)))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining(String.valueOf(taken.getLocalPort()));
        }
    }

    private static ConfigSource settings(int port, Path dataDir) {
        return ConfigSource.of(Map.of(
                "apimodels.port", String.valueOf(port),
                "apimodels.data-dir", dataDir.toString(),
                "apimodels.bootstrap.admin-key", ADMIN_KEY));
    }

    private static JsonNode admin(String path, Map<String, Object> body) throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + ADMIN_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("POST %s: %s", path, response.body()).isBetween(200, 299);
        return JSON.readTree(response.body());
    }

    /** The README's first steps through the admin API: a user {@code name}@example.com with {@code micros} of credit, and a key. */
    private static String userKey(String name, long micros) throws Exception {
        String userId = admin("/admin/users", Map.of("email", name + "@example.com")).path("id").asText();
        admin("/admin/users/" + userId + "/credits",
                Map.of("amount_micros", micros, "reason", "quickstart test", "idempotency_key", name + "-1"));
        return admin("/admin/users/" + userId + "/keys", Map.of("name", name)).path("key").asText();
    }

    private static JsonNode send(String key, String method, String path, Map<String, Object> body) throws Exception {
        var request = HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + key);
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        var response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static URI uri(String path) {
        return URI.create("http://localhost:" + quickstart.port() + path);
    }
}
