package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Any upstream speaking OpenAI's HTTP API: OpenAI itself, DeepSeek, Groq, vLLM, Ollama,
 * OpenRouter and the like. Catalog type {@code openai}. Offers chat completions (also streamed,
 * with usage), embeddings, text to speech (as a call and as a task), and image generation and
 * edits as tasks (finished in one synchronous call; an {@code aspect_ratio} is turned into the
 * nearest {@code size}, see {@link ImageSizes}).
 *
 * <p>Catalog options: {@code stream-idle-timeout-seconds}, the longest silence tolerated within
 * a stream (default: the provider's timeout).
 */
public final class OpenAiProvider implements ModelProvider {

    private final ObjectMapper mapper = JsonMappers.create();

    @Override
    public String type() {
        return "openai";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new OpenAiClient(config, transport, mapper);
    }
}
