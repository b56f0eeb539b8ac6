package app.apimodels.provider.replicate;

import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a Replicate prediction (as answered on create and get, and as posted in webhooks) into a
 * {@link TaskUpdate} whose upstream id is the prediction id.
 */
final class Predictions {

    /**
     * Replicate removes an API prediction's output files about an hour after it ran ("Data
     * retention" in Replicate's docs), so links are given that long from completion.
     */
    static final Duration OUTPUT_RETENTION = Duration.ofHours(1);

    private final ObjectMapper mapper;
    private final ReplicateErrors errors;
    private final Clock clock;

    Predictions(ObjectMapper mapper, ReplicateErrors errors, Clock clock) {
        this.mapper = mapper;
        this.errors = errors;
        this.clock = clock;
    }

    /** @throws IOException if it is not a prediction this client understands */
    TaskUpdate read(byte[] body) throws IOException {
        JsonNode prediction = mapper.readTree(body);
        String id = text(prediction, "id");
        String status = text(prediction, "status");
        if (id == null || id.isBlank() || status == null) {
            throw new IOException("not a prediction: no id or status");
        }
        return switch (status.toLowerCase(Locale.ROOT)) {
            case "starting" -> TaskUpdate.pending(id, TaskState.QUEUED);
            case "processing" -> TaskUpdate.pending(id, TaskState.RUNNING);
            case "succeeded" -> succeeded(id, prediction);
            case "failed" -> TaskUpdate.failed(id, orElse(errors.scrub(text(prediction, "error")), "the upstream task failed"));
            case "canceled" -> new TaskUpdate(id, TaskState.CANCELED, List.of(), null, null);
            // Replicate's own deadline ran out before the model started.
            case "aborted" -> TaskUpdate.failed(id, "the upstream gave up on the task before it started");
            default -> throw new IOException("unknown prediction status");
        };
    }

    private TaskUpdate succeeded(String id, JsonNode prediction) {
        JsonNode removed = prediction.get("data_removed");
        if (removed != null && removed.asBoolean(false)) {
            return TaskUpdate.failed(id, "the upstream removed the outputs before they were collected");
        }
        Set<URI> urls = new LinkedHashSet<>();
        collectUrls(prediction.get("output"), urls);
        if (urls.isEmpty()) {
            return TaskUpdate.failed(id, "the upstream finished without producing a file");
        }
        Instant expiresAt = completedAt(prediction).plus(OUTPUT_RETENTION);
        List<TaskOutput> outputs = new ArrayList<>();
        urls.forEach(url -> outputs.add(TaskOutput.url(url, null, expiresAt)));
        return TaskUpdate.succeeded(id, outputs, null);
    }

    /** Output is whatever the model returns: a URL, a list of them, or an object holding them. */
    private static void collectUrls(JsonNode node, Set<URI> urls) {
        if (node == null) {
            return;
        }
        if (node.isTextual()) {
            String text = node.asText();
            if (text.startsWith("https://") || text.startsWith("http://")) {
                try {
                    urls.add(URI.create(text));
                } catch (IllegalArgumentException e) {
                    // text that merely starts like a URL is not a file
                }
            }
        } else if (node.isContainerNode()) {
            node.elements().forEachRemaining(element -> collectUrls(element, urls));
        }
    }

    private Instant completedAt(JsonNode prediction) {
        String completed = text(prediction, "completed_at");
        if (completed != null) {
            try {
                return OffsetDateTime.parse(completed).toInstant();
            } catch (DateTimeParseException e) {
                // fall through: without a completion time, now is the best guess
            }
        }
        return clock.instant();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null || !node.isObject() ? null : node.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    private static String orElse(String value, String fallback) {
        return value != null ? value : fallback;
    }
}
