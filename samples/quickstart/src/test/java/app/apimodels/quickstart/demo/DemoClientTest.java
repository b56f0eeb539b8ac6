package app.apimodels.quickstart.demo;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@Timeout(30)
class DemoClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ExecutorService streams = Executors.newSingleThreadExecutor();
    private final DemoClient client = new DemoClient(streams);

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void isFoundByServiceLoaderAsTheDemoType() {
        assertThat(ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(provider -> {
                    assertThat(provider).isInstanceOf(DemoProvider.class);
                    assertThat(provider.type()).isEqualTo("demo");
                });
    }

    @Test
    void echoesTheLastUserMessageAndReportsUsageByItsByteRule() throws Exception {
        ProviderResult result = client.call(chat(false, List.of(
                Map.of("role", "system", "content", "Be brief"),
                Map.of("role", "user", "content", "first"),
                Map.of("role", "assistant", "content", "x"),
                Map.of("role", "user", "content", "Hello there")))).get();

        JsonNode body = JSON.readTree(result.body());
        assertThat(result.contentType()).isEqualTo("application/json");
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("model").asText()).isEqualTo("demo-echo");
        JsonNode choice = body.path("choices").path(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("[demo provider] You said: Hello there");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        // Prompt: 8 + 5 + 1 + 11 = 25 bytes -> 7 tokens. Reply: 26 + 11 = 37 bytes -> 10 tokens.
        assertThat(result.usage()).isEqualTo(Usage.tokens(7, 0, 10));
        assertThat(body.path("usage").path("prompt_tokens").asLong()).isEqualTo(7);
        assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(10);
        assertThat(body.path("usage").path("total_tokens").asLong()).isEqualTo(17);
    }

    @Test
    void echoesTheTextPartsCutTo200Characters() throws Exception {
        String long250 = "é".repeat(250);
        ProviderResult result = client.call(chat(false, List.of(Map.of("role", "user", "content", List.of(
                Map.of("type", "text", "text", long250),
                Map.of("type", "image_url", "image_url", Map.of("url", "https://example.com/a.png"))))))).get();

        String reply = JSON.readTree(result.body()).path("choices").path(0).path("message").path("content").asText();
        assertThat(reply).isEqualTo(DemoClient.REPLY_PREFIX + "é".repeat(200));
        assertThat(result.usage().inputTokens()).as("500 bytes of text").isEqualTo(125);
    }

    @Test
    void streamsOneChunkPerWordThenTheUsageChunkWhenAsked() throws Exception {
        RecordingSink sink = new RecordingSink();
        client.stream(chat(true, List.of(Map.of("role", "user", "content", "one two three"))), sink);
        sink.done.get(10, TimeUnit.SECONDS);

        List<JsonNode> chunks = sink.chunkJson();
        assertThat(chunks).hasSize(7 + 2).allSatisfy(chunk ->
                assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk"));
        assertThat(chunks.get(0).path("choices").path(0).path("delta").path("role").asText()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            text.append(chunk.path("choices").path(0).path("delta").path("content").asText(""));
        }
        assertThat(text).hasToString("[demo provider] You said: one two three");
        assertThat(String.join("", sink.texts())).hasToString(text.toString());
        assertThat(chunks.get(7).path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        JsonNode usageChunk = chunks.get(8);
        assertThat(usageChunk.path("choices")).isEmpty();
        assertThat(usageChunk.path("usage").path("completion_tokens").asLong()).isEqualTo(10);
        assertThat(sink.usage.get()).isEqualTo(Usage.tokens(4, 0, 10));
    }

    @Test
    void reportsUsageToTheEngineEvenWhenTheClientDidNotAskForIt() throws Exception {
        RecordingSink sink = new RecordingSink();
        client.stream(new ProviderRequest(Operation.CHAT, "demo-echo",
                Map.of("messages", List.of(Map.of("role", "user", "content", "hi"))), true), sink);
        sink.done.get(10, TimeUnit.SECONDS);

        assertThat(sink.chunkJson()).hasSize(5 + 1).noneMatch(chunk -> chunk.has("usage"));
        assertThat(sink.usage.get()).isEqualTo(Usage.tokens(1, 0, 7));
    }

    @Test
    void deliversNothingOnceCancelled() throws Exception {
        CountDownLatch cancellableKnown = new CountDownLatch(1);
        AtomicReference<Cancellable> cancellable = new AtomicReference<>();
        RecordingSink sink = new RecordingSink() {
            @Override
            public void onChunk(StreamChunk chunk) {
                super.onChunk(chunk);
                try {
                    assertThat(cancellableKnown.await(10, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                cancellable.get().cancel(); // as the engine does when its client goes away mid-stream
            }
        };
        cancellable.set(client.stream(chat(true, List.of(Map.of("role", "user", "content", "a b c"))), sink));
        cancellableKnown.countDown();

        streams.shutdown();
        assertThat(streams.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(sink.chunks).hasSize(1);
        assertThat(sink.usage.get()).isNull();
        assertThat(sink.done).isNotDone();
    }

    @Test
    void embedsDeterministicallyIntoUnitVectors() throws Exception {
        ProviderResult result = client.call(embeddings(Map.of("input", List.of("a", "b", "a")))).get();

        JsonNode data = JSON.readTree(result.body()).path("data");
        List<float[]> vectors = new ArrayList<>();
        data.forEach(item -> vectors.add(floats(item.path("embedding"))));
        assertThat(vectors).hasSize(3).allSatisfy(vector -> {
            assertThat(vector).hasSize(DemoClient.DIMENSIONS);
            double sumOfSquares = 0;
            for (float value : vector) {
                sumOfSquares += value * value;
            }
            assertThat(sumOfSquares).isCloseTo(1.0, within(1e-5));
        });
        assertThat(vectors.get(0)).isEqualTo(vectors.get(2)).isNotEqualTo(vectors.get(1));
        assertThat(data.path(2).path("index").asInt()).isEqualTo(2);
        assertThat(result.usage()).isEqualTo(Usage.tokens(1, 0, 0));
    }

    @Test
    void encodesEmbeddingsAsBase64WhenAsked() throws Exception {
        JsonNode plain = JSON.readTree(client.call(embeddings(Map.of("input", "hello"))).get().body());
        JsonNode encoded = JSON.readTree(client.call(embeddings(Map.of("input", "hello", "encoding_format", "base64")))
                .get().body());

        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.path("data").path(0).path("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[DemoClient.DIMENSIONS];
        for (int i = 0; i < decoded.length; i++) {
            decoded[i] = bytes.getFloat();
        }
        assertThat(decoded).isEqualTo(floats(plain.path("data").path(0).path("embedding")));
    }

    @Test
    void drawsOnePngPerImageTheSameForTheSamePrompt() throws Exception {
        TaskUpdate update = client.submit(image(Map.of("prompt", "a lighthouse", "n", 2))).get();
        TaskUpdate again = client.submit(image(Map.of("prompt", "a lighthouse", "n", 1))).get();
        TaskUpdate other = client.submit(image(Map.of("prompt", "a lighthouse at night"))).get();

        assertThat(update.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(update.usage()).as("the engine counts the images").isNull();
        assertThat(update.outputs()).hasSize(2).allSatisfy(output -> {
            assertThat(output.contentType()).isEqualTo("image/png");
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(output.data()));
            assertThat(png.getWidth()).isEqualTo(DemoPainter.SIZE);
            assertThat(png.getHeight()).isEqualTo(DemoPainter.SIZE);
        });
        assertThat(update.outputs().get(0).data()).isEqualTo(again.outputs().get(0).data())
                .isNotEqualTo(update.outputs().get(1).data())
                .isNotEqualTo(other.outputs().get(0).data());
    }

    @Test
    void refusesAnImageWithoutPrompt() {
        assertThatThrownBy(() -> client.submit(image(Map.of("prompt", " "))).join())
                .satisfies(e -> assertThat(((ProviderException) e.getCause()).param()).isEqualTo("prompt"));
        assertThatThrownBy(() -> client.submit(new TaskRequest(Operation.SPEECH, "demo", Map.of("prompt", "hi"), null, null)).join())
                .satisfies(e -> assertThat(((ProviderException) e.getCause()).kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST));
    }

    @Test
    void refusesWhatItCannotDoAsAnInvalidRequest() throws Exception {
        assertThatThrownBy(() -> client.call(new ProviderRequest(Operation.IMAGES, "demo", Map.of(), false)).join())
                .hasCauseInstanceOf(ProviderException.class)
                .satisfies(e -> assertThat(((ProviderException) e.getCause()).kind())
                        .isEqualTo(ProviderException.Kind.INVALID_REQUEST));
        assertThatThrownBy(() -> client.call(chat(false, List.of())).join())
                .satisfies(e -> assertThat(((ProviderException) e.getCause()).param()).isEqualTo("messages"));

        RecordingSink sink = new RecordingSink();
        client.stream(embeddings(Map.of("input", "x")), sink);
        assertThat(sink.error.get(10, TimeUnit.SECONDS).kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(sink.chunks).isEmpty();
    }

    private static ProviderRequest chat(boolean includeUsage, List<Map<String, Object>> messages) {
        Map<String, Object> payload = includeUsage
                ? Map.of("messages", messages, "stream", true, "stream_options", Map.of("include_usage", true))
                : Map.of("messages", messages);
        return new ProviderRequest(Operation.CHAT, "demo-echo", payload, includeUsage);
    }

    private static TaskRequest image(Map<String, Object> input) {
        return new TaskRequest(Operation.IMAGES, "demo-draw", input, null, null);
    }

    private static ProviderRequest embeddings(Map<String, Object> payload) {
        return new ProviderRequest(Operation.EMBEDDINGS, "demo-embed", payload, false);
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }

    /** Keeps what the client delivered; single-threaded by the sink contract. */
    private static class RecordingSink implements StreamSink {
        final List<StreamChunk> chunks = new ArrayList<>();
        final AtomicReference<Usage> usage = new AtomicReference<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final CompletableFuture<ProviderException> error = new CompletableFuture<>();

        @Override
        public void onChunk(StreamChunk chunk) {
            chunks.add(chunk);
        }

        @Override
        public void onUsage(Usage reported) {
            usage.set(reported);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }

        @Override
        public void onError(ProviderException e) {
            error.complete(e);
        }

        List<JsonNode> chunkJson() throws Exception {
            List<JsonNode> parsed = new ArrayList<>();
            for (StreamChunk chunk : chunks) {
                parsed.add(JSON.readTree(chunk.data()));
            }
            return parsed;
        }

        List<String> texts() {
            return chunks.stream().map(StreamChunk::text).toList();
        }
    }
}
