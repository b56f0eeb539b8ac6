package app.apimodels.quickstart.demo;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;

/**
 * The {@code demo} provider type: a local stand-in for an upstream so the quickstart works without
 * an account anywhere. It echoes chat messages and makes up embeddings (see {@link DemoClient});
 * it never serves real model output. It ignores the configured base URL, key and transport.
 */
public final class DemoProvider implements ModelProvider {

    @Override
    public String type() {
        return "demo";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new DemoClient();
    }
}
