package app.apimodels.spi.provider;

/**
 * One server-sent event for the client.
 *
 * @param data the event's {@code data:} payload in OpenAI's chunk format (JSON, UTF-8)
 * @param text the generated text this chunk adds (for counting tokens when no usage is
 *             reported), empty if none
 */
public record StreamChunk(byte[] data, String text) {
}
