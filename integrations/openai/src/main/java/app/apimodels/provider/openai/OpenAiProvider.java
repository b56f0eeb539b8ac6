package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Any upstream speaking OpenAI's HTTP API: OpenAI itself, DeepSeek, Groq, vLLM, Ollama,
 * OpenRouter and the like. Catalog type {@code openai}. Offers chat completions (also streamed,
 * with usage) and embeddings.
 *
 * <p>Catalog options: {@code stream-idle-timeout-seconds}, the longest silence tolerated within
 * a stream (default: the provider's timeout).
 */
public final class OpenAiProvider implements ModelProvider {

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public String type() {
        return "openai";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new OpenAiClient(config, transport, mapper);
    }
}
