package app.apimodels.spi.provider;

import java.util.List;
import java.util.Map;

/**
 * One call to forward upstream.
 *
 * @param operation     what is asked
 * @param upstreamModel the provider's name for the model (replaces the client's public name)
 * @param payload       the client's request in the operation's wire format (OpenAI's, Anthropic's for
 *                      {@link Operation#MESSAGES} and {@link Operation#COUNT_TOKENS}), as JSON-compatible Java
 *                      values (maps, lists, strings, numbers, booleans, null), read-only: the
 *                      engine hands the same values to every attempt of a call and reads them
 *                      itself, so a client that needs them changed copies them (they are
 *                      unmodifiable when they come from the engine). For a multipart request
 *                      (transcriptions) its form fields: a string per field, a list of strings for a repeated one
 * @param stream        whether the client asked for a stream
 * @param files         the files the client sent with the call (a transcription's {@code file}),
 *                      readable with {@link TaskInput#open()} while the call runs; empty for JSON calls
 * @param body          the client's JSON body byte for byte as it came (member order, number forms,
 *                      spacing), except that the top-level {@code model}'s value is {@code upstreamModel};
 *                      it holds exactly what {@code payload} holds (a body naming a member twice is
 *                      refused before any provider sees it). A provider forwarding the call in the
 *                      client's own wire format may send it instead of encoding {@code payload} again.
 *                      Null when there is none (a multipart call, a request not made from a client's body).
 *                      Not to be changed
 */
public record ProviderRequest(Operation operation, String upstreamModel, Map<String, Object> payload,
                              boolean stream, List<TaskInput> files, byte[] body) {

    public ProviderRequest {
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** A call without the client's body as it came. */
    public ProviderRequest(Operation operation, String upstreamModel, Map<String, Object> payload, boolean stream,
                           List<TaskInput> files) {
        this(operation, upstreamModel, payload, stream, files, null);
    }

    /** A call without files. */
    public ProviderRequest(Operation operation, String upstreamModel, Map<String, Object> payload, boolean stream) {
        this(operation, upstreamModel, payload, stream, List.of());
    }
}
