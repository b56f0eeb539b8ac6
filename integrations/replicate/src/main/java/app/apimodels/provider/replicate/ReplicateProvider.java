package app.apimodels.provider.replicate;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Clock;

/**
 * Replicate's prediction API: image, video, audio and speech models run as asynchronous tasks.
 * Catalog type {@code replicate}; base URL defaults to {@code https://api.replicate.com/v1}.
 *
 * <p>A route's upstream model is written as Replicate addresses it:
 * <ul>
 *   <li>{@code owner/name}: an official model, run at its latest version;</li>
 *   <li>{@code owner/name:<version id>} or a bare 64-hex version id: that version;</li>
 *   <li>{@code deployment:owner/name}: a deployment.</li>
 * </ul>
 * The task's upstream id is Replicate's prediction id.
 *
 * <p>Catalog options: {@code webhook-secret}, the account's webhook signing secret
 * ({@code whsec_…}); without it the secret is fetched once from
 * {@code GET /webhooks/default/secret} with the API key.
 */
public final class ReplicateProvider implements ModelProvider {

    private final ObjectMapper mapper = JsonMappers.create();

    @Override
    public String type() {
        return "replicate";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new ReplicateClient(config, transport, mapper, Clock.systemUTC());
    }
}
