package app.apimodels.spi.provider;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One provider instance as configured in the catalog.
 *
 * @param id       the instance id (unique in the catalog)
 * @param type     the {@link ModelProvider#type()} it is served by
 * @param baseUrl  the upstream API root, e.g. {@code https://api.openai.com/v1}
 * @param apiKey   the upstream secret; never logged or echoed
 * @param timeout  limit for a whole call, or until the first byte of a stream
 * @param options  any further catalog keys, as strings
 */
public record ProviderConfig(String id, String type, URI baseUrl, String apiKey, Duration timeout,
                             Map<String, String> options) {
    public ProviderConfig {
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    @Override
    public String toString() {
        return "ProviderConfig[id=" + id + ", type=" + type + ", baseUrl=" + baseUrl + ", apiKey=***]";
    }
}
