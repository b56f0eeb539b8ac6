package app.apimodels.provider.anthropic;

import app.apimodels.json.JsonMappers;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}), catalog type {@code anthropic}: clients
 * speak OpenAI chat completions, translated to Messages and back (see {@link MessagesRequest} and
 * {@link ChatCompletion}). The catalog's {@code base-url} is the API root without {@code /v1},
 * normally {@code https://api.anthropic.com}.
 *
 * <p>Catalog options: {@code max-tokens}, the {@code max_tokens} sent upstream when the client
 * gives none (Anthropic requires one; default {@value AnthropicClient#DEFAULT_MAX_TOKENS}).
 */
public final class AnthropicProvider implements ModelProvider {

    private final ObjectMapper mapper = JsonMappers.create();

    @Override
    public String type() {
        return "anthropic";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new AnthropicClient(config, transport, mapper);
    }
}
