package app.apimodels.provider.replicate;

import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.Redactor;
import app.apimodels.spi.provider.ProviderException.Kind;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * Turns Replicate's failures into {@link ProviderException}s and task errors whose messages are
 * safe to show a client. Replicate answers errors as problem details ({@code title},
 * {@code detail}, {@code status}; a 422 may list {@code invalid_fields}). Only the client's own
 * mistakes (invalid input) and a model's failure carry Replicate's words, scrubbed of anything
 * that looks like a secret; everything else gets a fixed message.
 */
final class ReplicateErrors {

    private static final String INPUT_PREFIX = "input.";

    private final ObjectMapper mapper;
    private final Redactor redactor;

    ReplicateErrors(ObjectMapper mapper, String apiKey) {
        this.mapper = mapper;
        this.redactor = new Redactor(apiKey);
    }

    /**
     * An HTTP answer outside 2xx, with the wait its {@code Retry-After} asks for (Replicate sends one
     * with a 429 or 503), so routing rests the key that long.
     */
    ProviderException forStatus(HttpResponseData response) {
        return classify(response).withRetryAfter(response.headers());
    }

    private ProviderException classify(HttpResponseData response) {
        int status = response.status();
        switch (status) {
            case 401, 403:
                return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream rejected the gateway's credentials", null, null);
            case 402:
                return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream refused the gateway's account (HTTP 402)", null, null);
            case 404:
                // The model is the catalog's, not the client's: a route to fix.
                return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream model, deployment or prediction not found (HTTP 404)", null, null);
            case 408:
                return new ProviderException(Kind.TIMEOUT, status, "upstream timed out (HTTP 408)", null, null);
            case 429:
                String retryAfter = response.header("retry-after");
                return new ProviderException(Kind.RATE_LIMITED, status, "upstream rate limit reached (HTTP 429)"
                        + (retryAfter != null && retryAfter.strip().matches("\\d{1,6}") ? "; retry after " + retryAfter.strip() + " s" : ""),
                        null, null);
            default:
                break;
        }
        if (status >= 500) {
            return new ProviderException(Kind.UPSTREAM_ERROR, status, "upstream failed (HTTP " + status + ")", null, null);
        }
        if (status >= 400) {
            JsonNode problem = document(response.body());
            String message = scrub(text(problem, "detail"));
            if (message == null) {
                message = scrub(text(problem, "title"));
            }
            return new ProviderException(Kind.INVALID_REQUEST, status,
                    message == null ? "upstream rejected the request (HTTP " + status + ")" : message.strip(),
                    scrub(invalidField(problem)), null);
        }
        return new ProviderException(Kind.UPSTREAM_ERROR, status, "unexpected upstream answer (HTTP " + status + ")", null, null);
    }

    /** An answer that is not the JSON Replicate promised. */
    ProviderException malformed(Throwable cause) {
        return new ProviderException(Kind.UPSTREAM_ERROR, "upstream sent a malformed answer", cause);
    }

    /** A failure below HTTP, from the transport. */
    ProviderException forTransport(Throwable failure) {
        return ProviderException.fromTransport(failure);
    }

    /** Text from Replicate made safe to show: no key or token-like strings, bounded length; null if blank. */
    String scrub(String text) {
        return redactor.scrub(text);
    }

    private JsonNode document(byte[] body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            return null; // not JSON: nothing of it is shown
        }
    }

    /** The first invalid field, as the client named it ({@code input.prompt} → {@code prompt}). */
    private static String invalidField(JsonNode problem) {
        JsonNode fields = problem == null ? null : problem.get("invalid_fields");
        if (fields == null || !fields.isArray() || fields.isEmpty()) {
            return null;
        }
        String field = text(fields.get(0), "field");
        return field != null && field.startsWith(INPUT_PREFIX) ? field.substring(INPUT_PREFIX.length()) : field;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null || !node.isObject() ? null : node.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }
}
