package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockAnthropicUpstream;
import app.apimodels.testkit.MockGeminiUpstream;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official OpenAI Java SDK, unchanged, on models routed to Anthropic's and Gemini's wire
 * formats (testkit's mocks) — chat streamed and not, with tools — and on Gemini embeddings, the
 * Responses API (streamed and not) and transcriptions routed to an OpenAI-compatible mock; every
 * charge checked to the micro.
 */
class OpenAiSdkProvidersTest extends EndToEndTest {

    /** Every mock reports 11 input and 5 output tokens by default: 11 × 10 µ + 5 × 30 µ. */
    static final long CHAT_COST = 11 * 10 + 5 * 30;
    /** Gemini's countTokens answers the 11 input tokens, at 2 µ each. */
    static final long EMBEDDING_COST = 11 * 2;
    /** The test recording is 2.5 s, at 100 µ a second. */
    static final long TRANSCRIPTION_COST = 250;

    private final MockAnthropicUpstream claude = new MockAnthropicUpstream();
    private final MockGeminiUpstream gemini = new MockGeminiUpstream();

    @AfterEach
    void stopUpstreams() {
        claude.close();
        gemini.close();
    }

    private String catalog() {
        return """
                providers:
                  - { id: claude, type: anthropic, base-url: %s, api-key: sk-ant-upstream, timeout-seconds: 30 }
                  - { id: google, type: gemini, base-url: %s, api-key: goog-upstream, timeout-seconds: 30 }
                  - { id: oai, type: openai, base-url: %s, api-key: sk-upstream-secret-123, timeout-seconds: 30 }
                models:
                  - id: claude-test
                    kind: chat
                    routes: [ { provider: claude, upstream-model: %s } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                  - id: gemini-test
                    kind: chat
                    routes: [ { provider: google, upstream-model: gemini-mock } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                  - id: gemini-embed
                    kind: embedding
                    routes: [ { provider: google, upstream-model: gemini-embedding-mock } ]
                    price: { input-per-1m-tokens: 2 }
                  - id: gpt-test
                    kind: chat
                    routes: [ { provider: oai, upstream-model: %s } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                  - id: stt-test
                    kind: transcription
                    routes: [ { provider: oai, upstream-model: whisper-mock } ]
                    price: { per-second: 0.0001 }
                """.formatted(claude.baseUrl(), gemini.baseUrl(), upstream.baseUrl(), MockAnthropicUpstream.MODEL,
                MockOpenAiUpstream.MODEL);
    }

    @Test
    void chatOnClaudeAndGeminiEmbeddingsResponsesAndTranscriptionsAreChargedExactly() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, catalog(), dir, Map.of());
        Gateway.User user = gateway.user(1_000_000);
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(user.key()).baseUrl(gateway.baseUrl() + "/v1").maxRetries(0).build();
        long spent = 0;

        // Chat, streamed and not, on both vendors.
        for (String model : List.of("claude-test", "gemini-test")) {
            String text = model.startsWith("claude") ? MockAnthropicUpstream.TEXT : MockGeminiUpstream.COMPLETION_TEXT;
            ChatCompletion completion = client.chat().completions().create(chat(model, false));
            assertThat(completion.choices().get(0).message().content()).contains(text);
            assertThat(completion.model()).isEqualTo(model);
            spent += CHAT_COST;
            assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);

            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(model, false))) {
                String streamed = stream.stream().flatMap(c -> c.choices().stream())
                        .map(c -> c.delta().content().orElse("")).collect(Collectors.joining());
                assertThat(streamed).isEqualTo(text);
            }
            spent += CHAT_COST;
            assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);
        }

        // With tools: the vendors' tool calls come back as OpenAI tool calls, streamed and not.
        claude.answerWithToolUse();
        gemini.respondWithFunctionCall("get_weather", Map.of("city", "Paris"));
        for (String model : List.of("claude-test", "gemini-test")) {
            ChatCompletion completion = client.chat().completions().create(chat(model, true));
            List<String> names = completion.choices().get(0).message().toolCalls().orElseThrow().stream()
                    .map(ChatCompletionMessageToolCall::asFunction).map(call -> call.function().name()).toList();
            assertThat(names).startsWith("get_weather");
            assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
            spent += CHAT_COST;

            List<String> streamedNames = new ArrayList<>();
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(model, true))) {
                stream.stream().flatMap(c -> c.choices().stream()).flatMap(c -> c.delta().toolCalls().orElse(List.of()).stream())
                        .forEach(call -> call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name)
                                .ifPresent(streamedNames::add));
            }
            assertThat(streamedNames).isEqualTo(names);
            spent += CHAT_COST;
            assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);
        }

        // Gemini embeddings, counted by Gemini's countTokens.
        CreateEmbeddingResponse embedding = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("gemini-embed").input("hello world").build());
        assertThat(embedding.data().get(0).embedding()).containsExactly(0.125f, -0.5f, 0.25f);
        spent += EMBEDDING_COST;
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);

        // The Responses API, passed through to the OpenAI-compatible upstream.
        Response response = client.responses().create(ResponseCreateParams.builder().model("gpt-test").input("Say hello").build());
        assertThat(response.model().asString()).isEqualTo("gpt-test");
        assertThat(response.output().get(0).asMessage().content().get(0).asOutputText().text())
                .isEqualTo(MockOpenAiUpstream.COMPLETION_TEXT);
        spent += CHAT_COST;
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);
        StringBuilder deltas = new StringBuilder();
        boolean[] completed = {false};
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model("gpt-test").input("Say hello").build())) {
            stream.stream().forEach(event -> {
                event.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
                event.completed().ifPresent(c -> completed[0] = c.response().usage().orElseThrow().outputTokens() == 5);
            });
        }
        assertThat(deltas.toString()).isEqualTo(MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(completed[0]).isTrue();
        spent += CHAT_COST;
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);

        // A transcription of a 2.5 s recording, charged for what was measured.
        Path wav = dir.resolve("tone.wav");
        try (InputStream in = OpenAiSdkProvidersTest.class.getResourceAsStream("/app/apimodels/core/audio/tone.wav")) {
            Files.write(wav, in.readAllBytes());
        }
        String transcript = client.audio().transcriptions().create(TranscriptionCreateParams.builder()
                .file(wav).model("stt-test").responseFormat(AudioResponseFormat.JSON).build()).asTranscription().text();
        assertThat(transcript).isEqualTo(MockOpenAiUpstream.TRANSCRIPT);
        spent += TRANSCRIPTION_COST;
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - spent);
        assertThat(gateway.held(user)).isZero();

        var calls = gateway.usage(user);
        assertThat(calls).hasSize(12);
        calls.forEach(row -> {
            assertThat(row.get("status").asInt()).isEqualTo(200);
            assertThat(row.get("usage_estimated").asBoolean()).isFalse();
        });
        assertThat(calls.findValues("cost_micros").stream().mapToLong(n -> n.asLong()).sum()).isEqualTo(spent);
    }

    private static ChatCompletionCreateParams chat(String model, boolean tools) {
        ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello");
        if (tools) {
            params.addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                    .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                            .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                            .build()).build()).build());
        }
        return params.build();
    }
}
