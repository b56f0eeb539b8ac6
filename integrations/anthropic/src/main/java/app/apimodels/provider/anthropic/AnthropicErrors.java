package app.apimodels.provider.anthropic;

import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderException.Kind;
import app.apimodels.spi.provider.Redactor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * Anthropic's failures as {@link ProviderException}s whose messages are safe to show a client:
 * only the client's own mistakes (400, 413) carry Anthropic's words, scrubbed of anything like a
 * secret; the rest get fixed messages. Anthropic's error shape is
 * {@code {"type": "error", "error": {"type": "...", "message": "..."}}}; 529 is its
 * "overloaded", retryable like any 5xx. An account out of credit is a 400
 * {@code invalid_request_error} whose message speaks of the credit balance ("Your credit balance is
 * too low to access the Anthropic API…"): the key's account, not the client's request.
 */
final class AnthropicErrors {

    private final ObjectMapper mapper;
    private final Redactor redactor;

    AnthropicErrors(ObjectMapper mapper, String apiKey) {
        this.mapper = mapper;
        this.redactor = new Redactor(apiKey);
    }

    ProviderException forStatus(int status, byte[] body) {
        return switch (status) {
            case 401, 403 -> config(status, "upstream rejected the gateway's credentials");
            case 404 -> config(status, "upstream endpoint or model not found (HTTP 404)");
            case 408 -> new ProviderException(Kind.TIMEOUT, status, "upstream timed out (HTTP 408)", null, null);
            case 429 -> new ProviderException(Kind.RATE_LIMITED, status, "upstream rate limit reached (HTTP 429)", null, null);
            default -> {
                if (status >= 500) {
                    yield new ProviderException(Kind.UPSTREAM_ERROR, status, "upstream failed (HTTP " + status + ")", null, null);
                }
                String message = message(body);
                if (status == 400 && outOfCredit(message)) {
                    yield config(status, "upstream account is out of credit (HTTP 400)");
                }
                if (status >= 400) {
                    yield new ProviderException(Kind.INVALID_REQUEST, status,
                            message == null ? "upstream rejected the request (HTTP " + status + ")" : message, null, null);
                }
                yield config(status, "unexpected upstream answer (HTTP " + status + ")");
            }
        };
    }

    /** An {@code error} event inside a stream that had started well ({@code overloaded_error} and the like). */
    ProviderException forStreamError(JsonNode error) {
        String message = redactor.scrub(error.path("message").isTextual() ? error.path("message").asText() : null);
        return new ProviderException(Kind.UPSTREAM_ERROR, 0, message == null ? "upstream failed mid-stream" : message,
                null, null);
    }

    ProviderException malformed(Throwable cause) {
        return new ProviderException(Kind.UPSTREAM_ERROR, "upstream sent malformed JSON", cause);
    }

    private static ProviderException config(int status, String message) {
        return new ProviderException(Kind.UPSTREAM_CONFIG, status, message, null, null);
    }

    private static boolean outOfCredit(String message) {
        return message != null && message.toLowerCase(java.util.Locale.ROOT).contains("credit balance");
    }

    private String message(byte[] body) {
        try {
            JsonNode message = mapper.readTree(body).path("error").path("message");
            return message.isTextual() ? redactor.scrub(message.asText()) : null;
        } catch (IOException | RuntimeException e) {
            return null; // not JSON: nothing of it is shown
        }
    }
}
