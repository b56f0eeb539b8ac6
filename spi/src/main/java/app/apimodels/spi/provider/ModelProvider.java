package app.apimodels.spi.provider;

import app.apimodels.spi.http.HttpTransport;

/**
 * A kind of upstream (OpenAI-compatible, Anthropic, Replicate…). Found by
 * {@link java.util.ServiceLoader} (and as a CDI bean inside a container) and named by
 * {@link #type()}, which the catalog's {@code type:} refers to. One {@code ModelProvider} creates
 * a {@link ProviderClient} for each configured provider instance.
 */
public interface ModelProvider {

    /** The name used in the catalog, e.g. {@code openai}. */
    String type();

    /**
     * Creates the client for one configured instance. The transport is owned by the caller and
     * outlives the client.
     */
    ProviderClient create(ProviderConfig config, HttpTransport transport);
}
