package app.apimodels.testkit;

import java.net.URI;
import java.util.Map;

/**
 * A generation task a mock upstream accepted, as the client sent it.
 *
 * @param id         the upstream's id for it (Replicate's prediction id, fal's request id)
 * @param model      the model as addressed: Replicate's {@code owner/name},
 *                   {@code deployment:owner/name} or version id; fal's model path
 * @param input      the model input received
 * @param webhookUrl where the client asked to be called back, or null
 */
public record MockSubmission(String id, String model, Map<String, Object> input, URI webhookUrl) {
}
