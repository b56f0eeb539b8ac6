package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real answers of the OpenAI-compatible, task, upload and media routes, validated against the
 * schemas {@code /openapi.json} gives for their route, status and content type: successes, streams
 * chunk by chunk, and errors in each family's shape.
 */
class OpenApiModelCallsTest extends EngineTest {

    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String BOUNDARY = "----apimodels-openapi-boundary";

    static OpenApiDocument doc;

    @BeforeAll
    static void start() throws Exception {
        gateway = EngineHarness.start(dir, Map.of("apimodels.stream.keep-alive-ms", "0"));
        doc = OpenApiDocument.of(gateway);
    }

    @Test
    void models() {
        User u = gateway.user(0);
        doc.assertDescribes("GET", "/v1/models", expect(gateway.get("/v1/models", u.key()), 200));
        doc.assertDescribes("GET", "/v1/models/{id}", expect(gateway.get("/v1/models/test-chat", u.key()), 200));
        doc.assertDescribes("GET", "/v1/models/{id}", expect(gateway.get("/v1/models/no-such-model", u.key()), 404));
        doc.assertDescribes("GET", "/v1/models", expect(gateway.get("/v1/models", "sk-not-a-key"), 401));
    }

    @Test
    void chatCompletionsAndTheirErrors() {
        User u = gateway.user(1_000_000);
        doc.assertDescribes("POST", "/v1/chat/completions", expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200));
        doc.assertDescribes("POST", "/v1/chat/completions", expect(gateway.post("/v1/chat/completions", u.key(),
                "{\"model\":\"test-chat\"}"), 400));
        doc.assertDescribes("POST", "/v1/chat/completions", expect(gateway.post("/v1/chat/completions", gateway.user(0).key(), CHAT), 402));
        doc.assertDescribes("POST", "/v1/chat/completions", expect(gateway.post("/v1/chat/completions", u.key(),
                CHAT.replace("test-chat", "no-such-model")), 404));
        gateway.upstream.onCall = r -> CompletableFuture.failedFuture(ScriptedProvider.failure("upstream exploded"));
        doc.assertDescribes("POST", "/v1/chat/completions", expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 502));
    }

    @Test
    void aChatStreamIsEventsOfChunks() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = MockExchange.post("/v1/chat/completions").bearer(u.key())
                .json(CHAT.replace("{\"model\"", "{\"stream\":true,\"model\"")).build();
        gateway.engine.handle(exchange);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hello");
        upstream.sink.onChunk(new StreamChunk(("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"upstream-chat\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":5,\"total_tokens\":16}}")
                .getBytes(StandardCharsets.UTF_8), ""));
        upstream.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        upstream.sink.onComplete();

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        doc.assertDescribes("POST", "/v1/chat/completions", answer);
        List<String> events = exchange.events();
        assertThat(events).hasSize(3).last().isEqualTo("data: [DONE]\n\n");
        for (String event : events.subList(0, 2)) {
            doc.assertSchema("ChatCompletionChunk", event.substring("data: ".length()).trim());
        }
    }

    @Test
    void embeddings() {
        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(ScriptedProvider.embeddings());
        User u = gateway.user(1_000_000);
        doc.assertDescribes("POST", "/v1/embeddings", expect(gateway.post("/v1/embeddings", u.key(),
                "{\"model\":\"test-embedding\",\"input\":\"hello world\"}"), 200));
        doc.assertDescribes("POST", "/v1/embeddings", expect(gateway.post("/v1/embeddings", u.key(), "{\"model\":\"test-embedding\"}"), 400));
    }

    @Test
    void responsesMessagesAndTokenCounts() {
        User u = gateway.user(1_000_000);
        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(new ProviderResult(("{\"id\":\"resp_1\",\"object\":\"response\","
                + "\"created_at\":1,\"status\":\"completed\",\"model\":\"upstream-chat\",\"output\":[{\"type\":\"message\",\"id\":\"msg_1\","
                + "\"role\":\"assistant\",\"status\":\"completed\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hello\",\"annotations\":[]}]}],"
                + "\"usage\":{\"input_tokens\":11,\"output_tokens\":5,\"total_tokens\":16}}").getBytes(StandardCharsets.UTF_8),
                "application/json", ScriptedProvider.CHAT_USAGE));
        doc.assertDescribes("POST", "/v1/responses", expect(gateway.post("/v1/responses", u.key(),
                "{\"model\":\"test-chat\",\"input\":\"Say hello\"}"), 200));
        doc.assertDescribes("POST", "/v1/responses", expect(gateway.post("/v1/responses", u.key(),
                "{\"model\":\"test-chat\",\"input\":\"hi\",\"previous_response_id\":\"resp_0\"}"), 400));

        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(new ProviderResult(("{\"id\":\"msg_01\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"upstream-chat\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}],"
                + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":11,\"output_tokens\":5}}")
                .getBytes(StandardCharsets.UTF_8), "application/json", ScriptedProvider.CHAT_USAGE));
        String message = "{\"model\":\"test-chat\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
        doc.assertDescribes("POST", "/v1/messages", expect(gateway.post("/v1/messages", u.key(), message), 200));
        doc.assertDescribes("POST", "/v1/messages", expect(gateway.post("/v1/messages", u.key(), message.replace("\"max_tokens\":20,", "")), 400));

        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(new ProviderResult(
                "{\"input_tokens\":11}".getBytes(StandardCharsets.UTF_8), "application/json", null));
        doc.assertDescribes("POST", "/v1/messages/count_tokens", expect(gateway.post("/v1/messages/count_tokens", u.key(),
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"), 200));
        doc.assertDescribes("POST", "/v1/messages/count_tokens", expect(gateway.post("/v1/messages/count_tokens", u.key(),
                "{\"model\":\"test-chat\"}"), 400));
    }

    @Test
    void transcriptionsRefuseJson() {
        User u = gateway.user(1_000_000);
        doc.assertDescribes("POST", "/v1/audio/transcriptions", expect(gateway.post("/v1/audio/transcriptions", u.key(),
                "{\"model\":\"test-stt\"}"), 415));
    }

    @Test
    void imagesAndSpeech() {
        User u = gateway.user(1_000_000);
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.succeeded("sync-1",
                List.of(TaskOutput.bytes(MockMedia.sample("image/png"), null)), null));
        doc.assertDescribes("POST", "/v1/images/generations", expect(gateway.post("/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\"}"), 200));
        doc.assertDescribes("POST", "/v1/images/generations", expect(gateway.post("/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"response_format\":\"svg\"}"), 400));

        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.succeeded("sync-2",
                List.of(TaskOutput.bytes(MockMedia.sample("audio/mpeg"), null)), null));
        MockExchange.Answer speech = expect(gateway.post("/v1/audio/speech", u.key(),
                "{\"model\":\"test-tts\",\"input\":\"hello\",\"voice\":\"alloy\"}"), 200);
        assertThat(speech.contentType()).startsWith("audio/");
        doc.assertDescribes("POST", "/v1/audio/speech", speech);
    }

    @Test
    void generationTasksInApimodelsAppShape() {
        User u = gateway.user(1_000_000);
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.pending("up-1", TaskState.RUNNING));
        gateway.upstream.onPoll = id -> CompletableFuture.completedFuture(TaskUpdate.pending(id, TaskState.RUNNING));
        MockExchange.Answer submitted = expect(gateway.post("/api/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\"}"), 200);
        doc.assertDescribes("POST", "/api/v1/{kind}/generations", submitted);
        String taskId = json(submitted).at("/data/taskId").asText();
        doc.assertDescribes("GET", "/api/v1/{kind}/generations",
                expect(gateway.get("/api/v1/images/generations?task_id=" + taskId, u.key()), 200));
        doc.assertDescribes("GET", "/api/v1/{kind}/generations", expect(gateway.get("/api/v1/images/generations", u.key()), 400));
        doc.assertDescribes("GET", "/api/v1/{kind}/generations",
                expect(gateway.get("/api/v1/images/generations?task_id=task_none", u.key()), 404));
        doc.assertDescribes("POST", "/api/v1/{kind}/generations", expect(gateway.post("/api/v1/images/generations", u.key(), "{}"), 400));
        doc.assertDescribes("GET", "/api/v1/account/tasks", expect(gateway.get("/api/v1/account/tasks", u.key()), 200));
        doc.assertDescribes("GET", "/api/v1/account/tasks", expect(gateway.get("/api/v1/account/tasks?limit=0", u.key()), 400));
    }

    @Test
    void uploadsAndMedia() {
        User u = gateway.user(0);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(MockMedia.sample("image/png"));
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        MockExchange.Answer uploaded = expect(gateway.call(MockExchange.post("/api/v1/uploads").bearer(u.key())
                .body("multipart/form-data; boundary=" + BOUNDARY, body.toByteArray())), 200);
        doc.assertDescribes("POST", "/api/v1/uploads", uploaded);
        doc.assertDescribes("POST", "/api/v1/uploads", expect(gateway.post("/api/v1/uploads", u.key(), "{}"), 400));
        String fileId = json(uploaded).at("/data/fileId").asText();
        String link = json(uploaded).at("/data/fileUrl").asText();

        doc.assertDescribes("GET", "/api/v1/uploads/{id}", expect(gateway.get("/api/v1/uploads/" + fileId, u.key()), 200));
        doc.assertDescribes("GET", "/media/{id}", expect(gateway.call(MockExchange.get(link.substring("http://localhost".length()))), 200));
        doc.assertDescribes("GET", "/media/{id}", expect(gateway.call(MockExchange.get(link.substring("http://localhost".length()))
                .header("Range", "bytes=0-3")), 206));
        doc.assertDescribes("GET", "/media/{id}", expect(gateway.call(MockExchange.get("/media/" + fileId)), 404));
        doc.assertDescribes("DELETE", "/api/v1/uploads/{id}", expect(gateway.call(MockExchange.delete("/api/v1/uploads/" + fileId)
                .bearer(u.key())), 200));
        doc.assertDescribes("GET", "/api/v1/uploads/{id}", expect(gateway.get("/api/v1/uploads/" + fileId, u.key()), 404));
    }

    @Test
    void webhookSecretAndProviderWebhooks() {
        User u = gateway.user(0);
        doc.assertDescribes("GET", "/api/v1/account/webhook-secret", expect(gateway.get("/api/v1/account/webhook-secret", u.key()), 200));
        doc.assertDescribes("POST", "/api/v1/account/webhook-secret", expect(gateway.post("/api/v1/account/webhook-secret", u.key(), "{}"), 200));
        doc.assertDescribes("POST", "/webhooks/providers/{id}", expect(gateway.post("/webhooks/providers/no-such-provider", null,
                "{\"id\":\"x\"}"), 404));
    }

    @Test
    void aBodyThatDoesNotMatchIsCaught() {
        // The checks above can fail: a body of another shape, a wrong type deep inside, a missing field.
        assertThat(doc.errors("/components/schemas/ChatCompletion", "{\"object\":\"chat.completion\",\"model\":\"m\"}")).isNotEmpty();
        assertThat(doc.errors("/components/schemas/TaskView", "{\"taskId\":\"t\",\"model\":\"m\",\"state\":\"running\","
                + "\"resultUrls\":[],\"createTime\":1,\"completeTime\":null,\"failMsg\":null}")).isNotEmpty();
        // What the engine writes itself is closed: a field the document does not name fails.
        assertThat(doc.errors("/components/schemas/WebhookSecret", "{\"webhook_secret\":\"s\",\"header\":\"X-Apimodels-Signature\","
                + "\"scheme\":\"t\",\"secret_id\":1}")).isNotEmpty();
        assertThat(doc.errors("/paths/" + OpenApiDocument.escape("/api/v1/{kind}/generations") + "/get/responses/404/content/application~1json/schema",
                "{\"type\":\"https://apimodels.app/problems/not-found\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"x\"}"))
                .isNotEmpty();
    }
}
