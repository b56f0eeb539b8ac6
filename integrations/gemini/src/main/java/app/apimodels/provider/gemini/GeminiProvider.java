package app.apimodels.provider.gemini;

import app.apimodels.json.JsonMappers;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Google's Gemini API (generativelanguage.googleapis.com, {@code v1beta}). Catalog type
 * {@code gemini}; {@code base-url} is the API's root, {@code https://generativelanguage.googleapis.com}.
 * Offers chat completions, also streamed, translated from and to OpenAI's wire format
 * ({@code generateContent} and {@code streamGenerateContent?alt=sse}), with tools, images and
 * usage (thinking tokens are billed as output).
 */
public final class GeminiProvider implements ModelProvider {

    private final ObjectMapper mapper = JsonMappers.create();

    @Override
    public String type() {
        return "gemini";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new GeminiClient(config, transport, mapper);
    }
}
