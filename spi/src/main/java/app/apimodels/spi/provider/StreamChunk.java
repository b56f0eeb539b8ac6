package app.apimodels.spi.provider;

/**
 * One server-sent event for the client.
 *
 * @param data  the event's {@code data:} payload (JSON, UTF-8): OpenAI's chunk format for chat, the
 *              upstream's event as it came for passed-through APIs (Responses, Messages)
 * @param text  the generated text this chunk adds (for counting tokens when no usage is
 *              reported), empty if none
 * @param event the event's name ({@code event:} line), or {@code null} for a data-only event (chat);
 *              Anthropic's SDKs read only named events
 */
public record StreamChunk(byte[] data, String text, String event) {

    /** A data-only event, as chat completion chunks are. */
    public StreamChunk(byte[] data, String text) {
        this(data, text, null);
    }
}
