package app.apimodels.warit.app;

import app.apimodels.provider.openai.OpenAiProvider;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A provider type the engine can only know from CDI: the smoke test adds this class (and nothing in
 * {@code META-INF/services}) to the deployed WAR, so a catalog route of type {@value #TYPE} works only
 * if the server's CDI container (or Weld Servlet) found the bean and the adapter handed it to the
 * engine. It speaks OpenAI's API, as the mock upstream does.
 */
@ApplicationScoped
public class CdiOnlyProvider implements ModelProvider {

    public static final String TYPE = "smoke-cdi";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new OpenAiProvider().create(config, transport);
    }
}
