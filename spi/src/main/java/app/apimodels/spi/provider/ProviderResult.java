package app.apimodels.spi.provider;

/**
 * A complete (non-streamed) answer.
 *
 * @param body        the response in OpenAI's wire format, ready to hand to the client
 * @param contentType its media type
 * @param usage       what the upstream reported, or {@code null} if it reported nothing
 */
public record ProviderResult(byte[] body, String contentType, Usage usage) {
}
