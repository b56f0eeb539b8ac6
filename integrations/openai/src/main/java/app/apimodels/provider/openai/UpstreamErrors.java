package app.apimodels.provider.openai;

import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.Redactor;
import app.apimodels.spi.provider.ProviderException.Kind;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * Turns upstream failures into {@link ProviderException}s whose messages are safe to show the
 * client: only a client's own mistakes (invalid requests) carry the upstream's words, scrubbed of
 * anything that looks like a secret; everything else gets a fixed message.
 */
final class UpstreamErrors {


    private final ObjectMapper mapper;
    private final Redactor redactor;

    UpstreamErrors(ObjectMapper mapper, String apiKey) {
        this.mapper = mapper;
        this.redactor = new Redactor(apiKey);
    }

    /** An HTTP answer outside 2xx; {@code body} is the upstream's error document, if any. */
    ProviderException forStatus(int status, byte[] body) {
        if (status == 401 || status == 403) {
            return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream rejected the gateway's credentials", null, null);
        }
        if (status == 402) {
            return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream refused the gateway's account (HTTP 402)", null, null);
        }
        if (status == 404) {
            // The model name sent upstream is the catalog's, not the client's: a route to fix.
            return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream endpoint or model not found (HTTP 404)", null, null);
        }
        if (status == 408) {
            return new ProviderException(Kind.TIMEOUT, status, "upstream timed out (HTTP 408)", null, null);
        }
        if (status == 429 && "insufficient_quota".equals(text(errorDocument(body), "code"))) {
            // Not a passing limit: the account behind this key has no quota left until someone pays.
            return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream account is out of quota (HTTP 429)", null, null);
        }
        if (status == 429) {
            return new ProviderException(Kind.RATE_LIMITED, status, "upstream rate limit reached (HTTP 429)", null, null);
        }
        if (status >= 500) {
            return new ProviderException(Kind.UPSTREAM_ERROR, status, "upstream failed (HTTP " + status + ")", null, null);
        }
        if (status >= 400) {
            JsonNode error = errorDocument(body);
            String message = scrub(text(error, "message"));
            return new ProviderException(Kind.INVALID_REQUEST, status,
                    message == null ? "upstream rejected the request (HTTP " + status + ")" : message,
                    scrub(text(error, "param")), null);
        }
        return new ProviderException(Kind.UPSTREAM_CONFIG, status, "unexpected upstream answer (HTTP " + status + ")", null, null);
    }

    /** An {@code error} object sent inside a stream that had started well. */
    ProviderException forStreamError(JsonNode error) {
        String message = scrub(error.isTextual() ? error.asText() : text(error, "message"));
        return new ProviderException(Kind.UPSTREAM_ERROR, 0, message == null ? "upstream failed mid-stream" : message,
                null, null);
    }

    /** An answer that is not the JSON the upstream promised. */
    ProviderException malformed(Throwable cause) {
        return new ProviderException(Kind.UPSTREAM_ERROR, "upstream sent malformed JSON", cause);
    }

    /** A well-formed answer that lacks what it should carry. */
    ProviderException unexpected(String message) {
        return new ProviderException(Kind.UPSTREAM_ERROR, message, null);
    }

    /** OpenAI's {@code {"error": {...}}}, or the whole document for servers that answer flat. */
    private JsonNode errorDocument(byte[] body) {
        try {
            JsonNode document = mapper.readTree(body);
            if (document == null) {
                return null;
            }
            JsonNode error = document.get("error");
            return error != null && (error.isObject() || error.isTextual()) ? error : document;
        } catch (IOException e) {
            return null; // not JSON: nothing of it is shown
        }
    }

    /** A field's text; an error given as a bare string is its own message. */
    private static String text(JsonNode node, String field) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return field.equals("message") ? node.asText() : null;
        }
        JsonNode value = node.get(field);
        if (value == null && field.equals("message")) {
            value = node.get("detail"); // FastAPI-based servers (vLLM) say it this way
        }
        return value != null && value.isTextual() ? value.asText() : null;
    }

    String scrub(String text) {
        return redactor.scrub(text);
    }
}
