package app.apimodels.testkit;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ChatProviderContract} for a client that also offers embeddings (OpenAI-compatible
 * upstreams, Ollama): it claims them, and an embeddings call answers in OpenAI's format with the
 * upstream's input tokens and no output tokens. A chat-only client extends
 * {@link ChatProviderContract} itself, so no check is skipped anywhere.
 *
 * @param <U> the fake upstream speaking the vendor's wire format
 */
public abstract class ChatAndEmbeddingsProviderContract<U extends ChatUpstream> extends ChatProviderContract<U> {

    @Override
    protected final boolean offersEmbeddings() {
        return true;
    }

    @Test
    void embeddingsCallReturnsItsUsage() throws Exception {
        ProviderRequest request = new ProviderRequest(Operation.EMBEDDINGS, UPSTREAM_MODEL,
                Map.of("model", "public-embedding", "input", "some text"), false);

        ProviderResult result = await(client().call(request));

        assertThat(new String(result.body(), StandardCharsets.UTF_8)).contains("\"embedding\"");
        assertThat(result.usage().inputTokens()).isEqualTo(upstream().usage().inputTokens());
        assertThat(result.usage().outputTokens()).isZero();
        upstream().verifyReceived(Operation.EMBEDDINGS, UPSTREAM_MODEL, false);
    }
}
