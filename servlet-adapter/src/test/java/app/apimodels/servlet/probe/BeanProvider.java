package app.apimodels.servlet.probe;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.CompletableFuture;

/** A provider type that exists only as a CDI bean (no META-INF/services entry). */
@ApplicationScoped
public class BeanProvider implements ModelProvider {

    @Override
    public String type() {
        return "probe-cdi";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new Completions(() -> CompletableFuture.completedFuture("answered by a CDI bean"));
    }
}
