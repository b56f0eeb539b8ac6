package app.apimodels.spi.provider;

import java.util.Map;

/**
 * One call to forward upstream.
 *
 * @param operation     what is asked
 * @param upstreamModel the provider's name for the model (replaces the client's public name)
 * @param payload       the client's request in OpenAI's wire format, as JSON-compatible Java
 *                      values (maps, lists, strings, numbers, booleans, null); the client is
 *                      free to copy and change it
 * @param stream        whether the client asked for a stream
 */
public record ProviderRequest(Operation operation, String upstreamModel, Map<String, Object> payload,
                              boolean stream) {
}
