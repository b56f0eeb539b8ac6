package app.apimodels.servlet.probe;

import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;

import java.util.Map;

/**
 * A provider type found by ServiceLoader. Each call goes out through the engine's HTTP transport to
 * the configured base URL, so the transport's threads really run.
 */
public class LoaderProvider implements ModelProvider {

    @Override
    public String type() {
        return "probe-loader";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new Completions(() -> transport.send(HttpRequestSpec.get(config.baseUrl(), Map.of(), config.timeout()))
                .thenApply(response -> "upstream answered " + response.status()));
    }
}
