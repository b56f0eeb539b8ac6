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
 *                      values (maps, lists, strings, numbers, booleans, null); the client is
 *                      free to copy and change it. For a multipart request (transcriptions) its
 *                      form fields: a string per field, a list of strings for a repeated one
 * @param stream        whether the client asked for a stream
 * @param files         the files the client sent with the call (a transcription's {@code file}),
 *                      readable with {@link TaskInput#open()} while the call runs; empty for JSON calls
 */
public record ProviderRequest(Operation operation, String upstreamModel, Map<String, Object> payload,
                              boolean stream, List<TaskInput> files) {

    public ProviderRequest {
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** A call without files. */
    public ProviderRequest(Operation operation, String upstreamModel, Map<String, Object> payload, boolean stream) {
        this(operation, upstreamModel, payload, stream, List.of());
    }
}
