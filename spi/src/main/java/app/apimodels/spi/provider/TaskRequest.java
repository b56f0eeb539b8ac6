package app.apimodels.spi.provider;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * A generation to start at the upstream (image, video, audio, speech).
 *
 * @param operation     what is asked
 * @param upstreamModel the provider's name for the model
 * @param input         the model parameters the client sent, validated against the catalog and
 *                      with defaults filled in, as JSON-compatible Java values; media inputs are
 *                      URLs of the engine's stored copies (see {@link #media()})
 * @param media         the media inputs, also readable as bytes
 * @param webhookUrl    where the upstream may report progress so the task completes without
 *                      waiting for the next poll ({@code POST /webhooks/providers/{id}…}), or
 *                      null if the engine has no public URL
 */
public record TaskRequest(Operation operation, String upstreamModel, Map<String, Object> input,
                          List<TaskInput> media, URI webhookUrl) {
    public TaskRequest {
        input = Map.copyOf(input);
        media = media == null ? List.of() : List.copyOf(media);
    }
}
