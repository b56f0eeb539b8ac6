package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** The official OpenAI Java SDK, unchanged, against the running quickstart; with both upstream transports. */
class OpenAiSdkTest extends EndToEndTest {



    private OpenAIClient start(String transport, Gateway.User[] user) throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, transport, 30), dir, Map.of());
        user[0] = gateway.user(1_000_000);
        return OpenAIOkHttpClient.builder().apiKey(user[0].key()).baseUrl(gateway.baseUrl() + "/v1").maxRetries(0).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "jetty"})
    void modelsChatStreamingAndEmbeddingsAreChargedExactly(String transport) throws Exception {
        Gateway.User[] u = new Gateway.User[1];
        OpenAIClient client = start(transport, u);
        Gateway.User user = u[0];

        List<String> models = client.models().list().data().stream().map(Model::id).toList();
        assertThat(models).containsExactly("test-chat", "test-embedding");

        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("test-chat").addUserMessage("Say hello").maxCompletionTokens(100).build());
        assertThat(completion.choices().get(0).message().content()).contains(MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(completion.model()).isEqualTo("test-chat"); // the public name, not the upstream's
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST);
        // The upstream saw its own model name and the gateway's key, never the client's.
        upstream.server().verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.model", com.github.tomakehurst.wiremock.client.WireMock.equalTo("mock-model")))
                .withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.equalTo("Bearer sk-upstream-secret-123")));

        String streamed;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("test-chat").addUserMessage("Say hello").build())) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            assertThat(chunks).extracting(ChatCompletionChunk::model).containsOnly("test-chat");
            streamed = chunks.stream().flatMap(c -> c.choices().stream())
                    .map(c -> c.delta().content().orElse("")).collect(Collectors.joining());
        }
        assertThat(streamed).isEqualTo(MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - 2 * Catalogs.MOCK_CALL_COST);

        CreateEmbeddingResponse emb = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("test-embedding").input("hello world").build());
        assertThat(emb.data()).hasSize(1);
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - 2 * Catalogs.MOCK_CALL_COST - Catalogs.MOCK_EMBEDDING_COST);
        assertThat(gateway.held(user)).isZero();

        // Every call is logged with its usage and charge, none estimated.
        var usage = gateway.usage(user);
        assertThat(usage).hasSize(3);
        usage.forEach(row -> {
            assertThat(row.get("status").asInt()).isEqualTo(200);
            assertThat(row.get("usage_estimated").asBoolean()).isFalse();
        });
        assertThat(usage.findValues("cost_micros").stream().mapToLong(n -> n.asLong()).sum())
                .isEqualTo(2 * Catalogs.MOCK_CALL_COST + Catalogs.MOCK_EMBEDDING_COST);
    }
}
