package app.apimodels.provider.fal;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Clock;

/**
 * fal's queue API: image, video, audio and speech models run as asynchronous requests. Catalog
 * type {@code fal}; base URL defaults to {@code https://queue.fal.run}. A route's upstream model
 * is fal's model id, e.g. {@code fal-ai/flux/dev}; its app ({@code fal-ai/flux}, the first two
 * segments) is where the request is then read.
 *
 * <p>The task's upstream id is {@code <owner>/<app>/requests/<request id>}. fal's webhooks name
 * only the request, so the webhook URL given to fal carries the app as its {@code fal_app} query
 * parameter, and the engine must pass webhooks on with the URL they were posted to, query included.
 *
 * <p>Catalog options: {@code jwks-url}, where fal publishes the keys its webhooks are signed with
 * (default {@code https://rest.fal.ai/.well-known/jwks.json}; fetched without credentials).
 */
public final class FalProvider implements ModelProvider {

    private final ObjectMapper mapper = JsonMappers.create();

    @Override
    public String type() {
        return "fal";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new FalClient(config, transport, mapper, Clock.systemUTC());
    }
}
